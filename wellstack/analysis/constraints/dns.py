"""Route 53 failover: records that can never fail over, health checks that can never pass."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from wellstack.analysis.constraints.base import Violation, rule, violation
from wellstack.analysis.pillars import RELIABILITY
from wellstack.analysis.template import Assembly, Resource

FAILOVER = (
    "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/"
    "dns-failover-configuring-options.html"
)
HEALTH_CHECKS = (
    "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/"
    "dns-failover-determining-health-of-endpoints.html"
)


def _evaluates(record: Resource) -> bool:
    alias = record.mapping("AliasTarget")
    return alias.get("EvaluateTargetHealth") in (True, "true")


@rule(
    "R53-1",
    "A PRIMARY failover record has a health check or evaluates its alias target's health",
    pillar=RELIABILITY,
    outcome="ignored",
    source="Route 53 Developer Guide, Configuring DNS failover: for active-passive failover, "
    "Route 53 considers a primary record healthy when it has no health check and does not "
    "evaluate target health, so it never fails over to the secondary",
    url=FAILOVER,
)
def _primary_has_health(assembly: Assembly) -> Iterator[Violation]:
    for record in assembly.resources("AWS::Route53::RecordSet"):
        if record.prop("Failover") != "PRIMARY":
            continue
        if record.prop("HealthCheckId") is None and not _evaluates(record):
            yield violation(
                "R53-1", record, "a PRIMARY failover record without a health check or "
                "EvaluateTargetHealth is always healthy: traffic never fails over",
                "set HealthCheckId, or EvaluateTargetHealth on its alias", "Failover",
            )  # fmt: skip


@rule(
    "R53-2",
    "A health check's load balancer faces the internet",
    pillar=RELIABILITY,
    outcome="ignored",
    source="Route 53 Developer Guide, How Amazon Route 53 determines whether a health check is "
    "healthy: health checkers are located in AWS Regions around the world and call the "
    "endpoint over the internet; an internal load balancer's name resolves to private "
    "addresses they cannot reach, so the check never passes",
    url=HEALTH_CHECKS,
)
def _checked_lb_is_public(assembly: Assembly) -> Iterator[Violation]:
    for check in assembly.resources("AWS::Route53::HealthCheck"):
        name = check.mapping("HealthCheckConfig").get("FullyQualifiedDomainName")
        if not (isinstance(name, Mapping) and isinstance(name.get("Fn::GetAtt"), list)):
            continue
        target = assembly.target(check.stack, {"Ref": name["Fn::GetAtt"][0]})
        if target is None or target.type != "AWS::ElasticLoadBalancingV2::LoadBalancer":
            continue
        if target.prop("Scheme") == "internal":
            yield violation(
                "R53-2", check, f"the health check calls {target.logical_id}, an internal "
                "load balancer Route 53's health checkers cannot reach: it never passes",
                "check an internet-facing load balancer, or use a CloudWatch-alarm health check",
                "HealthCheckConfig",
            )  # fmt: skip
