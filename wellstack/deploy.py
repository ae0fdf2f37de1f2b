"""Deploying wellstack: preflight checks, the data guard, and what a destroy keeps.

Used by ``make bootstrap`` / ``make deploy`` / ``make destroy`` (real accounts) and by
:mod:`wellstack.sandbox` (the local emulator). Needs the dev extra (boto3, cfn-lint).

The **data guard** compares each stack's deployed template with the new one and refuses when a
stateful resource (database cluster or instance, bucket, subnet, KMS key, log group, backup
vault) would be deleted or replaced: deleted when its logical id disappears (a construct id was
renamed), replaced when its type changes or a property CloudFormation cannot update in place
changes (the resource schema's ``createOnlyProperties``, e.g. an Aurora cluster's ``Engine`` or a
subnet's ``CidrBlock``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from wellstack.assembly import load_app

ROOT = Path.cwd()
STATEFUL_TYPES = (
    "AWS::RDS::DBCluster",
    "AWS::RDS::DBInstance",
    "AWS::S3::Bucket",
    "AWS::EC2::Subnet",
    "AWS::KMS::Key",
    "AWS::Logs::LogGroup",
    "AWS::Backup::BackupVault",
    "AWS::SecretsManager::Secret",
)
BOOTSTRAP_VERSION_PARAMETER = "/cdk-bootstrap/hnb659fds/version"
#: Replacement-forcing properties the registry schemas do not list as createOnly but the
#: CloudFormation reference documents as "Update requires: Replacement".
EXTRA_REPLACEMENT_PROPERTIES: dict[str, tuple[tuple[str, ...], ...]] = {
    "AWS::RDS::DBCluster": (("Engine",), ("MasterUsername",)),
    "AWS::RDS::DBInstance": (("Engine",),),
}


class PreflightError(Exception):
    """A deploy cannot start; the message says what to do."""


@dataclass(frozen=True)
class GuardFinding:
    stack: str
    logical_id: str
    resource_type: str
    action: str  # "delete" | "replace"
    reason: str

    def __str__(self) -> str:
        return (
            f"{self.stack}/{self.logical_id} ({self.resource_type}) would be {self.action}d: "
            f"{self.reason}"
        )


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


def guard(
    stack: str, deployed: Mapping[str, Any] | None, new: Mapping[str, Any]
) -> list[GuardFinding]:
    """What a deploy of ``new`` over ``deployed`` would delete or replace of stateful resources."""
    if not deployed:
        return []
    old_resources = deployed.get("Resources", {})
    new_resources = new.get("Resources", {})
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
                )
            )
            continue
        current = new_resources[logical_id]
        if current.get("Type") != old_type:
            findings.append(
                GuardFinding(
                    stack, logical_id, old_type, "replace", f"type changes to {current['Type']}"
                )
            )
            continue
        old_props, new_props = old.get("Properties", {}), current.get("Properties", {})
        changed = [
            "/".join(path)
            for path in create_only_properties(old_type)
            if _at(old_props, path) != _at(new_props, path)
        ]
        if changed:
            findings.append(
                GuardFinding(
                    stack,
                    logical_id,
                    old_type,
                    "replace",
                    f"{', '.join(changed)} cannot change in place "
                    f"({json.dumps([_at(old_props, p.split('/')) for p in changed])} -> "
                    f"{json.dumps([_at(new_props, p.split('/')) for p in changed])})",
                )
            )
    return findings


def retained_resources(cdk_out: str | Path) -> list[tuple[str, str, str, str]]:
    """(stack, logical id, type, policy) of everything a ``cdk destroy`` leaves behind."""
    kept = []
    templates, _ = load_app(cdk_out)
    for stack, template in sorted(templates.items()):
        for logical_id, resource in template["Resources"].items():
            policy = resource.get("DeletionPolicy")
            if policy in ("Retain", "Snapshot", "RetainExceptOnCreate"):
                kept.append((stack, logical_id, resource["Type"], policy))
    return kept


def explain_retained(cdk_out: str | Path) -> str:
    lines = ["What a destroy keeps (deleting the stacks never deletes data):"]
    for stack, logical_id, resource_type, policy in retained_resources(cdk_out):
        what = "final snapshot" if policy == "Snapshot" else "kept"
        lines.append(f"  {stack:<14} {resource_type:<28} {logical_id:<48} {what}")
    lines.append(
        "Database clusters have deletion protection: turn it off (a deploy with "
        "deletion_protection=False) before a destroy can remove them. Retained buckets, keys and "
        "log groups must be emptied and deleted by hand if you really want them gone."
    )
    return "\n".join(lines)


# --- talking to AWS -----------------------------------------------------------------------------


def preflight(region: str, account: str | None) -> str:
    """Check credentials, the account and the bootstrap; return the caller's account."""
    import boto3
    import botocore.exceptions

    session = boto3.Session(region_name=region)
    try:
        identity = session.client("sts").get_caller_identity()
    except (
        botocore.exceptions.NoCredentialsError,
        botocore.exceptions.PartialCredentialsError,
    ):
        raise PreflightError(
            "No AWS credentials found. Set AWS_PROFILE to a configured profile (aws configure "
            "sso / aws configure), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY."
        ) from None
    except botocore.exceptions.ClientError as err:
        raise PreflightError(f"The AWS credentials were rejected: {err}") from None
    except botocore.exceptions.BotoCoreError as err:
        raise PreflightError(f"Could not reach AWS STS in {region}: {err}") from None
    caller = identity["Account"]
    if account and account != caller:
        raise PreflightError(
            f"The environment is for account {account}, but the credentials are for account "
            f"{caller}: refusing to deploy. Use a profile of account {account}."
        )
    try:
        session.client("ssm").get_parameter(Name=BOOTSTRAP_VERSION_PARAMETER)
    except botocore.exceptions.ClientError as err:
        if err.response["Error"]["Code"] == "ParameterNotFound":
            raise PreflightError(
                f"Account {caller} region {region} is not bootstrapped for the CDK: run "
                f"`make bootstrap` (once per account and region)."
            ) from None
        raise PreflightError(f"Could not check the CDK bootstrap: {err}") from None
    return caller


