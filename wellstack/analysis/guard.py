"""The data guard's analysis, offline: what a deploy of a new template over a deployed one would
delete or replace among the resources that hold data (or hold everything else, like a VPC).

A resource is **deleted** when its logical id disappears (a construct id was renamed), and
**replaced** when its type changes or a property CloudFormation cannot update in place changes
(the resource schema's ``createOnlyProperties``, e.g. an Aurora cluster's ``Engine`` or a
subnet's ``CidrBlock``). What that means for the data depends on the resource's
``DeletionPolicy``: RETAIN keeps the old resource but orphans it (CloudFormation no longer manages
it) while a new, empty one takes its place; SNAPSHOT deletes it after a final snapshot; anything
else deletes it with its data.

The schemas come from cfn-lint (the ``cli`` extra); pure Python otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from wellstack.analysis.template import Assembly

#: Resources whose deletion or replacement loses data, or (a VPC) everything inside.
STATEFUL_TYPES = (
    "AWS::RDS::DBCluster",
    "AWS::RDS::DBInstance",
    "AWS::RDS::GlobalCluster",
    "AWS::S3::Bucket",
    "AWS::EC2::VPC",
    "AWS::EC2::Subnet",
    "AWS::KMS::Key",
    "AWS::Logs::LogGroup",
    "AWS::Backup::BackupVault",
    "AWS::SecretsManager::Secret",
)
#: Replacement-forcing properties the registry schemas do not list as createOnly but the
#: CloudFormation reference documents as "Update requires: Replacement".
EXTRA_REPLACEMENT_PROPERTIES: dict[str, tuple[tuple[str, ...], ...]] = {
    "AWS::RDS::DBCluster": (("Engine",), ("MasterUsername",)),
    "AWS::RDS::DBInstance": (("Engine",),),
}
_WHAT = {
    "AWS::RDS::DBCluster": "database cluster",
    "AWS::RDS::DBInstance": "database instance",
    "AWS::RDS::GlobalCluster": "global database",
    "AWS::S3::Bucket": "bucket",
    "AWS::EC2::VPC": "VPC",
    "AWS::EC2::Subnet": "subnet",
    "AWS::KMS::Key": "KMS key",
    "AWS::Logs::LogGroup": "log group",
    "AWS::Backup::BackupVault": "backup vault",
    "AWS::SecretsManager::Secret": "secret",
}


@dataclass(frozen=True)
class GuardFinding:
    stack: str
    logical_id: str
    resource_type: str
    action: str  # "delete" | "replace"
    reason: str
    consequence: str = ""
    #: The deployed resource's name or id (vpc-..., a bucket name), when the guard read it.
    physical_id: str = ""

    def __str__(self) -> str:
        name = f" {self.physical_id}" if self.physical_id else ""
        text = (
            f"{self.stack}/{self.logical_id} ({self.resource_type}{name}) would be "
            f"{self.action}d: {self.reason}"
        )
        return f"{text}; {self.consequence}" if self.consequence else text

    def as_dict(self) -> dict[str, str]:
        return {
            "stack": self.stack,
            "logical_id": self.logical_id,
            "type": self.resource_type,
            "action": self.action,
            "reason": self.reason,
            "consequence": self.consequence,
            "physical_id": self.physical_id,
        }


@cache
def create_only_properties(resource_type: str) -> tuple[tuple[str, ...], ...]:
    """Property paths whose change forces replacement, from the CloudFormation resource schema
    that cfn-lint ships (``createOnlyProperties``)."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema
    paths = tuple(
        tuple(path.removeprefix("/properties/").split("/"))
        for path in schema.get("createOnlyProperties", [])
    )
    return paths + EXTRA_REPLACEMENT_PROPERTIES.get(resource_type, ())


