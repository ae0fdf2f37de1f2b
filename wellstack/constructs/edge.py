"""CloudFront in front of the app tier's load balancer: a distribution whose origin is the
internal load balancer through a CloudFront VPC origin, and the CLOUDFRONT-scope web ACL that
screens it (:class:`EdgeFirewall`, in us-east-1).

Rules followed (CloudFront Developer Guide, "Restrict access with VPC origins"): the load
balancer is internal, in private subnets of a VPC that has an internet gateway (VPC origins
route nothing through it, but require it); CloudFront creates a security group,
``CloudFront-VPCOrigins-Service-SG``, in the VPC when the VPC origin is created — the tightest
peer for the load balancer's group (it admits only this account's distributions' VPC origins),
but CloudFormation does not return its id, so a custom resource looks it up after the
distribution (as aws-cdk-lib's documentation shows) and the ingress rule names it. Dynamic pages
are not cached (the managed ``CachingDisabled`` policy) and every viewer header reaches the
origin (``AllViewer``; ``AllViewerExceptHostHeader`` with HTTPS to the origin, whose
certificate must match the origin's name). A CLOUDFRONT web ACL exists only in us-east-1 (AWS
WAF Developer Guide); the distribution names it by ARN (``WebACLId``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from aws_cdk import custom_resources as cr
from constructs import Construct

from wellstack.compliance import CHECKOV, CONTROL_TOWER, acknowledge, same_reason
from wellstack.constructs import _cache as cached
from wellstack.constructs.checks import Problems, is_token
from wellstack.constructs.logs import encrypted_log_group, log_bucket, logs_key
from wellstack.constructs.waf import DEFAULT_WAF_RULE_GROUPS, web_acl
from wellstack.limits import VPC_ORIGIN_LOOKUP

#: Where AWS WAF keeps web ACLs of scope CLOUDFRONT, and where CloudFront takes viewer
#: certificates from.
EDGE_REGION = "us-east-1"
#: The security group CloudFront creates in the VPC for its VPC origins.
VPC_ORIGIN_GROUP = "CloudFront-VPCOrigins-Service-SG"


class EdgeFirewall(Construct):
    """A web ACL of scope CLOUDFRONT for :class:`~wellstack.constructs.AppTier`'s
    ``edge="cloudfront"``: AWS's managed rule groups (:data:`DEFAULT_WAF_RULE_GROUPS`) and
    logging to an encrypted ``aws-waf-logs-…`` log group. AWS WAF creates CLOUDFRONT web ACLs
    only in us-east-1: the stack must be there; pass :attr:`web_acl_arn` to the tier (a
    cross-region reference, or a value you copy).

    :param rule_groups: AWS managed rule group names. Default :data:`DEFAULT_WAF_RULE_GROUPS`.
    :param log_retention_days: retention of the WAF log group. Default 30.
    :param log_encryption_key: KMS key for that log group. Default: a new rotating key.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        rule_groups: Sequence[str] = DEFAULT_WAF_RULE_GROUPS,
        log_retention_days: int = 30,
        log_encryption_key: kms.IKey | kms.Key | None = None,
    ) -> None:
        problems = Problems.of(scope, construct_id, "EdgeFirewall")
        region = cached.region(scope)
        problems.check(
            not is_token(region) and region == EDGE_REGION,
            f"EdgeFirewall needs a stack in {EDGE_REGION}: AWS WAF creates web ACLs of scope "
            f"CLOUDFRONT only there, got region {region!r}",
            "conflict",
        )
        problems.log_retention("log_retention_days", log_retention_days)
        if (
            isinstance(rule_groups, str)
            or not isinstance(rule_groups, Sequence)
            or not all(isinstance(g, str) for g in rule_groups)
        ):
            problems.add(
                f"rule_groups must be a list of AWS managed rule group names, got "
                f"{rule_groups!r}", "type",
            )  # fmt: skip
        problems.done()
        super().__init__(scope, construct_id)
        cached.adopt(self, scope, construct_id)
        acl, group = web_acl(
            self, problems.path, scope="CLOUDFRONT", retention_days=log_retention_days,
            key=log_encryption_key, rule_groups=list(rule_groups), extra_rules=[], overrides={},
        )  # fmt: skip
        #: The web ACL (scope CLOUDFRONT) and its ARN (a distribution's ``WebACLId``).
        self.web_acl: wafv2.CfnWebACL = acl
        self.web_acl_arn: str = acl.attr_arn
        #: Its log group.
        self.log_group: logs.LogGroup = group


