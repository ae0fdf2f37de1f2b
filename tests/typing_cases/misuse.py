"""Type-checked by tests/test_typing.py, never run: each line marked with an expect comment
misuses the public API in a way a type checker must catch before anything runs."""

import aws_cdk as cdk

from wellstack.constructs import AppTier, AuroraCluster, Network, TieredBucket
from wellstack.settings import parse_environment
from wellstack.stacks import ThreeTierStage

app = cdk.App()
stack = cdk.Stack(app, "Typing")
net = Network(stack, "Net", nat="double")  # expect: nat
db = AuroraCluster(stack, "Db", vpc=net.vpc, engine="oracle")  # expect: engine
TieredBucket(stack, "B", object_lock_mode="forever")  # expect: object_lock_mode
AppTier(stack, "Web", vpc=net.vpc, architecture="sparc")  # expect: architecture
settings = parse_environment("dev", {})
ThreeTierStage(app, "Dev", settings=settings, envv=1)  # expect: envv
db.secret.grant_read(None)  # expect: grant_read's grantee (the secret itself is never Optional)
