"""Route 53 failover records in front of two regions' load balancers (active/passive).

Rules followed (Route 53 Developer Guide):

* "Configuring active-passive failover with one primary and one secondary resource": two records
  of the same name and type, ``Failover`` ``PRIMARY`` and ``SECONDARY``, each with its own
  ``SetIdentifier``; Route 53 answers the primary while it is healthy, else the secondary. When
  both are unhealthy it answers the primary. The records may be created by different stacks (one
  per region) in the same hosted zone: each stack owns its region's record, so the DR region's
  record exists even when the primary region's CloudFormation cannot be reached.
* "Values for alias records": an alias to an ALB takes the load balancer's DNS name and its
  canonical hosted zone id; alias records have no TTL (Route 53 answers with the load
  balancer's, 60 s). ``EvaluateTargetHealth`` makes a record unhealthy when its ALB has no healthy
  target in any target group.
* "How Amazon Route 53 determines whether a health check is healthy": an HTTP(S) health check
  is healthy on a 2xx or 3xx status within 2 s (connect) / 4 s (response); the checkers call
  from Route 53's public address ranges, so the load balancer must be internet-facing and admit
  them (the web group admits 0.0.0.0/0 on the web port). A primary with a health check on its
  ``/health`` and an evaluated target: either failing fails the region over.
* The load balancer's WAF lets the checkers in: they send a ``User-Agent`` ("Amazon-Route53-
  Health-Check-Service"), which AWSManagedRulesCommonRuleSet's NoUserAgent_HEADER requires, and
  call from Route 53's published ranges (``ROUTE53_HEALTHCHECKS`` in ip-ranges.json), not from
  the Amazon IP reputation list's.
* A planned switch (``wellstack failover --switchover``) sets the health check's ``Inverted``
  (Route 53 API ``UpdateHealthCheck``): the primary reads unhealthy and Route 53 answers the
  secondary; ``failback`` clears it. Route 53 is a global service: its API answers while the
  primary region is down.
"""

from __future__ import annotations

from typing import Any, Literal

import jsii
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from constructs import Construct

from wellstack.constructs import _cache as cached
from wellstack.constructs.checks import Problems, is_token
from wellstack.limits import (
    DOMAIN_MAX_LENGTH,
    DOMAIN_NAME,
    FAILOVER_FAILURE_THRESHOLD,
    FAILOVER_REQUEST_INTERVAL_SECONDS,
    HOSTED_ZONE_ID,
    TCP_PORT,
)

FailoverRole = Literal["primary", "secondary"]
HealthCheckProtocol = Literal["HTTP", "HTTPS"]


