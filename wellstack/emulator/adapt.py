"""The emulator build: the default app's templates with only the changes moto's server forces,
applied from the sandbox's side to the built stacks (the library's stacks know nothing of it).
Each change is listed in :data:`EMULATOR_DIFFERENCES` (generated into the docs)."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import aws_kms as kms
from aws_cdk import aws_rds as rds

from wellstack.compliance import acknowledge
from wellstack.stacks import ThreeTierStacks

#: What the local emulator (moto's server) forces to differ from a real deploy, and why.
EMULATOR_DIFFERENCES = (
    "The VPC's default security group keeps AWS's default rules: stripping them needs CDK's "
    "Lambda-backed custom resource, and the emulator cannot run Lambda functions (no Docker).",
    "KMS keys carry no tags: moto 5.2.5 fails on a tagged AWS::KMS::Key in a template "
    "(KeyError 'TagKey').",
    "Aurora instances state the cluster's EngineVersion: moto 5.2.5 has no default version "
    "for Aurora engines (KeyError 'aurora-mysql'); real Aurora takes it from the cluster.",
    "The app role gets no policy for the database secret: moto does not model Aurora "
    "clusters, so the secret's ARN (an attribute of the cluster) cannot be exported.",
    "Cross-stack references are CloudFormation exports (Fn::ImportValue) instead of "
    "Fn::GetStackOutput, which moto does not resolve "
    "(-c @aws-cdk/core:defaultCrossStackReferences=strong).",
    "Stacks are deployed with `cdk deploy --method=direct --no-previous-parameters`: moto drops "
    "a stack's outputs when it is created through a change set, and its update_stack fails "
    "(KeyError 'BootstrapVersion') when the CLI reuses a previous parameter value. The direct "
    "method cannot pass `--import-existing-resources`, which a real deploy uses to adopt the "
    "log groups an earlier destroy kept; a moto fix adopts them instead.",
)
#: Context the emulator build adds on the CDK CLI's command line.
EMULATOR_CONTEXT = ("-c", "@aws-cdk/core:defaultCrossStackReferences=strong")
_RESTRICT_SG = "RestrictDefaultSecurityGroupCustomResource"
_RESTRICT_SG_PROVIDER = "Custom::VpcRestrictDefaultSGCustomResourceProvider"


def adapt(built: Mapping[str, ThreeTierStacks]) -> None:
    """Apply :data:`EMULATOR_DIFFERENCES` to the stacks ``wellstack.app.build`` returned."""
    for stacks in built.values():
        _keep_default_security_group(stacks)
        _untag_keys(stacks)
        _pin_instance_versions(stacks)
        if stacks.app.database_access is not None:
            stacks.app.node.try_remove_child(stacks.app.database_access.node.id)


def _keep_default_security_group(stacks: ThreeTierStacks) -> None:
    vpc = stacks.network.network.vpc
    vpc.node.try_remove_child(_RESTRICT_SG)
    stacks.network.node.try_remove_child(_RESTRICT_SG_PROVIDER)
    acknowledge(
        vpc,
        {
            "NIST.800.53.R5-VPCDefaultSecurityGroupClosed": (
                "Emulator build only (make sandbox): moto cannot run the Lambda that strips the "
                "default group's rules; no wellstack resource uses the default group"
            )
        },
    )


def _untag_keys(stacks: ThreeTierStacks) -> None:
    for stack in stacks.stacks:
        for child in stack.node.find_all():
            if isinstance(child, kms.CfnKey):
                child.add_property_deletion_override("Tags")


def _pin_instance_versions(stacks: ThreeTierStacks) -> None:
    cluster = stacks.data.database.cluster
    version = (
        cluster.engine.engine_version.full_version
        if cluster.engine and cluster.engine.engine_version
        else None
    )
    if version is None:
        return
    for child in cluster.node.find_all():
        if isinstance(child, rds.CfnDBInstance):
            child.add_property_override("EngineVersion", version)
