"""The baseline and subject of the "apps in one process" benchmark: APPS small apps (a TieredBucket
under AwsSolutions each) built and synthesized one after the other in one Python process, with
``wellstack.app.new_app`` or with ``cdk.App`` (CDK's validator in the kernel).

    python benchmarks/many_apps.py new|cdk APPS OUTDIR
"""

import sys

import aws_cdk as cdk

from wellstack.app import new_app
from wellstack.compliance import apply_packs
from wellstack.constructs import TieredBucket

kind, count, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for index in range(count):
    outdir = f"{out}/{index}"
    app = new_app(outdir=outdir) if kind == "new" else cdk.App(outdir=outdir)
    apply_packs(app, [])
    stack = cdk.Stack(app, "Store", env=cdk.Environment(region="ap-northeast-2"))
    TieredBucket(stack, "Bucket")
    app.synth()
