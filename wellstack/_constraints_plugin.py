"""The AWS-constraints rule pack (:mod:`wellstack.analysis.constraints`) as a CDK
policy-validation plugin: it runs at synth on every template, next to cdk-nag, and a violation
fails the synth. CDK applies acknowledgments (``AwsConstraints::<rule>`` on a construct) to its
report as to every plugin's: the plugin's name is the acknowledgment namespace."""

from __future__ import annotations

import json
from dataclasses import replace
from importlib import metadata
from pathlib import Path

import aws_cdk as cdk
import jsii
from aws_cdk import aws_ec2 as ec2
from constructs import IConstruct

from wellstack.analysis.constraints import (
    PACK,
    Violation,
    all_rules,
    evaluate,
    split_acknowledged,
)
from wellstack.analysis.constraints.synthesis import AZ_PROVIDER
from wellstack.analysis.template import Assembly
from wellstack.catalog import az_context_key


@jsii.implements(cdk.IPolicyValidationPlugin)
class AwsConstraintsPlugin:
    """AWS's own constraints, checked on the synthesized templates (see
    :mod:`wellstack.analysis.constraints`)."""

    @property
    def name(self) -> str:
        return PACK

    @property
    def version(self) -> str | None:
        try:
            return metadata.version("wellstack")
        except metadata.PackageNotFoundError:  # pragma: no cover - a source checkout
            return None

    @property
    def rule_ids(self) -> list[str] | None:
        return list(all_rules())

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        templates, regions, accounts, files = {}, {}, {}, {}
        for entry in context.stack_templates:
            name = entry.stack_construct_path
            templates[name] = json.loads(Path(entry.template_path).read_text())
            regions[name] = entry.region or "unknown-region"
            accounts[name] = entry.account_id or "unknown-account"
            files[name] = entry.template_path
        assembly = Assembly.from_templates(templates, regions, accounts)
        assembly.missing = _az_lookups(context.app_construct, accounts, regions)
        found = evaluate(assembly)
        return cdk.PolicyValidationPluginReport(
            success=not found,
            violations=[_violation(v, files[v.stack]) for v in found],
        )


def _violation(found: Violation, template_path: str) -> cdk.PolicyViolation:
    rule = all_rules()[found.rule]
    return cdk.PolicyViolation(
        rule_name=found.rule,
        description=f"{rule.title}: {found.message} ({rule.outcome} by AWS; {rule.source})",
        fix=found.fix or None,
        severity="error",
        rule_metadata={"source": rule.url, "outcome": rule.outcome},
        violating_resources=[
            cdk.PolicyViolatingResource(
                resource_logical_id=found.logical_id,
                template_path=template_path,
                locations=[found.location] if found.location else [],
            )
        ],
    )


def _az_lookups(
    root: IConstruct, accounts: dict[str, str], regions: dict[str, str]
) -> list[dict[str, object]]:
    """The availability-zone lookups the app's stacks made and were not given: every
    ``ec2.Vpc`` reads its stack's AZs, which a stack with a concrete account and region looks up
    in the account unless the context holds them. (The assembly's ``missing`` list is written
    only after the plugins run.)"""
    missing = []
    for stack_path, account in accounts.items():
        region = regions[stack_path]
        if account.startswith("unknown") or region.startswith("unknown"):
            continue
        stack = _find(root, stack_path)
        if stack is None or cdk.Token.is_unresolved(account):
            continue
        key = az_context_key(account, region)
        own_vpc = any(
            isinstance(child, ec2.Vpc) and cdk.Stack.of(child).node.path == stack.node.path
            for child in stack.node.find_all()
        )  # not a VPC of a stage or stack nested under this one
        if own_vpc and stack.node.try_get_context(key) is None:
            missing.append(
                {
                    "key": key,
                    "provider": AZ_PROVIDER,
                    "props": {"account": account, "region": region},
                    "stack": stack_path,
                }
            )
    return missing


def _find(root: IConstruct, path: str) -> IConstruct | None:
    node: IConstruct | None = root
    for part in path.split("/"):
        if node is None:
            return None
        node = node.node.try_find_child(part)
    return node


def stack_violations(stack: cdk.Stack, template: dict[str, object]) -> list[str]:
    """The AwsConstraints violations of one stack's template (as ``Template.from_stack`` gives
    it), less those acknowledged on their construct: for checking a stack outside a synth."""
    name = stack.node.path
    unknown = cdk.Token.is_unresolved
    region = "unknown-region" if unknown(stack.region) else stack.region
    account = "unknown-account" if unknown(stack.account) else stack.account
    assembly = Assembly.from_templates({name: template}, {name: region}, {name: account})
    found = evaluate(assembly)
    if not found:
        return []
    paths: dict[str, str] = {}
    acknowledged: dict[str, dict[str, str]] = {}
    for child in stack.node.find_all():
        if isinstance(child, cdk.CfnResource) and cdk.Stack.of(child) is stack:
            paths[stack.resolve(child.logical_id)] = child.node.path
        for entry in child.node.metadata:
            if entry.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY and entry.data:
                for rule, reason in dict(entry.data).items():
                    acknowledged.setdefault(rule, {})[child.node.path] = str(reason)
    located = [replace(v, path=paths.get(v.logical_id, v.path)) for v in found]
    open_, _ = split_acknowledged(located, acknowledged)
    return [f"{v.qualified_rule} {v.logical_id}: {v.message}" for v in open_]
