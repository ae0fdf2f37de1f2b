"""Run a runbook of :mod:`wellstack.analysis.dr` against a target (AWS or the sandbox): each
step's API call, then its check read back through the AWS API, stopping at the first step that
fails with what to do. Physical resources are found through CloudFormation
(``DescribeStackResources``: the one resource of the step's type in the step's stack).

On the sandbox (moto), a step moto cannot model (the global database's member roles) is reported
``skipped`` with the reason, never ``passed``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from wellstack.analysis.dr import Step, Target
from wellstack.deploy.target import Target as Place
from wellstack.errors import WellstackError
from wellstack.settings import EnvironmentSettings

Outcome = Literal["passed", "failed", "skipped"]


@dataclass(frozen=True)
class StepResult:
    key: str
    outcome: Outcome
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class StepFailed(Exception):
    """A step's call or check failed; the message says what to do."""


#: Error codes that mean the caller lacks a permission: not a failed step but bad input (the
#: command stops with one line and exit 2, nothing further attempted).
DENIED = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthFailure",
          "InvalidClientTokenId", "ExpiredToken", "UnrecognizedClientException")  # fmt: skip


def require_caller(place: Place, settings: EnvironmentSettings) -> str:
    """The caller's account (STS ``GetCallerIdentity``); one line, exit 2, without credentials
    or in another account than the environment's."""
    try:
        account = str(place.client("sts", settings.region).get_caller_identity()["Account"])
    except Exception as err:
        raise WellstackError("", [f"no usable AWS credentials for {place.describe()} "
                                  f"({type(err).__name__}: {err})"]) from None  # fmt: skip
    expected = place.account or settings.account
    if expected and account != expected:
        raise WellstackError(
            "", [f"the credentials are for account {account}, environment {settings.name!r} "
                 f"is in {expected}"],
        )  # fmt: skip
    return account


def _denied(err: Exception, what: str) -> None:
    """Raise a one-line WellstackError when ``err`` is a missing permission."""
    code = getattr(err, "response", {}).get("Error", {}).get("Code", "")
    if code in DENIED:
        raise WellstackError("", [f"{what}: permission denied ({code}): {err}"]) from None


