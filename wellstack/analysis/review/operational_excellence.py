"""Operational excellence: logs kept for a known time, flow logs, alarms that watch every tier
and reach someone, a dashboard, access logs at the edge."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from wellstack.analysis.constraints.topics import alarm_publisher, key_allows, publisher_blocked
from wellstack.analysis.pillars import OPERATIONS
from wellstack.analysis.review.base import Check, Status, check, judged
from wellstack.analysis.template import Assembly, Resource, flat


@check
def logs(assembly: Assembly) -> Iterator[Check]:
    for group in assembly.resources("AWS::Logs::LogGroup"):
        retention = group.prop("RetentionInDays")
        yield Check(
            OPERATIONS,
            "log-retention",
            f"{group.stack}/{group.logical_id}: log retention is set",
            judged(retention is not None),
            f"{retention if retention is not None else 'never expires'} days",
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


def refresh_gates(assembly: Assembly) -> set[tuple[str, str]]:
    """(stack, logical id) of the alarms an Auto Scaling group's instance refresh reads
    (UpdatePolicy.AutoScalingInstanceRefresh.Preferences.AlarmSpecification.Alarms)."""
    found = set()
    for group in assembly.resources("AWS::AutoScaling::AutoScalingGroup"):
        policy = group.raw.get("UpdatePolicy")
        refresh = policy.get("AutoScalingInstanceRefresh") if isinstance(policy, dict) else None
        preferences = refresh.get("Preferences") if isinstance(refresh, dict) else None
        spec = preferences.get("AlarmSpecification") if isinstance(preferences, dict) else None
        names = spec.get("Alarms") if isinstance(spec, dict) else None
        for name in names if isinstance(names, list) else []:
            target = assembly.target(group.stack, name)
            if target is not None and target.type == "AWS::CloudWatch::Alarm":
                found.add((target.stack, target.logical_id))
    return found


@check
def alarms(assembly: Assembly) -> Iterator[Check]:
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
    gates = refresh_gates(assembly)
    for alarm in alarms:
        if (alarm.stack, alarm.logical_id) in gates:
            continue  # a gate CloudFormation reads during an instance refresh, not a page
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


@check
def access_logs(assembly: Assembly) -> Iterator[Check]:
    for lb in assembly.resources("AWS::ElasticLoadBalancingV2::LoadBalancer"):
        attributes = {
            lb.at("LoadBalancerAttributes", index, "Key", kind=str): lb.at(
                "LoadBalancerAttributes", index, "Value"
            )
            for index in range(len(lb.items("LoadBalancerAttributes")))
        }
        yield Check(
            OPERATIONS,
            "alb-access-logs",
            f"{lb.stack}/{lb.logical_id}: access logs are kept",
            judged(attributes.get("access_logs.s3.enabled") == "true"),
            f"access_logs.s3.enabled={attributes.get('access_logs.s3.enabled', 'false')}",
        )
