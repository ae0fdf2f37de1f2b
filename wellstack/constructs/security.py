"""Security groups chained tier to tier: internet -> web:80 -> app:80 -> database:3306."""

from __future__ import annotations

import ipaddress
from typing import Any

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from wellstack.compliance import CHECKOV, acknowledge, same_reason
from wellstack.constructs import _cache as cached
from wellstack.constructs._registry import record_tier_port
from wellstack.constructs.checks import Problems, is_token, vpc_has_ipv6


class TierSecurityGroups(Construct):
    """Three security groups, each open only to the tier in front of it. No group opens port 22.

    * ``web`` (load balancer): ``web_port`` from ``web_ingress_cidr`` (and
      ``web_ingress_ipv6_cidr``); out only to ``app``.
    * ``app`` (instances): ``web_port`` from ``web`` only; out to ``database`` on ``db_port``
      and HTTPS (443) for package repositories and the SSM agent (over IPv6 too when the VPC
      has IPv6).
    * ``database``: ``db_port`` from ``app`` only, never from a CIDR; no outbound rules.

    :param vpc: the VPC the groups live in.
    :param web_port: the port the load balancer and the instances serve. Default 80.
    :param db_port: the database port. Default 3306 (MySQL; 5432 for PostgreSQL).
    :param web_ingress_cidr: who may reach the load balancer. Default ``0.0.0.0/0``. ``None``:
        nobody from outside the VPC — for a load balancer behind CloudFront
        (``AppTier(edge="cloudfront")`` admits CloudFront's VPC origin itself).
    :param web_ingress_ipv6_cidr: who may reach it over IPv6, e.g. ``"::/0"`` for a dual-stack
        load balancer (``AppTier(ip_address_type="dualstack")``); needs a VPC with IPv6
        (``Network(ipv6=True)``). Default none: IPv4 only. The app and database groups stay
        group-to-group whatever the address family.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        web_port: int = 80,
        db_port: int = 3306,
        web_ingress_cidr: str | None = "0.0.0.0/0",
        web_ingress_ipv6_cidr: str | None = None,
    ) -> None:
        problems = Problems.of(scope, construct_id, "TierSecurityGroups")
        problems.implements("vpc", vpc, ec2.IVpc, "a VPC (ec2.IVpc), e.g. Network(...).vpc")
        ports_ok = problems.port("web_port", web_port) & problems.port("db_port", db_port)
        if ports_ok and not is_token(web_port) and web_port == db_port:
            problems.add(
                f"web_port and db_port must differ (the app group would otherwise accept "
                f"database traffic from the load balancer), got {web_port} for both"
            )
        ingress = (
            problems.cidr("web_ingress_cidr", web_ingress_cidr)
            if web_ingress_cidr is not None
            else None
        )
        ingress6 = _validate_ipv6_ingress(problems, vpc, web_ingress_ipv6_cidr)
        problems.done()
        vpc_ipv6 = vpc_has_ipv6(vpc) is True
        super().__init__(scope, construct_id)
        cached.adopt(self, scope, construct_id)
        #: The port the load balancer and the instances serve.
        self.web_port: int = web_port
        #: The database port.
        self.db_port: int = db_port
        #: Who may reach the load balancer (also used for an HTTPS listener's port); ``None``:
        #: nobody from outside the VPC.
        self.web_ingress_cidr: str | None = web_ingress_cidr
        #: Who may reach it over IPv6 (``None``: nobody).
        self.web_ingress_ipv6_cidr: str | None = web_ingress_ipv6_cidr

        #: The load balancer's group: ``web_port`` from ``web_ingress_cidr``.

        self.web: ec2.SecurityGroup = ec2.SecurityGroup(
            self,
            "Web",
            vpc=vpc,
            description=f"Load balancer: TCP {web_port} from "
            f"{web_ingress_cidr or 'its edge (no internet peer)'}",
            allow_all_outbound=False,
        )
        #: The instances' group: ``web_port`` from ``web`` only.
        self.app: ec2.SecurityGroup = ec2.SecurityGroup(
            self,
            "App",
            vpc=vpc,
            description=f"App instances: TCP {web_port} from the load balancer only",
            allow_all_outbound=False,
        )
        #: The database's group: ``db_port`` from ``app`` only.
        self.database: ec2.SecurityGroup = ec2.SecurityGroup(
            self,
            "Database",
            vpc=vpc,
            description=f"Database: TCP {db_port} from the app instances only",
            allow_all_outbound=False,
        )

        #: The peer ``web_ingress_cidr`` names (``None`` without one).
        self.web_peer: ec2.IPeer | None = (
            None
            if ingress is None or web_ingress_cidr is None
            else ec2.Peer.ipv4(web_ingress_cidr)
            if ingress.version == 4
            else ec2.Peer.ipv6(web_ingress_cidr)
        )
        self._ipv6_peer = (
            ec2.Peer.ipv6(web_ingress_ipv6_cidr) if web_ingress_ipv6_cidr is not None else None
        )
        #: Every peer the web group admits on the listener ports (IPv4, then IPv6).
        self.web_peers: list[ec2.IPeer] = [
            p for p in (self.web_peer, self._ipv6_peer) if p is not None
        ]
        for peer in self.web_peers:
            self.web.add_ingress_rule(peer, cached.tcp(web_port), f"HTTP from {peer.unique_id}")
        self.web.add_egress_rule(self.app, cached.tcp(web_port), "To the app instances")
        self.app.add_ingress_rule(self.web, cached.tcp(web_port), "From the load balancer")
        self.app.add_egress_rule(self.database, cached.tcp(db_port), "To the database")
        self.app.add_egress_rule(
            cached.any_ipv4(), cached.tcp(443), "HTTPS: package repositories, SSM, AWS APIs"
        )
        if vpc_ipv6:
            # Without it, a client that tries IPv6 first (dnf does) waits for a timeout.
            self.app.add_egress_rule(
                cached.any_ipv6(), cached.tcp(443), "HTTPS over IPv6 (egress-only gateway)"
            )
        self.database.add_ingress_rule(self.app, cached.tcp(db_port), "From the app instances")
        record_tier_port(self.database, db_port, cached.path(self))

        if (ingress is not None and ingress.prefixlen == 0) or (
            ingress6 is not None and ingress6.prefixlen == 0
        ):
            sources = " and ".join(p for p in (web_ingress_cidr, web_ingress_ipv6_cidr) if p)
            reason = (
                f"The web group fronts a public load balancer: TCP {web_port} from "
                f"{sources} is the design; the app and database groups accept traffic "
                f"only from the group in front of them."
            )
            acknowledge(self.web, same_reason(reason, "AwsSolutions-EC23", CHECKOV + "CKV_AWS_260"))

    @property
    def ipv6_peer(self) -> ec2.IPeer | None:
        """The IPv6 peer of ``web_ingress_ipv6_cidr`` (``None`` without it)."""
        return self._ipv6_peer

    @property
    def groups(self) -> dict[str, ec2.SecurityGroup]:
        return {"web": self.web, "app": self.app, "database": self.database}


def _validate_ipv6_ingress(
    problems: Problems, vpc: Any, cidr: Any
) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    if cidr is None:
        return None
    network = problems.cidr("web_ingress_ipv6_cidr", cidr, version=6)
    if network is not None and isinstance(vpc, ec2.Vpc) and vpc_has_ipv6(vpc) is False:
        problems.add(
            f"web_ingress_ipv6_cidr={cidr!r} needs a VPC with IPv6 (Network(ipv6=True)); this "
            f"VPC has none, so no client could reach the load balancer over IPv6"
        )
    return network
