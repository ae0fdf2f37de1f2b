#!/usr/bin/env python3
"""Another team's CDK app that uses wellstack the way any library is used: it installs the
package and composes only the pieces it wants, in a stack of its own, with its own names.

Here: a dual-stack VPC with one NAT gateway and interface endpoints for Secrets Manager and KMS,
tier security groups for a service on port 8080 (IPv4 and IPv6) in front of PostgreSQL, a
dual-stack app tier with a longer load-balancer idle timeout and an extra WAF rule, a named
Aurora cluster, and a named write-once archive bucket that goes straight to Glacier Instant
Retrieval and on to Deep Archive after half a year.
"""

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_wafv2 as wafv2

from wellstack.compliance import apply_packs
from wellstack.constructs import AppTier, AuroraCluster, Network, TieredBucket, TierSecurityGroups

BLOCK_ADMIN = wafv2.CfnWebACL.RuleProperty(
    name="BlockAdmin",
    priority=10,
    action=wafv2.CfnWebACL.RuleActionProperty(block={}),
    statement=wafv2.CfnWebACL.StatementProperty(
        byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
            positional_constraint="STARTS_WITH",
            search_string="/admin",
            text_transformations=[
                wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")
            ],
        )
    ),
    visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name="BlockAdmin", sampled_requests_enabled=True
    ),
)


class ArchiveStack(cdk.Stack):
    def __init__(self, scope: cdk.App, construct_id: str, *, env: cdk.Environment) -> None:
        super().__init__(scope, construct_id, env=env)
        self.network = Network(
            self,
            "Net",
            cidr="172.20.0.0/20",
            availability_zones=["us-east-1a", "us-east-1b"],
            nat="single",
            public_mask=26,
            private_mask=26,
            isolated_mask=26,
            ipv6=True,
            interface_endpoints=["secretsmanager", "kms"],
        )
        groups = TierSecurityGroups(
            self, "Sgs", vpc=self.network.vpc, web_port=8080, db_port=5432,
            web_ingress_ipv6_cidr="::/0",
        )  # fmt: skip
        self.database = AuroraCluster(
            self,
            "Db",
            vpc=self.network.vpc,
            engine="postgresql",
            readers=0,
            instance_type="t4g.medium",
            security_group=groups.database,
            cluster_props={"cluster_identifier": "team-archive-db"},
        )
        self.web = AppTier(
            self,
            "Web",
            vpc=self.network.vpc,
            security_groups=groups,
            instance_type="t4g.small",
            min_capacity=1,
            max_capacity=2,
            load_balancer_props={"idle_timeout": cdk.Duration.seconds(300)},
            waf_rules=[BLOCK_ADMIN],
            ip_address_type="dualstack",
        )
        self.archive = TieredBucket(
            self,
            "Archive",
            transitions=[
                (s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, 0),
                (s3.StorageClass.DEEP_ARCHIVE, 180),
            ],
            object_lock_days=365,
            bucket_props={"bucket_name": "team-archive-example-2026"},
        )
        self.archive.grant_read(self.web.role)
        self.database.grant_secret_read(self.web.role)
        cdk.CfnOutput(self, "ArchiveBucket", value=self.archive.bucket.bucket_name)


app = cdk.App()
ArchiveStack(app, "TeamArchive", env=cdk.Environment(region="us-east-1"))
apply_packs(app, ["NIST80053R5"])
app.synth()
