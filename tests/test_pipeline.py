"""The delivery pipeline (issue 21): with ``wellstack:pipeline`` in cdk.json the app also writes
the ``WellstackPipeline`` stack: a CodePipeline with the source, the synth/test step,
self-mutation, one stage per environment in order (the DR stacks in their region), the data
guard before each stage, a manual approval before production and a smoke test after each;
cdk-nag (both packs) and cfn-lint clean; bad settings are errors naming the key; without the
key nothing changes."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import CDK_JSON
from tests.strategies import JUNK, examples
from tests.test_app import cfn_lint
from wellstack.errors import WellstackError
from wellstack.pipeline_settings import PIPELINE_KEY, parse_pipeline
from wellstack.settings import ENVIRONMENTS_KEY, parse_environments

PIPELINE_ACCOUNT, DEV_ACCOUNT, PROD_ACCOUNT = "111122223333", "222233334444", "333344445555"
CONNECTION = (
    f"arn:aws:codeconnections:ap-northeast-2:{PIPELINE_ACCOUNT}:connection/"
    "0e9f1c2a-1111-2222-3333-444455556666"
)
PIPELINE = {
    "repository": "my-org/shop",
    "branch": "main",
    "connection_arn": CONNECTION,
    "account": PIPELINE_ACCOUNT,
    "region": "ap-northeast-2",
    "environments": ["dev", "prod"],
}


def environments() -> dict[str, Any]:
    envs = copy.deepcopy(CDK_JSON["context"][ENVIRONMENTS_KEY])
    envs["dev"]["account"] = DEV_ACCOUNT
    envs["prod"]["account"] = PROD_ACCOUNT
    return envs


@pytest.fixture(scope="module")
def with_pipeline(built_app):
    """Synthesized under AwsSolutions, NIST 800-53 R5 and Control Tower (a finding fails)."""
    return built_app(
        packs="NIST80053R5,ControlTower",
        **{ENVIRONMENTS_KEY: environments(), PIPELINE_KEY: PIPELINE},
    )


def pipeline_template(app: Any) -> dict[str, Any]:
    return json.loads((Path(app.outdir) / "WellstackPipeline.template.json").read_text())


def the_pipeline(template: dict[str, Any]) -> dict[str, Any]:
    (pipeline,) = [r["Properties"] for r in template["Resources"].values()
                   if r["Type"] == "AWS::CodePipeline::Pipeline"]  # fmt: skip
    return pipeline


def actions(pipeline: dict[str, Any]) -> dict[str, list[tuple[str, str, int]]]:
    """stage name -> (action name, category, run order) in run order."""
    return {
        stage["Name"]: sorted(
            (
                (a["Name"], a["ActionTypeId"]["Category"], a.get("RunOrder", 1))
                for a in stage["Actions"]
            ),
            key=lambda a: a[2],
        )
        for stage in pipeline["Stages"]
    }


def test_the_pipeline_stack_is_written(with_pipeline):
    manifest = json.loads((Path(with_pipeline.outdir) / "manifest.json").read_text())
    artifact = manifest["artifacts"]["WellstackPipeline"]
    assert artifact["environment"] == f"aws://{PIPELINE_ACCOUNT}/ap-northeast-2"
    # The environment stacks a laptop deploys are still there, unchanged in name.
    assert {"DevNetwork", "DevData", "DevApp"} <= set(manifest["artifacts"])


def test_stages_in_promotion_order_with_guard_approval_and_smoke_test(with_pipeline):
    pipeline = the_pipeline(pipeline_template(with_pipeline))
    stages = actions(pipeline)
    assert list(stages) == ["Source", "Build", "UpdatePipeline", "Assets", "Dev", "Prod"]
    (source,) = stages["Source"]
    assert source[1] == "Source"
    source_action = pipeline["Stages"][0]["Actions"][0]
    assert source_action["ActionTypeId"]["Provider"] == "CodeStarSourceConnection"
    assert source_action["Configuration"]["ConnectionArn"] == CONNECTION
    assert source_action["Configuration"]["FullRepositoryId"] == "my-org/shop"
    assert source_action["Configuration"]["BranchName"] == "main"

    def names(stage: str) -> list[str]:
        return [name for name, _, _ in stages[stage]]

    dev, prod = names("Dev"), names("Prod")
    assert dev[0] == "GuardDev" and dev[-1] == "SmokeDev"
    assert "ApproveDev" not in dev  # dev is not production
    assert prod[:2] == ["GuardProd", "ApproveProd"] and prod[-1] == "SmokeProd"
    categories = {name: category for name, category, _ in stages["Prod"]}
    assert categories["ApproveProd"] == "Approval"
    # Guard, then approval, then the deploys, then the smoke test.
    order = {name: run for name, _, run in stages["Prod"]}
    deploys = [n for n, c, _ in stages["Prod"] if c == "Deploy"]
    assert order["GuardProd"] < order["ApproveProd"] < min(order[d] for d in deploys)
    assert max(order[d] for d in deploys) < order["SmokeProd"]
    # prod has a DR region: its DR stacks deploy in Tokyo, the others in Seoul.
    # (An action without a Region runs in the pipeline's own, Seoul.)
    (prod_stage,) = [s for s in pipeline["Stages"] if s["Name"] == "Prod"]
    regions = {a["Name"]: a.get("Region", "ap-northeast-2") for a in prod_stage["Actions"]
               if a["ActionTypeId"]["Category"] == "Deploy"}  # fmt: skip
    assert {r for n, r in regions.items() if "Dr" in n} == {"ap-northeast-1"}
    assert {r for n, r in regions.items() if "Dr" not in n} == {"ap-northeast-2"}


def _buildspec(template: dict[str, Any], action: str) -> str:
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::CodeBuild::Project":
            continue
        spec = resource["Properties"]["Source"].get("BuildSpec", "")
        text = spec if isinstance(spec, str) else json.dumps(spec)
        if action in json.dumps(resource["Properties"].get("Description", "")) or action in text:
            return text
    raise AssertionError(f"no CodeBuild project for {action}")


def test_synth_runs_the_two_commands_and_the_guard_reads_the_stage_account(with_pipeline):
    template = pipeline_template(with_pipeline)
    projects = [r["Properties"] for r in template["Resources"].values()
                if r["Type"] == "AWS::CodeBuild::Project"]  # fmt: skip
    specs = [json.dumps(p["Source"].get("BuildSpec", "")) for p in projects]
    assert any("make synth ENV=dev,prod" in s and "make test" in s for s in specs)
    guard = [s for s in specs if "make guard ENV=prod" in s]
    assert len(guard) == 1
    lookup = (
        f"arn:aws:iam::{PROD_ACCOUNT}:role/cdk-hnb659fds-lookup-role-{PROD_ACCOUNT}-ap-northeast-2"
    )
    assert lookup in guard[0]
    smoke = [s for s in specs if "curl -fsS" in s]
    assert len(smoke) == 2 and all("/health" in s for s in smoke)
    # The guard's role may assume the lookup role and nothing else outside the pipeline.
    assumes = [
        statement
        for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Policy"
        for statement in r["Properties"]["PolicyDocument"]["Statement"]
        if statement["Action"] == "sts:AssumeRole" and statement["Resource"] == lookup
    ]  # fmt: skip
    assert len(assumes) == 1
    assert all("VpcConfig" not in p for p in projects)  # nothing private to reach


def test_artifacts_are_encrypted_versioned_and_logged(with_pipeline):
    template = pipeline_template(with_pipeline)
    pipeline = the_pipeline(template)
    store = pipeline.get("ArtifactStore") or pipeline["ArtifactStores"][0]["ArtifactStore"]
    assert store["EncryptionKey"]["Type"] == "KMS"
    keys = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::KMS::Key"]
    assert keys and all(k.get("EnableKeyRotation") for k in keys)
    (bucket,) = [
        r["Properties"] for k, r in template["Resources"].items()
        if r["Type"] == "AWS::S3::Bucket" and k.startswith("PipelineArtifactsBucket")
    ]  # fmt: skip
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["LoggingConfiguration"]["LogFilePrefix"] == "artifacts/"
    encryption = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"


def test_stage_stacks_keep_the_environment_names(with_pipeline):
    nested = Path(with_pipeline.outdir) / "assembly-WellstackPipeline-Prod" / "manifest.json"
    artifacts = json.loads(nested.read_text())["artifacts"].values()
    names = {
        a["properties"]["stackName"]: a["environment"]
        for a in artifacts if a["type"] == "aws:cloudformation:stack"
    }  # fmt: skip
    assert names == {
        "ProdNetwork": f"aws://{PROD_ACCOUNT}/ap-northeast-2",
        "ProdData": f"aws://{PROD_ACCOUNT}/ap-northeast-2",
        "ProdApp": f"aws://{PROD_ACCOUNT}/ap-northeast-2",
        "ProdDrNetwork": f"aws://{PROD_ACCOUNT}/ap-northeast-1",
        "ProdDrData": f"aws://{PROD_ACCOUNT}/ap-northeast-1",
        "ProdDrApp": f"aws://{PROD_ACCOUNT}/ap-northeast-1",
    }


def test_nag_and_cfn_lint_are_clean(with_pipeline):
    report = json.loads((Path(with_pipeline.outdir) / "validation-report.json").read_text())
    assert all(not plugin["violations"] for plugin in report.get("pluginReports", []))
    files = sorted(Path(with_pipeline.outdir).glob("*.template.json"))
    result = cfn_lint(files)
    assert not [line for line in result.stdout.splitlines() if ":E" in line], result.stdout


def test_without_the_key_nothing_changes(dev_app):
    manifest = json.loads((Path(dev_app.outdir) / "manifest.json").read_text())
    assert "WellstackPipeline" not in manifest["artifacts"]
    assert not list(Path(dev_app.outdir).glob("assembly-*"))


# --- settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"environments": ["dev", "staging"]}, ["'environments'", "'staging'", "dev, prod"]),
        ({"environments": []}, ["'environments'", "non-empty list"]),
        ({"environments": ["dev", "dev"]}, ["'environments'", "more than once"]),
        ({"connection_arn": "arn:aws:codestar:ap-northeast-2:1:connection/x"},
         ["'connection_arn'", "CodeConnections"]),
        ({"repository": "shop"}, ["'repository'", "owner/name"]),
        ({"account": "12345"}, ["'account'", "12-digit"]),
        ({"region": "seoul"}, ["'region'", "region"]),
        ({"branch": "main branch"}, ["'branch'", "branch name"]),
        ({"reviewers": ["x"]}, ["'reviewers'", "unknown key"]),
    ],
)  # fmt: skip
def test_bad_pipeline_settings_name_the_key(change, words):
    with pytest.raises(WellstackError) as caught:
        parse_pipeline({**PIPELINE, **change}, parse_environments(environments()))
    message = str(caught.value)
    assert all(word in message for word in words), message


def test_a_stage_without_an_account_is_refused():
    envs = environments()
    del envs["prod"]["account"]
    with pytest.raises(WellstackError) as caught:
        parse_pipeline(PIPELINE, parse_environments(envs))
    assert "'prod' has no 'account'" in str(caught.value) and "--trust" in str(caught.value)


def test_missing_keys_are_listed():
    with pytest.raises(WellstackError) as caught:
        parse_pipeline({"repository": "my-org/shop"}, parse_environments(environments()))
    for key in ("branch", "connection_arn", "account", "region", "environments"):
        assert f"key {key!r}: is required" in str(caught.value)


def test_a_bad_pipeline_key_fails_the_synth_with_the_key(built_app):
    with pytest.raises(RuntimeError, match="connection_arn"):
        built_app(**{ENVIRONMENTS_KEY: environments(),
                     PIPELINE_KEY: {**PIPELINE, "connection_arn": "nope"}})  # fmt: skip


@examples(60)
@given(key=st.sampled_from(sorted(PIPELINE)), junk=JUNK)
def test_junk_in_any_pipeline_key_names_that_key(key, junk):
    """Anything at all in one key: parsed (if it happens to be valid) or refused naming it."""
    envs = parse_environments(environments())
    try:
        parse_pipeline({**PIPELINE, key: junk}, envs)
    except WellstackError as error:
        assert f"{key!r}" in str(error), str(error)


def test_review_reads_the_pipeline_app_and_maps_every_rule(with_pipeline):
    from click.testing import CliRunner

    from wellstack.cli import main

    result = CliRunner().invoke(main, ["review", str(with_pipeline.outdir), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["unmapped"] == []


def test_the_stack_refuses_anything_but_parsed_settings():
    import aws_cdk as cdk

    from wellstack.stacks.pipeline_stack import PipelineStack

    with pytest.raises(WellstackError, match="pipeline must be a PipelineSettings"):
        PipelineStack(cdk.App(), "WellstackPipeline", pipeline=PIPELINE)  # type: ignore[arg-type]


def test_pipeline_errors_say_where_they_come_from():
    from wellstack.pipeline_settings import PipelineSettingsError

    with pytest.raises(PipelineSettingsError) as caught:
        parse_pipeline([], parse_environments(environments()))
    assert caught.value.path == "cdk.json wellstack:pipeline"
    assert isinstance(caught.value, ValueError)
