#!/usr/bin/env python3
"""The wellstack CDK app: environments from cdk.json -> cdk-nag packs -> stacks."""

from wellstack.app import build, new_app

app = new_app()
build(app)
app.synth()
