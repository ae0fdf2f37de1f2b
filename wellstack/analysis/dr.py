"""The DR region as a plan: its posture, the failover and failback runbooks as ordered steps, and
what survives the loss of the primary region — offline, from an environment's settings (pure
Python; :mod:`wellstack.deploy.failover` runs the steps).

Figures and rules followed:

* Aurora global database (Aurora User Guide, "Using switchover or failover in an Amazon Aurora
  global database"): a *switchover* (``SwitchoverGlobalCluster``, formerly "managed planned
  failover") waits for the secondary to catch up, so nothing is lost (RPO 0), and takes
  minutes; a *failover* (``FailoverGlobalCluster`` with ``AllowDataLoss``) promotes the
  secondary at once for a region outage, losing what had not replicated (the RPO is the
  replication lag, typically under a second: "Aurora global databases": "typically under a
  second"), with an RTO of minutes ("typically ... less than a minute" for the promotion itself).
  Both keep the global database; the old primary joins as a secondary once it can.
* Route 53 failover (:mod:`wellstack.constructs.failover`): detection takes the health check's
  interval times its failure threshold (30 s x 3), then resolvers keep the old answer for the
  alias's TTL (60 s).
* S3 Replication (S3 User Guide, "Meeting compliance requirements with S3 Replication Time
  Control"): without RTC, "most objects replicate within 15 minutes" and some take longer; there
  is no bound. AWS Backup copies follow the plan's schedule (daily): up to a day.
* EC2 Auto Scaling: a pilot light's instances must launch, boot and pass the load balancer's
  health check (:mod:`wellstack.defaults`) before they serve.
* "Disaster Recovery of Workloads on AWS" (AWS whitepaper): backup and restore (RPO/RTO hours),
  pilot light (tens of minutes: "core infrastructure ... always on", the rest scaled up), warm
  standby (minutes: "a scaled-down but fully functional copy"), multi-site active/active (near
  zero).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from wellstack import defaults
from wellstack.errors import WellstackError
from wellstack.limits import (
    ALIAS_ALB_TTL_SECONDS,
    FAILOVER_FAILURE_THRESHOLD,
    FAILOVER_REQUEST_INTERVAL_SECONDS,
)
from wellstack.settings import EnvironmentSettings

Posture = Literal["none", "backup-restore", "pilot-light", "warm-standby"]
Direction = Literal["failover", "switchover", "failback"]

#: What each posture means, for reports (the whitepaper's words, short).
POSTURES: dict[Posture, str] = {
    "none": "no DR region: a region outage takes the app down until the region returns",
    "backup-restore": "data copied to another region; the app must be rebuilt there (hours)",
    "pilot-light": "data replicated and the DR load balancer ready, its app tier at 0 "
    "instances: scaled up on failover (tens of minutes)",
    "warm-standby": "data replicated and a scaled-down app tier serving in the DR region: "
    "scaled up on failover (minutes)",
}

#: Route 53 detecting a dead primary and resolvers dropping its answer.
DNS_SWITCH_SECONDS = FAILOVER_REQUEST_INTERVAL_SECONDS * FAILOVER_FAILURE_THRESHOLD + (
    ALIAS_ALB_TTL_SECONDS
)
#: An instance launching, booting and passing the target group's health checks (the boot
#: script's package install and nginx start: about 3 minutes measured by AWS's AL2023 guides;
#: we count the health check grace period, which bounds it).
INSTANCE_READY_SECONDS = defaults.HEALTH_CHECK_GRACE_MINUTES * 60 + (
    defaults.HEALTH_CHECK_INTERVAL_SECONDS * defaults.HEALTHY_THRESHOLD
)
#: Aurora's promotion of a secondary (minutes; we plan with 5).
DATABASE_PROMOTION_SECONDS = 300


def posture(settings: EnvironmentSettings) -> Posture:
    """The environment's DR posture, from its settings."""
    if not settings.dr_region:
        return "none"
    return "warm-standby" if settings.dr_app_capacity > 0 else "pilot-light"


@dataclass(frozen=True)
class Target:
    """A resource a step acts on: the stack and resource type that hold it (one of that type in
    the stack), or a name derived from the environment."""

    stack: str
    resource_type: str
    region: str
    #: The name when it is derived (the global cluster's), else ``None`` (read from the stack).
    name: str | None = None

    def __str__(self) -> str:
        return f"{self.stack}: {self.name or self.resource_type} ({self.region})"


