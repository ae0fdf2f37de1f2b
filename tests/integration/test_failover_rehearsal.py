"""The failover rehearsed in the sandbox: prod's six stacks deployed into moto's server with the
real CDK CLI, then `wellstack failover --sandbox --execute` and `failback` — each outcome checked
through the AWS API (boto3 against the emulator): the DR group's capacity and instances, the
primary health check's inversion. The database steps, which moto cannot model, must be reported
skipped with the reason, never passed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.conftest import CDK_JSON
from tests.integration.test_sandbox import free_port
from wellstack.cli import main
from wellstack.emulator.sandbox import emulator_build, up
from wellstack.emulator.server import Emulator
from wellstack.settings import ENVIRONMENTS_KEY, parse_environments

pytestmark = pytest.mark.integration

PROD = parse_environments(CDK_JSON["context"][ENVIRONMENTS_KEY])["prod"]
SEOUL, TOKYO = PROD.region, str(PROD.dr_region)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory):
    folder: Path = tmp_path_factory.mktemp("failover")
    (folder / "cdk.json").write_text(json.dumps(CDK_JSON, indent=2))
    emulator = Emulator(free_port(), folder / ".sandbox")
    try:
        code = up(emulator, PROD, folder / "cdk.out", build=emulator_build(PROD, folder))
        assert code == 0
        yield folder, emulator
    finally:
        emulator.stop()


def runbook(folder: Path, emulator: Emulator, command: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, [
        command, "--env", "prod", "--cdk-json", str(folder / "cdk.json"), "--sandbox",
        "--port", str(emulator.port), "--execute", "--wait", "60", "--json",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def dr_group(emulator: Emulator) -> dict[str, Any]:
    client = emulator.target(TOKYO).client("autoscaling", TOKYO)
    (group,) = [g for g in client.describe_auto_scaling_groups()["AutoScalingGroups"]
                if g["AutoScalingGroupName"].startswith("ProdDrApp-")]  # fmt: skip
    return group


def primary_check(emulator: Emulator) -> dict[str, Any]:
    route53 = emulator.target(SEOUL).client("route53", SEOUL)
    (check,) = route53.list_health_checks()["HealthChecks"]
    return check["HealthCheckConfig"]


def test_the_sandbox_holds_a_pilot_light_and_both_failover_records(sandbox):
    _, emulator = sandbox
    group = dr_group(emulator)
    assert (group["MinSize"], group["DesiredCapacity"], group["Instances"]) == (0, 0, [])
    assert primary_check(emulator)["Inverted"] is False
    route53 = emulator.target(SEOUL).client("route53", SEOUL)
    (zone,) = route53.list_hosted_zones()["HostedZones"]
    records = route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
    roles = {r.get("Failover") for r in records if r["Name"] == f"{PROD.dr_domain_name}."}
    assert roles == {"PRIMARY", "SECONDARY"}


def test_failover_passes_what_moto_models_and_names_the_rest(sandbox):
    folder, emulator = sandbox
    results = {r["key"]: r for r in runbook(folder, emulator, "failover")["results"]}
    assert results["scale-dr-app"]["outcome"] == "passed"
    assert results["promote-database"]["outcome"] == "skipped"
    assert "FailoverGlobalCluster" in results["promote-database"]["detail"]
    assert results["shift-traffic"]["outcome"] == "passed"
    group = dr_group(emulator)
    in_service = [i for i in group["Instances"] if i["LifecycleState"] == "InService"]
    assert group["DesiredCapacity"] == len(in_service) == PROD.app_min_capacity
    assert primary_check(emulator)["Inverted"] is True


def test_failback_restores_the_pilot_light(sandbox):
    folder, emulator = sandbox
    results = {r["key"]: r["outcome"] for r in runbook(folder, emulator, "failback")["results"]}
    assert results == {"check-primary-member": "skipped", "promote-primary": "skipped",
                       "shift-traffic": "passed", "scale-dr-app": "passed"}  # fmt: skip
    assert primary_check(emulator)["Inverted"] is False
    assert dr_group(emulator)["DesiredCapacity"] == PROD.dr_app_capacity