class FailoverRecords(Construct):
    """The failover alias records (``A``, and ``AAAA`` for a dual-stack load balancer) of one
    region's load balancer under ``domain_name``; the primary's with a Route 53 health check of
    ``health_check_path``.

    :param load_balancer: the region's internet-facing Application Load Balancer.
    :param domain_name: the name users reach the app by (e.g. ``app.example.com``).
    :param hosted_zone_id: the public hosted zone holding ``domain_name`` (``Z…``).
    :param role: ``"primary"`` (answered while healthy, with the health check) or
        ``"secondary"`` (answered when the primary is not).
    :param health_check_path: what the primary's health check requests. Default ``/health``.
    :param health_check_protocol: ``"HTTP"`` or ``"HTTPS"`` (with a certificate on the load
        balancer: a redirect would read healthy). Default ``"HTTP"``.
    :param health_check_port: Default 80 (443 with HTTPS).
    :param ipv6: also an ``AAAA`` record; the load balancer must be dual stack (an IPv4-only one
        would answer IPv6 clients with no address, so it is refused). Default off.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        load_balancer: elbv2.IApplicationLoadBalancer,
        domain_name: str,
        hosted_zone_id: str,
        role: FailoverRole,
        health_check_path: str = "/health",
        health_check_protocol: HealthCheckProtocol = "HTTP",
        health_check_port: int | None = None,
        ipv6: bool = False,
    ) -> None:
        problems = Problems.of(scope, construct_id, "FailoverRecords")
        problems.text(
            "domain_name", domain_name, DOMAIN_NAME, "a DNS name such as 'app.example.com'",
            max_length=DOMAIN_MAX_LENGTH,
        )  # fmt: skip
        problems.text(
            "hosted_zone_id", hosted_zone_id, HOSTED_ZONE_ID,
            "a Route 53 hosted zone id such as 'Z0123456789ABCDEFGHIJ'",
        )  # fmt: skip
        problems.choice("role", role, ("primary", "secondary"))
        problems.choice("health_check_protocol", health_check_protocol, ("HTTP", "HTTPS"))
        problems.flag("ipv6", ipv6)
        if health_check_port is not None:
            problems.within("health_check_port", health_check_port, TCP_PORT)
        problems.check(
            isinstance(health_check_path, str) and health_check_path.startswith("/"),
            f"health_check_path must be a path starting with '/', got {health_check_path!r}",
        )
        problems.implements(
            "load_balancer", load_balancer, elbv2.IApplicationLoadBalancer,
            "an elbv2.IApplicationLoadBalancer",
        )  # fmt: skip
        if ipv6 is True:
            _check_dual_stack(problems, load_balancer)
        problems.done()
        super().__init__(scope, construct_id)
        cached.adopt(self, scope, construct_id)
        zone = route53.PublicHostedZone.from_hosted_zone_attributes(
            self, "Zone", hosted_zone_id=hosted_zone_id, zone_name=_zone_name(domain_name)
        )
        #: The primary's health check (``None`` for the secondary).
        self.health_check: route53.HealthCheck | None = None
        if role == "primary":
            https = health_check_protocol == "HTTPS"
            self.health_check = route53.HealthCheck(
                self,
                "HealthCheck",
                type=route53.HealthCheckType.HTTPS if https else route53.HealthCheckType.HTTP,
                fqdn=load_balancer.load_balancer_dns_name,
                port=health_check_port or (443 if https else 80),
                resource_path=health_check_path,
                request_interval=cached.seconds(FAILOVER_REQUEST_INTERVAL_SECONDS),
                failure_threshold=FAILOVER_FAILURE_THRESHOLD,
            )
        target = route53.RecordTarget.from_alias(
            targets.LoadBalancerTarget(
                load_balancer,  # pyright: ignore[reportArgumentType]  # CDK protocol false positive
                _EvaluateTargetHealth(),  # pyright: ignore[reportArgumentType]  # jsii.implements
            )
        )
        common = {
            "zone": zone,
            "record_name": domain_name,
            "target": target,
            "failover": route53.Failover.PRIMARY
            if role == "primary"
            else route53.Failover.SECONDARY,
            "set_identifier": f"{role}-{cached.region(self)}",
            "health_check": self.health_check,
        }
        #: The records (``A``, then ``AAAA`` with ``ipv6``).
        self.records: list[route53.RecordSet] = [route53.ARecord(self, "A", **common)]
        if ipv6:
            self.records.append(route53.AaaaRecord(self, "Aaaa", **common))
        #: ``"primary"`` or ``"secondary"``.
        self.role: FailoverRole = role
        self.domain_name: str = domain_name


#: The load balancer address types that answer IPv6 (``AWS::ElasticLoadBalancingV2::
#: LoadBalancer`` ``IpAddressType``).
_DUAL_STACK = ("dualstack", "dualstack-without-public-ipv4")


def _check_dual_stack(problems: Problems, load_balancer: Any) -> None:
    """An ``AAAA`` alias to an IPv4-only load balancer deploys and answers IPv6 clients with no
    address: the alias resolves through the load balancer's ``dualstack.`` name, which has IPv6
    addresses only when the load balancer is dual stack (AWS re:Post knowledge center,
    https://repost.aws/knowledge-center/elb-configure-with-ipv6: set the IP address type to
    dualstack, then point the A and AAAA alias records at the dualstack name). Checked for a load
    balancer built in this app; an imported one cannot be known."""
    if not isinstance(load_balancer, elbv2.ApplicationLoadBalancer):
        return
    kind = getattr(cached.default_child(load_balancer), "ip_address_type", None)
    if is_token(kind) or kind in _DUAL_STACK:
        return
    problems.add(
        f"ipv6=True adds an AAAA alias record, but load_balancer is IPv4-only (IpAddressType "
        f"{kind or 'ipv4'}): Route 53 would answer IPv6 clients with no address; make the load "
        f"balancer dual stack (AppTier(ip_address_type='dualstack')) or pass ipv6=False",
        "conflict",
        "ipv6",
        ("load_balancer",),
    )


@jsii.implements(targets.IAliasRecordTargetProps)
class _EvaluateTargetHealth:
    """The alias answers for its load balancer only while a target group has a healthy target
    (``EvaluateTargetHealth``)."""

    @property
    def evaluate_target_health(self) -> bool:
        return True


def _zone_name(domain_name: str) -> str:
    """The zone's name is only used to qualify relative record names; ``domain_name`` is given
    fully qualified, so its parent serves."""
    return domain_name.rstrip(".").split(".", 1)[1]
