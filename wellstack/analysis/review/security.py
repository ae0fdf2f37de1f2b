"""Security: data encrypted with keys the owner controls, nothing public that should not be,
instances hardened, the internet screened and kept out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from wellstack.analysis.pillars import SECURITY
from wellstack.analysis.review.base import Check, check, endpoint_views, judged
from wellstack.analysis.template import Assembly


@check
def database_encrypted(assembly: Assembly) -> Iterator[Check]:
    for cluster in assembly.resources("AWS::RDS::DBCluster"):
        encrypted = cluster.prop("StorageEncrypted") is True and "KmsKeyId" in cluster.properties
        yield Check(
            SECURITY,
            "db-encryption",
            f"{cluster.stack}/{cluster.logical_id}: storage encrypted with a customer-managed key",
            judged(encrypted),
            "StorageEncrypted with KmsKeyId" if encrypted else "no KmsKeyId",
        )


@check
def buckets_private(assembly: Assembly) -> Iterator[Check]:
    for bucket in assembly.resources("AWS::S3::Bucket"):
        block = bucket.mapping("PublicAccessBlockConfiguration")
        encrypted = "BucketEncryption" in bucket.properties
        yield Check(
            SECURITY,
            "s3-private",
            f"{bucket.stack}/{bucket.logical_id}: encrypted, all public access blocked",
            judged(encrypted and len(block) == 4 and all(v is True for v in block.values())),
            "encryption and a full public access block" if encrypted else "no default encryption",
        )


@check
def logs_encrypted(assembly: Assembly) -> Iterator[Check]:
    for group in assembly.resources("AWS::Logs::LogGroup"):
        yield Check(
            SECURITY,
            "log-encryption",
            f"{group.stack}/{group.logical_id}: encrypted with a customer-managed key",
            judged("KmsKeyId" in group.properties),
            "KmsKeyId set" if "KmsKeyId" in group.properties else "CloudWatch Logs' own key",
        )


@check
def instances_hardened(assembly: Assembly) -> Iterator[Check]:
    for template in assembly.resources("AWS::EC2::LaunchTemplate"):
        data = template.mapping("LaunchTemplateData")
        where = f"{template.stack}/{template.logical_id}"
        if not data:
            yield Check(
                SECURITY,
                "imdsv2",
                f"{where}: IMDSv2 required, encrypted volumes, no key pair",
                "unknown",
                "the launch template has no LaunchTemplateData",
            )
            continue
        tokens = template.at("LaunchTemplateData", "MetadataOptions", "HttpTokens", kind=str)
        mappings = template.at("LaunchTemplateData", "BlockDeviceMappings", kind=list) or []
        encrypted = all(
            template.at("LaunchTemplateData", "BlockDeviceMappings", index, "Ebs", "Encrypted")
            is True
            for index in range(len(mappings))
        )
        yield Check(
            SECURITY,
            "imdsv2",
            f"{where}: IMDSv2 required, encrypted volumes, no key pair",
            judged(tokens == "required" and encrypted and "KeyName" not in data),
            f"HttpTokens={tokens}, volumes {'encrypted' if encrypted else 'NOT all encrypted'}",
        )


@check
def waf(assembly: Assembly) -> Iterator[Check]:
    """Per internet-facing load balancer: a web ACL associated with *it*."""
    associations = assembly.resources("AWS::WAFv2::WebACLAssociation")
    for lb in assembly.resources("AWS::ElasticLoadBalancingV2::LoadBalancer"):
        if lb.prop("Scheme", "internet-facing") != "internet-facing":
            continue
        own = [
            a for a in associations
            if (t := assembly.target(a.stack, a.prop("ResourceArn"))) is not None
            and (t.stack, t.logical_id) == (lb.stack, lb.logical_id)
        ]  # fmt: skip
        yield Check(
            SECURITY,
            "waf",
            f"{lb.stack}/{lb.logical_id}: a WAF web ACL screens internet traffic",
            judged(bool(own)),
            f"web ACL association {own[0].logical_id}" if own
            else "no web ACL is associated with this load balancer",
        )  # fmt: skip


@check
def edge_waf(assembly: Assembly) -> Iterator[Check]:
    """Per CloudFront distribution: a web ACL (scope CLOUDFRONT) named by ``WebACLId``."""
    for distribution in assembly.resources("AWS::CloudFront::Distribution"):
        acl = distribution.at("DistributionConfig", "WebACLId", reference=True)
        yield Check(
            SECURITY,
            "waf",
            f"{distribution.stack}/{distribution.logical_id}: a WAF web ACL screens internet "
            "traffic",
            judged(acl is not None),
            "a web ACL of scope CLOUDFRONT (WebACLId)" if acl is not None
            else "no web ACL on this distribution",
        )  # fmt: skip


def _opens_ssh(rule: dict[str, Any]) -> bool:
    protocol = str(rule.get("IpProtocol", ""))
    if protocol in ("-1", "all"):
        return True
    low, high = rule.get("FromPort"), rule.get("ToPort")
    if not isinstance(low, int) or not isinstance(high, int):
        return protocol in ("tcp", "6")  # a port we cannot read on TCP: count it
    return protocol in ("tcp", "6") and low <= 22 <= high


@check
def no_ssh(assembly: Assembly) -> Iterator[Check]:
    ssh = []
    for group in assembly.resources("AWS::EC2::SecurityGroup"):
        for rule in group.items("SecurityGroupIngress"):
            if isinstance(rule, dict) and _opens_ssh(rule):
                ssh.append(f"{group.stack}/{group.logical_id}")
    for rule in assembly.resources("AWS::EC2::SecurityGroupIngress"):
        if _opens_ssh(dict(rule.properties)):
            ssh.append(f"{rule.stack}/{rule.logical_id}")
    yield Check(
        SECURITY,
        "no-ssh",
        "No security group opens SSH (port 22)",
        judged(not ssh),
        f"SSH open in {', '.join(ssh)}" if ssh else "none does (inline and standalone rules)",
    )


@check
def private_no_internet(assembly: Assembly) -> Iterator[Check]:
    """Per VPC whose private tier has no IPv4 route out (``nat="endpoints_only"``): no IPv6
    route out either."""
    for vpc in endpoint_views(assembly):
        if not vpc.endpoints_only:
            continue
        yield Check(
            SECURITY,
            "private-no-internet",
            f"{vpc.where}The private tier has no route to the internet (endpoints only)",
            judged(not vpc.ipv6_out),
            f"::/0 route out of {', '.join(vpc.ipv6_out)}"
            if vpc.ipv6_out
            else "no 0.0.0.0/0 and no ::/0 "
            "route in any private subnet: AWS is reached through VPC endpoints only",
        )
