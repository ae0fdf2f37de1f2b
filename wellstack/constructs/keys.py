"""Customer-managed KMS keys the way wellstack makes them: rotation on, RETAINed, and a key policy
that lets only AWS services create grants (Control Tower CT.KMS.PR.3)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from wellstack.constructs import _cache as cached


def customer_key(scope: Construct, construct_id: str, description: str) -> kms.Key:
    """A rotating, RETAINed key whose policy denies ``kms:CreateGrant`` unless the grant is for
    an AWS resource or the caller is an AWS service (RDS, Secrets Manager, AWS Backup create
    their grants that way)."""
    key = kms.Key(
        scope,
        construct_id,
        description=description,
        enable_key_rotation=True,
        removal_policy=cdk.RemovalPolicy.RETAIN,
    )
    deny_grants_except_for_aws_services(key)
    return key


def deny_grants_except_for_aws_services(key: kms.Key) -> None:
    """The statement Control Tower's CT.KMS.PR.3 asks for (AWS's recommended form: ``Deny``
    ``kms:CreateGrant`` to ``*`` with ``BoolIfExists`` on both conditions false)."""
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="DenyGrantsExceptForAwsServices",
            effect=iam.Effect.DENY,
            principals=[cached.any_principal()],  # pyright: ignore[reportArgumentType]  # CDK protocol false positive
            actions=["kms:CreateGrant"],
            resources=["*"],
            conditions={
                "BoolIfExists": {
                    "kms:GrantIsForAWSResource": "false",
                    "aws:PrincipalIsAWSService": "false",
                }
            },
        )
    )
