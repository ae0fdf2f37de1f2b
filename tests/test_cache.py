"""What wellstack remembers of the construct tree to save round trips to the jsii kernel
(``wellstack/constructs/_cache.py``) must be what the kernel would answer: every path, stack,
node and default child it holds is compared here with CDK's own, for constructs in a Stage, in
a Stack's plain child construct and directly in a Stack."""

from __future__ import annotations

from collections.abc import Callable

import aws_cdk as cdk
from constructs import Construct

from wellstack.constructs import (
    AppTier,
    AuroraCluster,
    Network,
    TieredBucket,
    TierSecurityGroups,
    _cache,
)

AZS = ["ap-northeast-2a", "ap-northeast-2c"]


def test_what_the_cache_holds_is_what_cdk_answers():
    app = cdk.App()
    stage = cdk.Stage(app, "Tenant")
    env = cdk.Environment(account="111111111111", region="ap-northeast-2")
    stack = cdk.Stack(stage, "Stack", env=env)
    group = Construct(stack, "Group")
    net = Network(stack, "Net", availability_zones=AZS)
    sgs = TierSecurityGroups(group, "Sgs", vpc=net.vpc)
    AuroraCluster(group, "Db", vpc=net.vpc, security_group=sgs.database)
    TieredBucket(stack, "Assets")
    AppTier(group, "Web", vpc=net.vpc, security_groups=sgs)
    by_ref = {_cache._ref(c): c for c in app.node.find_all()}
    checked = 0
    for ref, path in _cache._paths.items():
        if ref in by_ref:
            assert path == by_ref[ref].node.path
            checked += 1
    for ref, owner in _cache._stacks.items():
        if ref in by_ref:
            assert _cache._ref(owner) == _cache._ref(cdk.Stack.of(by_ref[ref]))
            checked += 1
    for ref, child in _cache._default_children.items():
        if ref in by_ref:
            assert _cache._ref(child) == _cache._ref(by_ref[ref].node.default_child)
            checked += 1
    for ref, (account, region) in _cache._envs.items():
        if ref in by_ref:
            assert (account, region) == (env.account, env.region)
            checked += 1
    assert checked > 20, "the cache held almost nothing of this tree"
    assert _cache.path(sgs) == "Tenant/Stack/Group/Sgs"


def test_a_shared_principal_resolves_in_each_stack_as_a_new_one_would():
    """One ``ServicePrincipal`` per name serves every statement and role: CDK resolves it for
    each stack's region and partition at synthesis, so stacks in a commercial and a China region
    get what principals made for each of them would give."""
    from aws_cdk import aws_iam as iam

    def templates(principal: Callable[[str], iam.ServicePrincipal]) -> list[object]:
        app = cdk.App()
        stacks = []
        for region in ("ap-northeast-2", "cn-north-1"):
            stack = cdk.Stack(app, region.replace("-", ""), env=cdk.Environment(region=region))
            iam.Role(stack, "Role", assumed_by=principal("ec2.amazonaws.com"))  # pyright: ignore[reportArgumentType]
            document = iam.PolicyDocument(statements=[iam.PolicyStatement(
                actions=["sns:Publish"], resources=["*"],
                principals=[principal("cloudwatch.amazonaws.com"), _cache.any_principal()],  # pyright: ignore[reportArgumentType]
            )])  # fmt: skip
            cdk.CfnOutput(stack, "Policy", value=stack.to_json_string(document))
            stacks.append(stack)
        return [cdk.assertions.Template.from_stack(stack).to_json() for stack in stacks]

    shared = templates(_cache.service_principal)
    assert _cache.service_principal("ec2.amazonaws.com") is _cache.service_principal(
        "ec2.amazonaws.com"
    )
    assert shared == templates(iam.ServicePrincipal)
