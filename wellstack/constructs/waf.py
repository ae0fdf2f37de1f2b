"""A WAF web ACL with AWS's managed rule groups and its logging, for a load balancer (scope
``REGIONAL``, in the load balancer's region) or a CloudFront distribution (scope ``CLOUDFRONT``,
which AWS WAF only creates in us-east-1: AWS WAF Developer Guide, "Resources that you can
protect")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from wellstack.constructs import _cache as cached
from wellstack.constructs import _props
from wellstack.constructs.logs import encrypted_log_group, logs_key

#: AWS's managed rule groups on the web ACL by default (priorities 0, 1, 2): common exploits
#: (OWASP top 10 style), known bad inputs (e.g. Log4j), and Amazon's IP reputation list.
DEFAULT_WAF_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
)

WafScope = Literal["REGIONAL", "CLOUDFRONT"]


def web_acl(
    owner: Construct,
    path: str,
    *,
    scope: WafScope,
    retention_days: int,
    key: kms.IKey | kms.Key | None,
    rule_groups: Sequence[str],
    extra_rules: list[Any],
    overrides: dict[str, Any],
) -> tuple[wafv2.CfnWebACL, logs.LogGroup]:
    """The web ACL (``WebAcl``), its log group (``WafLogs``, named ``aws-waf-logs-…``: WAF logs
    only to such names) and logging, under ``owner``."""
    metric = cdk.Names.unique_id(owner)

    def visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
        return wafv2.CfnWebACL.VisibilityConfigProperty(
            cloud_watch_metrics_enabled=True,
            metric_name=name[:128],
            sampled_requests_enabled=True,
        )

    managed = [
        wafv2.CfnWebACL.RuleProperty(
            name=group,
            priority=priority,
            override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                    vendor_name="AWS", name=group
                )
            ),
            visibility_config=visibility(f"{metric}{group}"),
        )
        for priority, group in enumerate(rule_groups)
    ]
    extra = [*extra_rules, *overrides.pop("rules", [])]
    defaults: dict[str, Any] = {
        "scope": scope,
        "default_action": wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        "visibility_config": visibility(metric),
        "rules": managed + extra,
    }
    acl = _props.build(
        path,
        "web_acl_props / waf_rules",
        bool(overrides or extra),
        lambda: wafv2.CfnWebACL(owner, "WebAcl", **_props.merge(defaults, overrides)),
    )
    # WAF logs only to log groups whose name starts with "aws-waf-logs-".
    name = f"aws-waf-logs-{metric}"
    group = encrypted_log_group(
        owner,
        "WafLogs",
        retention_days=retention_days,
        key=key or logs_key(owner, "WafLogKey", "Encrypts the WAF log group"),
        log_group_name=name,
    )
    logging = wafv2.CfnLoggingConfiguration(
        owner,
        "WafLogging",
        resource_arn=acl.attr_arn,
        log_destination_configs=[
            cached.stack_of(owner).format_arn(
                service="logs",
                resource="log-group",
                resource_name=name,
                arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
            )
        ],
    )
    cached.node(logging).add_dependency(group)
    cached.node(logging).add_dependency(_waf_log_policy(owner, group))
    return acl, group


def _waf_log_policy(owner: Construct, group: logs.LogGroup) -> logs.ResourcePolicy:
    """WAF's log delivery may write to this log group only: its own resource policy, so WAF
    need not extend the account-wide AWSWAF-LOGS policy (5,120 characters, shared by every
    web ACL of the account). A region holds at most 10 such policies per account: one per
    environment here ("Logging web ACL traffic: CloudWatch Logs permissions"); AwsConstraints
    LOG3 fails the synth of an app that would put more in one account and region."""
    stack = cached.stack_of(owner)
    return logs.ResourcePolicy(
        owner,
        "WafLogPolicy",
        policy_statements=[
            iam.PolicyStatement(
                sid="WafLogDelivery",
                principals=[cached.service_principal("delivery.logs.amazonaws.com")],  # pyright: ignore[reportArgumentType]  # CDK protocol false positive
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[f"{group.log_group_arn}"],
                conditions={
                    "ArnLike": {"aws:SourceArn": stack.format_arn(service="logs", resource="*")},
                    "StringEquals": {"aws:SourceAccount": stack.account},
                },
            )
        ],
    )
