"""The edge: load balancer access logs, AWS WAF web ACLs (their scope and region, their logs)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from wellstack.analysis.constraints.base import Violation, rule, violation
from wellstack.analysis.pillars import OPERATIONS, SECURITY
from wellstack.analysis.template import Assembly, Resource, flat

WAF_RESOURCES = (
    "https://docs.aws.amazon.com/waf/latest/developerguide/how-aws-waf-works-resources.html"
)


def _attributes(lb: Resource) -> dict[str, object]:
    found: dict[str, object] = {}
    for item in lb.items("LoadBalancerAttributes"):
        if isinstance(item, Mapping) and isinstance(item.get("Key"), str):
            found[item["Key"]] = item.get("Value")
    return found


def _bucket_named(assembly: Assembly, lb: Resource, value: object) -> Resource | None:
    target = assembly.target(lb.stack, value)
    if target is not None:
        return target if target.type == "AWS::S3::Bucket" else None
    if isinstance(value, str):
        for bucket in assembly.resources("AWS::S3::Bucket"):
            if bucket.prop("BucketName") == value:
                return bucket
    return None


def _sse_algorithms(bucket: Resource) -> set[str]:
    rules = bucket.at("BucketEncryption", "ServerSideEncryptionConfiguration", kind=list) or []
    found = set()
    for item in rules:
        if isinstance(item, Mapping):
            default = item.get("ServerSideEncryptionByDefault")
            if isinstance(default, Mapping) and isinstance(default.get("SSEAlgorithm"), str):
                found.add(default["SSEAlgorithm"])
    return found


@rule(
    "ELB1",
    "An Application Load Balancer's access-log bucket is encrypted with SSE-S3, in its region",
    pillar=OPERATIONS,
    outcome="refused",
    source="Elastic Load Balancing, Enable access logs for your Application Load Balancer: the "
    "only server-side encryption supported is SSE-S3; the bucket must be in the load balancer's "
    "Region",
    url="https://docs.aws.amazon.com/elasticloadbalancing/latest/application/"
    "enable-access-logging.html",
)
def _access_log_bucket(assembly: Assembly) -> Iterator[Violation]:
    for lb in assembly.resources("AWS::ElasticLoadBalancingV2::LoadBalancer"):
        attributes = _attributes(lb)
        if str(attributes.get("access_logs.s3.enabled")).lower() != "true":
            continue
        bucket = _bucket_named(assembly, lb, attributes.get("access_logs.s3.bucket"))
        if bucket is None:
            continue
        kms = sorted(a for a in _sse_algorithms(bucket) if a.startswith("aws:kms"))
        if kms:
            yield violation(
                "ELB1", lb, f"access logs go to bucket {bucket.stack}/{bucket.logical_id}, "
                f"encrypted with {kms[0]}: the load balancer's attribute update fails",
                "encrypt the log bucket with SSE-S3 (AES256)", "LoadBalancerAttributes",
            )  # fmt: skip
        lb_region, bucket_region = (
            assembly.regions.get(lb.stack),
            assembly.regions.get(bucket.stack),
        )
        if lb_region and bucket_region and lb_region != bucket_region:
            yield violation(
                "ELB1", lb, f"access logs go to bucket {bucket.stack}/{bucket.logical_id} in "
                f"{bucket_region}, the load balancer is in {lb_region}",
                "use a log bucket in the load balancer's region", "LoadBalancerAttributes",
            )  # fmt: skip


@rule(
    "WAF1",
    "A web ACL's log group (or bucket, or stream) is named aws-waf-logs-...",
    pillar=OPERATIONS,
    outcome="refused",
    source="AWS WAF Developer Guide, Sending web ACL traffic logs to an Amazon CloudWatch Logs "
    "log group: log group names must start with aws-waf-logs-",
    url="https://docs.aws.amazon.com/waf/latest/developerguide/logging-cw-logs.html",
)
def _waf_log_names(assembly: Assembly) -> Iterator[Violation]:
    for logging in assembly.resources("AWS::WAFv2::LoggingConfiguration"):
        for value in logging.items("LogDestinationConfigs"):
            target = assembly.target(logging.stack, value)
            name = (
                flat(target.prop("LogGroupName") or target.prop("BucketName") or "")
                if target is not None
                else flat(value).rsplit(":", 1)[-1]
            )
            name = name.rsplit(":log-group:", 1)[-1].rsplit(":::", 1)[-1]
            if name and not name.startswith("<") and not name.startswith("aws-waf-logs-"):
                yield violation(
                    "WAF1", logging, f"log destination {name!r} is not named aws-waf-logs-...",
                    "name the log group (bucket, stream) aws-waf-logs-<something>",
                    "LogDestinationConfigs",
                )  # fmt: skip


@rule(
    "WAF2",
    "A web ACL for CloudFront (scope CLOUDFRONT) is created in us-east-1",
    pillar=SECURITY,
    outcome="refused",
    source="AWS WAF Developer Guide, Resources that you can protect with AWS WAF: for CloudFront "
    "you must use the Region US East (N. Virginia) to create your web ACL",
    url=WAF_RESOURCES,
)
def _cloudfront_scope(assembly: Assembly) -> Iterator[Violation]:
    kinds = ("AWS::WAFv2::WebACL", "AWS::WAFv2::IPSet", "AWS::WAFv2::RegexPatternSet",
             "AWS::WAFv2::RuleGroup")  # fmt: skip
    for resource in assembly.resources(*kinds):
        region = assembly.regions.get(resource.stack, "")
        known = region and not region.startswith("unknown")
        if resource.prop("Scope") == "CLOUDFRONT" and known and region != "us-east-1":
            yield violation(
                "WAF2", resource, f"Scope CLOUDFRONT in {region}",
                "create CloudFront-scoped WAF resources in a us-east-1 stack", "Scope",
            )  # fmt: skip


@rule(
    "WAF3",
    "A web ACL association names a regional resource and a REGIONAL web ACL of its region",
    pillar=SECURITY,
    outcome="refused",
    source="AWS CloudFormation, AWS::WAFv2::WebACLAssociation: for Amazon CloudFront, don't use "
    "this resource (use the distribution's WebACLId); the web ACL must be in the Region of the "
    "resource",
    url="https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/"
    "aws-resource-wafv2-webaclassociation.html",
)
def _association(assembly: Assembly) -> Iterator[Violation]:
    for association in assembly.resources("AWS::WAFv2::WebACLAssociation"):
        target = assembly.target(association.stack, association.prop("ResourceArn"))
        acl = assembly.target(association.stack, association.prop("WebACLArn"))
        text = flat(association.prop("ResourceArn"))
        if (target is not None and target.type == "AWS::CloudFront::Distribution") or (
            ":cloudfront::" in text
        ):
            yield violation(
                "WAF3", association, "associates a web ACL with a CloudFront distribution",
                "set the distribution's WebACLId to the CLOUDFRONT web ACL's ARN instead",
                "ResourceArn",
            )  # fmt: skip
        elif acl is not None and acl.prop("Scope") == "CLOUDFRONT":
            yield violation(
                "WAF3", association, f"associates CLOUDFRONT-scoped web ACL {acl.logical_id} "
                f"with a regional resource", "use a REGIONAL web ACL in the resource's region",
                "WebACLArn",
            )  # fmt: skip
