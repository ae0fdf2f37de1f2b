"""Security groups chained tier to tier: internet -> web:80 -> app:80 -> database:3306."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from wellstack.compliance import CHECKOV, acknowledge, same_reason
from wellstack.constructs._checks import Problems, is_token


class TierSecurityGroups(Construct):
    """Three security groups, each open only to the tier in front of it. No group opens port 22.

    * ``web`` (load balancer): ``web_port`` from ``web_ingress_cidr``; out only to ``app``.
    * ``app`` (instances): ``web_port`` from ``web`` only; out to ``database`` on ``db_port``
      and HTTPS (443) for package repositories and the SSM agent.
    * ``database``: ``db_port`` from ``app`` only, never from a CIDR; no outbound rules.

    :param vpc: the VPC the groups live in.
    :param web_port: the port the load balancer and the instances serve. Default 80.
    :param db_port: the database port. Default 3306 (MySQL; 5432 for PostgreSQL).
    :param web_ingress_cidr: who may reach the load balancer. Default ``0.0.0.0/0``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        web_port: int = 80,
        db_port: int = 3306,
        web_ingress_cidr: str = "0.0.0.0/0",
    ) -> None:
        problems = Problems.of(scope, construct_id, "TierSecurityGroups")
        problems.implements("vpc", vpc, ec2.IVpc, "a VPC (ec2.IVpc), e.g. Network(...).vpc")
        ports_ok = problems.port("web_port", web_port) & problems.port("db_port", db_port)
        if ports_ok and not is_token(web_port) and web_port == db_port:
            problems.add(
                f"web_port and db_port must differ (the app group would otherwise accept "
                f"database traffic from the load balancer), got {web_port} for both"
            )
        ingress = problems.cidr("web_ingress_cidr", web_ingress_cidr)
        problems.done()
        ingress = problems.require(ingress)
        super().__init__(scope, construct_id)
        #: The port the load balancer and the instances serve.
        self.web_port: int = web_port
        #: The database port.
        self.db_port: int = db_port
        #: Who may reach the load balancer (also used for an HTTPS listener's port).
        self.web_ingress_cidr: str = web_ingress_cidr

        #: The load balancer's group: ``web_port`` from ``web_ingress_cidr``.

        self.web: ec2.SecurityGroup = ec2.SecurityGroup(
            self,
            "Web",
            vpc=vpc,
            description=f"Load balancer: TCP {web_port} from {web_ingress_cidr}",
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

        self.web_peer: ec2.IPeer = (
            ec2.Peer.ipv4(web_ingress_cidr)
            if ingress.version == 4
            else ec2.Peer.ipv6(web_ingress_cidr)
        )
        self.web.add_ingress_rule(
            self.web_peer, ec2.Port.tcp(web_port), f"HTTP from {web_ingress_cidr}"
        )
        self.web.add_egress_rule(self.app, ec2.Port.tcp(web_port), "To the app instances")
        self.app.add_ingress_rule(self.web, ec2.Port.tcp(web_port), "From the load balancer")
        self.app.add_egress_rule(self.database, ec2.Port.tcp(db_port), "To the database")
        self.app.add_egress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS: package repositories, SSM, AWS APIs"
        )
        self.database.add_ingress_rule(self.app, ec2.Port.tcp(db_port), "From the app instances")

        if ingress.prefixlen == 0:
            reason = (
                f"The web group fronts a public load balancer: TCP {web_port} from "
                f"{web_ingress_cidr} is the design; the app and database groups accept traffic "
                f"only from the group in front of them."
            )
            acknowledge(self.web, same_reason(reason, "AwsSolutions-EC23", CHECKOV + "CKV_AWS_260"))

    @property
    def groups(self) -> dict[str, ec2.SecurityGroup]:
        return {"web": self.web, "app": self.app, "database": self.database}
