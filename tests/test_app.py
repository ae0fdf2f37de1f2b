"""The app as a whole: builds in-process with cdk-nag on, cfn-lint clean, and the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from wellstack.deploy.runner import cdk_command, cli_environment

CDK = ROOT / "node_modules" / ".bin" / "cdk"


def run_cdk(*args: str, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    assert CDK.exists(), "node_modules/.bin/cdk is missing: run `make setup` (npm ci)"
    return subprocess.run(
        [*cdk_command(ROOT), *args, "--no-notices"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=cli_environment({**os.environ, "CI": "true"}, ROOT),
    )


def test_default_app_has_one_template_per_stack(dev_app):
    stacks = {stack.stack_name for stack in dev_app.assembly.stacks}
    files = {path.name.removesuffix(".template.json") for path in dev_app.template_files}
    assert stacks, "the default app has no stacks"
    assert files == stacks
    assert "DevNetwork" in stacks


def test_default_app_needs_no_context_lookup(dev_app):
    """Offline synthesis: nothing asked CDK to look anything up in an AWS account."""
    manifest = json.loads((dev_app.outdir / "manifest.json").read_text())
    assert manifest["artifacts"], "empty manifest"
    assert not manifest.get("missing"), manifest.get("missing")


def test_nag_report_has_no_unacknowledged_findings(dev_app):
    report = (dev_app.outdir / "validation-report.json").read_text()
    assert '"pluginReports": []' in report or '"violations": []' in report


def cfn_lint(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), "--format", "parseable", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cfn_lint_reports_no_errors(dev_app):
    result = cfn_lint(dev_app.template_files)
    errors = [line for line in result.stdout.splitlines() if ":E" in line]
    assert not errors, "\n".join(errors)
    assert result.returncode in (0, 4, 8, 12), result.stdout + result.stderr  # no errors (2)


def test_cfn_lint_catches_a_broken_template(tmp_path):
    """The cfn-lint check above can fail: a Ref to nothing is an error."""
    broken = tmp_path / "broken.template.json"
    broken.write_text(
        '{"Resources": {"Vpc": {"Type": "AWS::EC2::VPC", '
        '"Properties": {"CidrBlock": {"Ref": "Missing"}}}}}'
    )
    result = cfn_lint([broken])
    assert result.returncode & 2, result.stdout


def without_cli_metadata(template: dict) -> dict:
    """``template`` without what only the CLI adds: version reporting (``CDKMetadata``) and the
    assets' metadata (``aws:asset:*``)."""
    template = json.loads(json.dumps(template))
    template["Resources"].pop("CDKMetadata", None)
    template.get("Conditions", {}).pop("CDKMetadataAvailable", None)
    if template.get("Conditions") == {}:
        del template["Conditions"]
    for resource in template["Resources"].values():
        metadata = resource.get("Metadata", {})
        for key in [key for key in metadata if key.startswith("aws:asset:")]:
            del metadata[key]
    return template


@pytest.mark.cli
def test_real_cdk_synth_of_the_default_app(tmp_path, dev_app):
    result = run_cdk("synth", "--quiet", "-o", str(tmp_path), cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "DevNetwork.template.json").exists()
    assert "Need to perform AWS calls" not in result.stderr
    # app.py's template validation ran in its own process (wellstack.app.new_app), not the
    # kernel (tests/test_template_validator.py: the same findings as CDK's own plugin).
    assert "template validation runs in the CDK process" not in result.stderr
    # What the other tests read (tests/_synth.py: built after other apps in one process, or
    # from the cache) is what the CLI writes.
    written = sorted(path.name for path in tmp_path.glob("*.template.json"))
    assert written == [path.name for path in dev_app.template_files]
    for name in written:
        cli = json.loads((tmp_path / name).read_text())
        assert without_cli_metadata(cli) == json.loads((dev_app.outdir / name).read_text()), name


@pytest.mark.cli
def test_real_cdk_synth_fails_on_an_unacknowledged_nag_finding(tmp_path):
    fixture = ROOT / "tests" / "fixtures" / "nag_violation"
    result = run_cdk(
        "synth", "--quiet", "--app", f"{sys.executable} app.py", "-o", str(tmp_path), cwd=fixture
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "AwsSolutions-S1" in output
    assert "AwsSolutions-S10" in output


#: A finding each pack must report on a bare bucket and a log group in a reserved namespace.
PACK_FINDINGS = {
    "AwsSolutions": "AwsSolutions-S1",
    "NIST80053R5": "NIST.800.53.R5-S3BucketLoggingEnabled",
    "AwsConstraints": "LOG2",
}
#: The name a pack's report carries.
REPORT_NAMES = {"NIST80053R5": "NIST.800.53.R5"}


def test_every_pack_of_the_default_app_runs_and_stops_the_synth(tmp_path):
    """Acknowledgments in the templates do not show that a pack ran: findings do. The default
    app (its cdk.json packs) with a bare bucket and a log group named aws/...: the synth stops,
    and every pack reports its finding on them."""
    from aws_cdk import aws_logs as logs
    from aws_cdk import aws_s3 as s3

    from tests.conftest import CDK_JSON, project_context
    from wellstack.app import build, new_app
    from wellstack.compliance import resolve_packs
    from wellstack.settings import PACKS_KEY, split_list

    packs = resolve_packs(split_list(CDK_JSON["context"].get(PACKS_KEY), PACKS_KEY))
    assert set(packs) == set(PACK_FINDINGS)  # a pack added to cdk.json gets its finding here
    app = new_app(context=project_context(), outdir=str(tmp_path))
    data = build(app)["dev"].data
    s3.CfnBucket(data, "Bare")
    logs.CfnLogGroup(data, "BareLogs", log_group_name="aws/reserved")
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    found = {
        plugin["pluginName"]: {
            violation["ruleName"]
            for violation in plugin["violations"]
            if any("/Bare" in c.get("constructPath", "") for c in violation["violatingConstructs"])
        }
        for plugin in report["pluginReports"]
    }
    for pack, rule in PACK_FINDINGS.items():
        assert rule in found.get(REPORT_NAMES.get(pack, pack), set()), (pack, found)