@dataclass
class Runner:
    """Runs steps on ``place``; ``wait_seconds`` bounds each check's polling."""

    place: Place
    wait_seconds: int = 900
    poll_seconds: float = 10.0
    sleep: Callable[[float], None] = time.sleep

    def run(self, steps: list[Step]) -> list[StepResult]:
        results: list[StepResult] = []
        for step in steps:
            if step.emulator_gap and (self.place.name == "sandbox" or step.action == "manual"):
                results.append(StepResult(step.key, "skipped", step.emulator_gap))
                continue
            try:
                detail = self._run(step)
            except StepFailed as err:
                if isinstance(err.__cause__, Exception):
                    _denied(err.__cause__, step.action)
                results.append(StepResult(step.key, "failed", str(err)))
                break
            results.append(StepResult(step.key, "passed", detail))
        return results

    # --- finding resources -----------------------------------------------------------------------

    def physical_id(self, target: Target) -> str:
        client = self.place.client("cloudformation", target.region)
        try:
            resources = client.describe_stack_resources(StackName=target.stack)["StackResources"]
        except Exception as err:  # botocore's ClientError and its kin
            raise StepFailed(f"cannot read stack {target.stack} in {target.region}: {err}") from err
        found = [r.get("PhysicalResourceId") for r in resources
                 if r.get("ResourceType") == target.resource_type]  # fmt: skip
        if len(found) != 1 or not found[0]:
            raise StepFailed(
                f"stack {target.stack} ({target.region}) holds {len(found)} "
                f"{target.resource_type}, expected one: is it wellstack's, deployed?"
            )
        return str(found[0])

    # --- the steps -----------------------------------------------------------------------------

    def _run(self, step: Step) -> str:
        if step.key == "scale-dr-app":
            return self._scale(step)
        if step.key in ("promote-database", "promote-primary"):
            return self._promote(step)
        if step.key == "check-primary-member":
            return self._member(step)
        if step.key == "shift-traffic":
            return self._traffic(step)
        raise StepFailed(f"unknown step {step.key!r}")

    def _scale(self, step: Step) -> str:
        (group_target,) = step.targets
        group = self.physical_id(group_target)
        client = self.place.client("autoscaling", group_target.region)
        minimum, desired = step.parameters["min"], step.parameters["desired"]
        try:
            client.update_auto_scaling_group(
                AutoScalingGroupName=group, MinSize=minimum, DesiredCapacity=desired
            )
        except Exception as err:
            raise StepFailed(f"UpdateAutoScalingGroup {group}: {err}") from err

        def in_service() -> tuple[bool, str]:
            groups = client.describe_auto_scaling_groups(AutoScalingGroupNames=[group])
            data = groups["AutoScalingGroups"][0]
            count = sum(1 for i in data.get("Instances", []) if i["LifecycleState"] == "InService")
            ok = data["DesiredCapacity"] == desired and count >= desired
            return ok, f"{group}: desired {data['DesiredCapacity']}, {count} InService"

        return self._until(in_service, f"the group {group} did not reach {desired} InService "
                           f"instance(s); look at its activity history (aws autoscaling "
                           f"describe-scaling-activities) and the DR app's alarms")  # fmt: skip

    def _promote(self, step: Step) -> str:
        global_target, cluster_target = step.targets
        global_id = str(global_target.name)
        cluster = self._cluster_arn(cluster_target)
        client = self.place.client("rds", cluster_target.region)
        if self._is_writer(client, global_id, cluster)[0]:  # done before: check only
            return f"{cluster} is already the writer"
        try:
            if step.parameters.get("allow_data_loss"):
                client.failover_global_cluster(
                    GlobalClusterIdentifier=global_id,
                    TargetDbClusterIdentifier=cluster,
                    AllowDataLoss=True,
                )
            else:
                client.switchover_global_cluster(
                    GlobalClusterIdentifier=global_id, TargetDbClusterIdentifier=cluster
                )
        except Exception as err:
            raise StepFailed(
                f"{step.action} on {global_id}: {err} (a switchover needs every member available "
                f"and on the same engine version; in an outage use failover)"
            ) from err

        def writer() -> tuple[bool, str]:
            return self._is_writer(client, global_id, cluster)

        failure = (
            f"{cluster} did not become {global_id}'s writer; read "
            f"`aws rds describe-global-clusters` and the cluster's events"
        )
        return self._until(writer, failure)

    def _member(self, step: Step) -> str:
        global_target, cluster_target = step.targets
        cluster = self._cluster_arn(cluster_target)
        client = self.place.client("rds", cluster_target.region)
        members = self._members(client, str(global_target.name))
        if cluster not in members:
            raise StepFailed(
                f"{cluster} is not a member of {global_target.name}: after a failover Aurora "
                f"adds the old primary back as a secondary once its region is healthy; if it "
                f"did not, delete it and redeploy {cluster_target.stack} as a secondary (see "
                f"docs/dr.md, Failback)"
            )
        return f"{cluster} is a member ({'writer' if members[cluster] else 'secondary'})"

    def _traffic(self, step: Step) -> str:
        check_target, group_target = step.targets
        health_check = self.physical_id(check_target)
        route53 = self.place.client("route53", check_target.region)
        inverted = bool(step.parameters["inverted"])
        try:
            route53.update_health_check(HealthCheckId=health_check, Inverted=inverted)
            config = route53.get_health_check(HealthCheckId=health_check)["HealthCheck"]
        except Exception as err:
            raise StepFailed(f"UpdateHealthCheck {health_check}: {err}") from err
        if bool(config["HealthCheckConfig"].get("Inverted")) != inverted:
            raise StepFailed(f"health check {health_check} still reads Inverted="
                             f"{not inverted}")  # fmt: skip
        target_group = self.physical_id(group_target)
        elb = self.place.client("elbv2", group_target.region)

        def healthy() -> tuple[bool, str]:
            states = elb.describe_target_health(TargetGroupArn=target_group)
            count = sum(1 for d in states["TargetHealthDescriptions"]
                        if d["TargetHealth"]["State"] == "healthy")  # fmt: skip
            return count > 0, f"health check {health_check} Inverted={inverted}; {count} healthy"

        return self._until(healthy, f"no healthy target in {target_group}: Route 53 would answer "
                           f"a region that cannot serve; see its target health")  # fmt: skip

    # --- helpers --------------------------------------------------------------------------------

    def _cluster_arn(self, target: Target) -> str:
        identifier = self.physical_id(target)
        client = self.place.client("rds", target.region)
        clusters = client.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"]
        return str(clusters[0]["DBClusterArn"])

    @staticmethod
    def _members(client: Any, global_id: str) -> dict[str, bool]:
        clusters = client.describe_global_clusters(GlobalClusterIdentifier=global_id)
        members = clusters["GlobalClusters"][0].get("GlobalClusterMembers", [])
        return {m["DBClusterArn"]: bool(m.get("IsWriter")) for m in members}

    def _is_writer(self, client: Any, global_id: str, cluster: str) -> tuple[bool, str]:
        if not self._members(client, global_id).get(cluster):
            return False, f"{cluster} is not yet the writer"
        data = client.describe_db_clusters(DBClusterIdentifier=cluster)["DBClusters"][0]
        writer = [m for m in data.get("DBClusterMembers", []) if m.get("IsClusterWriter")]
        ok = data["Status"] == "available" and bool(writer)
        return ok, f"{cluster} is the writer, status {data['Status']}"

    def _until(self, probe: Callable[[], tuple[bool, str]], failure: str) -> str:
        deadline = time.monotonic() + self.wait_seconds
        while True:
            try:
                ok, detail = probe()
            except Exception as err:
                raise StepFailed(f"{failure} ({err})") from err
            if ok:
                return detail
            if time.monotonic() >= deadline:
                raise StepFailed(f"{failure} (last seen: {detail})")
            self.sleep(self.poll_seconds)
