"""Reliability: the app survives an AZ (and, with a DR region, a region); the data is backed up
and kept."""

from __future__ import annotations

from collections.abc import Iterator

from wellstack.analysis.constraints.autoscaling import references
from wellstack.analysis.constraints.rds import global_primaries
from wellstack.analysis.pillars import RELIABILITY
from wellstack.analysis.review.base import (
    ENDPOINTS_FOR_APP,
    Check,
    arn_region,
    check,
    endpoint_views,
    judged,
    nat_views,
    zones,
)
from wellstack.analysis.template import Assembly, Resource, flat


@check
def multi_az(assembly: Assembly) -> Iterator[Check]:
    subnets = assembly.resources("AWS::EC2::Subnet")
    if not subnets:
        return
    found, unresolved = zones(subnets)
    yield Check(
        RELIABILITY,
        "multi-az",
        "Every tier spans at least two availability zones",
        "unknown" if unresolved and len(found) < 2 else judged(len(found) >= 2),
        f"subnets in {len(found)} AZ(s)"
        + (f"; {unresolved} subnet(s) get their AZ at deploy time" if unresolved else ""),
    )


@check
def nat_per_az(assembly: Assembly) -> Iterator[Check]:
    """Per VPC: a NAT gateway per AZ of the private tier. A VPC without an app tier (a DR
    region's standby network) gets advice rather than a finding: its NAT matters after a
    failover."""
    for vpc in nat_views(assembly):
        short, standby = vpc.short, vpc.standby
        yield Check(
            RELIABILITY,
            "nat-per-az",
            "Private subnets keep egress when an AZ fails (a NAT gateway per AZ)",
            "unknown" if vpc.unknown else ("advice" if standby and short else judged(not short)),
            vpc.where + (
                "no subnet tagged as the private tier (aws-cdk:subnet-name)" if not vpc.private
                else f"{vpc.unresolved} private subnet(s) get their AZ at deploy time"
                if vpc.unresolved
                else f"a regional NAT gateway serves the private subnets in {vpc.azs} AZ(s)"
                if vpc.regional
                else f"{vpc.nats} NAT gateway(s) for private subnets in {vpc.azs} AZ(s)"
                + (": an outage of the NAT's AZ cuts every private subnet off" if short else "")
                + (" (a standby network: it matters after a failover)" if standby and short
                   else "")
            ),
        )  # fmt: skip


@check
def database(assembly: Assembly) -> Iterator[Check]:
    clusters = assembly.resources("AWS::RDS::DBCluster")
    if not clusters:
        return
    instances = assembly.resources("AWS::RDS::DBInstance")
    found, unresolved = zones(instances)
    yield Check(
        RELIABILITY,
        "db-failover",
        "The database has a failover target in another AZ",
        "finding" if len(instances) < 2
        else "pass" if len(found) >= 2
        else "unknown" if unresolved
        else "finding",
        f"{len(instances)} instance(s) in {sorted(found)}"
        + (f"; {unresolved} placed by RDS at deploy time" if unresolved else ""),
    )  # fmt: skip
    for cluster in clusters:
        name = f"{cluster.stack}/{cluster.logical_id}"
        retention = cluster.number("BackupRetentionPeriod", 1)
        if cluster.prop("GlobalClusterIdentifier") is not None:
            retention = 35  # a global database's secondary: the primary's backups (and copies)
        yield Check(
            RELIABILITY,
            "db-backups",
            f"{name}: automated backups kept at least 7 days",
            "unknown" if retention is None else judged(retention >= 7),
            "set at deploy time" if retention is None else f"{retention:g} day(s)",
        )
        protected = cluster.prop("DeletionProtection")
        yield Check(
            RELIABILITY,
            "db-deletion",
            f"{name}: deletion protection and a final snapshot",
            judged(protected is True and cluster.deletion_policy in ("Snapshot", "Retain")),
            f"DeletionProtection={protected}, DeletionPolicy={cluster.deletion_policy}",
        )
    yield from _backup_coverage(assembly, clusters)