@dataclass(frozen=True)
class Step:
    """One step of a runbook: what it does (the AWS API call), on what, and the check after it."""

    key: str
    title: str
    action: str
    targets: tuple[Target, ...]
    check: str
    #: The capacity, writer region or health-check inversion the step sets.
    parameters: dict[str, Any] = field(default_factory=dict)
    #: Why the local emulator cannot show this step (``None``: it can).
    emulator_gap: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["targets"] = [str(t) for t in self.targets]
        return data


def _require_dr(settings: EnvironmentSettings) -> str:
    if not settings.dr_region:
        raise WellstackError(
            "",
            [
                f"environment {settings.name!r} has no dr_region: there is nothing to fail over "
                f"to (set dr_region, dr_availability_zones and dr_cidr in cdk.json)"
            ],
        )
    return settings.dr_region


def runbook(settings: EnvironmentSettings, direction: Direction) -> list[Step]:
    """The ordered steps of a failover (the primary region is lost: promote with data loss), a
    switchover (planned: no data lost) or a failback (back to the primary region, planned)."""
    dr_region = _require_dr(settings)
    prefix, region = settings.stack_prefix, settings.region
    global_id = f"wellstack-{settings.name}-global"
    dr_group = Target(f"{prefix}DrApp", "AWS::AutoScaling::AutoScalingGroup", dr_region)
    dr_cluster = Target(f"{prefix}DrData", "AWS::RDS::DBCluster", dr_region)
    primary_cluster = Target(f"{prefix}Data", "AWS::RDS::DBCluster", region)
    global_cluster = Target(f"{prefix}Data", "AWS::RDS::GlobalCluster", region, global_id)
    health_check = Target(f"{prefix}App", "AWS::Route53::HealthCheck", region)
    dr_targets = Target(f"{prefix}DrApp", "AWS::ElasticLoadBalancingV2::TargetGroup", dr_region)
    primary_targets = Target(f"{prefix}App", "AWS::ElasticLoadBalancingV2::TargetGroup", region)
    switch = settings.dr_domain_name is not None
    database_gap = (
        "moto's RDS does not model a global database's member roles changing "
        "(FailoverGlobalCluster / SwitchoverGlobalCluster)"
    )
    if direction == "failback":
        steps = [
            Step("check-primary-member", f"The old primary rejoined {global_id}",
                 "rds:DescribeGlobalClusters", (global_cluster, primary_cluster),
                 f"the {region} cluster is a member (a secondary) of {global_id} and available",
                 emulator_gap=database_gap),
            Step("promote-primary", f"Switch the writer back to {region} (no data lost)",
                 "rds:SwitchoverGlobalCluster", (global_cluster, primary_cluster),
                 f"the {region} cluster is the global writer and its writer instance is available",
                 {"writer_region": region}, emulator_gap=database_gap),
        ]  # fmt: skip
        if switch:
            steps.append(
                Step(
                    "shift-traffic",
                    f"Answer {settings.dr_domain_name} from {region} again",
                    "route53:UpdateHealthCheck (Inverted=false)",
                    (health_check, primary_targets),
                    f"the health check is not inverted and the {region} target group has a "
                    f"healthy target",
                    {"inverted": False},
                )
            )
        else:
            steps.append(_manual_traffic(settings, region))
        steps.append(
            Step(
                "scale-dr-app",
                f"Scale the {dr_region} app tier back to dr_app_capacity",
                "autoscaling:UpdateAutoScalingGroup",
                (dr_group,),
                f"the group's desired capacity is {settings.dr_app_capacity}",
                {"min": settings.dr_app_capacity, "desired": settings.dr_app_capacity},
            )
        )
        return steps
    planned = direction == "switchover"
    target_min = settings.app_min_capacity
    steps = [
        Step("scale-dr-app", f"Scale the {dr_region} app tier to app_min_capacity",
             "autoscaling:UpdateAutoScalingGroup", (dr_group,),
             f"{target_min} instance(s) InService in the group",
             {"min": target_min, "desired": target_min}),
        Step("promote-database",
             f"{'Switch over' if planned else 'Fail over'} {global_id} to {dr_region}"
             + (" (no data lost)" if planned else " (allowing the loss of unreplicated writes)"),
             "rds:SwitchoverGlobalCluster" if planned
             else "rds:FailoverGlobalCluster (AllowDataLoss=true)",
             (global_cluster, dr_cluster),
             f"the {dr_region} cluster is the global writer and its writer instance is available "
             f"(accepts writes)", {"writer_region": dr_region, "allow_data_loss": not planned},
             emulator_gap=database_gap),
    ]  # fmt: skip
    if switch:
        steps.append(
            Step(
                "shift-traffic",
                f"Answer {settings.dr_domain_name} from {dr_region}",
                "route53:UpdateHealthCheck (Inverted=true)",
                (health_check, dr_targets),
                f"the primary's health check is inverted (reads unhealthy, so Route 53 answers "
                f"the SECONDARY record) and the {dr_region} target group has a healthy target",
                {"inverted": True},
            )
        )
    else:
        steps.append(_manual_traffic(settings, dr_region))
    return steps


