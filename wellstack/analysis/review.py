"""``wellstack review``: a Well-Architected review of a synthesized app, offline, from ``cdk.out``.

For each of the six pillars: wellstack's own checks of the templates — passed, a finding (a
risk), advice (an opportunity that is not a risk, such as Graviton) or unknown (not readable from
the templates) —, cdk-nag's unacknowledged findings (from the validation report), and the
acknowledged findings with their reasons (from the templates' ``cdk_nag`` metadata). Every
cdk-nag rule is mapped to a pillar in :data:`RULE_PILLARS`.
"""

from __future__ import annotations

import datetime
import html
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from wellstack.analysis.audit import acknowledgments_in
from wellstack.analysis.constraints import PACK, all_rules
from wellstack.analysis.constraints.autoscaling import references
from wellstack.analysis.constraints.rds import global_primaries
from wellstack.analysis.constraints.topics import alarm_publisher, key_allows, publisher_blocked
from wellstack.analysis.pillars import (
    COST,
    OPERATIONS,
    PERFORMANCE,
    PILLARS,
    RELIABILITY,
    SECURITY,
    SUSTAINABILITY,
)
from wellstack.analysis.reach import subnets_of
from wellstack.analysis.template import Assembly, Resource, flat, ref
from wellstack.catalog import EC2_FAMILIES, PREVIOUS_GENERATION, split_instance_type

#: cdk-nag (and CDK validation) rules -> the pillar they serve. A test fails when a rule that
#: fires in the default app (dev or prod) is missing here.
RULE_PILLARS: dict[str, str] = {
    "AwsSolutions-AS3": OPERATIONS,
    "AwsSolutions-RDS10": RELIABILITY,
    "NIST.800.53.R5-RDSEnhancedMonitoringEnabled": OPERATIONS,
    "NIST.800.53.R5-RDSInstanceDeletionProtectionEnabled": RELIABILITY,
    "NIST.800.53.R5-VPCSubnetAutoAssignPublicIpDisabled": SECURITY,
    "CloudFormation-Validate::rds_cluster_deletion_protection_enabled_check": RELIABILITY,
    "CloudFormation-Validate::rds_instance_enhanced_monitoring_enabled_check": OPERATIONS,
    "AwsSolutions-EC23": SECURITY,
    "AwsSolutions-IAM4": SECURITY,
    "AwsSolutions-IAM5": SECURITY,
    "AwsSolutions-RDS11": SECURITY,
    "AwsSolutions-RDS14": RELIABILITY,
    "AwsSolutions-S1": SECURITY,
    "AwsSolutions-S10": SECURITY,
    "AwsSolutions-VPC3": SECURITY,
    "AwsSolutions-VPC7": OPERATIONS,
    "NIST.800.53.R5-ALBHttpToHttpsRedirection": SECURITY,
    "NIST.800.53.R5-ALBWAFEnabled": SECURITY,
    "NIST.800.53.R5-CloudWatchLogGroupEncrypted": SECURITY,
    "NIST.800.53.R5-ELBDeletionProtectionEnabled": RELIABILITY,
    "NIST.800.53.R5-ELBv2ACMCertificateRequired": SECURITY,
    "NIST.800.53.R5-IAMNoInlinePolicy": SECURITY,
    "NIST.800.53.R5-RDSInBackupPlan": RELIABILITY,
    "NIST.800.53.R5-S3BucketLoggingEnabled": SECURITY,
    "NIST.800.53.R5-S3BucketReplicationEnabled": RELIABILITY,
    "NIST.800.53.R5-S3DefaultEncryptionKMS": SECURITY,
    "NIST.800.53.R5-VPCDefaultSecurityGroupClosed": SECURITY,
    "NIST.800.53.R5-VPCFlowLogsEnabled": OPERATIONS,
    "NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW": SECURITY,
    "NIST.800.53.R5-WAFv2LoggingEnabled": OPERATIONS,
    "CloudFormation-Validate::F3002": OPERATIONS,
    "CloudFormation-Validate::F3003": OPERATIONS,
    "CloudFormation-Validate::W3010": RELIABILITY,
    # AWS Control Tower's proactive controls (their cfn-guard rule names)
    "CloudFormation-Validate::alb_http_to_https_redirection_check": SECURITY,
    "CloudFormation-Validate::aurora_cluster_backtracking_enabled_check": RELIABILITY,
    "CloudFormation-Validate::autoscaling_mixed_instances_policy_multiple_instance_types_check": (
        RELIABILITY
    ),
    "CloudFormation-Validate::autoscaling_multiple_az_check": RELIABILITY,
    "CloudFormation-Validate::cloudwatch_log_group_retention_period_check": OPERATIONS,
    "CloudFormation-Validate::elbv2_deletion_protection_enabled_check": RELIABILITY,
    "CloudFormation-Validate::kms_create_grant_aws_service_check": SECURITY,
    "CloudFormation-Validate::lambda_inside_vpc_check": SECURITY,
    "CloudFormation-Validate::rds_cluster_logging_enabled_check": OPERATIONS,
    "CloudFormation-Validate::rds_instance_automatic_minor_version_upgrade_enabled_check": (
        SECURITY
    ),
    "CloudFormation-Validate::s3_bucket_default_encryption_kms_check": SECURITY,
    "CloudFormation-Validate::s3_bucket_logging_enabled_check": SECURITY,
    "CloudFormation-Validate::s3_bucket_object_lock_enabled_check": RELIABILITY,
    "CloudFormation-Validate::s3_event_notifications_enabled_check": OPERATIONS,
    "CloudFormation-Validate::s3_bucket_versioning_enabled_check": RELIABILITY,
    "CloudFormation-Validate::s3_lifecycle_policy_check": COST,
    "NIST.800.53.R5-RDSLoggingEnabled": OPERATIONS,
    "NIST.800.53.R5-S3BucketVersioningEnabled": RELIABILITY,
}