@dataclass(frozen=True)
class EdgeOptions:
    """What the tier's edge is made of, as :class:`~wellstack.constructs.AppTier` validated it."""

    web_acl_arn: str | None
    #: A viewer certificate (us-east-1) and the names it covers; ``None``: CloudFront's
    #: ``*.cloudfront.net``.
    certificate: acm.ICertificate | None
    domain_names: Sequence[str]
    #: HTTPS to the origin under this name (covered by the load balancer's certificate);
    #: ``None``: HTTP on the web port over the VPC origin's private path.
    origin_domain_name: str | None
    web_port: int
    tls_port: int


def cloudfront_edge(
    owner: Construct,
    load_balancer: elbv2.ApplicationLoadBalancer,
    web_group: ec2.ISecurityGroup,
    vpc: ec2.IVpc,
    options: EdgeOptions,
    *,
    log_retention_days: int,
) -> cloudfront.Distribution:
    """The distribution, its VPC origin and the load balancer's ingress from CloudFront."""
    https = options.origin_domain_name is not None
    origin = origins.VpcOrigin.with_application_load_balancer(
        load_balancer,
        protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY
        if https
        else cloudfront.OriginProtocolPolicy.HTTP_ONLY,
        http_port=options.web_port,
        https_port=options.tls_port,
        domain_name=options.origin_domain_name,
    )
    logs_bucket = log_bucket(
        owner, "EdgeLogs", retention_days=log_retention_days, delivered_by="CloudFront",
        acls=True,
    )  # fmt: skip
    distribution = cloudfront.Distribution(
        owner,
        "Distribution",
        comment=f"wellstack {cached.path(owner)}",
        default_behavior=cloudfront.BehaviorOptions(
            origin=origin,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
            cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
            origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER
            if https
            else cloudfront.OriginRequestPolicy.ALL_VIEWER,
        ),
        web_acl_id=options.web_acl_arn,
        certificate=options.certificate,
        domain_names=list(options.domain_names) or None,
        minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021
        if options.certificate is not None
        else None,
        http_version=cloudfront.HttpVersion.HTTP2_AND_3,
        enable_logging=True,
        log_bucket=logs_bucket,
        log_file_prefix="cloudfront/",
    )
    _admit_vpc_origin(owner, distribution, web_group, vpc, options)
    _acknowledge(distribution, options)
    return distribution