def _manual_traffic(settings: EnvironmentSettings, region: str) -> Step:
    return Step(
        "shift-traffic",
        f"Point your DNS name at the {region} load balancer (no dr_domain_name: no failover "
        f"records)",
        "manual",
        (
            Target(
                f"{settings.stack_prefix}{'DrApp' if region == settings.dr_region else 'App'}",
                "AWS::ElasticLoadBalancingV2::LoadBalancer",
                region,
            ),
        ),
        "your DNS answers with that load balancer's name (its stack output LoadBalancerUrl)",
        emulator_gap="a manual step",
    )


@dataclass(frozen=True)
class Survival:
    """One tier's fate when the primary region is lost."""

    tier: str
    survives: bool
    detail: str
    #: Time until it serves again from the DR region, and the data it may lose (seconds;
    #: ``None``: not recoverable by the runbook).
    rto_seconds: int | None
    rpo_seconds: int | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def fail_region(settings: EnvironmentSettings, region: str) -> list[Survival]:
    """Per tier, what survives the loss of ``region`` (the primary region), with the recovery
    time and data loss the runbook achieves (the figures in this module's docstring)."""
    if region != settings.region:
        raise WellstackError(
            "",
            [
                f"--fail-region {region!r} is not environment {settings.name!r}'s primary region "
                f"({settings.region}); the DR region, if any, is {settings.dr_region or 'none'}"
            ],
        )
    if not settings.dr_region:
        lost = "lost with the region: no dr_region"
        return [Survival(tier, False, lost, None, None)
                for tier in ("network", "database", "app tier", "assets", "traffic")]  # fmt: skip
    dr = settings.dr_region
    scale = INSTANCE_READY_SECONDS if settings.dr_app_capacity == 0 else 0
    database = DATABASE_PROMOTION_SECONDS
    app_ready = max(scale, database)
    traffic = app_ready + (DNS_SWITCH_SECONDS if settings.dr_domain_name else 0)
    warm = settings.dr_app_capacity
    return [
        Survival("network", True, f"the DR VPC in {dr} ({settings.dr_cidr}, NAT "
                 f"{settings.dr_nat}) is deployed and idle", 0, None),
        Survival("database", True, f"the secondary cluster in {dr} is promoted "
                 f"(FailoverGlobalCluster); writes not yet replicated are lost (replication "
                 f"lag, typically under 1 s; the RPO-lag alarm watches it)", database, 1),
        Survival("app tier", True,
                 f"{dr} group scaled from {warm} to {settings.app_min_capacity} instance(s)"
                 + (" (pilot light: launch, boot and health checks)" if warm == 0
                    else " (warm standby: serving at once)"), scale, None),
        Survival("assets", True, f"the replica bucket in {dr}: objects written in the last "
                 f"~15 minutes may be missing (S3 Replication without RTC)", 0, 15 * 60),
        Survival("backups", True, f"recovery points copied to the {dr} vault daily", 0,
                 24 * 3600),
        Survival("traffic", bool(settings.dr_domain_name),
                 f"Route 53 answers {settings.dr_domain_name} from {dr} after the health check "
                 f"fails ({FAILOVER_REQUEST_INTERVAL_SECONDS} s x {FAILOVER_FAILURE_THRESHOLD}) "
                 f"and the {ALIAS_ALB_TTL_SECONDS} s TTL" if settings.dr_domain_name
                 else "no dr_domain_name: point your DNS at the DR load balancer by hand",
                 traffic if settings.dr_domain_name else None, None),
    ]  # fmt: skip