def rule_pillar(rule: str) -> str | None:
    """``AwsSolutions-IAM4[Policy::...]`` -> the pillar of ``AwsSolutions-IAM4``; an
    ``AwsConstraints::SNS1`` rule -> the pillar the rule declares. CDK's own namespace for
    cdk-nag's ids (``Annotation::AwsSolutions-S1``) is read past."""
    rule = rule.removeprefix("Annotation::").split("[", 1)[0]
    if rule.startswith(f"{PACK}::"):
        found = all_rules().get(rule.removeprefix(f"{PACK}::"))
        return found.pillar if found else None
    return RULE_PILLARS.get(rule)


Status = Literal["pass", "finding", "advice", "unknown"]


@dataclass(frozen=True)
class Check:
    pillar: str
    id: str
    title: str
    status: Status
    detail: str

    @property
    def passed(self) -> bool:
        return self.status == "pass"


def judged(passed: bool) -> Status:
    return "pass" if passed else "finding"


def advised(passed: bool) -> Status:
    """For an opportunity rather than a risk: "advice" when not taken."""
    return "pass" if passed else "advice"


REVIEW_CHECKS: list[Callable[[Assembly], Iterator[Check]]] = []


def check(function: Callable[[Assembly], Iterator[Check]]) -> Callable[..., Iterator[Check]]:
    REVIEW_CHECKS.append(function)
    return function


def _tier(resource: Resource) -> str:
    for item in resource.items("Tags"):
        if isinstance(item, dict) and item.get("Key") == "aws-cdk:subnet-name":
            return str(item.get("Value", "")).lower()
    return ""


def _zones(resources: list[Resource]) -> tuple[set[str], int]:
    """The AZs ``resources`` name literally, and how many do not (no AZ, or one resolved only at
    deploy time: ``Fn::Select`` of ``Fn::GetAZs``, a parameter)."""
    named = {r.prop("AvailabilityZone") for r in resources}
    zones = {z for z in named if isinstance(z, str)}
    unresolved = sum(1 for r in resources if not isinstance(r.prop("AvailabilityZone"), str))
    return zones, unresolved


@check
def _multi_az(assembly: Assembly) -> Iterator[Check]:
    subnets = assembly.resources("AWS::EC2::Subnet")
    if not subnets:
        return
    zones, unresolved = _zones(subnets)
    yield Check(
        RELIABILITY,
        "multi-az",
        "Every tier spans at least two availability zones",
        "unknown" if unresolved and len(zones) < 2 else judged(len(zones) >= 2),
        f"subnets in {len(zones)} AZ(s)"
        + (f"; {unresolved} subnet(s) get their AZ at deploy time" if unresolved else ""),
    )


@check
def _nat(assembly: Assembly) -> Iterator[Check]:
    """Per VPC: a NAT gateway per AZ of the private tier. A VPC without an app tier (a DR
    region's standby network) gets advice rather than a finding: its NAT matters after a
    failover."""
    subnets = assembly.resources("AWS::EC2::Subnet")
    vpc_of = {f"{s.stack}/{s.logical_id}": _vpc_key(assembly, s) for s in subnets}
    apps = {
        vpc_of.get(f"{target.stack}/{target.logical_id}")
        for group in assembly.resources("AWS::AutoScaling::AutoScalingGroup")
        for value in group.items("VPCZoneIdentifier")
        if (target := assembly.target(group.stack, value)) is not None
    }
    for vpc in assembly.resources("AWS::EC2::VPC"):
        key = f"{vpc.stack}/{vpc.logical_id}"
        nats = [n for n in assembly.resources("AWS::EC2::NatGateway")
                if vpc_of.get(_nat_subnet(assembly, n) or "") == key]  # fmt: skip
        if not nats:
            continue
        private = [s for s in subnets if _tier(s) == "private" and vpc_of.get(
            f"{s.stack}/{s.logical_id}") == key]  # fmt: skip
        zones, unresolved = _zones(private)
        azs = len(zones)
        unknown = not private or unresolved
        standby = key not in apps
        short = len(nats) < azs
        where = f"{key}: " if len(assembly.resources("AWS::EC2::VPC")) > 1 else ""
        yield Check(
            RELIABILITY,
            "nat-per-az",
            "Private subnets keep egress when an AZ fails (a NAT gateway per AZ)",
            "unknown" if unknown else ("advice" if standby and short else judged(not short)),
            where + (
                "no subnet tagged as the private tier (aws-cdk:subnet-name)" if not private
                else f"{unresolved} private subnet(s) get their AZ at deploy time" if unresolved
                else f"{len(nats)} NAT gateway(s) for private subnets in {azs} AZ(s)"
                + (": an outage of the NAT's AZ cuts every private subnet off" if short else "")
                + (" (a standby network: it matters after a failover)" if standby and short
                   else "")
            ),
        )  # fmt: skip
        yield Check(
            COST,
            "nat-count",
            "No more NAT gateways than AZs",
            "unknown" if unknown else judged(len(nats) <= max(azs, 1)),
            f"{where}{len(nats)} NAT gateway(s) at about 33-43 USD a month each before data",
        )


