"""The emulator build: the default app's templates with only the changes moto's server forces,
applied from the sandbox's side to the built stacks (the library's stacks know nothing of it).
Each change is listed in :data:`EMULATOR_DIFFERENCES` (generated into the docs)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from aws_cdk import aws_kms as kms
from aws_cdk import aws_rds as rds

from wellstack.compliance import acknowledge
from wellstack.settings import EnvironmentSettings
from wellstack.stacks import NetworkStack, ThreeTierStacks
from wellstack.types import NatStrategy

_RESTRICT_SG = "RestrictDefaultSecurityGroupCustomResource"
_RESTRICT_SG_PROVIDER = "Custom::VpcRestrictDefaultSGCustomResourceProvider"


def emulator_settings(
    settings: EnvironmentSettings, hosted_zone_id: str | None = None
) -> EnvironmentSettings:
    """The environment as the emulator build deploys it: IPv4 only (moto models no IPv6 block),
    zonal NAT for regional (moto puts every NAT gateway in a subnet), the load balancer facing
    the internet itself (moto has no CloudFront in CloudFormation), the failover records in the
    sandbox's hosted zone (``hosted_zone_id``, see :func:`wellstack.emulator.sandbox.up`)."""

    def zonal(nat: NatStrategy) -> NatStrategy:
        return "single" if nat == "regional" else nat

    return replace(
        settings, ipv6=False, dns64=False, nat=zonal(settings.nat), dr_nat=zonal(settings.dr_nat),
        edge="alb",
        dr_hosted_zone_id=hosted_zone_id or settings.dr_hosted_zone_id,
    )  # fmt: skip


def adapt(built: Mapping[str, ThreeTierStacks]) -> None:
    """Apply :data:`EMULATOR_DIFFERENCES` to the stacks ``wellstack.app.build`` returned."""
    for stacks in built.values():
        _keep_default_security_group(stacks)
        _untag_keys(stacks)
        _pin_instance_versions(stacks)
        if stacks.app.database_access is not None:
            stacks.app.node.try_remove_child(stacks.app.database_access.node.id)
        if stacks.dr_app is not None:  # attributes of a cluster moto does not model
            for output in ("DatabaseEndpoint", "ReaderEndpoint"):
                stacks.dr_app.node.try_remove_child(output)


def _keep_default_security_group(stacks: ThreeTierStacks) -> None:
    for network in (stacks.network, stacks.dr_network):
        if network is not None:
            _keep_default_group(network)


def _keep_default_group(network: NetworkStack) -> None:
    vpc = network.network.vpc
    vpc.node.try_remove_child(_RESTRICT_SG)
    network.node.try_remove_child(_RESTRICT_SG_PROVIDER)
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
    if stacks.dr_data is not None:
        for instance in stacks.dr_data.database.instances:
            instance.add_property_override("EngineVersion", version)