def _backup_coverage(assembly: Assembly, clusters: list[Resource]) -> Iterator[Check]:
    """Per cluster: a backup selection names it; a global database's secondary is covered by a
    plan that copies the primary's recovery points to a vault in the secondary's region."""
    selected: set[tuple[str, str]] = set()
    for selection in assembly.resources("AWS::Backup::BackupSelection"):
        named = references(selection.prop("BackupSelection"))
        selected |= {(selection.stack, logical_id) for logical_id in named}
    copied_to = {
        arn_region(flat(action.get("DestinationBackupVaultArn")))
        for plan in assembly.copying_backup_plans()
        for rule in plan.at("BackupPlan", "BackupPlanRule", kind=list) or []
        if isinstance(rule, dict)
        for action in rule.get("CopyActions") or []
        if isinstance(action, dict)
    }
    primaries = global_primaries(assembly)
    for cluster in clusters:
        name = f"{cluster.stack}/{cluster.logical_id}"
        secondary = cluster.prop("GlobalClusterIdentifier") is not None and (
            (cluster.stack, cluster.logical_id) not in primaries
        )
        region = assembly.regions.get(cluster.stack, "")
        if (cluster.stack, cluster.logical_id) in selected:
            status, detail = "pass", "selected in an AWS Backup plan"
        elif secondary and region in copied_to:
            status, detail = "pass", f"the primary's recovery points are copied to {region}"
        elif secondary:
            status, detail = (
                "finding",
                (
                    f"a global database's secondary in {region or '?'}: no plan copies the "
                    f"primary's recovery points to this region, and nothing backs it up"
                ),
            )
        else:
            status, detail = "finding", "no AWS Backup selection names this cluster"
        yield Check(
            RELIABILITY, "backup-plan", f"{name}: an AWS Backup plan covers the database",
            status, detail,
        )  # fmt: skip


@check
def disaster_recovery(assembly: Assembly) -> Iterator[Check]:
    """What survives the loss of a whole region: the database (a global database's secondary),
    the tiered buckets (replication), the backups (copies to another region)."""
    if not assembly.resources("AWS::RDS::DBCluster", "AWS::S3::Bucket"):
        return
    globals_ = assembly.resources("AWS::RDS::GlobalCluster")
    secondaries = [
        c for c in assembly.resources("AWS::RDS::DBCluster")
        if c.prop("GlobalClusterIdentifier") is not None
    ]  # fmt: skip
    tiered = [
        b for b in assembly.resources("AWS::S3::Bucket")
        if any(
            isinstance(rule, dict) and rule.get("Id") == "Tiering"
            for rule in b.at("LifecycleConfiguration", "Rules", kind=list) or []
        )
    ]  # fmt: skip
    destinations = {
        flat(
            b.at("ReplicationConfiguration", "Rules", 0, "Destination", "Bucket", reference=True)
        ).split(":::", 1)[-1]
        for b in tiered
        if b.prop("ReplicationConfiguration") is not None
    }
    tiered = [b for b in tiered if flat(b.prop("BucketName")) not in destinations]  # no replicas
    replicated = [b for b in tiered if b.prop("ReplicationConfiguration") is not None]
    copied = assembly.copying_backup_plans()
    regions = sorted({assembly.regions.get(c.stack, "") for c in secondaries} - {""})
    parts = {
        "database": bool(globals_ and secondaries),
        "assets": bool(tiered) and len(replicated) == len(tiered),
        "backups": bool(copied),
    }
    title = "The data survives the loss of a region (a DR region)"
    if not any(parts.values()):
        yield Check(
            RELIABILITY, "region-dr", title, "advice",
            "no DR region: a region-wide outage keeps the database and the assets unavailable "
            "until the region recovers (cdk.json dr_region adds a global database, S3 "
            "replication and backup copies)",
        )  # fmt: skip
        return
    missing = [part for part, present in parts.items() if not present]
    detail = (
        f"in {', '.join(regions) or 'another region'}: database by Aurora global database "
        f"(RPO typically under a second; RTO minutes, by a managed failover), assets by S3 "
        f"replication ({len(replicated)} of {len(tiered)} tiered bucket(s)), backups copied by "
        f"AWS Backup ({len(copied)} plan(s)); not replicated: logs and metrics"
    )
    yield Check(
        RELIABILITY, "region-dr", title, judged(not missing),
        detail + (f"; missing: {', '.join(missing)}" if missing else ""),
    )  # fmt: skip