def _admit_vpc_origin(
    owner: Construct,
    distribution: cloudfront.Distribution,
    web_group: ec2.ISecurityGroup,
    vpc: ec2.IVpc,
    options: EdgeOptions,
) -> None:
    # The provider's own log group, encrypted and kept for a while (aws-cdk-lib would create
    # one with neither).
    logs_group = encrypted_log_group(
        owner, "VpcOriginLookupLogs", retention_days=30,
        key=logs_key(owner, "VpcOriginLookupLogKey", "Encrypts the VPC-origin lookup's logs"),
    )  # fmt: skip
    lookup = cr.AwsCustomResource(
        owner,
        "VpcOriginGroup",
        log_group=logs_group,
        on_create=_describe_group(vpc),
        on_update=_describe_group(vpc),
        policy=cr.AwsCustomResourcePolicy.from_sdk_calls(
            resources=cr.AwsCustomResourcePolicy.ANY_RESOURCE
        ),
        install_latest_aws_sdk=False,
    )
    cached.node(lookup).add_dependency(distribution)  # the group exists once the VPC origin does
    for child in cached.node(lookup).find_all():
        if isinstance(child, cdk.CfnResource):
            child.add_metadata(VPC_ORIGIN_LOOKUP, True)
    port = options.tls_port if options.origin_domain_name else options.web_port
    # A rule of its own in this stack, not on the group: an inline rule would tie the group
    # (in the network's stack) to the distribution and the load balancer in a cycle.
    ec2.CfnSecurityGroupIngress(
        owner,
        "FromCloudFront",
        group_id=web_group.security_group_id,
        source_security_group_id=lookup.get_response_field("SecurityGroups.0.GroupId"),
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        description=f"CloudFront's VPC origin ({VPC_ORIGIN_GROUP})",
    )
    policy = cached.node(lookup).try_find_child("CustomResourcePolicy")
    if policy is not None:
        acknowledge(policy, {
            "AwsSolutions-IAM5[Resource::*]": "ec2:DescribeSecurityGroups supports no "
            "resource-level permissions (Service Authorization Reference, Amazon EC2): '*'",
            "NIST.800.53.R5-IAMNoInlinePolicy": "aws-cdk-lib's AwsCustomResource writes its "
            "one read-only statement as the function's inline policy",
        })  # fmt: skip
    stack = cached.stack_of(owner)
    provider = cached.node(stack).try_find_child("AWS679f53fac002430cb0da5b7982bd2287")
    if provider is not None:
        reason = (
            "aws-cdk-lib's AwsCustomResource provider: it runs only during a deployment, to look "
            "up CloudFront's VPC-origin security group (EC2 DescribeSecurityGroups); it takes no "
            "events to need concurrency limits or a dead-letter queue, and inside the VPC it would "
            "need an EC2 endpoint for that one call"
        )
        acknowledge(provider, same_reason(
            reason, "NIST.800.53.R5-LambdaConcurrency", "NIST.800.53.R5-LambdaDLQ",
            "NIST.800.53.R5-LambdaInsideVPC", CONTROL_TOWER + "lambda_inside_vpc_check",
            CHECKOV + "CKV_AWS_115", CHECKOV + "CKV_AWS_116", CHECKOV + "CKV_AWS_117",
        ))  # fmt: skip
        role = cached.node(provider).try_find_child("ServiceRole")
        if role is not None:
            acknowledge(role, {
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AWSLambdaBasicExecutionRole]": "AWSLambdaBasicExecutionRole: the provider's "
                "own logs, as aws-cdk-lib creates it",
            })  # fmt: skip


def _describe_group(vpc: ec2.IVpc) -> cr.AwsSdkCall:
    return cr.AwsSdkCall(
        service="EC2",
        action="describeSecurityGroups",
        parameters={
            "Filters": [
                {"Name": "vpc-id", "Values": [vpc.vpc_id]},
                {"Name": "group-name", "Values": [VPC_ORIGIN_GROUP]},
            ]
        },
        physical_resource_id=cr.PhysicalResourceId.of(f"{VPC_ORIGIN_GROUP}-lookup"),
        output_paths=["SecurityGroups.0.GroupId"],
    )


def _acknowledge(distribution: cloudfront.Distribution, options: EdgeOptions) -> None:
    reasons: dict[str, Any] = {
        "AwsSolutions-CFR1": "The app serves every country; where a business rule limits them, "
        "add a geo restriction to AppTier.distribution",
    }
    reasons[CONTROL_TOWER + "cloudfront_default_root_object_configured_check"] = (
        "The origin is an application that answers / itself; a default root object rewrites / "
        "to a file name, which is for bucket origins"
    )
    reasons[CONTROL_TOWER + "cloudfront_origin_failover_enabled_check"] = (
        "One origin: the load balancer, spread over every AZ of the private tier; an origin "
        "group's second origin would be another region's app tier, which this app does not run"
    )
    if options.certificate is None:
        reasons |= same_reason(
            "No custom domain yet: CloudFront's *.cloudfront.net certificate fixes the viewer "
            "policy at TLSv1 (CloudFront API, ViewerCertificate); pass edge_certificate (ACM, "
            "us-east-1) and edge_domain_names for TLSv1.2_2021 with SNI",
            "AwsSolutions-CFR4",
            CONTROL_TOWER + "cloudfront_custom_ssl_certificate_check",
            CONTROL_TOWER + "cloudfront_security_policy_check",
            CONTROL_TOWER + "cloudfront_sni_enabled_check",
            CHECKOV + "CKV_AWS_174",
        )
    acknowledge(distribution, reasons)
