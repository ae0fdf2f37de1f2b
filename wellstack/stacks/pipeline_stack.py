"""PipelineStack (``WellstackPipeline``): a CDK Pipelines delivery pipeline from cdk.json's
``wellstack:pipeline``.

Source (a CodeConnections connection) → Synth (``make synth`` and ``make test``: cdk-nag,
cfn-lint and the whole suite gate every change) → self-mutation → one stage per environment,
in promotion order, each a :class:`~wellstack.stacks.ThreeTierStage` in that environment's
account and region (its DR stacks in their region). Before each stage the data guard
(``make guard``) compares the change with what is deployed and fails the stage on a stateful
replacement; a production environment (``production: true``) then waits for a manual approval;
after each stage a smoke test reads the stage's ``LoadBalancerUrl`` output and asks for the
health path.

Cross-account: every environment account is bootstrapped with
``cdk bootstrap --trust <pipeline account>``; the guard reads the deployed templates through
that bootstrap's lookup role (read-only), which the pipeline's CodeBuild project may assume and
nothing else. The artifact bucket is encrypted with a customer-managed KMS key (rotation on)
that the stage accounts' deploy roles may use (CDK's cross-account keys).
"""

from __future__ import annotations

from typing import Unpack

import aws_cdk as cdk
import jsii
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import pipelines
from constructs import Construct, IValidation

from wellstack.compliance import CHECKOV, CONTROL_TOWER, acknowledge, same_reason
from wellstack.constructs.checks import l1
from wellstack.constructs.grants import nag_text
from wellstack.constructs.logs import (
    deliver_access_logs,
    encrypted_log_group,
    log_bucket,
    logs_key,
)
from wellstack.errors import WellstackError
from wellstack.pipeline_settings import PipelineSettings
from wellstack.settings import EnvironmentSettings
from wellstack.stacks._options import StackOptions, check_options
from wellstack.stacks.three_tier import ThreeTierStage

#: What the pipeline's CodeBuild projects run on: Amazon Linux 2023 with Python 3.11+, Node 20+
#: and make (``make synth`` installs the rest into the project's .venv, as on a laptop).
BUILD_IMAGE = codebuild.LinuxBuildImage.AMAZON_LINUX_2023_5
#: Days the artifact bucket keeps a run's artifacts.
ARTIFACT_DAYS = 90
#: The health path the smoke test asks for (the app tier's default).
HEALTH_PATH = "/health"


