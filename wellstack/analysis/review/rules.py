"""Which Well-Architected pillar each cdk-nag, CDK-validation and AwsConstraints rule serves."""

from __future__ import annotations

from wellstack.analysis.constraints import PACK, all_rules
from wellstack.analysis.pillars import COST, OPERATIONS, RELIABILITY, SECURITY

#: cdk-nag (and CDK validation) rules -> the pillar they serve. A test fails when a rule that
#: fires in the default app (dev or prod) is missing here.
RULE_PILLARS: dict[str, str] = {
    "AwsSolutions-AS3": OPERATIONS,
    "AwsSolutions-CFR1": SECURITY,
    "AwsSolutions-CFR4": SECURITY,
    "NIST.800.53.R5-LambdaConcurrency": RELIABILITY,
    "NIST.800.53.R5-LambdaDLQ": RELIABILITY,
    "NIST.800.53.R5-LambdaInsideVPC": SECURITY,
    "AwsSolutions-RDS10": RELIABILITY,
    "NIST.800.53.R5-RDSEnhancedMonitoringEnabled": OPERATIONS,
    "NIST.800.53.R5-CloudWatchAlarmAction": OPERATIONS,
    "NIST.800.53.R5-RDSInstanceDeletionProtectionEnabled": RELIABILITY,
    "NIST.800.53.R5-VPCSubnetAutoAssignPublicIpDisabled": SECURITY,
    "CloudFormation-Validate::rds_cluster_deletion_protection_enabled_check": RELIABILITY,
    "CloudFormation-Validate::rds_instance_enhanced_monitoring_enabled_check": OPERATIONS,
    "AwsSolutions-EC23": SECURITY,
    "AwsSolutions-IAM4": SECURITY,
    "AwsSolutions-IAM5": SECURITY,
    "AwsSolutions-RDS11": SECURITY,
    "AwsSolutions-RDS14": RELIABILITY,
    "AwsSolutions-S1": SECURITY,
    "AwsSolutions-S10": SECURITY,
    "AwsSolutions-VPC3": SECURITY,
    "AwsSolutions-VPC7": OPERATIONS,
    "NIST.800.53.R5-ALBHttpToHttpsRedirection": SECURITY,
    "NIST.800.53.R5-ALBWAFEnabled": SECURITY,
    "NIST.800.53.R5-CloudWatchLogGroupEncrypted": SECURITY,
    "NIST.800.53.R5-ELBDeletionProtectionEnabled": RELIABILITY,
    "NIST.800.53.R5-ELBv2ACMCertificateRequired": SECURITY,
    "NIST.800.53.R5-IAMNoInlinePolicy": SECURITY,
    "NIST.800.53.R5-RDSInBackupPlan": RELIABILITY,
    "NIST.800.53.R5-S3BucketLoggingEnabled": SECURITY,
    "NIST.800.53.R5-S3BucketReplicationEnabled": RELIABILITY,
    "NIST.800.53.R5-S3DefaultEncryptionKMS": SECURITY,
    "NIST.800.53.R5-VPCDefaultSecurityGroupClosed": SECURITY,
    "NIST.800.53.R5-VPCFlowLogsEnabled": OPERATIONS,
    "NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW": SECURITY,
    "NIST.800.53.R5-WAFv2LoggingEnabled": OPERATIONS,
    "CloudFormation-Validate::F3002": OPERATIONS,
    "CloudFormation-Validate::F3003": OPERATIONS,
    "CloudFormation-Validate::W3010": RELIABILITY,
    # AWS Control Tower's proactive controls (their cfn-guard rule names)
    "CloudFormation-Validate::alb_http_to_https_redirection_check": SECURITY,
    "CloudFormation-Validate::aurora_cluster_backtracking_enabled_check": RELIABILITY,
    "CloudFormation-Validate::autoscaling_mixed_instances_policy_multiple_instance_types_check": (
        RELIABILITY
    ),
    "CloudFormation-Validate::autoscaling_multiple_az_check": RELIABILITY,
    "CloudFormation-Validate::cloudwatch_alarm_action_check": OPERATIONS,
    "CloudFormation-Validate::cloudfront_custom_ssl_certificate_check": SECURITY,
    "CloudFormation-Validate::cloudfront_default_root_object_configured_check": SECURITY,
    "CloudFormation-Validate::cloudfront_origin_failover_enabled_check": RELIABILITY,
    "CloudFormation-Validate::cloudfront_security_policy_check": SECURITY,
    "CloudFormation-Validate::cloudfront_sni_enabled_check": SECURITY,
    "CloudFormation-Validate::cloudwatch_log_group_retention_period_check": OPERATIONS,
    "CloudFormation-Validate::elbv2_deletion_protection_enabled_check": RELIABILITY,
    "CloudFormation-Validate::kms_create_grant_aws_service_check": SECURITY,
    "CloudFormation-Validate::lambda_inside_vpc_check": SECURITY,
    "CloudFormation-Validate::rds_cluster_logging_enabled_check": OPERATIONS,
    "CloudFormation-Validate::rds_instance_automatic_minor_version_upgrade_enabled_check": (
        SECURITY
    ),
    "CloudFormation-Validate::s3_bucket_default_encryption_kms_check": SECURITY,
    "CloudFormation-Validate::s3_bucket_logging_enabled_check": SECURITY,
    "CloudFormation-Validate::s3_bucket_object_lock_enabled_check": RELIABILITY,
    "CloudFormation-Validate::s3_event_notifications_enabled_check": OPERATIONS,
    "CloudFormation-Validate::s3_bucket_versioning_enabled_check": RELIABILITY,
    "CloudFormation-Validate::s3_lifecycle_policy_check": COST,
    "NIST.800.53.R5-RDSLoggingEnabled": OPERATIONS,
    "NIST.800.53.R5-S3BucketVersioningEnabled": RELIABILITY,
}


def rule_pillar(rule: str) -> str | None:
    """``AwsSolutions-IAM4[Policy::...]`` -> the pillar of ``AwsSolutions-IAM4``; an
    ``AwsConstraints::SNS1`` rule -> the pillar the rule declares. CDK's own namespace for
    cdk-nag's ids (``Annotation::AwsSolutions-S1``) is read past."""
    rule = rule.removeprefix("Annotation::").split("[", 1)[0]
    if rule.startswith(f"{PACK}::"):
        found = all_rules().get(rule.removeprefix(f"{PACK}::"))
        return found.pillar if found else None
    return RULE_PILLARS.get(rule)
