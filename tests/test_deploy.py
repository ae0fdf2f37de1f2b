"""The deploy tooling: the data guard's decisions on synthesized before/after templates, what a
destroy keeps, and the preflight checks (against moto's server, as the AWS API)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest

from tests.conftest import project_context
from wellstack.analysis.guard import explain_retained, guard, retained_resources
from wellstack.constructs import AuroraCluster, Network, TieredBucket
from wellstack.deploy import BOOTSTRAP_VERSION_PARAMETER, PreflightError, Target, aws, preflight
from wellstack.emulator.server import Emulator

AZS = ["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c"]
ENV = cdk.Environment(region="ap-northeast-2")


def synthesize(build: Callable[[cdk.Stack], Any]) -> dict[str, Any]:
    app = cdk.App(context=project_context())
    stack = cdk.Stack(app, "Guarded", env=ENV)
    build(stack)
    return app.synth().get_stack_by_name("Guarded").template


def data_tier(*, bucket_id: str = "Assets", engine: str = "mysql", azs: int = 2, mask: int = 24):
    def build(stack: cdk.Stack) -> None:
        net = Network(
            stack, "Net", availability_zones=AZS[:azs], flow_logs=False, isolated_mask=mask
        )
        TieredBucket(stack, bucket_id)
        AuroraCluster(stack, "Db", vpc=net.vpc, engine=engine, readers=0)

    return build


@pytest.fixture(scope="module")
def before() -> dict[str, Any]:
    return synthesize(data_tier())


def test_unchanged_template_passes(before):
    assert guard("Guarded", before, synthesize(data_tier())) == []


def test_first_deploy_passes(before):
    assert guard("Guarded", None, before) == []


def test_adding_an_az_replaces_nothing(before):
    """The stable subnet plan at work: a third AZ adds subnets and moves none."""
    assert guard("Guarded", before, synthesize(data_tier(azs=3))) == []


def test_renamed_construct_id_deletes_the_bucket(before):
    findings = guard("Guarded", before, synthesize(data_tier(bucket_id="StaticAssets")))
    deleted = {(f.resource_type, f.action) for f in findings}
    assert deleted == {("AWS::S3::Bucket", "delete")}
    assert len(findings) == 2  # the bucket and its access-log bucket
    assert "construct id renamed" in str(findings[0])


def test_engine_change_replaces_the_cluster(before):
    findings = guard("Guarded", before, synthesize(data_tier(engine="postgresql")))
    cluster = [f for f in findings if f.resource_type == "AWS::RDS::DBCluster"]
    assert len(cluster) == 1 and cluster[0].action == "replace"
    assert "Engine" in cluster[0].reason and "aurora-postgresql" in cluster[0].reason


def test_subnet_cidr_change_replaces_subnets(before):
    findings = guard("Guarded", before, synthesize(data_tier(mask=25)))
    subnets = [f for f in findings if f.resource_type == "AWS::EC2::Subnet"]
    assert len(subnets) == 2 and all("CidrBlock" in f.reason for f in subnets)


def test_type_change_is_a_replacement():
    old = {"Resources": {"X": {"Type": "AWS::S3::Bucket", "Properties": {}}}}
    new = {"Resources": {"X": {"Type": "AWS::S3::AccessPoint", "Properties": {}}}}
    (finding,) = guard("S", old, new)
    assert finding.action == "replace" and "AWS::S3::AccessPoint" in finding.reason


def test_stateless_changes_are_not_the_guards_business():
    old = {"Resources": {"T": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "a"}}}}
    assert guard("S", old, {"Resources": {}}) == []


def test_destroy_explains_what_it_keeps(dev_app):
    kept = retained_resources(dev_app.outdir)
    types = {(resource_type, policy) for _, _, resource_type, policy in kept}
    assert ("AWS::RDS::DBCluster", "Snapshot") in types
    assert ("AWS::S3::Bucket", "Retain") in types
    assert ("AWS::KMS::Key", "Retain") in types
    text = explain_retained(dev_app.outdir)
    assert "final snapshot" in text
    assert "Deletion protection is on for DevData/Database" in text


def test_destroy_mentions_deletion_protection_only_when_it_is_on():
    from wellstack.analysis.template import Assembly

    cluster = {"Type": "AWS::RDS::DBCluster", "DeletionPolicy": "Snapshot", "Properties": {}}
    text = explain_retained(Assembly.from_templates({"S": {"Resources": {"Db": cluster}}}))
    assert "S  " in text and "final snapshot" in text
    assert "Deletion protection" not in text


# --- preflight, against the emulator ------------------------------------------------------------


@pytest.fixture(scope="module")
def aws_api(tmp_path_factory: pytest.TempPathFactory):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    emulator = Emulator(port, tmp_path_factory.mktemp("preflight"))
    emulator.start()
    yield emulator
    emulator.stop()


def test_preflight_without_credentials(monkeypatch, tmp_path):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(PreflightError, match=r"No AWS credentials found. Set AWS_PROFILE"):
        preflight(aws(), "ap-northeast-2", None)


def test_preflight_refuses_the_wrong_account(aws_api):
    """A real-AWS target (here pointed at the emulator's API) whose credentials belong to
    another account than the environment names."""
    emulator_api = aws_api.target("ap-northeast-2")
    target = Target("aws", emulator_api.environment, emulator_api.endpoint)
    with pytest.raises(PreflightError, match=r"for account 111122223333, but the credentials"):
        preflight(target, "ap-northeast-2", "111122223333")


def test_preflight_account_and_bootstrap(aws_api):
    target = aws_api.target("ap-northeast-2")
    with pytest.raises(PreflightError, match=r"not bootstrapped for the CDK: run `wellstack boot"):
        preflight(target, "ap-northeast-2", "123456789012")
    target.client("ssm", "ap-northeast-2").put_parameter(
        Name=BOOTSTRAP_VERSION_PARAMETER, Value="30", Type="String"
    )
    assert preflight(target, "ap-northeast-2", "123456789012") == "123456789012"
