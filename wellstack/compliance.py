"""Which compliance packs run at synth, and the one way wellstack acknowledges a finding.

AwsSolutions and AwsConstraints (AWS's own constraints: what CloudFormation accepts and the
service refuses or silently drops, :mod:`wellstack.analysis.constraints`) always run.
``-c packs=NIST80053R5,HIPAA,PCI,ControlTower`` (or ``"packs"`` in cdk.json) adds cdk-nag's
other packs and AWS Control Tower's proactive controls. The packs are CDK policy-validation
plugins: any finding that is neither fixed nor acknowledged makes ``app.synth()`` raise and
``cdk synth`` exit 1.

CDK's own template validation (the resource schemas) runs as one ``CloudFormationValidatePlugin``
that wellstack registers itself: without the default rule (it checks only GameLift fleets, and
compiling it costs about 0.45 s a synth), and with the Control Tower rules when that pack is on —
one validation engine for both. On an app from :func:`wellstack.app.new_app` it runs in a
process of its own, started with the app (:mod:`wellstack._template_validator`).
"""

from __future__ import annotations

import tarfile
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import aws_cdk as cdk
import cdk_nag
from constructs import IConstruct

from wellstack._constraints_plugin import AwsConstraintsPlugin
from wellstack._template_validator import in_kernel_validator, parallel_validator
from wellstack.analysis.constraints import PACK
from wellstack.errors import WellstackError

#: cdk-nag packs by the name ``packs`` takes.
NAG_PACKS: dict[str, type[cdk_nag.NagPack]] = {
    "AwsSolutions": cdk_nag.AwsSolutionsChecks,
    "NIST80053R5": cdk_nag.NIST80053R5Checks,
    "HIPAA": cdk_nag.HIPAASecurityChecks,
    "PCI": cdk_nag.PCIDSS321Checks,
    "Serverless": cdk_nag.ServerlessChecks,
}
#: AWS Control Tower's proactive controls (CT.*.PR.*), as cfn-guard rules.
CONTROL_TOWER_PACK = "ControlTower"
#: AWS's own constraints (:mod:`wellstack.analysis.constraints`); acknowledge a finding as
#: ``AWS_CONSTRAINTS + "::SNS1"``.
AWS_CONSTRAINTS = PACK
#: The packs that run on every app.
ALWAYS = ("AwsSolutions", AWS_CONSTRAINTS)
#: Prefix of a Control Tower control's finding id (its cfn-guard rule's name), e.g.
#: ``CONTROL_TOWER + "s3_bucket_logging_enabled_check"`` for CT.S3.PR.2. The rules run inside
#: CDK's CloudFormation validation, so their findings carry its namespace.
CONTROL_TOWER = "CloudFormation-Validate::"
#: Prefix of a checkov check (``CHECKOV + "CKV_AWS_18"``): acknowledged in the resource's
#: template Metadata, the way checkov reads it (``checkov: skip: [{id, comment}]``).
CHECKOV = "checkov::"


def pack_names() -> tuple[str, ...]:
    return (*NAG_PACKS, AWS_CONSTRAINTS, CONTROL_TOWER_PACK)


def resolve_packs(requested: Iterable[str]) -> tuple[str, ...]:
    """AwsSolutions and AwsConstraints first, then the requested extra packs; unknown names are
    an error."""
    names: list[str] = list(ALWAYS)
    for name in requested:
        if name not in pack_names():
            raise WellstackError(
                "", [f"packs: unknown pack {name!r}; allowed: {', '.join(pack_names())}"]
            )
        if name not in names:
            names.append(name)
    return tuple(names)


def apply_packs(app: cdk.App, packs: Iterable[str]) -> tuple[str, ...]:
    """Register the packs on the app as validation plugins; return their names. Call it before
    adding stacks: on an app from :func:`wellstack.app.new_app` the template validator then
    starts its engine while they are built."""
    names = resolve_packs(packs)
    plugins: list[cdk.IPolicyValidationPlugin] = []
    nag = [name for name in names if name in NAG_PACKS]
    for index, name in enumerate(nag):
        # The first pack also copies every acknowledgment into its resource's template
        # Metadata (cdk_nag.rules_to_suppress): the audit trail `wellstack acks` reads.
        pack = NAG_PACKS[name](app, write_suppressions_to_cloud_formation=index == 0 or None)
        plugins.append(pack)  # pyright: ignore[reportArgumentType]  # a NagPack is the plugin
    plugins.append(AwsConstraintsPlugin())  # pyright: ignore[reportArgumentType]  # a jsii.implements class
    guard_rules = control_tower_rule_texts() if CONTROL_TOWER_PACK in names else ()
    parallel = parallel_validator(app)
    if parallel is not None:
        parallel.use_guard_rules(guard_rules)
    else:
        plugins.append(in_kernel_validator(guard_rules))
    cdk.Validations.of(app).add_plugins(*plugins)
    return names


