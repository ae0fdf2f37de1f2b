"""AppTier: the ALB in public subnets, the Auto Scaling group in private ones, launch-template
defaults, scaling, Graviton images, and every validation rule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk.assertions import Match, Template

from tests.conftest import project_context, synth_with_packs
from wellstack.analysis.template import ref, resources, subnets
from wellstack.compliance import apply_packs
from wellstack.constructs import AppTier, AuroraCluster, Network, TierSecurityGroups
from wellstack.errors import WellstackError

AZS = ["ap-northeast-2a", "ap-northeast-2c"]
ENV = cdk.Environment(region="ap-northeast-2")


def _default(stack: cdk.Stack, net: Network, sgs: TierSecurityGroups) -> AppTier:
    """The defaults, with a database the tier is allowed into through ``connections``."""
    tier = AppTier(stack, "Web", vpc=net.vpc, security_groups=sgs)
    db = AuroraCluster(stack, "Db", vpc=net.vpc, security_group=sgs.database, readers=0)
    db.connections.allow_default_port_from(tier)
    return tier


def _graviton(stack: cdk.Stack, net: Network, sgs: TierSecurityGroups) -> AppTier:
    return AppTier(
        stack, "Web", vpc=net.vpc, security_groups=sgs, instance_type="m7g.large",
        architecture="arm64", min_capacity=1, max_capacity=6, desired_capacity=3,
        deletion_protection=True, health_check_path="/", user_data="echo custom",
    )  # fmt: skip


#: One builder per configuration.
CONFIGS: dict[str, Callable[[cdk.Stack, Network, TierSecurityGroups], AppTier]] = {
    "default": _default,
    "graviton": _graviton,
}


@pytest.fixture(scope="session")
def tiers() -> dict[str, dict[str, Any]]:
    app = cdk.App(context=project_context())
    out = {}
    for name, build in CONFIGS.items():
        stack = cdk.Stack(app, f"App{name.capitalize()}", env=ENV)
        net = Network(stack, "Net", availability_zones=AZS, flow_logs=False)
        tier = build(stack, net, TierSecurityGroups(stack, "Sgs", vpc=net.vpc))
        out[name] = {"stack": stack, "tier": tier}
    return synth_with_packs(app, out)


def test_load_balancer_in_public_subnets(tiers):
    doc = tiers["default"]["json"]
    (lb,) = resources(doc, "AWS::ElasticLoadBalancingV2::LoadBalancer").values()
    props = lb["Properties"]
    assert props["Scheme"] == "internet-facing"
    tiers_of = subnets(doc)
    assert {tiers_of[ref(s)]["tier"] for s in props["Subnets"]} == {"public"}
    assert [ref(g) for g in props["SecurityGroups"]] == [
        next(k for k in resources(doc, "AWS::EC2::SecurityGroup") if k.startswith("SgsWeb"))
    ]
    attributes = {a["Key"]: a["Value"] for a in props["LoadBalancerAttributes"]}
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert attributes["access_logs.s3.enabled"] == "true"
    assert attributes["deletion_protection.enabled"] == "false"
    log_bucket = doc["Resources"][ref(attributes["access_logs.s3.bucket"])]
    assert log_bucket["DeletionPolicy"] == "Retain"
    assert log_bucket["Properties"]["PublicAccessBlockConfiguration"]["BlockPublicAcls"] is True
    assert "BucketEncryption" in log_bucket["Properties"]


def test_listener_and_health_check(tiers):
    template = tiers["default"]["template"]
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener", {"Port": 80, "Protocol": "HTTP"}
    )
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        {"Port": 80, "Protocol": "HTTP", "HealthCheckPath": "/health", "TargetType": "instance"},
    )


def test_auto_scaling_group_in_private_subnets(tiers):
    doc = tiers["default"]["json"]
    (asg,) = resources(doc, "AWS::AutoScaling::AutoScalingGroup").values()
    props = asg["Properties"]
    tiers_of = subnets(doc)
    assert {tiers_of[ref(s)]["tier"] for s in props["VPCZoneIdentifier"]} == {"private"}
    assert len(props["VPCZoneIdentifier"]) == 2  # spread over both AZs
    assert props["MinSize"] == "2" and props["MaxSize"] == "4"
    assert "DesiredCapacity" not in props
    assert props["HealthCheckType"] == "ELB"
    assert props["HealthCheckGracePeriod"] == 300
    assert len(props["TargetGroupARNs"]) == 1


def test_cpu_target_tracking(tiers):
    tiers["default"]["template"].has_resource_properties(
        "AWS::AutoScaling::ScalingPolicy",
        {
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingConfiguration": {
                "PredefinedMetricSpecification": {
                    "PredefinedMetricType": "ASGAverageCPUUtilization"
                },
                "TargetValue": 60,
            },
        },
    )


def test_launch_template_defaults(tiers):
    doc = tiers["default"]["json"]
    (lt,) = resources(doc, "AWS::EC2::LaunchTemplate").values()
    data = lt["Properties"]["LaunchTemplateData"]
    assert data["InstanceType"] == "t3.micro"
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    assert data["Monitoring"] == {"Enabled": True}
    assert "KeyName" not in data
    (device,) = data["BlockDeviceMappings"]
    assert device["Ebs"]["Encrypted"] is True and device["Ebs"]["VolumeType"] == "gp3"
    image = data["ImageId"]["Ref"]
    parameter = doc["Parameters"][image]
    assert parameter["Type"] == "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"
    assert "al2023-ami-kernel" in parameter["Default"] and "x86_64" in parameter["Default"]
    assert "NetworkInterfaces" not in data  # no public IP association
    user_data = str(data["UserData"])
    assert "dnf install -y nginx" in user_data and "/usr/share/nginx/html/health" in user_data


def test_instance_role_has_ssm_and_nothing_more(tiers):
    doc = tiers["default"]["json"]
    roles = resources(doc, "AWS::IAM::Role")
    (role,) = [r for k, r in roles.items() if k.startswith("WebInstanceRole")]
    managed = [str(a) for a in role["Properties"]["ManagedPolicyArns"]]
    assert len(managed) == 1 and "AmazonSSMManagedInstanceCore" in managed[0]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "ec2.amazonaws.com"
    }


def test_graviton_and_options(tiers):
    doc = tiers["graviton"]["json"]
    (lt,) = resources(doc, "AWS::EC2::LaunchTemplate").values()
    data = lt["Properties"]["LaunchTemplateData"]
    assert data["InstanceType"] == "m7g.large"
    assert "arm64" in doc["Parameters"][data["ImageId"]["Ref"]]["Default"]
    assert "echo custom" in str(data["UserData"])
    (asg,) = resources(doc, "AWS::AutoScaling::AutoScalingGroup").values()
    assert asg["Properties"]["DesiredCapacity"] == "3"
    (lb,) = resources(doc, "AWS::ElasticLoadBalancingV2::LoadBalancer").values()
    attributes = {a["Key"]: a["Value"] for a in lb["Properties"]["LoadBalancerAttributes"]}
    assert attributes["deletion_protection.enabled"] == "true"
    tiers["graviton"]["template"].has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup", {"HealthCheckPath": "/"}
    )


def test_connections_reach_the_database(tiers):
    doc = tiers["default"]["json"]
    groups = resources(doc, "AWS::EC2::SecurityGroup")
    app_group = next(k for k in groups if k.startswith("SgsApp"))
    db_group = next(k for k in groups if k.startswith("SgsDatabase"))
    ingress = [
        r["Properties"]
        for r in resources(doc, "AWS::EC2::SecurityGroupIngress").values()
        if ref(r["Properties"]["GroupId"]) == db_group
    ]
    assert [(ref(r["SourceSecurityGroupId"]), r["FromPort"]) for r in ingress] == [
        (app_group, 3306)
    ]
    assert tiers["default"]["tier"].connections.security_groups[0].node.path.endswith("Sgs/App")


def test_an_instance_refresh_by_default_gated_by_the_tier_s_alarms(tiers):
    doc = tiers["default"]["json"]
    (asg,) = resources(doc, "AWS::AutoScaling::AutoScalingGroup").values()
    # AWS refuses both policies on one group: the default is the refresh alone.
    assert "AutoScalingRollingUpdate" not in asg["UpdatePolicy"]
    preferences = asg["UpdatePolicy"]["AutoScalingInstanceRefresh"]["Preferences"]
    gates = {ref(a) for a in preferences["AlarmSpecification"]["Alarms"]}
    alarms = resources(doc, "AWS::CloudWatch::Alarm")
    assert gates <= set(alarms) and len(gates) == 2
    metrics = {alarms[g]["Properties"]["MetricName"] for g in gates}
    assert metrics == {"HTTPCode_Target_5XX_Count", "UnHealthyHostCount"}
    assert all(alarms[g]["Properties"]["Namespace"] == "AWS/ApplicationELB" for g in gates)
    assert tiers["default"]["tier"].update == "instance_refresh"


def test_rolling_updates_keep_capacity_but_stay_below_max():
    stack = cdk.Stack(cdk.App(context=project_context()), "Rolling", env=ENV)
    net = Network(stack, "Net", availability_zones=AZS, flow_logs=False)
    tier = AppTier(stack, "Web", vpc=net.vpc, update="rolling")
    AppTier(stack, "Fixed", vpc=net.vpc, min_capacity=2, max_capacity=2, update="rolling")
    groups = resources(Template.from_stack(stack).to_json(), "AWS::AutoScaling::AutoScalingGroup")
    by_tier = {k[:5]: g["UpdatePolicy"] for k, g in groups.items()}
    assert all("AutoScalingInstanceRefresh" not in p for p in by_tier.values())
    rolling = by_tier["WebIn"]["AutoScalingRollingUpdate"]
    assert rolling["MinInstancesInService"] == 2 and rolling["WaitOnResourceSignals"] is True
    # CloudFormation rejects MinInstancesInService >= MaxSize.
    assert by_tier["Fixed"]["AutoScalingRollingUpdate"]["MinInstancesInService"] == 1
    assert tier.refresh_alarms == []
    with pytest.raises(WellstackError) as caught:
        AppTier(stack, "Blue", vpc=net.vpc, update="blue_green")
    assert caught.value.codes() == [("choice", "update")]


def test_creates_its_own_groups_when_none_are_given():
    stack = cdk.Stack(cdk.App(context=project_context()), "Own", env=ENV)
    net = Network(stack, "Net", availability_zones=AZS, flow_logs=False)
    tier = AppTier(stack, "Web", vpc=net.vpc, web_port=8080)
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::EC2::SecurityGroup", 3)
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener", {"Port": 8080, "Protocol": "HTTP"}
    )
    assert tier.url.endswith(":8080")
    template.has_resource_properties(
        "AWS::EC2::LaunchTemplate",
        {"LaunchTemplateData": Match.object_like({"UserData": Match.any_value()})},
    )


# --- validation --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def network() -> tuple[cdk.Stack, Network]:
    stack = cdk.Stack(cdk.App(), "V", env=ENV)
    return stack, Network(stack, "Net", availability_zones=AZS, flow_logs=False)


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"min_capacity": -1}, r"min_capacity must be at least 0, got -1"),
        ({"max_capacity": 0}, r"max_capacity must be at least 1, got 0"),
        ({"min_capacity": 5, "max_capacity": 4}, r"min_capacity \(5\) must not exceed max_"),
        (
            {"min_capacity": 2, "max_capacity": 4, "desired_capacity": 5},
            r"desired_capacity must be between min_capacity \(2\) and max_capacity \(4\), got 5",
        ),
        ({"desired_capacity": 1}, r"desired_capacity must be between min_capacity \(2\)"),
        ({"min_capacity": "2"}, r"min_capacity must be an integer, got '2'"),
        ({"instance_type": "large"}, r"instance_type must be an EC2 instance type.*'large'"),
        (
            {"instance_type": "t4g.small", "architecture": "x86_64"},
            r"architecture 'x86_64' does not match instance_type 't4g\.small', which is arm64",
        ),
        (
            {"instance_type": "t3.micro", "architecture": "arm64"},
            r"architecture 'arm64' does not match instance_type 't3\.micro', which is x86_64",
        ),
        ({"architecture": "sparc"}, r"architecture must be one of 'x86_64', 'arm64'"),
        ({"cpu_target": 5}, r"cpu_target must be between 10 and 90"),
        ({"health_check_path": "health"}, r"health_check_path must be an absolute URL path"),
        ({"root_volume_gb": 4}, r"root_volume_gb must be between 8 and 16384"),
        ({"health_check_path": "/" + "a" * 1024}, r"health_check_path must be at most 1024"),
        ({"log_retention_days": 31}, r"log_retention_days must be one of CloudWatch Logs'"),
        ({"tls_port": 0}, r"tls_port must be between 1 and 65535"),
    ],
)
def test_validation(network, props, message):
    stack, net = network
    with pytest.raises(ValueError, match=message):
        AppTier(stack, "Web", vpc=net.vpc, **props)


def test_https_with_a_certificate():
    """certificate=: HTTPS on 443 with a TLS 1.2+ policy, port 80 only redirects, the web group
    opens 443 too, and the app is clean under AwsSolutions and NIST 800-53 without the TLS
    acknowledgments."""
    app = cdk.App(context=project_context())
    stack = cdk.Stack(app, "Tls", env=ENV)
    net = Network(stack, "Net", availability_zones=AZS, flow_logs=False)
    sgs = TierSecurityGroups(stack, "Sgs", vpc=net.vpc)
    arn = "arn:aws:acm:ap-northeast-2:123456789012:certificate/0f5e6a0b-1c2d-4e3f-8a9b-0c1d2e3f4a5b"
    certificate = acm.Certificate.from_certificate_arn(stack, "Cert", arn)
    tier = AppTier(
        stack, "Web", vpc=net.vpc, security_groups=sgs, certificate=certificate,
        deletion_protection=True,
    )  # fmt: skip
    apply_packs(app, ["NIST80053R5"])
    doc = Template.from_stack(stack).to_json()
    listeners = {
        listener["Properties"]["Port"]: listener["Properties"]
        for listener in resources(doc, "AWS::ElasticLoadBalancingV2::Listener").values()
    }
    assert set(listeners) == {80, 443}
    https = listeners[443]
    assert https["Protocol"] == "HTTPS"
    assert https["Certificates"] == [{"CertificateArn": arn}]
    # TLS 1.3 with post-quantum key exchange, the console's default (not CloudFormation's 2016).
    assert https["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
    assert https["DefaultActions"][0]["Type"] == "forward"
    redirect = listeners[80]["DefaultActions"][0]
    assert redirect["Type"] == "redirect"
    assert redirect["RedirectConfig"] == {
        "Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301",
    }  # fmt: skip
    web = next(k for k in resources(doc, "AWS::EC2::SecurityGroup") if k.startswith("SgsWeb"))
    opened = sorted(
        (r["FromPort"], r["CidrIp"])
        for r in doc["Resources"][web]["Properties"]["SecurityGroupIngress"]
    )
    assert opened == [(80, "0.0.0.0/0"), (443, "0.0.0.0/0")]
    assert tier.url.startswith("https://") and not tier.url.endswith(":443")


def test_the_tls_policy_is_overridable_and_needs_a_certificate():
    stack = cdk.Stack(cdk.App(), "TlsPolicy", env=ENV)
    net = Network(stack, "Net", availability_zones=AZS, flow_logs=False)
    arn = "arn:aws:acm:ap-northeast-2:123456789012:certificate/0f5e6a0b-1c2d-4e3f-8a9b-0c1d2e3f4a5b"
    certificate = acm.Certificate.from_certificate_arn(stack, "Cert", arn)
    AppTier(stack, "Web", vpc=net.vpc, certificate=certificate,
            ssl_policy=elbv2.SslPolicy.TLS13_12_EXT1_PQ)  # fmt: skip
    policies = {
        listener["Properties"].get("SslPolicy")
        for listener in resources(
            Template.from_stack(stack).to_json(), "AWS::ElasticLoadBalancingV2::Listener"
        ).values()
    }
    assert policies == {None, "ELBSecurityPolicy-TLS13-1-2-Ext1-PQ-2025-09"}
    with pytest.raises(WellstackError) as caught:
        AppTier(stack, "Plain", vpc=net.vpc, ssl_policy=elbv2.SslPolicy.TLS13_13_PQ)
    assert ("conflict", "ssl_policy") in caught.value.codes()
    with pytest.raises(WellstackError) as caught:
        AppTier(stack, "Named", vpc=net.vpc, certificate=certificate, ssl_policy="TLS13")
    assert ("type", "ssl_policy") in caught.value.codes()


def test_needs_a_region():
    stack = cdk.Stack(cdk.App(), "Agnostic")
    net = Network(stack, "Net", max_azs=2, flow_logs=False)
    with pytest.raises(ValueError, match=r"AppTier needs a stack with a concrete region"):
        AppTier(stack, "Web", vpc=net.vpc)


def test_tls_port_must_differ_from_the_web_port(network):
    stack, net = network
    certificate = acm.Certificate.from_certificate_arn(
        stack, "Cert", "arn:aws:acm:ap-northeast-2:123456789012:certificate/x"
    )
    with pytest.raises(ValueError, match=r"tls_port and web_port must differ .*got 80 for both"):
        AppTier(stack, "Tls", vpc=net.vpc, certificate=certificate, tls_port=80)


def test_needs_private_subnets():
    stack = cdk.Stack(cdk.App(), "V", env=ENV)
    net = Network(stack, "Net", availability_zones=AZS, nat="none", flow_logs=False)
    with pytest.raises(ValueError, match=r"vpc has no private subnets with egress.*nat='none'"):
        AppTier(stack, "Web", vpc=net.vpc)
