"""Grants that pass cdk-nag: explicit actions (no ``s3:Get*``), in a managed policy attached to the
grantee's role (not an inline policy), created in the role's own stack (so a grant never makes
the data stack depend on the app stack)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_iam as iam
from constructs import Construct, IConstruct, IValidation

from wellstack.compliance import acknowledge
from wellstack.constructs import _cache as cached
from wellstack.constructs.checks import implements
from wellstack.errors import WellstackError


def grant(
    owner: IConstruct,
    grantee: iam.IGrantable,
    *,
    purpose: str,
    statements: Sequence[iam.PolicyStatement],
    reasons: Mapping[str, str] | None = None,
    late_reasons: Mapping[str, tuple[Any, str]] | None = None,
) -> iam.ManagedPolicy | None:
    """Attach ``statements`` to ``grantee``: as a managed policy ``{owner}{purpose}`` in the
    role's stack when the grantee is a role (returned), else through its principal policy.
    ``reasons`` acknowledges findings the statements cannot avoid, on that policy;
    ``late_reasons`` maps a finding template (``"AwsSolutions-IAM5[Resource::{}]"``) to the
    resource token it names and the reason: the finding's text is only known once CDK has
    resolved cross-stack references, so it is acknowledged then (see :class:`_LateAcknowledgment`).
    """
    if not implements(grantee, iam.IGrantable):
        raise WellstackError(
            cached.path(owner),
            [f"grantee must be an iam.IGrantable (a role, a user, an AppTier's role ...), "
             f"got {grantee!r}"],
        )  # fmt: skip
    principal = grantee.grant_principal
    if not implements(principal, iam.IRole) or not isinstance(principal, Construct):
        for statement in statements:
            principal.add_to_principal_policy(statement)
        return None
    stack = cached.stack_of(principal)
    policy_id = f"{cdk.Names.unique_id(owner)}{purpose}"
    existing = cached.node(stack).try_find_child(policy_id)
    if isinstance(existing, iam.ManagedPolicy):
        existing.add_statements(*statements)
        return existing
    policy = iam.ManagedPolicy(
        stack,
        policy_id,
        description=f"{purpose} of {cached.path(owner)}",
        statements=list(statements),
        roles=[principal],  # pyright: ignore[reportArgumentType]  # an IRole, checked above
    )
    if reasons:
        acknowledge(policy, dict(reasons))
    for template, (token, reason) in (late_reasons or {}).items():
        cached.node(policy).add_validation(_LateAcknowledgment(policy, template, token, reason))
    return policy


def nag_text(value: Any) -> str:
    """How cdk-nag writes a resolved resource in a finding id: a Ref as ``<Id>``, a GetAtt as
    ``<Id.Attr>``, a Join as its parts in a row, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref" and isinstance(arg, str):
            return f"<{arg}>"
        if key == "Fn::GetAtt" and isinstance(arg, list):
            return f"<{'.'.join(map(str, arg))}>"
        if key == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
            return str(arg[0]).join(nag_text(part) for part in arg[1])
    return json.dumps(value, separators=(",", ":"))


@jsii.implements(IValidation)
class _LateAcknowledgment:
    """Acknowledges a finding whose text depends on how CDK resolves a cross-stack reference
    (``{"Fn::GetStackOutput": ...}`` or ``Fn::ImportValue``): it runs as a construct validation,
    after references are resolved and before the validation plugins (cdk-nag) read the
    acknowledgments."""

    def __init__(self, policy: Construct, template: str, token: Any, reason: str) -> None:
        self._policy = policy
        self._template = template
        self._token = token
        self._reason = reason

    def validate(self) -> list[str]:
        resolved = cached.stack_of(self._policy).resolve(self._token)
        finding = self._template.format(nag_text(resolved))
        acknowledge(self._policy, {finding: self._reason})
        # cdk-nag copied the other acknowledgments into the template's Metadata before this ran
        # (the audit trail `wellstack acks` reads): add this one the same way.
        resource = cached.default_child(self._policy)
        if isinstance(resource, cdk.CfnResource):
            existing = resource.get_metadata("cdk_nag") or {}
            rules = [
                *existing.get("rules_to_suppress", []),
                {"id": finding, "reason": self._reason},
            ]
            resource.add_metadata("cdk_nag", {**existing, "rules_to_suppress": rules})
        return []
