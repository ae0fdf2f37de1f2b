#!/usr/bin/env python3
"""Another team's CDK app that uses wellstack the way any library is used: it installs the
package and composes only the pieces it wants, in a stack of its own.

Here: a small VPC without NAT (public + isolated tiers), tier security groups for a service on
port 8080 in front of PostgreSQL, and a write-once archive bucket that goes straight to Glacier
Instant Retrieval and on to Deep Archive after half a year.
"""

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3

from wellstack.compliance import apply_packs
from wellstack.constructs import Network, TieredBucket, TierSecurityGroups


class ArchiveStack(cdk.Stack):
    def __init__(self, scope: cdk.App, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.network = Network(
            self,
            "Net",
            cidr="172.20.0.0/20",
            availability_zones=["us-east-1a", "us-east-1b"],
            nat="none",
            public_mask=26,
            private_mask=26,
            isolated_mask=26,
        )
        TierSecurityGroups(self, "Sgs", vpc=self.network.vpc, web_port=8080, db_port=5432)
        self.archive = TieredBucket(
            self,
            "Archive",
            transitions=[
                (s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, 0),
                (s3.StorageClass.DEEP_ARCHIVE, 180),
            ],
            object_lock_days=365,
        )
        cdk.CfnOutput(self, "ArchiveBucket", value=self.archive.bucket.bucket_name)


app = cdk.App()
ArchiveStack(app, "TeamArchive", env=cdk.Environment(region="us-east-1"))
apply_packs(app, ["NIST80053R5"])
app.synth()
