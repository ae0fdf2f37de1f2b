"""AppTier(edge="cloudfront") and cdk.json "edge": "cloudfront": CloudFront with a VPC origin to
an internal load balancer, WAF at CloudFront scope (in us-east-1), no internet peer on the load
balancer's group; reach shows internet -> CloudFront -> web and never internet -> web."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_certificatemanager as acm

from tests.conftest import new_shapes_context
from wellstack.analysis.reach import analyse
from wellstack.analysis.template import Assembly, resources
from wellstack.constructs import AppTier, EdgeFirewall, Network, TierSecurityGroups
from wellstack.errors import WellstackError

AZS = {"us-east-1": ["us-east-1a", "us-east-1b"], "ap-northeast-2": ["ap-northeast-2a",
                                                                   "ap-northeast-2c"]}  # fmt: skip
ACL = "arn:aws:wafv2:us-east-1:111122223333:global/webacl/edge/0f5e6a0b-1c2d-4e3f-8a9b-0c1d2e3f4a5b"


def world(region: str = "us-east-1") -> tuple[cdk.Stack, Network]:
    stack = cdk.Stack(cdk.App(), "Shop", env=cdk.Environment(region=region))
    net = Network(stack, "Net", availability_zones=AZS[region], flow_logs=False)
    return stack, net


@pytest.fixture(scope="module")
def edge() -> dict[str, Any]:
    stack, net = world()
    tier = AppTier(stack, "Web", vpc=net.vpc, edge="cloudfront")
    return {"tier": tier, "template": cdk.assertions.Template.from_stack(stack).to_json(),
            "stack": stack}  # fmt: skip


def test_an_internal_load_balancer_behind_a_vpc_origin(edge):
    template = edge["template"]
    (lb,) = resources(template, "AWS::ElasticLoadBalancingV2::LoadBalancer").values()
    assert lb["Properties"]["Scheme"] == "internal"
    (vpc_origin,) = resources(template, "AWS::CloudFront::VpcOrigin").values()
    config = vpc_origin["Properties"]["VpcOriginEndpointConfig"]
    assert config["OriginProtocolPolicy"] == "http-only" and config["HTTPPort"] == 80
    (distribution,) = resources(template, "AWS::CloudFront::Distribution").values()
    settings = distribution["Properties"]["DistributionConfig"]
    behavior = settings["DefaultCacheBehavior"]
    assert behavior["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # CachingDisabled
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert "Logging" in settings
    # WAF at the edge: a CLOUDFRONT web ACL (this stack is in us-east-1), not on the LB.
    (acl_id, acl) = next(iter(resources(template, "AWS::WAFv2::WebACL").items()))
    assert acl["Properties"]["Scope"] == "CLOUDFRONT"
    assert settings["WebACLId"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    assert not resources(template, "AWS::WAFv2::WebACLAssociation")
    assert edge["tier"].distribution is not None and edge["tier"].url.startswith("https://")


def test_the_load_balancer_admits_only_cloudfronts_vpc_origin(edge):
    template = edge["template"]
    web = edge["stack"].resolve(edge["tier"].security_groups.web.security_group_id)
    web_id = web["Fn::GetAtt"][0]
    group = template["Resources"][web_id]["Properties"]
    assert "SecurityGroupIngress" not in group  # no internet peer
    rules = [r["Properties"] for r in resources(template, "AWS::EC2::SecurityGroupIngress").values()
             if r["Properties"]["GroupId"] == web]  # fmt: skip
    (rule,) = rules
    lookup_id = rule["SourceSecurityGroupId"]["Fn::GetAtt"][0]
    lookup = template["Resources"][lookup_id]
    assert lookup["Type"] == "Custom::AWS"
    assert "CloudFront-VPCOrigins-Service-SG" in json.dumps(lookup["Properties"])
    assert (rule["FromPort"], rule["ToPort"]) == (80, 80)
    distribution_id = next(iter(resources(template, "AWS::CloudFront::Distribution")))
    assert distribution_id in lookup.get("DependsOn", [])  # the group exists after the origin


@pytest.mark.parametrize(
    ("region", "props", "code", "prop"),
    [
        ("ap-northeast-2", {}, "required", "edge_web_acl_arn"),
        ("us-east-1", {"edge_web_acl_arn": "arn:aws:wafv2:eu-west-1:1:regional/webacl/x/y"},
         "format", "edge_web_acl_arn"),
        ("us-east-1", {"ip_address_type": "dualstack"}, "conflict", "ip_address_type"),
        ("us-east-1", {"origin_domain_name": "origin.example.com"}, "conflict",
         "origin_domain_name"),
        ("us-east-1", {"edge_domain_names": ["shop.example.com"]}, "conflict",
         "edge_certificate"),
        ("us-east-1", {"edge": "cloudfront ", "waf": False}, "choice", "edge"),
    ],
)  # fmt: skip
def test_refused(region, props, code, prop):
    stack, net = world(region)
    with pytest.raises(WellstackError) as caught:
        AppTier(stack, "Web", vpc=net.vpc, **{"edge": "cloudfront", **props})
    assert (code, prop) in caught.value.codes(), caught.value.codes()


def test_internet_groups_and_edge_props_without_cloudfront_are_refused():
    stack, net = world()
    groups = TierSecurityGroups(stack, "Sgs", vpc=net.vpc)  # 0.0.0.0/0 on the web port
    with pytest.raises(WellstackError) as caught:
        AppTier(stack, "Web", vpc=net.vpc, security_groups=groups, edge="cloudfront")
    assert ("conflict", "security_groups") in caught.value.codes()
    with pytest.raises(WellstackError) as caught:
        AppTier(stack, "Alb", vpc=net.vpc, edge_web_acl_arn=ACL)
    assert ("conflict", "edge_web_acl_arn") in caught.value.codes()


def test_https_to_the_origin_and_a_viewer_certificate():
    stack, net = world("ap-northeast-2")
    origin_cert = acm.Certificate.from_certificate_arn(
        stack, "Origin", "arn:aws:acm:ap-northeast-2:111122223333:certificate/abc"
    )
    viewer_cert = acm.Certificate.from_certificate_arn(
        stack, "Viewer", "arn:aws:acm:us-east-1:111122223333:certificate/def"
    )
    groups = TierSecurityGroups(stack, "Sgs", vpc=net.vpc, web_ingress_cidr=None)
    tier = AppTier(
        stack, "Web", vpc=net.vpc, security_groups=groups, edge="cloudfront",
        edge_web_acl_arn=ACL, certificate=origin_cert, origin_domain_name="origin.shop.example",
        edge_certificate=viewer_cert, edge_domain_names=["shop.example.com"],
    )  # fmt: skip
    template = cdk.assertions.Template.from_stack(stack).to_json()
    (vpc_origin,) = resources(template, "AWS::CloudFront::VpcOrigin").values()
    assert vpc_origin["Properties"]["VpcOriginEndpointConfig"]["OriginProtocolPolicy"] == (
        "https-only"
    )
    (distribution,) = resources(template, "AWS::CloudFront::Distribution").values()
    settings = distribution["Properties"]["DistributionConfig"]
    assert settings["WebACLId"] == ACL and settings["Aliases"] == ["shop.example.com"]
    assert settings["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert tier.url == "https://shop.example.com"
    with pytest.raises(WellstackError) as caught:
        AppTier(stack, "Other", vpc=net.vpc, security_groups=groups, edge="cloudfront",
                edge_web_acl_arn=ACL, edge_certificate=origin_cert,
                edge_domain_names=["shop.example.com"])  # fmt: skip
    assert ("conflict", "edge_certificate") in caught.value.codes()  # not a us-east-1 cert


def test_edge_firewall_lives_in_us_east_1():
    stack, _ = world("ap-northeast-2")
    with pytest.raises(WellstackError) as caught:
        EdgeFirewall(stack, "Firewall")
    assert caught.value.codes()[0][0] == "conflict"


def test_the_default_app_behind_cloudfront(built_app):
    """cdk.json "edge": "cloudfront" (dev, in ap-northeast-2; with a proxy and a regional NAT
    too, under every pack as errors): DevEdge in us-east-1 holds the CLOUDFRONT web ACL;
    DevApp's distribution names it across regions; no rule of any group is open to the
    internet; cfn-lint finds no error; reach proves the path."""
    built = built_app(**new_shapes_context())
    assembly = Assembly.load(built.outdir)
    linted = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), "--format", "parseable",
         *map(str, built.template_files)], capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert not [line for line in linted.stdout.splitlines() if ":E" in line], linted.stdout
    assert assembly.regions["DevEdge"] == "us-east-1"
    (acl,) = resources(assembly.templates["DevEdge"], "AWS::WAFv2::WebACL").values()
    assert acl["Properties"]["Scope"] == "CLOUDFRONT"
    (distribution,) = resources(assembly.templates["DevApp"],
                                "AWS::CloudFront::Distribution").values()  # fmt: skip
    reference = distribution["Properties"]["DistributionConfig"]["WebACLId"]["Fn::GetStackOutput"]
    assert (reference["StackName"], reference["Region"]) == ("DevEdge", "us-east-1")
    for template in assembly.templates.values():
        for group in resources(template, "AWS::EC2::SecurityGroup").values():
            for rule in group["Properties"].get("SecurityGroupIngress", []):
                assert rule.get("CidrIp") != "0.0.0.0/0", rule
    result = analyse(assembly)
    assert result.violations == []
    roles = {c.name: c.role for c in result.components}
    cells = {(roles.get(m.source, m.source), roles.get(m.destination, m.destination)): m.tcp
             for m in result.matrix}  # fmt: skip
    assert cells[("internet", "edge")] == "80,443"
    assert cells[("edge", "web")] == "80"
    assert cells[("internet", "web")] == "-"


def test_reach_finds_an_edge_that_cannot_reach_the_load_balancer(tmp_path):
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Shop", env=cdk.Environment(region="us-east-1"))
    net = Network(stack, "Net", availability_zones=AZS["us-east-1"], flow_logs=False)
    tier = AppTier(stack, "Web", vpc=net.vpc, edge="cloudfront")
    tier.node.try_remove_child("FromCloudFront")
    app.synth()
    violations = analyse(Assembly.load(tmp_path)).violations
    assert [v.intent for v in violations] == ["edge-reaches-web"]
