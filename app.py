#!/usr/bin/env python3
"""The wellstack CDK app: environments from cdk.json -> cdk-nag packs -> stacks."""

import os

# Node's compile cache is for the CDK CLI (make sets it). jsii's kernel loads aws-cdk-lib through
# a new temporary folder on every run, so there the cache would only miss, write and grow.
os.environ.pop("NODE_COMPILE_CACHE", None)

from wellstack.app import build, new_app

app = new_app()
build(app)
app.synth()
