"""A DR region (issue 18): prod's stacks in two regions, the global database, S3 replication
and backup copies in the templates; dev unchanged; a consumer's two-region app with the
constructs alone; bad DR settings and props as clear errors; the tooling (plan, review, cost)."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from click.testing import CliRunner

from tests.conftest import CDK_JSON
from wellstack.analysis.template import flat
from wellstack.cli import main
from wellstack.compliance import apply_packs
from wellstack.constructs import (
    AuroraCluster,
    AuroraSecondaryCluster,
    Network,
    Replication,
    TieredBucket,
)
from wellstack.errors import WellstackError
from wellstack.settings import ENVIRONMENTS_KEY, parse_environment

SEOUL, TOKYO = "ap-northeast-2", "ap-northeast-1"


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


@pytest.fixture(scope="module")
def prod(built_app):
    return built_app(env="prod")


def test_prod_has_six_stacks_in_two_regions(prod):
    manifest = json.loads((prod.outdir / "manifest.json").read_text())
    stacks = {
        name: (artifact["environment"].rsplit("/", 1)[-1], set(artifact.get("dependencies", [])))
        for name, artifact in manifest["artifacts"].items()
        if artifact["type"] == "aws:cloudformation:stack"
    }
    assert {name: region for name, (region, _) in stacks.items()} == {
        "ProdNetwork": SEOUL, "ProdData": SEOUL, "ProdApp": SEOUL,
        "ProdDrNetwork": TOKYO, "ProdDrData": TOKYO, "ProdDrApp": TOKYO,
    }  # fmt: skip
    # S3 and AWS Backup need the replica bucket and the DR vault first; the secondary cluster
    # needs the global database.
    assert "ProdDrNetwork" in stacks["ProdData"][1]
    assert "ProdData" in stacks["ProdDrData"][1]


def test_the_global_database_spans_both_regions(prod):
    (global_cluster,) = resources(prod.template("ProdData"), "AWS::RDS::GlobalCluster").values()
    props = global_cluster["Properties"]
    assert props["GlobalClusterIdentifier"] == "wellstack-prod-global"
    assert ":rds:ap-northeast-2:" in flat(props["SourceDBClusterIdentifier"])
    assert props["DeletionProtection"] is True
    (primary,) = resources(prod.template("ProdData"), "AWS::RDS::DBCluster").values()
    assert "BacktrackWindow" not in primary["Properties"]  # global databases have no Backtrack
    (secondary,) = resources(prod.template("ProdDrData"), "AWS::RDS::DBCluster").values()
    secondary_props = secondary["Properties"]
    assert secondary_props["GlobalClusterIdentifier"] == "wellstack-prod-global"
    assert secondary_props["StorageEncrypted"] is True and "KmsKeyId" in secondary_props
    assert "MasterUsername" not in secondary_props  # a secondary inherits the primary's users
    assert secondary_props["EngineVersion"] == primary["Properties"]["EngineVersion"]
    assert secondary["DeletionPolicy"] == "Retain"
    readers = resources(prod.template("ProdDrData"), "AWS::RDS::DBInstance")
    assert len(readers) == 1  # dr_db_readers defaults to 1
    assert {r["Properties"]["DBInstanceClass"] for r in readers.values()} == {"db.r6g.large"}


def test_assets_replicate_to_the_dr_bucket(prod):
    data = prod.template("ProdData")
    (source,) = [
        r for r in resources(data, "AWS::S3::Bucket").values()
        if "ReplicationConfiguration" in r["Properties"]
    ]  # fmt: skip
    (rule,) = source["Properties"]["ReplicationConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled" and rule["DeleteMarkerReplication"]["Status"] == "Enabled"
    assert rule["SourceSelectionCriteria"]["SseKmsEncryptedObjects"]["Status"] == "Enabled"
    destination = flat(rule["Destination"]["Bucket"]).split(":::", 1)[1]
    replica = [
        r for r in resources(prod.template("ProdDrNetwork"), "AWS::S3::Bucket").values()
        if flat(r["Properties"].get("BucketName")) == destination
    ]  # fmt: skip
    assert len(replica) == 1, destination
    assert replica[0]["Properties"]["VersioningConfiguration"]["Status"] == "Enabled"
    assert replica[0]["Properties"]["LifecycleConfiguration"]["Rules"][0]["Id"] == "Tiering"
    alias = flat(rule["Destination"]["EncryptionConfiguration"]["ReplicaKmsKeyID"])
    aliases = resources(prod.template("ProdDrNetwork"), "AWS::KMS::Alias").values()
    (dr_alias,) = [a for a in aliases if alias.endswith(f":{a['Properties']['AliasName']}")]
    assert dr_alias["Properties"]["AliasName"] == "alias/wellstack/prod/assets-dr"
    assert ":kms:ap-northeast-1:" in alias


def test_backups_are_copied_to_the_dr_vault(prod):
    (plan,) = resources(prod.template("ProdData"), "AWS::Backup::BackupPlan").values()
    (rule,) = plan["Properties"]["BackupPlan"]["BackupPlanRule"]
    (copy,) = rule["CopyActions"]
    (vault,) = [
        r for r in resources(prod.template("ProdDrNetwork"), "AWS::Backup::BackupVault").values()
    ]
    arn = flat(copy["DestinationBackupVaultArn"])
    assert f":backup:{TOKYO}:" in arn and arn.endswith(f":{vault['Properties']['BackupVaultName']}")
    assert copy["Lifecycle"]["DeleteAfterDays"] == 35


def test_dev_is_unchanged(built_app):
    dev = built_app()
    assert sorted(t.name for t in dev.template_files) == [
        "DevApp.template.json", "DevData.template.json", "DevNetwork.template.json",
    ]  # fmt: skip
    data = dev.template("DevData")
    assert not resources(data, "AWS::RDS::GlobalCluster")
    assert not any("ReplicationConfiguration" in r["Properties"]
                   for r in resources(data, "AWS::S3::Bucket").values())  # fmt: skip
    (cluster,) = resources(data, "AWS::RDS::DBCluster").values()
    assert cluster["Properties"]["BacktrackWindow"] == 86400


# --- a consumer's own app -------------------------------------------------------------------


def test_a_consumer_builds_both_regions_with_the_constructs_alone(tmp_path):
    app = cdk.App(outdir=str(tmp_path), context={"@aws-cdk/core:validateAgainstDefaultRules": True})
    account = "111122223333"
    primary = cdk.Stack(app, "OrdersSeoul", env=cdk.Environment(account=account, region=SEOUL))
    standby = cdk.Stack(app, "OrdersTokyo", env=cdk.Environment(account=account, region=TOKYO))
    tokyo_net = Network(standby, "Net", availability_zones=[f"{TOKYO}a", f"{TOKYO}c"],
                        cidr="10.1.0.0/16")  # fmt: skip
    TieredBucket(standby, "Replica", bucket_props={"bucket_name": "orders-replica-111122223333"})
    seoul_net = Network(primary, "Net", availability_zones=[f"{SEOUL}a", f"{SEOUL}c"])
    TieredBucket(primary, "Files", replicate_to=Replication("orders-replica-111122223333", TOKYO,
                                                           time_control=True))  # fmt: skip
    AuroraCluster(primary, "Db", vpc=seoul_net.vpc, global_cluster_identifier="orders-global")
    secondary = AuroraSecondaryCluster(
        standby, "Db", vpc=tokyo_net.vpc, global_cluster_identifier="orders-global", readers=0
    )
    primary.add_stack_dependency(standby)  # the replica bucket first
    apply_packs(app, ["NIST80053R5", "ControlTower"])
    assembly = app.synth()  # an unacknowledged finding in either region would fail here
    tokyo = assembly.get_stack_by_name("OrdersTokyo").template
    assert secondary.instances == [] and not resources(tokyo, "AWS::RDS::DBInstance")  # headless
    seoul = assembly.get_stack_by_name("OrdersSeoul").template
    (files,) = [r for r in resources(seoul, "AWS::S3::Bucket").values()
                if "ReplicationConfiguration" in r["Properties"]]  # fmt: skip
    destination = files["Properties"]["ReplicationConfiguration"]["Rules"][0]["Destination"]
    assert destination["ReplicationTime"] == {"Status": "Enabled", "Time": {"Minutes": 15}}
    assert destination["Metrics"]["Status"] == "Enabled"
    assert "EncryptionConfiguration" not in destination  # SSE-S3 replicas
    from tests.test_app import cfn_lint

    result = cfn_lint(sorted(tmp_path.glob("Orders*.template.json")))
    assert not [line for line in result.stdout.splitlines() if ":E" in line], result.stdout


# --- bad DR settings and props --------------------------------------------------------------

PROD = CDK_JSON["context"][ENVIRONMENTS_KEY]["prod"]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"dr_region": SEOUL}, ("'dr_region'", "another region than region")),
        ({"dr_cidr": "10.20.128.0/17"}, ("'dr_cidr'", "overlaps cidr 10.20.0.0/16")),
        ({"dr_availability_zones": [f"{SEOUL}a", f"{SEOUL}b"]},
         ("'dr_availability_zones'", f"region '{TOKYO}'")),
        ({"db_instance_type": "t4g.medium"},
         ("'db_instance_type'", "cannot run in an Aurora global database", "memory-optimized")),
        ({"dr_region": None}, ("'dr_availability_zones'", "needs dr_region")),
        ({"dr_cidr": None}, ("'dr_cidr'", "is required with dr_region")),
        ({"dr_db_readers": 16}, ("'dr_db_readers'", "16")),
        ({"dr_nat": "two"}, ("'dr_nat'", "'two'")),
    ],
)  # fmt: skip
def test_bad_dr_settings_name_the_key(change, words):
    raw = {**PROD, **change}
    raw = {k: v for k, v in raw.items() if v is not None}
    with pytest.raises(WellstackError) as caught:
        parse_environment("prod", raw)
    for word in words:
        assert word in str(caught.value), str(caught.value)


def stack(region: str = SEOUL) -> cdk.Stack:
    return cdk.Stack(cdk.App(), "S", env=cdk.Environment(region=region))


def net(scope: cdk.Stack) -> Network:
    region = scope.region
    return Network(scope, "Net", availability_zones=[f"{region}a", f"{region}c"], flow_logs=False)


def an_old_postgres_version() -> str:
    from wellstack.constructs.database import _postgres_versions

    return next(v for v in sorted(_postgres_versions()) if v.startswith("12."))


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (lambda s: AuroraCluster(s, "Db", vpc=net(s).vpc, global_cluster_identifier="9lives"),
         ("global_cluster_identifier", "'9lives'")),
        (lambda s: AuroraCluster(s, "Db", vpc=net(s).vpc, global_cluster_identifier="g",
                                 instance_type="t4g.medium"),
         ("instance_type", "memory-optimized")),
        (lambda s: AuroraCluster(s, "Db", vpc=net(s).vpc, global_cluster_identifier="g",
                                 backtrack_window_hours=24),
         ("backtrack_window_hours=24", "does not support Backtrack")),
        (lambda s: AuroraCluster(s, "Db", vpc=net(s).vpc, global_cluster_identifier="g",
                                 engine="postgresql", engine_version=an_old_postgres_version()),
         ("engine_version", "cannot be a global database", "13.3+")),
        (lambda s: AuroraCluster(s, "Db", vpc=net(s).vpc, backup_copy_to="arn:aws:s3:::vault"),
         ("backup_copy_to", "backup vault ARN")),
        (lambda s: AuroraCluster(s, "Db", vpc=net(s).vpc, backup_plan=False, backup_copy_to=(
            "arn:aws:backup:ap-northeast-1:111122223333:backup-vault:dr")),
         ("backup_copy_to needs backup_plan=True",)),
        (lambda s: AuroraSecondaryCluster(s, "Db", vpc=net(s).vpc, global_cluster_identifier="g",
                                          readers=16),
         ("readers", "16")),
        (lambda s: AuroraSecondaryCluster(s, "Db", vpc=net(s).vpc, global_cluster_identifier="g",
                                          instance_type="t3.medium"),
         ("instance_type", "memory-optimized")),
        (lambda s: TieredBucket(s, "B", replicate_to="other-bucket"),
         ("replicate_to", "Replication(bucket_name, region")),
        (lambda s: TieredBucket(s, "B", replicate_to=Replication("other-bucket", SEOUL)),
         ("replicate_to.region", "another region")),
        (lambda s: TieredBucket(s, "B", versioned=False,
                                replicate_to=Replication("other-bucket", TOKYO)),
         ("replicate_to needs versioned=True",)),
        (lambda s: TieredBucket(s, "B", replicate_to=Replication("Bad_Name", TOKYO,
                                                                 kms_key_alias="key")),
         ("replicate_to.bucket_name", "replicate_to.kms_key_alias")),
    ],
)  # fmt: skip
def test_bad_dr_props_are_clear_errors(build, words):
    with pytest.raises(WellstackError) as caught:
        build(stack())
    for word in words:
        assert word in str(caught.value), str(caught.value)


# --- the tooling ------------------------------------------------------------------------------


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def test_plan_shows_both_regions():
    result = run("plan", "--env", "prod", "--json")
    data = json.loads(result.stdout)
    assert data["region"] == SEOUL and data["dr"]["region"] == TOKYO
    dr_rows = {(r["tier"], r["az"]): r for r in data["dr"]["subnets"]}
    assert dr_rows[("public", f"{TOKYO}a")]["cidr"] == "10.21.0.0/24"
    assert dr_rows[("isolated", f"{TOKYO}a")]["uses"] == {"database instances": 1}
    assert dr_rows[("public", f"{TOKYO}a")]["uses"]["nat gateway"] == 1  # dr_nat: single
    assert "nat gateway" not in dr_rows[("public", f"{TOKYO}c")]["uses"]


def test_review_reports_the_dr_posture(prod, built_app):
    def region_dr(outdir: Any) -> dict[str, Any]:
        data = json.loads(run("review", str(outdir), "--json").stdout)
        reliability = data["pillars"]["reliability"]
        (check,) = [c for kind in ("passed", "findings", "advice") for c in reliability[kind]
                    if c["id"] == "region-dr"]  # fmt: skip
        return check

    with_dr = region_dr(prod.outdir)
    assert with_dr["status"] == "pass"
    assert "in ap-northeast-1" in with_dr["detail"] and "not replicated: logs" in with_dr["detail"]
    assert region_dr(built_app().outdir)["status"] == "advice"


def test_cost_prices_the_dr_side_and_compare_shows_the_premium(prod, built_app):
    environments = json.loads(json.dumps(CDK_JSON["context"][ENVIRONMENTS_KEY]))
    for key in ("dr_region", "dr_availability_zones", "dr_cidr", "dr_app_capacity",
                "dr_domain_name", "dr_hosted_zone_id"):  # fmt: skip
        environments["prod"].pop(key)
    without = built_app(env="prod", **{ENVIRONMENTS_KEY: environments})
    estimate = json.loads(run("cost", str(prod.outdir), "--json").stdout)
    items = {line["item"]: line for line in estimate["lines"]}
    assert items["Aurora global database replicated writes"]["quantity"] == 10
    assert items["NAT gateways (ap-northeast-1)"]["quantity"] == 730  # the DR network's one NAT
    assert "priced at ap-northeast-2 rates" in items["NAT gateways (ap-northeast-1)"]["note"]
    assert "Inter-region transfer (S3 replication)" in items
    compared = json.loads(run("cost", str(without.outdir), "--compare", str(prod.outdir),
                              "--json").stdout)  # fmt: skip
    premium = sum(row["difference_usd"] for row in compared["difference"])
    assert premium > 200  # a second Aurora instance, a NAT gateway, storage, replication


def test_not_modelled_matches_moto_and_the_templates(prod, built_app):
    """``NOT_MODELLED`` (what the sandbox read-back cannot show) is exactly the resource types of
    dev's and prod's templates that moto's CloudFormation has no model for: a type moto learns
    to create, or a new type in our templates, fails this until the list is updated."""
    import importlib
    import pkgutil

    import moto
    from moto.cloudformation.parsing import NULL_MODELS, get_model_list

    from wellstack.emulator.summary import NOT_MODELLED

    # Every moto service's models, so the map holds what the server would register.
    for module in pkgutil.iter_modules(moto.__path__):
        try:
            importlib.import_module(f"moto.{module.name}.models")
        except Exception:
            continue
    get_model_list.cache_clear()
    modelled = {model.cloudformation_type() for model in get_model_list()}
    used = {
        resource["Type"]
        for app in (built_app(), prod)
        for path in app.template_files
        for resource in json.loads(path.read_text()).get("Resources", {}).values()
    }
    unmodelled = {
        t for t in used - modelled if t not in NULL_MODELS and not t.startswith("Custom::")
    }
    # The CLI adds AWS::CDK::Metadata (version reporting); an in-process synth does not.
    assert unmodelled == set(NOT_MODELLED) - {"AWS::CDK::Metadata"}
