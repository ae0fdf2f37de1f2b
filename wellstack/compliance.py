"""Which compliance packs run at synth, and the one way wellstack acknowledges a finding.

AwsSolutions always runs. ``-c packs=NIST80053R5,HIPAA,PCI`` (or ``"packs"`` in cdk.json) adds
cdk-nag's other packs. The packs are CDK policy-validation plugins: any finding that is neither
fixed nor acknowledged makes ``app.synth()`` raise and ``cdk synth`` exit 1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import aws_cdk as cdk
import cdk_nag
from constructs import IConstruct

from wellstack.errors import WellstackError

#: cdk-nag packs by the name ``packs`` takes.
NAG_PACKS: dict[str, type[cdk_nag.NagPack]] = {
    "AwsSolutions": cdk_nag.AwsSolutionsChecks,
    "NIST80053R5": cdk_nag.NIST80053R5Checks,
    "HIPAA": cdk_nag.HIPAASecurityChecks,
    "PCI": cdk_nag.PCIDSS321Checks,
    "Serverless": cdk_nag.ServerlessChecks,
}
#: Packs that are not cdk-nag's: name -> a factory of the validation plugin.
OTHER_PACKS: dict[str, Callable[[], cdk.IPolicyValidationPlugin]] = {}
ALWAYS = "AwsSolutions"


def pack_names() -> tuple[str, ...]:
    return (*NAG_PACKS, *OTHER_PACKS)


def resolve_packs(requested: Iterable[str]) -> tuple[str, ...]:
    """AwsSolutions first, then the requested extra packs; unknown names are an error."""
    names = [ALWAYS]
    for name in requested:
        if name not in NAG_PACKS and name not in OTHER_PACKS:
            raise WellstackError(
                "", [f"packs: unknown pack {name!r}; allowed: {', '.join(pack_names())}"]
            )
        if name not in names:
            names.append(name)
    return tuple(names)


def apply_packs(app: cdk.App, packs: Iterable[str]) -> tuple[str, ...]:
    """Register the packs on the app as validation plugins; return their names."""
    names = resolve_packs(packs)
    plugins: list[cdk.IPolicyValidationPlugin] = []
    for index, name in enumerate(names):
        if name in OTHER_PACKS:
            plugins.append(OTHER_PACKS[name]())
            continue
        # The first pack also copies every acknowledgment into its resource's template
        # Metadata (cdk_nag.rules_to_suppress): the audit trail `wellstack acks` reads.
        pack = NAG_PACKS[name](app, write_suppressions_to_cloud_formation=index == 0 or None)
        plugins.append(pack)  # pyright: ignore[reportArgumentType]  # a NagPack is the plugin
    cdk.Validations.of(app).add_plugins(*plugins)
    return names


def acknowledge(construct: IConstruct, reasons: dict[str, str]) -> None:
    """Acknowledge findings on the one construct that owns the decision.

    ``reasons`` maps a rule id (``"AwsSolutions-EC23"``, or a finding such as
    ``"AwsSolutions-IAM4[Policy::...]"``) to a reason a reviewer can check.
    """
    cdk.Validations.of(construct).acknowledge(
        *(cdk.Acknowledgment(id=rule, reason=reason) for rule, reason in reasons.items())
    )