def deployed_template(stack: str, region: str) -> dict[str, Any] | None:
    import boto3
    import botocore.exceptions

    client = boto3.Session(region_name=region).client("cloudformation")
    try:
        body = client.get_template(StackName=stack, TemplateStage="Original")["TemplateBody"]
    except botocore.exceptions.ClientError as err:
        if "does not exist" in str(err):
            return None
        raise
    return body if isinstance(body, dict) else json.loads(body)


def guard_app(cdk_out: str | Path, region: str) -> list[GuardFinding]:
    findings = []
    templates, _ = load_app(cdk_out)
    for stack, new in sorted(templates.items()):
        findings += guard(stack, deployed_template(stack, region), new)
    return findings


def cdk(*args: str, env: Mapping[str, str] | None = None) -> int:
    command = [str(ROOT / "node_modules" / ".bin" / "cdk"), *args, "--no-notices"]
    print("+", " ".join(command), flush=True)
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return subprocess.run(command, env={**os.environ, "PATH": path, **(env or {})}).returncode


def environment_settings(env_name: str) -> Any:
    """The named environment from ./cdk.json."""
    from wellstack.settings import ENVIRONMENTS_KEY, parse_environments

    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    return parse_environments(context[ENVIRONMENTS_KEY])[env_name]


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wellstack.deploy")
    parser.add_argument("command", choices=("bootstrap", "deploy", "destroy", "guard"))
    parser.add_argument("--env", default="dev")
    parser.add_argument("--out", default="cdk.out")
    parser.add_argument(
        "--allow-data-loss",
        action="store_true",
        help="deploy even when a stateful resource would be replaced or deleted",
    )
    parser.add_argument(
        "--approval",
        default="broadening",
        choices=("broadening", "any-change", "never"),
        help="cdk's --require-approval (default: ask for security-relevant changes)",
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    settings = environment_settings(args.env)
    context = ["-c", f"env={args.env}"]
    try:
        account = preflight_for(args.command, settings)
    except PreflightError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.command == "bootstrap":
        return cdk("bootstrap", f"aws://{account}/{settings.region}", *context)
    if args.command == "destroy":
        if cdk("synth", "--quiet", *context, "-o", args.out):
            return 1
        print(explain_retained(args.out))
        return cdk("destroy", "--all", "--app", args.out)  # the assembly just synthesized
    if cdk("synth", "--quiet", *context, "-o", args.out):
        return 1
    findings = guard_app(args.out, settings.region)
    for finding in findings:
        print(f"data guard: {finding}", file=sys.stderr)
    if findings and not args.allow_data_loss:
        print(
            "data guard: refusing to deploy. Restore the construct id or the property, or "
            "re-run with ALLOW_DATA_LOSS=1 (make) / --allow-data-loss if losing it is intended.",
            file=sys.stderr,
        )
        return 3
    if args.command == "guard":
        print("data guard: no stateful resource would be replaced or deleted")
        return 0
    # Diff and deploy the very assembly the guard checked (no second synth that could differ).
    cdk("diff", "--app", args.out)
    return cdk("deploy", "--all", "--app", args.out, "--require-approval", args.approval)


def preflight_for(command: str, settings: Any) -> str:
    if command == "bootstrap":
        import boto3
        import botocore.exceptions

        try:
            caller = boto3.Session(region_name=settings.region).client("sts").get_caller_identity()
        except botocore.exceptions.BotoCoreError:
            raise PreflightError(
                "No AWS credentials found. Set AWS_PROFILE to a configured profile (aws "
                "configure sso / aws configure), or export AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY."
            ) from None
        if settings.account and settings.account != caller["Account"]:
            raise PreflightError(
                f"The environment is for account {settings.account}, but the credentials are "
                f"for account {caller['Account']}: refusing to bootstrap."
            )
        return caller["Account"]
    return preflight(settings.region, settings.account)


if __name__ == "__main__":
    sys.exit(main())
