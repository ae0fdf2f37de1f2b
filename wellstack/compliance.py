"""Which cdk-nag packs run, and the one way wellstack acknowledges a finding.

AwsSolutions always runs. ``-c packs=NIST80053R5,HIPAA,PCI`` (or ``"packs"`` in cdk.json) adds
cdk-nag's other packs. cdk-nag v3 registers packs as policy-validation plugins: any finding that
is neither fixed nor acknowledged makes ``app.synth()`` raise and ``cdk synth`` exit 1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import aws_cdk as cdk
import cdk_nag
from constructs import IConstruct

PACKS: dict[str, Callable[[cdk.App], cdk.IPolicyValidationPlugin]] = {
    "AwsSolutions": cdk_nag.AwsSolutionsChecks,
    "NIST80053R5": cdk_nag.NIST80053R5Checks,
    "HIPAA": cdk_nag.HIPAASecurityChecks,
    "PCI": cdk_nag.PCIDSS321Checks,
    "Serverless": cdk_nag.ServerlessChecks,
}
ALWAYS = "AwsSolutions"


def resolve_packs(requested: Iterable[str]) -> tuple[str, ...]:
    """AwsSolutions first, then the requested extra packs; unknown names are a ``ValueError``."""
    names = [ALWAYS]
    for name in requested:
        if name not in PACKS:
            raise ValueError(f"packs: unknown cdk-nag pack {name!r}; allowed: {', '.join(PACKS)}")
        if name not in names:
            names.append(name)
    return tuple(names)


def apply_packs(app: cdk.App, packs: Iterable[str]) -> tuple[str, ...]:
    """Register the packs on the app as validation plugins; return their names."""
    names = resolve_packs(packs)
    plugins = [
        # The first pack also copies every acknowledgment into its resource's template
        # Metadata (cdk_nag.rules_to_suppress): the audit trail that `acknowledgments` reads.
        PACKS[name](app, write_suppressions_to_cloud_formation=True)
        if index == 0
        else PACKS[name](app)
        for index, name in enumerate(names)
    ]
    cdk.Validations.of(app).add_plugins(*plugins)
    return names


def acknowledge(construct: IConstruct, reasons: dict[str, str]) -> None:
    """Acknowledge cdk-nag findings on the one construct that owns the decision.

    ``reasons`` maps a rule id (``"AwsSolutions-EC23"``, or a finding such as
    ``"AwsSolutions-IAM4[Policy::...]"``) to a reason a reviewer can check.
    """
    cdk.Validations.of(construct).acknowledge(
        *(cdk.Acknowledgment(id=rule, reason=reason) for rule, reason in reasons.items())
    )