class PipelineStack(cdk.Stack):
    """The delivery pipeline (``pipeline``, CDK Pipelines' ``CodePipeline``) and its stages
    (``stages``, one :class:`ThreeTierStage` per environment, in promotion order).

    :param pipeline: the pipeline's settings
        (:func:`wellstack.pipeline_settings.parse_pipeline`); the stack goes to its account
        and region unless ``env`` is given.
    :param kwargs: ``cdk.Stack``'s own keyword arguments (:class:`StackOptions`).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        pipeline: PipelineSettings,
        **kwargs: Unpack[StackOptions],
    ) -> None:
        check_options("PipelineStack", scope, construct_id, kwargs, StackOptions)
        if not isinstance(pipeline, PipelineSettings):
            raise WellstackError(
                str(construct_id),
                [f"pipeline must be a PipelineSettings (wellstack.pipeline_settings."
                 f"parse_pipeline(...)), got {pipeline!r}"],
            )  # fmt: skip
        kwargs.setdefault("env", cdk.Environment(account=pipeline.account, region=pipeline.region))
        kwargs.setdefault(
            "description",
            f"wellstack delivery pipeline: {pipeline.repository}@{pipeline.branch} -> "
            + " -> ".join(e.name for e in pipeline.environments),
        )
        super().__init__(scope, construct_id, **kwargs)
        self.settings: PipelineSettings = pipeline
        #: The source: the repository's branch through the CodeConnections connection.
        self.source: pipelines.CodePipelineSource = pipelines.CodePipelineSource.connection(
            pipeline.repository, pipeline.branch, connection_arn=pipeline.connection_arn
        )
        names = ",".join(e.name for e in pipeline.environments)
        #: Every CodeBuild project's logs: one encrypted log group, kept a year.
        self.build_logs: logs.LogGroup = encrypted_log_group(
            self,
            "BuildLogs",
            retention_days=365,
            key=logs_key(self, "BuildLogsKey", "Encrypts the delivery pipeline's build logs"),
        )
        #: The pipeline (``pipeline.pipeline`` is the CodePipeline after ``build_pipeline()``).
        self.pipeline: pipelines.CodePipeline = self._create_pipeline(names)
        #: The stages, in promotion order.
        self.stages: list[ThreeTierStage] = [
            self._add_stage(settings) for settings in pipeline.environments
        ]
        self.pipeline.build_pipeline()
        #: Server access logs of the artifact bucket (kept a year).
        self.access_logs_bucket: s3.Bucket = log_bucket(
            self, "ArtifactAccessLogs", retention_days=365, delivered_by="S3 server access logging"
        )
        self._harden_artifact_bucket()
        self._acknowledge()

    def _create_pipeline(self, environments: str) -> pipelines.CodePipeline:
        logging = codebuild.LoggingOptions(
            cloud_watch=codebuild.CloudWatchLoggingOptions(log_group=self.build_logs)
        )
        return pipelines.CodePipeline(
            self,
            "Pipeline",
            pipeline_name="wellstack",
            synth=pipelines.ShellStep(
                "Synth",
                input=self.source,
                # The README's two commands: nag, cfn-lint and the whole suite gate every change.
                commands=[f"make synth ENV={environments}", "make test"],
                primary_output_directory="cdk.out",
            ),
            cross_account_keys=True,
            enable_key_rotation=True,
            code_build_defaults=pipelines.CodeBuildOptions(
                build_environment=codebuild.BuildEnvironment(
                    build_image=BUILD_IMAGE, compute_type=codebuild.ComputeType.MEDIUM
                ),
                logging=logging,
            ),
            asset_publishing_code_build_defaults=pipelines.CodeBuildOptions(logging=logging),
            self_mutation_code_build_defaults=pipelines.CodeBuildOptions(logging=logging),
        )

    def _add_stage(self, settings: EnvironmentSettings) -> ThreeTierStage:
        """The environment's stage: the guard first, an approval for production, then the
        deploy, then the smoke test."""
        stage = ThreeTierStage(
            self, settings.stack_prefix, settings=settings, environment_stack_names=True
        )
        guard = self._guard(settings)
        pre: list[pipelines.Step] = [guard]
        if settings.production:
            approval = pipelines.ManualApprovalStep(
                f"Approve{settings.stack_prefix}",
                comment=(
                    f"Deploy to {settings.name} ({settings.account}, {settings.region})? "
                    f"Read the change-impact report first: the log of the "
                    f"Guard{settings.stack_prefix} action of this stage (the data "
                    f"guard's findings, stateful resources at risk)."
                ),
            )
            # Pre-steps run side by side unless told: the approval waits for the guard.
            approval.add_step_dependency(guard)
            pre.append(approval)
        self.pipeline.add_stage(stage, pre=pre, post=[self._smoke_test(stage)])
        return stage

    def _guard(self, settings: EnvironmentSettings) -> pipelines.CodeBuildStep:
        """The data guard against what is deployed in the stage's account, through the
        bootstrap's read-only lookup role (``cdk bootstrap --trust`` lets the pipeline's account
        assume it)."""
        # IAM roles are global: the primary region's lookup role reads the DR region's stacks too.
        role = _lookup_role(settings.account or "", settings.region)
        profile = [
            f"aws configure set profile.stage.role_arn {role}",
            "aws configure set profile.stage.credential_source EcsContainer",
        ]
        return pipelines.CodeBuildStep(
            f"Guard{settings.stack_prefix}",
            input=self.source,
            commands=[*profile, f"AWS_PROFILE=stage make guard ENV={settings.name}"],
            role_policy_statements=[
                iam.PolicyStatement(actions=["sts:AssumeRole"], resources=[role]),
            ],
        )

    def _smoke_test(self, stage: ThreeTierStage) -> pipelines.ShellStep:
        url = stage.three_tier.app.url_output
        return pipelines.ShellStep(
            f"Smoke{stage.three_tier.settings.stack_prefix}",
            env_from_cfn_outputs={"URL": url},
            commands=[
                # New instances signal only once healthy, but DNS and the target group take a
                # moment: retry for up to five minutes.
                f'curl -fsS --retry 20 --retry-delay 15 --retry-all-errors "$URL{HEALTH_PATH}"',
            ],
        )

    def _harden_artifact_bucket(self) -> None:
        """Versioning, a lifecycle and server access logs on the artifact bucket CDK Pipelines
        creates (its KMS key, TLS-only policy and public access block are CDK's)."""
        bucket = self.pipeline.pipeline.artifact_bucket
        resource = l1(bucket, s3.CfnBucket)
        resource.versioning_configuration = s3.CfnBucket.VersioningConfigurationProperty(
            status="Enabled"
        )
        # Every run writes new artifacts and reads only its own: keep them 90 days.
        resource.lifecycle_configuration = s3.CfnBucket.LifecycleConfigurationProperty(
            rules=[
                s3.CfnBucket.RuleProperty(
                    id="ExpireArtifacts",
                    status="Enabled",
                    expiration_in_days=ARTIFACT_DAYS,
                    noncurrent_version_expiration=s3.CfnBucket.NoncurrentVersionExpirationProperty(
                        noncurrent_days=30
                    ),
                    abort_incomplete_multipart_upload=s3.CfnBucket.AbortIncompleteMultipartUploadProperty(
                        days_after_initiation=7
                    ),
                )
            ]
        )
        deliver_access_logs(bucket, self.access_logs_bucket, "artifacts/")

    def _acknowledge(self) -> None:
        """Findings on what CDK Pipelines generates, on the pipeline construct that owns it."""
        self.pipeline.node.add_validation(_GeneratedWildcards(self.pipeline))
        acknowledge(
            self.pipeline,
            {
                "NIST.800.53.R5-IAMNoInlinePolicy": (
                    "CDK Pipelines attaches each generated role's grants as that role's own "
                    "default policy; no policy is shared or attached to users"
                ),
                "NIST.800.53.R5-S3BucketReplicationEnabled": (
                    "Pipeline artifacts are rebuilt from the source repository on every run: "
                    "a replica would protect nothing"
                ),
            },
        )
        transient = (
            "Pipeline artifacts: written once per run by the pipeline's own roles, expired "
            f"after {ARTIFACT_DAYS} days and rebuilt from the source on every run; nothing "
            "reacts to them and nothing must outlive the lifecycle"
        )
        acknowledge(
            self.pipeline.pipeline.artifact_bucket,
            same_reason(
                transient,
                CONTROL_TOWER + "s3_bucket_object_lock_enabled_check",
                CONTROL_TOWER + "s3_event_notifications_enabled_check",
            ),
        )
        key = self.pipeline.pipeline.artifact_bucket.encryption_key
        if key is not None:
            acknowledge(
                key,
                {
                    CONTROL_TOWER + "kms_create_grant_aws_service_check": (
                        "CDK's artifact key policy for cross-account pipelines: the stage "
                        "accounts' CDK deploy roles decrypt artifacts; no grant is created "
                        "for anyone but the pipeline's own roles"
                    )
                },
            )
        for support in self.pipeline.pipeline.cross_region_support.values():
            reason = (
                "CDK's cross-region support bucket for the DR region's deploy actions: "
                "transient pipeline artifacts, encrypted with the support stack's KMS key and "
                "rebuilt on every run"
            )
            acknowledge(
                support.replication_bucket,
                same_reason(
                    reason,
                    "AwsSolutions-S1",
                    "NIST.800.53.R5-S3BucketLoggingEnabled",
                    "NIST.800.53.R5-S3BucketReplicationEnabled",
                    "NIST.800.53.R5-S3BucketVersioningEnabled",
                    CONTROL_TOWER + "s3_bucket_logging_enabled_check",
                    CONTROL_TOWER + "s3_bucket_object_lock_enabled_check",
                    CONTROL_TOWER + "s3_bucket_versioning_enabled_check",
                    CONTROL_TOWER + "s3_event_notifications_enabled_check",
                    CONTROL_TOWER + "s3_lifecycle_policy_check",
                    CHECKOV + "CKV_AWS_18",
                    CHECKOV + "CKV_AWS_21",
                ),
            )
            parent = support.replication_bucket.node.scope
            key = (
                parent.node.try_find_child("CrossRegionCodePipelineReplicationBucketEncryptionKey")
                if parent is not None
                else None
            )
            if key is not None:
                acknowledge(
                    key,
                    {
                        CONTROL_TOWER + "kms_create_grant_aws_service_check": (
                            "CDK's cross-region support key: used by the pipeline's roles "
                            "for the DR region's artifacts only"
                        )
                    },
                )


#: Why CDK Pipelines' generated policies may hold wildcards.
WILDCARD_REASON = (
    "CDK Pipelines' generated role policy: CDK scopes it to this pipeline's artifact bucket and "
    "KMS key, its own CodeBuild projects, log groups and report groups, and the stage accounts' "
    "CDK bootstrap roles; the wildcards are object keys and KMS data-key actions on those "
    "resources, and the self-mutation step's role pattern is the bootstrap roles it assumes"
)


@jsii.implements(IValidation)
class _GeneratedWildcards:
    """Acknowledges each wildcard finding (``AwsSolutions-IAM5[Action::s3:GetObject*]``,
    ``[Resource::<bucket.Arn>/*]`` ...) on the generated policy that holds it. The findings'
    text is only known once CDK Pipelines has built its roles and CDK has resolved the
    references, so this runs as a construct validation, before cdk-nag reads acknowledgments."""

    def __init__(self, pipeline: pipelines.CodePipeline) -> None:
        self._pipeline = pipeline

    def validate(self) -> list[str]:
        for policy in self._pipeline.node.find_all():
            if not isinstance(policy, iam.CfnPolicy):
                continue
            document = cdk.Stack.of(policy).resolve(policy.policy_document)
            findings: dict[str, str] = {}
            for statement in document.get("Statement", []):
                for key, kind in (("Action", "Action"), ("Resource", "Resource")):
                    values = statement.get(key, [])
                    for value in values if isinstance(values, list) else [values]:
                        text = nag_text(value)
                        if "*" in text:
                            findings[f"AwsSolutions-IAM5[{kind}::{text}]"] = WILDCARD_REASON
                        if kind == "Resource" and text == "*":
                            findings[CHECKOV + "CKV_AWS_111"] = WILDCARD_REASON
            if findings:
                acknowledge(policy, findings)
        return []


def _lookup_role(account: str, region: str) -> str:
    """The CDK bootstrap's read-only lookup role (default qualifier) in ``account``/``region``."""
    qualifier = cdk.DefaultStackSynthesizer.DEFAULT_QUALIFIER
    return f"arn:aws:iam::{account}:role/cdk-{qualifier}-lookup-role-{account}-{region}"