@check
def dr_posture(assembly: Assembly) -> Iterator[Check]:
    """The DR posture ("Disaster Recovery of Workloads on AWS"): backup and restore (the data in
    the DR region, no app tier there), pilot light (an app tier at 0 instances and its load
    balancer), warm standby (an app tier serving); and whether traffic can move (failover
    records of both regions)."""
    primaries = {assembly.regions.get(g.stack, "") for g in assembly.resources(
        "AWS::RDS::GlobalCluster")}  # fmt: skip
    dr_regions = sorted({
        assembly.regions.get(c.stack, "") for c in assembly.resources("AWS::RDS::DBCluster")
        if c.prop("GlobalClusterIdentifier") is not None
    } - primaries - {""})  # fmt: skip
    if not dr_regions:
        return
    groups = [g for g in assembly.resources("AWS::AutoScaling::AutoScalingGroup")
              if assembly.regions.get(g.stack) in dr_regions]  # fmt: skip
    minimum = min((_size(g.prop("MinSize")) for g in groups), default=None)
    if minimum is None:
        posture = ("backup-restore", "the data is in the DR region but no app tier is: it must "
                   "be deployed there before anything serves (hours)")  # fmt: skip
    elif minimum == 0:
        posture = (
            "pilot light",
            "the DR app tier and its load balancer are deployed, the group at 0 instances: "
            "`wellstack failover` scales it (tens of minutes)",
        )
    else:
        posture = ("warm standby", f"the DR app tier serves with {minimum} instance(s): "
                   f"`wellstack failover` scales it (minutes)")  # fmt: skip
    roles = {flat(r.prop("Failover")) for r in assembly.resources("AWS::Route53::RecordSet")}
    switch = {"PRIMARY", "SECONDARY"} <= roles
    detail = (
        f"{posture[0]} in {', '.join(dr_regions)}: {posture[1]}; traffic: "
        + ("Route 53 failover records (PRIMARY with a health check, SECONDARY in the DR region)"
           if switch else "no failover records (cdk.json dr_domain_name): DNS moves by hand")
    )  # fmt: skip
    yield Check(
        RELIABILITY, "dr-posture", "The DR region can serve (pilot light or warm standby)",
        "pass" if posture[0] != "backup-restore" and switch else "advice", detail,
    )  # fmt: skip


def _size(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


@check
def buckets_kept(assembly: Assembly) -> Iterator[Check]:
    for bucket in assembly.resources("AWS::S3::Bucket"):
        versioning = bucket.at("VersioningConfiguration", "Status", kind=str)
        yield Check(
            RELIABILITY,
            "s3-retain",
            f"{bucket.stack}/{bucket.logical_id}: kept when the stack is deleted, versioned",
            judged(bucket.deletion_policy == "Retain" and versioning == "Enabled"),
            f"DeletionPolicy={bucket.deletion_policy}, versioning {versioning or 'off'}",
        )


@check
def endpoints_cover_app(assembly: Assembly) -> Iterator[Check]:
    """Per VPC whose private tier has no IPv4 route out (``nat="endpoints_only"``): the
    endpoints an app tier needs are there."""
    for vpc in endpoint_views(assembly):
        if not vpc.endpoints_only:
            continue
        missing = [n for n in ("s3", *ENDPOINTS_FOR_APP) if n not in vpc.services]
        yield Check(
            RELIABILITY,
            "endpoints-cover-app",
            f"{vpc.where}The app tier can boot and be managed without internet",
            judged(not missing),
            (f"missing endpoint(s): {', '.join(missing)}" if missing else "S3 gateway "
             "endpoint for Amazon Linux 2023's package repositories (S3 buckets), "
             "cloudformation for the boot's health signal, ssm/ssmmessages/ec2messages for "
             "Session Manager")
            + "; user data that downloads from the internet would fail here",
        )  # fmt: skip