def _vpc_key(assembly: Assembly, subnet: Resource) -> str | None:
    vpc = assembly.target(subnet.stack, subnet.prop("VpcId"))
    return f"{vpc.stack}/{vpc.logical_id}" if vpc else None


def _nat_subnet(assembly: Assembly, nat: Resource) -> str | None:
    subnet = assembly.target(nat.stack, nat.prop("SubnetId"))
    return f"{subnet.stack}/{subnet.logical_id}" if subnet else None


@check
def _database(assembly: Assembly) -> Iterator[Check]:
    clusters = assembly.resources("AWS::RDS::DBCluster")
    if not clusters:
        return
    instances = assembly.resources("AWS::RDS::DBInstance")
    zones, unresolved = _zones(instances)
    yield Check(
        RELIABILITY,
        "db-failover",
        "The database has a failover target in another AZ",
        "finding" if len(instances) < 2
        else "pass" if len(zones) >= 2
        else "unknown" if unresolved
        else "finding",
        f"{len(instances)} instance(s) in {sorted(zones)}"
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
        encrypted = cluster.prop("StorageEncrypted") is True and "KmsKeyId" in cluster.properties
        yield Check(
            SECURITY,
            "db-encryption",
            f"{name}: storage encrypted with a customer-managed key",
            judged(encrypted),
            "StorageEncrypted with KmsKeyId" if encrypted else "no KmsKeyId",
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
        _arn_region(flat(action.get("DestinationBackupVaultArn")))
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


def _arn_region(arn: str) -> str:
    """The region of an ARN as :func:`flat` writes it (``<AWS::Partition>`` holds colons)."""
    match = re.search(r":[a-z0-9-]+:([a-z]{2}(?:-[a-z]+)+-[0-9]+):", arn)
    return match.group(1) if match else ""


@check
def _disaster_recovery(assembly: Assembly) -> Iterator[Check]:
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
        f"AWS Backup ({len(copied)} plan(s)); not replicated: the app tier (redeployed from code "
        f"in the DR region), logs and metrics"
    )
    yield Check(
        RELIABILITY, "region-dr", title, judged(not missing),
        detail + (f"; missing: {', '.join(missing)}" if missing else ""),
    )  # fmt: skip


@check
def _buckets(assembly: Assembly) -> Iterator[Check]:
    for bucket in assembly.resources("AWS::S3::Bucket"):
        name = f"{bucket.stack}/{bucket.logical_id}"
        block = bucket.mapping("PublicAccessBlockConfiguration")
        encrypted = "BucketEncryption" in bucket.properties
        yield Check(
            SECURITY,
            "s3-private",
            f"{name}: encrypted, all public access blocked",
            judged(encrypted and len(block) == 4 and all(v is True for v in block.values())),
            "encryption and a full public access block" if encrypted else "no default encryption",
        )
        rules = bucket.at("LifecycleConfiguration", "Rules", kind=list) or []
        yield Check(
            COST,
            "s3-lifecycle",
            f"{name}: objects move down storage tiers or expire",
            judged(
                any(
                    isinstance(r, dict) and ("Transitions" in r or "ExpirationInDays" in r)
                    for r in rules
                )
            ),
            f"{len(rules)} lifecycle rule(s)",
        )
        versioning = bucket.at("VersioningConfiguration", "Status", kind=str)
        yield Check(
            RELIABILITY,
            "s3-retain",
            f"{name}: kept when the stack is deleted, versioned",
            judged(bucket.deletion_policy == "Retain" and versioning == "Enabled"),
            f"DeletionPolicy={bucket.deletion_policy}, versioning {versioning or 'off'}",
        )


@check
def _logs(assembly: Assembly) -> Iterator[Check]:
    for group in assembly.resources("AWS::Logs::LogGroup"):
        name = f"{group.stack}/{group.logical_id}"
        retention = group.prop("RetentionInDays")
        yield Check(
            OPERATIONS,
            "log-retention",
            f"{name}: log retention is set",
            judged(retention is not None),
            f"{retention if retention is not None else 'never expires'} days",
        )
        yield Check(
            SECURITY,
            "log-encryption",
            f"{name}: encrypted with a customer-managed key",
            judged("KmsKeyId" in group.properties),
            "KmsKeyId set" if "KmsKeyId" in group.properties else "CloudWatch Logs' own key",
        )
    vpcs = assembly.resources("AWS::EC2::VPC")
    flow_logs = assembly.resources("AWS::EC2::FlowLog")
    if vpcs:
        yield Check(
            OPERATIONS,
            "flow-logs",
            "VPC flow logs are on",
            judged(len(flow_logs) >= len(vpcs)),
            f"{len(flow_logs)} flow log(s) for {len(vpcs)} VPC(s)",
        )


#: What the alarms must cover: a resource type, the dimension that names such a resource in an
#: alarm, and what to call it.
ALARM_COVERAGE = {
    "AWS::ElasticLoadBalancingV2::LoadBalancer": ("LoadBalancer", "load balancer"),
    "AWS::AutoScaling::AutoScalingGroup": ("AutoScalingGroupName", "Auto Scaling group"),
    "AWS::RDS::DBCluster": ("DBClusterIdentifier", "database cluster"),
    "AWS::EC2::NatGateway": ("NatGatewayId", "NAT gateway"),
}


def _alarm_dimensions(alarm: Resource) -> list[tuple[str, Any]]:
    """(name, value) of every dimension the alarm reads, its own and its metrics'."""
    found: list[tuple[str, Any]] = []
    lists = [alarm.prop("Dimensions")]
    for metric in alarm.items("Metrics"):
        if isinstance(metric, dict):
            stat = metric.get("MetricStat")
            inner = stat.get("Metric") if isinstance(stat, dict) else None
            lists.append(inner.get("Dimensions") if isinstance(inner, dict) else None)
    for dimensions in lists:
        for item in dimensions if isinstance(dimensions, list) else []:
            if isinstance(item, dict) and isinstance(item.get("Name"), str):
                found.append((item["Name"], item.get("Value")))
    return found


def _watched(assembly: Assembly) -> set[tuple[str, str]]:
    """(stack, logical id) of every resource some alarm reads a metric of: a dimension that
    refers to it (across stacks too), or names a cluster by its identifier."""
    clusters = {
        str(c.prop("DBClusterIdentifier")).lower(): (c.stack, c.logical_id)
        for c in assembly.resources("AWS::RDS::DBCluster")
        if isinstance(c.prop("DBClusterIdentifier"), str)
    }
    names = {dimension for dimension, _ in ALARM_COVERAGE.values()}
    found: set[tuple[str, str]] = set()
    for alarm in assembly.resources("AWS::CloudWatch::Alarm"):
        for name, value in _alarm_dimensions(alarm):
            if name not in names:
                continue
            target = assembly.target(alarm.stack, value)
            if target is not None:
                found.add((target.stack, target.logical_id))
            elif isinstance(value, str) and value.lower() in clusters:
                found.add(clusters[value.lower()])
    return found


def _notifies(assembly: Assembly, alarm: Resource) -> tuple[Status, str]:
    """Whether the alarm reaches anyone: an action to a topic that lets CloudWatch publish."""
    actions = alarm.items("AlarmActions")
    if not actions:
        return "finding", "no alarm action"
    outside = []
    for value in actions:
        topic = assembly.target(alarm.stack, value)
        if topic is None:
            outside.append(flat(value))
            continue
        if topic.type != "AWS::SNS::Topic":
            continue
        publisher = alarm_publisher(assembly, alarm)
        blocked = publisher_blocked(assembly, topic, publisher)
        if blocked:
            return "finding", blocked
        if key_allows(assembly, topic, publisher) is None:
            outside.append(f"the key of topic {topic.stack}/{topic.logical_id}")
    if outside:
        return "unknown", (
            f"notifies through {', '.join(dict.fromkeys(outside))}, outside this app: its policy "
            f"and key must let cloudwatch.amazonaws.com publish"
        )
    return "pass", "an action to a topic that lets CloudWatch publish"


@check
def _alarms(assembly: Assembly) -> Iterator[Check]:
    """Per stack and per resource: every load balancer, Auto Scaling group, database cluster and
    NAT gateway has an alarm reading its metrics (in its own region), and every alarm notifies a
    topic whose policy and key let CloudWatch publish."""
    alarms = assembly.resources("AWS::CloudWatch::Alarm")
    watched = _watched(assembly)
    for stack in sorted(assembly.templates):
        needing = [r for r in assembly.resources(*ALARM_COVERAGE) if r.stack == stack]
        if not needing:
            continue
        missing = [r for r in needing if (r.stack, r.logical_id) not in watched]
        yield Check(
            OPERATIONS,
            "alarms",
            f"{stack}: alarms watch every tier (load balancer, instances, database, NAT)",
            judged(not missing),
            f"{len(needing) - len(missing)} of {len(needing)} resource(s) watched"
            + (
                "; nothing watches "
                + ", ".join(f"{ALARM_COVERAGE[r.type][1]} {r.logical_id}" for r in missing)
                if missing
                else ""
            ),
        )
    by_stack: dict[str, list[tuple[Resource, Status, str]]] = {}
    for alarm in alarms:
        status, detail = _notifies(assembly, alarm)
        by_stack.setdefault(alarm.stack, []).append((alarm, status, detail))
    for stack, judged_alarms in sorted(by_stack.items()):
        failing = [(a, d) for a, st, d in judged_alarms if st == "finding"]
        unknown = [(a, d) for a, st, d in judged_alarms if st == "unknown"]
        status: Status = "finding" if failing else "unknown" if unknown else "pass"
        shown = failing or unknown
        yield Check(
            OPERATIONS,
            "alarms-notify",
            f"{stack}: every alarm notifies someone (a topic CloudWatch may publish to)",
            status,
            f"{len(judged_alarms)} alarm(s) notify" if not shown
            else f"{len(shown)} of {len(judged_alarms)} alarm(s): {shown[0][1]}"
            + (f" ({shown[0][0].logical_id} and {len(shown) - 1} more)" if len(shown) > 1
               else f" ({shown[0][0].logical_id})"),
        )  # fmt: skip
    dashboards = assembly.resources("AWS::CloudWatch::Dashboard")
    yield Check(
        OPERATIONS,
        "dashboard",
        "A dashboard shows the golden signals",
        judged(bool(dashboards)),
        f"{len(dashboards)} dashboard(s)",
    )


def _instance_families(assembly: Assembly) -> tuple[list[str], list[str]]:
    """The known instance types in use, and what could not be read (a Ref, an unknown family,
    a launch template without an instance type)."""
    known, unreadable = [], []
    for template in assembly.resources("AWS::EC2::LaunchTemplate"):
        value = template.at("LaunchTemplateData", "InstanceType")
        where = f"{template.stack}/{template.logical_id}"
        parts = split_instance_type(value) if isinstance(value, str) else None
        if parts is None or parts[0] not in EC2_FAMILIES:
            unreadable.append(f"{where}: {value!r}")
        else:
            known.append(value)
    for instance in assembly.resources("AWS::RDS::DBInstance"):
        value = instance.prop("DBInstanceClass")
        where = f"{instance.stack}/{instance.logical_id}"
        if value == "db.serverless":
            continue
        parts = split_instance_type(value.removeprefix("db.")) if isinstance(value, str) else None
        if parts is None or parts[0] not in EC2_FAMILIES:
            unreadable.append(f"{where}: {value!r}")
        else:
            known.append(value.removeprefix("db."))
    return known, unreadable


@check
def _compute(assembly: Assembly) -> Iterator[Check]:
    policies = assembly.resources("AWS::AutoScaling::ScalingPolicy")
    for group in assembly.resources("AWS::AutoScaling::AutoScalingGroup"):
        scaled = [
            p for p in policies
            if p.stack == group.stack and ref(p.prop("AutoScalingGroupName")) == group.logical_id
        ]  # fmt: skip
        low, high = group.number("MinSize"), group.number("MaxSize")
        fixed = low is not None and low == high
        yield Check(
            PERFORMANCE,
            "asg-scaling",
            f"{group.stack}/{group.logical_id}: scales with demand (a scaling policy)",
            judged(bool(scaled) or fixed),
            f"{len(scaled)} scaling polic(ies)" + (" (fixed size by choice)" if fixed else ""),
        )
    for template in assembly.resources("AWS::EC2::LaunchTemplate"):
        data = template.mapping("LaunchTemplateData")
        where = f"{template.stack}/{template.logical_id}"
        if not data:
            yield Check(
                SECURITY,
                "imdsv2",
                f"{where}: IMDSv2 required, encrypted volumes, no key pair",
                "unknown",
                "the launch template has no LaunchTemplateData",
            )
            continue
        tokens = template.at("LaunchTemplateData", "MetadataOptions", "HttpTokens", kind=str)
        mappings = template.at("LaunchTemplateData", "BlockDeviceMappings", kind=list) or []
        encrypted = all(
            template.at("LaunchTemplateData", "BlockDeviceMappings", index, "Ebs", "Encrypted")
            is True
            for index in range(len(mappings))
        )
        yield Check(
            SECURITY,
            "imdsv2",
            f"{where}: IMDSv2 required, encrypted volumes, no key pair",
            judged(tokens == "required" and encrypted and "KeyName" not in data),
            f"HttpTokens={tokens}, volumes {'encrypted' if encrypted else 'NOT all encrypted'}",
        )
    known, unreadable = _instance_families(assembly)
    if not known and not unreadable:
        return
    old = sorted({f for f in known if f.split(".")[0] in PREVIOUS_GENERATION})
    yield Check(
        PERFORMANCE,
        "instance-generation",
        "Instances use current-generation families",
        "unknown" if unreadable and not old else judged(not old),
        f"previous generation: {', '.join(old)}" if old
        else f"cannot judge {', '.join(unreadable)}" if unreadable
        else ", ".join(sorted(set(known))),
    )  # fmt: skip
    graviton = [f for f in known if f.split(".")[0].endswith(("g", "gd", "gn"))]
    on_graviton = f"{len(graviton)} of {len(known)} instance(s) on Graviton" + (
        f"; cannot judge {', '.join(unreadable)}" if unreadable else ""
    )
    yield Check(
        COST,
        "graviton",
        "Instances run on Graviton (about 20% cheaper for the same work)",
        "unknown" if unreadable else advised(len(graviton) == len(known)),
        on_graviton,
    )
    yield Check(
        SUSTAINABILITY,
        "graviton-energy",
        "Instances run on Graviton (up to 60% less energy for the same work, per AWS)",
        "unknown" if unreadable else advised(len(graviton) == len(known)),
        on_graviton,
    )


def _opens_ssh(rule: dict[str, Any]) -> bool:
    protocol = str(rule.get("IpProtocol", ""))
    if protocol in ("-1", "all"):
        return True
    low, high = rule.get("FromPort"), rule.get("ToPort")
    if not isinstance(low, int) or not isinstance(high, int):
        return protocol in ("tcp", "6")  # a port we cannot read on TCP: count it
    return protocol in ("tcp", "6") and low <= 22 <= high


@check
def _sustainability(assembly: Assembly) -> Iterator[Check]:
    """Store less, keep it less long, and run only the capacity the load needs."""
    buckets = assembly.resources("AWS::S3::Bucket")
    if buckets:
        ageing = [
            b for b in buckets
            if any(
                isinstance(rule, dict) and ("Transitions" in rule or "ExpirationInDays" in rule)
                for rule in (b.at("LifecycleConfiguration", "Rules", kind=list) or [])
            )
        ]  # fmt: skip
        yield Check(
            SUSTAINABILITY,
            "data-ages-out",
            "Stored data moves to colder storage classes or expires",
            judged(len(ageing) == len(buckets)),
            f"{len(ageing)} of {len(buckets)} bucket(s) with transitions or expiration",
        )
    groups = assembly.resources("AWS::Logs::LogGroup")
    if groups:
        expiring = [g for g in groups if g.prop("RetentionInDays") is not None]
        yield Check(
            SUSTAINABILITY,
            "logs-expire",
            "Logs expire instead of being kept forever",
            judged(len(expiring) == len(groups)),
            f"{len(expiring)} of {len(groups)} log group(s) with a retention period",
        )
    policies = assembly.resources("AWS::AutoScaling::ScalingPolicy")
    for group in assembly.resources("AWS::AutoScaling::AutoScalingGroup"):
        low, high = group.number("MinSize"), group.number("MaxSize")
        scaled = any(
            p.stack == group.stack and ref(p.prop("AutoScalingGroupName")) == group.logical_id
            for p in policies
        )
        yield Check(
            SUSTAINABILITY,
            "capacity-follows-load",
            f"{group.stack}/{group.logical_id}: capacity follows the load (nothing idles)",
            "unknown" if low is None or high is None else judged(scaled or low == high),
            f"{'?' if low is None else f'{low:g}'}-{'?' if high is None else f'{high:g}'} "
            "instances, " + ("a scaling policy" if scaled else "no scaling policy"),
        )


@check
def _edge(assembly: Assembly) -> Iterator[Check]:
    associations = assembly.resources("AWS::WAFv2::WebACLAssociation")
    for lb in assembly.resources("AWS::ElasticLoadBalancingV2::LoadBalancer"):
        name = f"{lb.stack}/{lb.logical_id}"
        attributes = {
            lb.at("LoadBalancerAttributes", index, "Key", kind=str): lb.at(
                "LoadBalancerAttributes", index, "Value"
            )
            for index in range(len(lb.items("LoadBalancerAttributes")))
        }
        yield Check(
            OPERATIONS,
            "alb-access-logs",
            f"{name}: access logs are kept",
            judged(attributes.get("access_logs.s3.enabled") == "true"),
            f"access_logs.s3.enabled={attributes.get('access_logs.s3.enabled', 'false')}",
        )
        if lb.prop("Scheme", "internet-facing") == "internet-facing":
            own = [
                a for a in associations
                if (t := assembly.target(a.stack, a.prop("ResourceArn"))) is not None
                and (t.stack, t.logical_id) == (lb.stack, lb.logical_id)
            ]  # fmt: skip
            yield Check(
                SECURITY,
                "waf",
                f"{name}: a WAF web ACL screens internet traffic",
                judged(bool(own)),
                f"web ACL association {own[0].logical_id}" if own
                else "no web ACL is associated with this load balancer",
            )  # fmt: skip
    ssh = []
    for group in assembly.resources("AWS::EC2::SecurityGroup"):
        for rule in group.items("SecurityGroupIngress"):
            if isinstance(rule, dict) and _opens_ssh(rule):
                ssh.append(f"{group.stack}/{group.logical_id}")
    for rule in assembly.resources("AWS::EC2::SecurityGroupIngress"):
        if _opens_ssh(dict(rule.properties)):
            ssh.append(f"{rule.stack}/{rule.logical_id}")
    yield Check(
        SECURITY,
        "no-ssh",
        "No security group opens SSH (port 22)",
        judged(not ssh),
        f"SSH open in {', '.join(ssh)}" if ssh else "none does (inline and standalone rules)",
    )
    endpoints = assembly.resources("AWS::EC2::VPCEndpoint")
    if assembly.resources("AWS::EC2::NatGateway"):
        yield Check(
            COST,
            "gateway-endpoints",
            "S3 and DynamoDB traffic bypasses the NAT (gateway endpoints)",
            judged(len(endpoints) >= 1),
            f"{len(endpoints)} endpoint(s)",
        )


#: What an app tier in a private tier without NAT needs (wellstack.constructs.AppTier): Session
#: Manager, and the CloudFormation API for the boot's health signal. Packages come from Amazon
#: Linux 2023's repositories, S3 buckets, through the S3 gateway endpoint.
ENDPOINTS_FOR_APP = ("ssm", "ssmmessages", "ec2messages", "cloudformation")


def _endpoint_service(endpoint: Resource) -> str:
    """``ssm`` of ``com.amazonaws.<region>.ssm`` (a literal or a ``Fn::Join``)."""
    name = flat(endpoint.prop("ServiceName", ""))
    rest = name.split("com.amazonaws.", 1)[-1]
    return rest.split(".", 1)[-1] if "." in rest else rest


@check
def _private_connectivity(assembly: Assembly) -> Iterator[Check]:
    """Per VPC whose private tier has no IPv4 route out (``nat="endpoints_only"``): nothing
    leaves for the internet, and the endpoints an app tier needs are there. Per VPC with
    interface endpoints: what they cost next to the NAT they spare."""
    subnets = subnets_of(assembly)
    endpoints = assembly.resources("AWS::EC2::VPCEndpoint")
    vpcs = assembly.resources("AWS::EC2::VPC")
    for vpc in vpcs:
        key = f"{vpc.stack}/{vpc.logical_id}"
        where = f"{key}: " if len(vpcs) > 1 else ""
        private = [s for s in subnets.values() if s.vpc == key and s.tier == "private"]
        own = [e for e in endpoints if (t := assembly.target(e.stack, e.prop("VpcId"))) is not None
               and f"{t.stack}/{t.logical_id}" == key]  # fmt: skip
        services = {_endpoint_service(e) for e in own}
        interface = [e for e in own if e.prop("VpcEndpointType") == "Interface"]
        nats = [s for s in subnets.values() if s.vpc == key and s.default_route == "nat"]
        if private and all(s.default_route is None for s in private):
            out = [s.key for s in private if s.default_route6 is not None]
            yield Check(
                SECURITY,
                "private-no-internet",
                f"{where}The private tier has no route to the internet (endpoints only)",
                judged(not out),
                f"::/0 route out of {', '.join(out)}"
                if out
                else "no 0.0.0.0/0 and no ::/0 "
                "route in any private subnet: AWS is reached through VPC endpoints only",
            )
            missing = [n for n in ("s3", *ENDPOINTS_FOR_APP) if n not in services]
            yield Check(
                RELIABILITY,
                "endpoints-cover-app",
                f"{where}The app tier can boot and be managed without internet",
                judged(not missing),
                (f"missing endpoint(s): {', '.join(missing)}" if missing else "S3 gateway "
                 "endpoint for Amazon Linux 2023's package repositories (S3 buckets), "
                 "cloudformation for the boot's health signal, ssm/ssmmessages/ec2messages for "
                 "Session Manager")
                + "; user data that downloads from the internet would fail here",
            )  # fmt: skip
        if interface:
            azs = sum(len(e.items("SubnetIds")) for e in interface)
            yield Check(
                COST,
                "interface-endpoints",
                f"{where}Interface endpoints replace NAT rather than add to it",
                advised(not nats),
                f"{len(interface)} interface endpoint(s) in {azs} endpoint-AZs, each about 7-10 "
                "USD a month plus 0.01 USD/GB"
                + ("; with NAT also in place they pay off only for traffic above about "
                   "350-500 GB a month per endpoint in two AZs (NAT data is 0.045-0.059 USD/GB)"
                   if nats else "; no NAT gateway: no NAT hours or NAT data charges"),
            )  # fmt: skip


def run_checks(assembly: Assembly) -> list[Check]:
    return [result for function in REVIEW_CHECKS for result in function(assembly)]


def nag_findings(assembly: Assembly) -> list[dict[str, Any]]:
    """Unacknowledged findings from the validation report (present when a synth failed)."""
    findings = []
    report = assembly.report or {}
    for plugin in report.get("pluginReports", []) or []:
        own = isinstance(plugin, dict) and plugin.get("pluginName") == PACK
        for violation in (plugin.get("violations", []) if isinstance(plugin, dict) else []) or []:
            if not isinstance(violation, dict):
                continue
            rule = str(violation.get("ruleName", "unknown"))
            rule = f"{PACK}::{rule}" if own else rule
            findings.append(
                {
                    "rule": rule,
                    "pillar": rule_pillar(rule) or "unmapped",
                    "description": str(violation.get("description", "")),
                    "where": [
                        c.get("constructPath")
                        for c in violation.get("violatingConstructs", []) or []
                        if isinstance(c, dict)
                    ],
                    "severity": str(violation.get("severity", "error")),
                }
            )
    return findings


def _synthesized(assembly: Assembly) -> str:
    """When the assembly was written (its manifest's modification time, UTC)."""
    if assembly.directory is None:
        return ""
    stamp = (assembly.directory / "manifest.json").stat().st_mtime
    return datetime.datetime.fromtimestamp(stamp, datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def findings_count(result: dict[str, Any]) -> int:
    """Findings of every pillar (wellstack's checks and unacknowledged cdk-nag findings)."""
    return sum(len(data["findings"]) for data in result["pillars"].values())


def review(cdk_out: str | Path) -> dict[str, Any]:
    assembly = Assembly.load(cdk_out)
    checks = run_checks(assembly)
    findings = nag_findings(assembly)
    acknowledged = [
        {**row, "pillar": rule_pillar(row["rule"]) or "unmapped"}
        for row in acknowledgments_in(assembly)
    ]
    pillars = {}
    for pillar in PILLARS:
        mine = [c for c in checks if c.pillar == pillar]
        judged_checks = [c for c in mine if c.status in ("pass", "finding")]
        pillars[pillar] = {
            "passed": [asdict(c) for c in mine if c.status == "pass"],
            "findings": [asdict(c) for c in mine if c.status == "finding"]
            + [f for f in findings if f["pillar"] == pillar],
            "advice": [asdict(c) for c in mine if c.status == "advice"],
            "unknown": [asdict(c) for c in mine if c.status == "unknown"],
            "acknowledged": [a for a in acknowledged if a["pillar"] == pillar],
            "score": f"{sum(c.passed for c in judged_checks)}/{len(judged_checks)}",
        }
    return {
        "assembly": str(assembly.directory or cdk_out),
        "synthesized": _synthesized(assembly),
        "stacks": sorted(assembly.templates),
        "pillars": pillars,
        "unmapped": [a["rule"] for a in acknowledged if a["pillar"] == "unmapped"]
        + [f["rule"] for f in findings if f["pillar"] == "unmapped"],
    }


def row(css: str, status: str, check_html: str, detail_html: str) -> str:
    return f"<tr><td class={css}>{status}</td><td>{check_html}</td><td>{detail_html}</td></tr>"


_CSS = (
    "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;color:#222}"
    "h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:1.6em}"
    "table{border-collapse:collapse;width:100%;margin:.5em 0 1em}"
    "td,th{border:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}"
    "th{background:#f6f8fa}.pass{color:#1a7f37}.fail{color:#b42318;font-weight:600}"
    ".advice{color:#9a6700}.unknown{color:#0550ae}.ack{color:#6b4f00}code{font-size:12px}"
    "summary{cursor:pointer;color:#555;margin:.3em 0}.meta{color:#555}"
    "td.num{text-align:right}"
)


def to_html(result: dict[str, Any]) -> str:
    """A single self-contained page (inline CSS, no scripts or external assets): which assembly
    and when, a summary per pillar, then each pillar with its findings first; passed checks and
    acknowledged findings are collapsed."""
    e = html.escape
    pillars = result["pillars"]
    total = sum(len(d["findings"]) for d in pillars.values())
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<title>wellstack review: {total} finding(s)</title><style>{_CSS}</style></head><body>",
        "<h1>Well-Architected review</h1>",
        f"<p class=meta>Assembly <code>{e(str(result.get('assembly', '')))}</code>, synthesized "
        f"{e(str(result.get('synthesized', '')))}; stacks {e(', '.join(result['stacks']))}.</p>",
        "<table><tr><th>pillar</th><th>score</th><th>findings</th><th>advice</th>"
        "<th>unknown</th><th>acknowledged</th></tr>",
    ]
    for pillar, data in pillars.items():
        count = len(data["findings"])
        css = "fail" if count else "pass"
        parts.append(
            f"<tr><td><a href='#{e(pillar.replace(' ', '-'))}'>{e(pillar.title())}</a></td>"
            f"<td class=num>{e(data['score'])}</td><td class='num {css}'>{count}</td>"
            f"<td class=num>{len(data['advice'])}</td><td class=num>{len(data['unknown'])}</td>"
            f"<td class=num>{len(data['acknowledged'])}</td></tr>"
        )
    parts.append("</table>")
    for pillar, data in pillars.items():
        parts.append(
            f"<h2 id='{e(pillar.replace(' ', '-'))}'>{e(pillar.title())} "
            f"<small>({e(data['score'])} checks pass)</small></h2>"
        )
        open_rows = []
        for item in data["findings"]:
            title = item.get("title") or item.get("rule")
            detail = item.get("detail") or item.get("description", "")
            open_rows.append(row("fail", "finding", e(str(title)), e(str(detail))))
        for item in data["advice"]:
            open_rows.append(row("advice", "advice", e(item["title"]), e(item["detail"])))
        for item in data["unknown"]:
            open_rows.append(row("unknown", "unknown", e(item["title"]), e(item["detail"])))
        if open_rows:
            parts.append("<table><tr><th>status</th><th>check</th><th>detail</th></tr>")
            parts += [*open_rows, "</table>"]
        else:
            parts.append("<p class=pass>No finding.</p>")
        passed = [row("pass", "pass", e(i["title"]), e(i["detail"])) for i in data["passed"]]
        if passed:
            parts.append(f"<details><summary>{len(passed)} check(s) pass</summary><table>")
            parts += [*passed, "</table></details>"]
        acknowledged = [
            row("ack", "acknowledged", f"<code>{e(i['rule'])}</code><br>{e(i['where'])}",
                e(i["reason"]))
            for i in data["acknowledged"]
        ]  # fmt: skip
        if acknowledged:
            parts.append(
                f"<details><summary>{len(acknowledged)} acknowledged finding(s), each with its "
                f"reason</summary><table>"
            )
            parts += [*acknowledged, "</table></details>"]
    parts.append("</body></html>\n")
    return "".join(parts)