@cache
def control_tower_rule_texts() -> tuple[tuple[str, str], ...]:
    """The Control Tower proactive controls that ``cdklabs-cdk-validator-cfnguard`` ships (its
    jsii tarball holds ``rules/control-tower/cfn-guard/**/*.guard``; the ``controltower``
    extra), as (file name, rule text). They run in CDK's validation engine: a finding fails the
    synth when cdk.json sets ``@aws-cdk/core:validateAgainstDefaultRules`` (CDK reports them as
    warnings otherwise). Measured: the package's own plugin reports every Control Tower finding
    as a success, so it would never stop a synth."""
    try:
        import cdklabs.cdk_validator_cfnguard as package
    except ImportError:
        raise WellstackError(
            "",
            [
                "packs: ControlTower needs the PyPI package cdklabs-cdk-validator-cfnguard "
                "(pip install 'wellstack[controltower]')"
            ],
        ) from None
    (tarball,) = (Path(package.__file__).parent / "_jsii").glob("*.jsii.tgz")
    rules = []
    with tarfile.open(tarball) as archive:
        for member in sorted(archive.getmembers(), key=lambda m: m.name):
            if "/rules/control-tower/cfn-guard/" in member.name and member.name.endswith(".guard"):
                content = archive.extractfile(member)
                if content is not None:
                    rules.append((Path(member.name).name, content.read().decode()))
    if not rules:
        raise WellstackError("", [f"no Control Tower rules found in {tarball}"])
    return tuple(rules)


def acknowledge(construct: IConstruct, reasons: dict[str, str]) -> None:
    """Acknowledge findings on the one construct that owns the decision.

    ``reasons`` maps a finding id to a reason a reviewer can check: a cdk-nag rule
    (``"AwsSolutions-EC23"``, ``"AwsSolutions-IAM4[Policy::...]"``) or a Control Tower control
    (``CONTROL_TOWER + rule``) — both through CDK's ``Validations.of(construct).acknowledge`` —
    or a checkov check (``CHECKOV + "CKV_AWS_18"``), written into the construct's resource
    Metadata where checkov reads it.
    """
    validations, checkov = {}, {}
    for rule, reason in reasons.items():
        if rule.startswith(CHECKOV):
            checkov[rule.removeprefix(CHECKOV)] = reason
        else:
            validations[rule] = reason
    if checkov:
        _skip_checkov(construct, checkov)
    if validations:
        cdk.Validations.of(construct).acknowledge(
            *(cdk.Acknowledgment(id=rule, reason=reason) for rule, reason in validations.items())
        )


def same_reason(reason: str, *rules: str) -> dict[str, str]:
    """One decision, several tools' ids: ``same_reason(why, "AwsSolutions-S1", CHECKOV +
    "CKV_AWS_18")``."""
    return dict.fromkeys(rules, reason)


def _skip_checkov(construct: IConstruct, checks: dict[str, str]) -> None:
    """Write ``checks`` (id → reason) into the resource's ``Metadata.checkov.skip``, keeping
    what is there (one read and one write per call: each is a round trip to the kernel)."""
    resource = construct if isinstance(construct, cdk.CfnResource) else construct.node.default_child
    if not isinstance(resource, cdk.CfnResource):
        raise WellstackError(
            construct.node.path,
            [f"checkov skips go on a CloudFormation resource ({', '.join(checks)})"],
        )
    existing = resource.get_metadata("checkov") or {}
    skips = [s for s in existing.get("skip", []) if s.get("id") not in checks]
    added = [{"id": check, "comment": reason} for check, reason in checks.items()]
    resource.add_metadata("checkov", {**existing, "skip": [*skips, *added]})
