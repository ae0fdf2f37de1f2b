#!/usr/bin/env python3
"""The wellstack CDK app: environments from cdk.json -> stacks -> cdk-nag packs."""

import aws_cdk as cdk

from wellstack.app import build

app = cdk.App()
build(app)
app.synth()