def _at(properties: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = properties
    for part in path:
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _consequence(resource: Mapping[str, Any], replaced_by_new: bool) -> str:
    what = _WHAT.get(str(resource.get("Type")), "resource")
    policy = resource.get("DeletionPolicy", "Delete")
    new = f" and a new, empty {what} is created in its place" if replaced_by_new else ""
    if policy in ("Retain", "RetainExceptOnCreate"):
        return (
            f"DeletionPolicy Retain keeps the old {what} but orphans it (CloudFormation no longer "
            f"manages it){new}"
        )
    if policy == "Snapshot":
        return f"the {what} is deleted after a final snapshot{new}; restoring it is manual"
    if what == "VPC":
        return "every subnet, route and instance in it is recreated"
    return f"the {what} is deleted with its data{new}"


def guard(
    stack: str, deployed: Mapping[str, Any] | None, new: Mapping[str, Any]
) -> list[GuardFinding]:
    """What a deploy of ``new`` over ``deployed`` would delete or replace of stateful resources."""
    if not deployed:
        return []
    old_resources = deployed.get("Resources", {}) or {}
    new_resources = new.get("Resources", {}) or {}
    new_types = {r.get("Type") for r in new_resources.values() if isinstance(r, Mapping)}
    findings = []
    for logical_id, old in sorted(old_resources.items()):
        old_type = old.get("Type")
        if old_type not in STATEFUL_TYPES:
            continue
        if logical_id not in new_resources:
            findings.append(
                GuardFinding(
                    stack,
                    logical_id,
                    old_type,
                    "delete",
                    "its logical id is gone from the new template (was a construct id renamed?)",
                    _consequence(old, replaced_by_new=old_type in new_types),
                )
            )
            continue
        current = new_resources[logical_id]
        if current.get("Type") != old_type:
            findings.append(
                GuardFinding(
                    stack,
                    logical_id,
                    old_type,
                    "replace",
                    f"type changes to {current.get('Type')}",
                    _consequence(old, False),
                )
            )
            continue
        old_props, new_props = old.get("Properties", {}) or {}, current.get("Properties", {}) or {}
        changed = [
            "/".join(path)
            for path in create_only_properties(old_type)
            if _at(old_props, path) != _at(new_props, path)
        ]
        if changed:
            before = json.dumps([_at(old_props, tuple(p.split("/"))) for p in changed])
            after = json.dumps([_at(new_props, tuple(p.split("/"))) for p in changed])
            findings.append(
                GuardFinding(
                    stack,
                    logical_id,
                    old_type,
                    "replace",
                    f"{', '.join(changed)} cannot change in place ({before} -> {after})",
                    _consequence(old, replaced_by_new=True),
                )
            )
    return findings


def guard_assemblies(deployed: Assembly, new: Assembly) -> list[GuardFinding]:
    """The guard over every stack of ``new`` that ``deployed`` also has (offline: two cloud
    assemblies, e.g. in ``wellstack diff``)."""
    findings = []
    for stack, template in sorted(new.templates.items()):
        findings += guard(stack, deployed.templates.get(stack), template)
    return findings


def retained_resources(cdk_out: str | Path | Assembly) -> list[tuple[str, str, str, str]]:
    """(stack, logical id, type, policy) of everything a ``cdk destroy`` leaves behind (of a
    cloud assembly folder, or of templates read back from a deployment)."""
    assembly = cdk_out if isinstance(cdk_out, Assembly) else Assembly.load(cdk_out)
    kept = []
    for resource in assembly.resources():
        if resource.deletion_policy in ("Retain", "Snapshot", "RetainExceptOnCreate"):
            kept.append((resource.stack, resource.logical_id, resource.type,
                         resource.deletion_policy))  # fmt: skip
    return kept


def explain_retained(cdk_out: str | Path | Assembly) -> str:
    """What a destroy keeps, resource by resource, and what stands in its way."""
    assembly = cdk_out if isinstance(cdk_out, Assembly) else Assembly.load(cdk_out)
    lines = ["What a destroy keeps (deleting the stacks never deletes data):"]
    for stack, logical_id, resource_type, policy in retained_resources(assembly):
        what = "final snapshot" if policy == "Snapshot" else "kept"
        lines.append(f"  {stack:<14} {resource_type:<28} {logical_id:<48} {what}")
    protected = [
        f"{r.stack}/{r.logical_id}"
        for r in assembly.resources("AWS::RDS::DBCluster", "AWS::RDS::DBInstance")
        if r.properties.get("DeletionProtection") is True
    ]
    if protected:
        lines.append(
            f"Deletion protection is on for {', '.join(protected)}: turn it off (a deploy with "
            "deletion_protection=False) before a destroy can remove them."
        )
    lines.append(
        "Retained buckets, keys and log groups must be emptied and deleted by hand if you really "
        "want them gone."
    )
    return "\n".join(lines)
