"""App tier: EC2 instances as cattle, an Auto Scaling group behind an Application Load Balancer."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from wellstack.catalog import ec2_architecture, ec2_problem
from wellstack.compliance import CHECKOV, CONTROL_TOWER, acknowledge, same_reason
from wellstack.constructs import _cache as cached
from wellstack.constructs import _props
from wellstack.constructs.checks import Problems, is_token, l1, vpc_has_ipv6
from wellstack.constructs.edge import EDGE_REGION, EdgeOptions, cloudfront_edge
from wellstack.constructs.logs import log_bucket
from wellstack.constructs.security import TierSecurityGroups
from wellstack.constructs.waf import DEFAULT_WAF_RULE_GROUPS, web_acl
from wellstack.errors import WellstackError
from wellstack.limits import (
    ALB_IDLE_TIMEOUT_SECONDS,
    CPU_TARGET,
    HEALTH_CHECK_GRACE_MINUTES,
    HEALTH_CHECK_INTERVAL_SECONDS,
    HEALTHY_THRESHOLD,
    MAX_CAPACITY,
    MIN_CAPACITY,
    ROOT_VOLUME_GB,
    SIGNAL_TIMEOUT,
    SIGNAL_TIMEOUT_MINUTES,
    UNHEALTHY_THRESHOLD,
)
from wellstack.types import Architecture, Edge, IpAddressType, UpdateStrategy, choices

ARCHITECTURES = choices(Architecture)
_HEALTH_PATH = re.compile(r"/[A-Za-z0-9._~/-]*")
_WAF_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")
_PUBLIC_SUBNETS = (ec2.SubnetType.PUBLIC,)


def _idle_timeout_ok(problems: Problems, prop: str, value: Any) -> bool:
    seconds = value.to_seconds() if isinstance(value, cdk.Duration) else None
    return problems.check(
        seconds is None or is_token(seconds) or int(seconds) in ALB_IDLE_TIMEOUT_SECONDS,
        f"{prop} must be between {ALB_IDLE_TIMEOUT_SECONDS.low} and "
        f"{ALB_IDLE_TIMEOUT_SECONDS.high} seconds (ALB's range), got {seconds}",
    )


IP_ADDRESS_TYPES = choices(IpAddressType)


def _lb_name_ok(problems: Problems, prop: str, value: Any) -> bool:
    return problems.text(
        prop,
        value,
        r"(?!internal-)[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?",
        "a load balancer name: 1-32 letters, digits or hyphens, not starting or ending with '-'",
        max_length=32,
    )


#: ``load_balancer_props``
LOAD_BALANCER_OVERRIDES = _props.OverrideRules(
    target=elbv2.ApplicationLoadBalancer,
    managed={
        "vpc": "vpc",
        "vpc_subnets": "vpc (the public tier)",
        "security_group": "security_groups",
        "deletion_protection": "deletion_protection",
        "internet_facing": "the design (an internet-facing load balancer)",
        "ip_address_type": "ip_address_type",
    },
    protected={
        "drop_invalid_header_fields": _props.Protect(
            lambda v: v is True, "forward requests with invalid HTTP headers to the instances"
        ),
        "desync_mitigation_mode": _props.Protect(
            lambda v: v != elbv2.DesyncMitigationMode.MONITOR,
            "let HTTP desync (request smuggling) attempts through",
        ),
    },
    checks={"idle_timeout": _idle_timeout_ok, "load_balancer_name": _lb_name_ok},
)
#: ``auto_scaling_group_props``
AUTO_SCALING_GROUP_OVERRIDES = _props.OverrideRules(
    target=autoscaling.AutoScalingGroup,
    managed={
        "vpc": "vpc",
        "launch_template": "launch_template_props",
        "min_capacity": "min_capacity",
        "max_capacity": "max_capacity",
        "desired_capacity": "desired_capacity",
        "instance_type": "instance_type",
        "machine_image": "machine_image",
        "role": "the tier's instance role (AppTier.role)",
        "security_group": "security_groups",
        "user_data": "user_data",
        "block_devices": "root_volume_gb",
        "require_imdsv2": "launch_template_props",
        "init": "user_data",
        "init_options": "user_data",
        "mixed_instances_policy": "instance_type",
        "migrate_to_launch_template": "launch_template_props",
        "instance_monitoring": "launch_template_props",
        "spot_price": "launch_template_props (spot_options)",
        "allow_all_outbound": "security_groups",
        "signals": "signal_timeout_minutes",
        "update_policy": "update / signal_timeout_minutes",
    },
    protected={
        "vpc_subnets": _props.Protect(
            lambda v: not (isinstance(v, ec2.SubnetSelection) and v.subnet_type in _PUBLIC_SUBNETS),
            "put the instances in public subnets",
        ),
        "associate_public_ip_address": _props.Protect(
            lambda v: v is False, "give the instances public IP addresses"
        ),
        "key_name": _props.Protect(lambda v: v is None, "add an SSH key pair (use SSM instead)"),
        "key_pair": _props.Protect(lambda v: v is None, "add an SSH key pair (use SSM instead)"),
        "ssm_session_permissions": _props.Protect(
            lambda v: v is not False, "remove Session Manager access (the only way in)"
        ),
    },
)
#: ``launch_template_props``
LAUNCH_TEMPLATE_OVERRIDES = _props.OverrideRules(
    target=ec2.LaunchTemplate,
    managed={
        "instance_type": "instance_type",
        "machine_image": "machine_image",
        "role": "the tier's instance role (AppTier.role)",
        "instance_profile": "the tier's instance role (AppTier.role)",
        "security_group": "security_groups",
        "user_data": "user_data",
        "block_devices": "root_volume_gb",
    },
    protected={
        "require_imdsv2": _props.Protect(
            lambda v: v is True, "allow IMDSv1 (SSRF credential theft)"
        ),
        "http_tokens": _props.Protect(
            lambda v: v == ec2.LaunchTemplateHttpTokens.REQUIRED, "allow IMDSv1"
        ),
        "http_put_response_hop_limit": _props.Protect(
            lambda v: isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 2,
            "let metadata tokens travel further than a container on the instance (hop limit > 2)",
        ),
        "key_name": _props.Protect(lambda v: v is None, "add an SSH key pair (use SSM instead)"),
        "key_pair": _props.Protect(lambda v: v is None, "add an SSH key pair (use SSM instead)"),
        "associate_public_ip_address": _props.Protect(
            lambda v: v is False, "give the instances public IP addresses"
        ),
    },
)
#: ``web_acl_props``: ``rules`` are added after the managed rule groups.
WEB_ACL_OVERRIDES = _props.OverrideRules(
    target=wafv2.CfnWebACL,
    managed={"scope": "the design (a REGIONAL web ACL on the load balancer)"},
    protected={},
)
#: ``health_check_props`` (``elbv2.HealthCheck``)
HEALTH_CHECK_OVERRIDES = _props.OverrideRules(
    target=elbv2.HealthCheck,
    managed={"path": "health_check_path", "port": "web_port"},
    protected={},
)


_IMDS_TOKEN = (
    "TOKEN=$(curl -s -X PUT http://169.254.169.254/latest/api/token "
    "-H 'X-aws-ec2-metadata-token-ttl-seconds: 300')"
)


#: How often an instance tries to send its signal before giving up (CloudFormation's API may
#: throttle or the network may not be ready yet); it waits 5, 10, 15 ... seconds in between.
SIGNAL_ATTEMPTS = 5


def _send_signal(status: str, stack_name: str, logical_id: str, region: str) -> list[str]:
    """Send ``status`` to CloudFormation, retrying; ``WELLSTACK_SIGNALLED=1`` once sent."""
    return [
        _IMDS_TOKEN,
        'INSTANCE_ID=$(curl -s -H "X-aws-ec2-metadata-token: $TOKEN" '
        "http://169.254.169.254/latest/meta-data/instance-id)",
        f"for attempt in $(seq 1 {SIGNAL_ATTEMPTS}); do",
        f"  if aws cloudformation signal-resource --region {region} --stack-name {stack_name} "
        f'--logical-resource-id {logical_id} --unique-id "$INSTANCE_ID" --status {status}; then '
        "WELLSTACK_SIGNALLED=1; break; fi",
        "  sleep $((attempt * 5))",
        "done",
    ]


def signal_commands(
    web_port: int, health_check_path: str, stack_name: str, logical_id: str, region: str
) -> list[str]:
    """Wait until the web server answers ``health_check_path`` (up to 10 minutes), then tell
    CloudFormation: SUCCESS lets a rolling update go on, FAILURE (or no signal before the
    timeout) rolls it back with the old instances still serving. The call is retried. AWS CLI
    v2 ships with Amazon Linux 2023; the instance role may signal its own stack only."""
    return [
        "STATUS=FAILURE",
        "for attempt in $(seq 1 120); do",
        f"  if curl -sf -o /dev/null http://127.0.0.1:{web_port}{health_check_path}; then "
        "STATUS=SUCCESS; break; fi",
        "  sleep 5",
        "done",
        *_send_signal('"$STATUS"', stack_name, logical_id, region),
    ]


def signal_on_exit_commands(stack_name: str, logical_id: str, region: str) -> list[str]:
    """The boot script's EXIT trap: a script that ends before it signalled (a failed package
    install under ``set -e``, a command of yours that fails) sends FAILURE at once, so a
    rolling update rolls back now instead of waiting out the signal timeout. The trap runs
    with ``set -e``/``-u`` off, so that nothing in it stops it early."""
    return [
        "set +eu",
        'if [ "${WELLSTACK_SIGNALLED:-0}" != 1 ]; then',
        '  echo "wellstack: boot script exited with $exitCode before signalling: FAILURE" >&2',
        *(f"  {line}" for line in _send_signal("FAILURE", stack_name, logical_id, region)),
        "fi",
    ]


def default_user_data(web_port: int, health_check_path: str) -> ec2.UserData:
    """nginx from Amazon Linux 2023's own repository, serving a small page and the health path."""
    health_file = health_check_path + ("index.html" if health_check_path.endswith("/") else "")
    user_data = ec2.UserData.for_linux()
    user_data.add_commands(
        "set -euo pipefail",
        "dnf install -y nginx",
        f"sed -i 's/listen       80;/listen       {web_port};/; "
        f"s/listen       \\[::\\]:80;/listen       [::]:{web_port};/' /etc/nginx/nginx.conf",
        _IMDS_TOKEN,
        'AZ=$(curl -s -H "X-aws-ec2-metadata-token: $TOKEN" '
        "http://169.254.169.254/latest/meta-data/placement/availability-zone)",
        'echo "<h1>wellstack</h1><p>served from $(hostname) in $AZ</p>" '
        "> /usr/share/nginx/html/index.html",
        f"HEALTH=/usr/share/nginx/html{health_file}",
        'mkdir -p "$(dirname "$HEALTH")"',
        '[ -e "$HEALTH" ] || echo ok > "$HEALTH"',
        "systemctl enable --now nginx",
    )
    return user_data


#: The HTTPS listener's default TLS policy: ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09 (ELB
#: User Guide, "Security policies for your Application Load Balancer": TLS 1.3 and 1.2 with
#: ML-KEM hybrid key exchange, the console's default).
DEFAULT_SSL_POLICY = elbv2.SslPolicy.TLS13_12_RES_PQ


UPDATE_STRATEGIES = choices(UpdateStrategy)
#: The instance refresh (CloudFormation Template Reference, "UpdatePolicy attribute",
#: AutoScalingInstanceRefresh): MinHealthyPercentage 100 with MaxHealthyPercentage 200 launches
#: new instances before terminating old ones (AWS's own example; Max - Min may not exceed 100);
#: a checkpoint at half the group, 5 minutes to look at it, and a 10-minute bake after the last
#: instance (BakeTime and CheckpointDelay: at most 172800 s).
REFRESH_MIN_HEALTHY, REFRESH_MAX_HEALTHY = 100, 200
REFRESH_CHECKPOINTS = (50, 100)
REFRESH_CHECKPOINT_DELAY = cached.minutes(5)
REFRESH_BAKE_TIME = cached.minutes(10)


def _update_policy(
    update: UpdateStrategy, capacity: _Capacity, timeout: cdk.Duration
) -> autoscaling.UpdatePolicy:
    if update == "rolling":
        # One instance at a time; keep min_capacity in service, but stay below max:
        # CloudFormation rejects MinInstancesInService >= MaxSize (e.g. min == max == 2).
        # Each new instance must signal within the timeout, or the update rolls back.
        return autoscaling.UpdatePolicy.rolling_update(
            max_batch_size=1,
            min_instances_in_service=min(capacity.minimum, capacity.maximum - 1),
            pause_time=timeout,
            wait_on_resource_signals=True,
            suspend_processes=[
                autoscaling.ScalingProcess.HEALTH_CHECK,
                autoscaling.ScalingProcess.REPLACE_UNHEALTHY,
                autoscaling.ScalingProcess.AZ_REBALANCE,
                autoscaling.ScalingProcess.ALARM_NOTIFICATION,
                autoscaling.ScalingProcess.SCHEDULED_ACTIONS,
            ],
        )
    # The gate alarms join once the target group exists (AppTier._gate_refresh).
    return autoscaling.UpdatePolicy.instance_refresh(
        strategy=autoscaling.InstanceRefreshStrategy.ROLLING,
        min_healthy_percentage=REFRESH_MIN_HEALTHY,
        max_healthy_percentage=REFRESH_MAX_HEALTHY,
        instance_warmup=cached.minutes(HEALTH_CHECK_GRACE_MINUTES),
        checkpoint_percentages=list(REFRESH_CHECKPOINTS),
        checkpoint_delay=REFRESH_CHECKPOINT_DELAY,
        bake_time=REFRESH_BAKE_TIME,
    )


@dataclass(frozen=True)
class _Capacity:
    """The Auto Scaling group's size (``desired`` None: Auto Scaling starts at ``minimum``)."""

    minimum: int
    maximum: int
    desired: int | None


@dataclass(frozen=True)
class _Waf:
    """The web ACL the tier puts in front of its load balancer, as given."""

    enabled: bool
    managed_rule_groups: Sequence[str] | None
    rules: Sequence[Any] | None
    web_acl_props: Mapping[str, Any] | None
    log_retention_days: int | None
    log_encryption_key: kms.IKey | kms.Key | None


@dataclass(frozen=True)
class _AccessLogs:
    bucket: s3.IBucket | None
    retention_days: int | None


@dataclass(frozen=True)
class _Overrides:
    load_balancer: dict[str, Any]
    auto_scaling_group: dict[str, Any]
    launch_template: dict[str, Any]
    web_acl: dict[str, Any]
    health_check: dict[str, Any]


@jsii.implements(ec2.IConnectable)
class AppTier(Construct):
    """An internet-facing ALB in the public subnets in front of an Auto Scaling group in the
    private subnets. Instances never get public IPs, have no key pair and no port 22: use SSM
    Session Manager.

    :param vpc: the VPC (needs public and private subnets).
    :param security_groups: the tier groups: ``web`` goes on the load balancer, ``app`` on the
        instances. Default: a new :class:`TierSecurityGroups` with ``web_port``.
    :param instance_type: ``"t3.micro"`` (default) or an ``ec2.InstanceType``. A Graviton type
        (``t4g``, ``m7g`` ...) gets the arm64 image.
    :param architecture: ``"x86_64"`` or ``"arm64"``; must match ``instance_type``. Default:
        derived from it.
    :param machine_image: the AMI. Default: the latest Amazon Linux 2023 for the architecture,
        resolved at deploy time from AWS's public SSM parameter.
    :param min_capacity: Default 2 (one per AZ of a two-AZ network).
    :param max_capacity: Default 4.
    :param desired_capacity: Default: none (Auto Scaling starts at ``min_capacity``).
    :param cpu_target: target-tracking CPU utilization, percent. Default 60. A group with
        ``min_capacity == max_capacity`` has a fixed size and no scaling policy.
    :param user_data: a script (str) or ``ec2.UserData``. Default: nginx serving a small page
        and ``health_check_path`` on the web port. Either way the instance then waits for its
        health path to answer and signals CloudFormation (see ``signal_timeout_minutes``).
    :param signal_timeout_minutes: how long a new instance has to answer its health path and
        signal (1-60). Creation waits for ``min_capacity`` signals; so does each new instance of
        a rolling update (``update="rolling"``). Default 15.
    :param update: how a change of the launch template (a new image, user data, instance
        type) reaches the running instances. ``"instance_refresh"`` (default): CloudFormation's
        ``AutoScalingInstanceRefresh`` — new instances launch before old ones stop (100 % of the
        capacity stays healthy, up to 200 % runs), a checkpoint at half the group, a 10-minute
        bake at the end; the tier's two gate alarms (target 5xx, unhealthy targets) going off
        fail the refresh and CloudFormation rolls the stack back. A refresh waits for health
        checks and warm-up, not for signals (AWS: it does not support cfn-signal).
        ``"rolling"``: ``AutoScalingRollingUpdate``, one instance at a time, each new one's
        signal awaited. AWS refuses both on one group.
    :param health_check_path: what the target group checks. Default ``/health``.
    :param health_check_props: ``elbv2.HealthCheck`` keyword arguments merged over wellstack's
        (every 15 s, healthy after 2, unhealthy after 3, HTTP 200).
    :param web_port: the port of the listener and the instances. Default: ``security_groups``'
        web port, or 80; giving both with different ports is an error.
    :param root_volume_gb: encrypted gp3 root volume. Default 10.
    :param deletion_protection: load balancer deletion protection. Default off (on in prod
        settings).
    :param access_logs_bucket: an existing bucket for the load balancer's access logs.
        Default: a new private bucket (SSE-S3: ELB log delivery supports no other), RETAINed.
    :param access_log_retention_days: how long that own bucket keeps the logs. Default 365.
    :param waf: an AWS WAF web ACL on the load balancer. Default on (about $8 a month plus
        $0.60 per million requests), logging to an encrypted CloudWatch log group.
    :param waf_managed_rule_groups: AWS managed rule group names. Default
        :data:`DEFAULT_WAF_RULE_GROUPS`.
    :param waf_rules: extra web ACL rules (``wafv2.CfnWebACL.RuleProperty``), evaluated after
        the managed rule groups.
    :param web_acl_props: ``wafv2.CfnWebACL`` keyword arguments merged over wellstack's;
        ``rules`` are added after the managed rule groups.
    :param log_retention_days: retention of the WAF log group. Default 30.
    :param log_encryption_key: KMS key for that log group. Default: a new rotating key.
    :param certificate: an ACM certificate for your domain: the load balancer then serves HTTPS
        on ``tls_port`` (TLS 1.2+ policy) from ``web_ingress_cidr`` and ``web_port`` only
        redirects to it. Default none: plain HTTP on ``web_port``, as the design draws it (TLS
        needs a domain name a sandbox does not have).
    :param tls_port: the HTTPS port with a certificate. Default 443.
    :param ssl_policy: the HTTPS listener's TLS policy, with a certificate. Default
        ``elbv2.SslPolicy.TLS13_12_RES_PQ`` (``ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09``: TLS
        1.3 and 1.2 with post-quantum ML-KEM key exchange, no CBC ciphers; the console's default
        since 2025 — CloudFormation's own default is a 2016 policy with TLS 1.0). Pick
        ``TLS13_12_EXT1_PQ`` or ``TLS13_12_PQ`` for old TLS 1.2 clients that need CBC ciphers.
    :param ip_address_type: ``"ipv4"`` (default) or ``"dualstack"``: the load balancer answers
        on IPv4 and IPv6. Needs a VPC with IPv6 (``Network(ipv6=True)``); the default security
        groups then admit ``::/0`` on the listener ports too, and groups you pass must have a
        ``web_ingress_ipv6_cidr``. The targets stay IPv4 (the load balancer translates).
    :param edge: what faces the internet. ``"alb"`` (default): the load balancer, in the public
        subnets, with a REGIONAL web ACL. ``"cloudfront"``: a CloudFront distribution
        (:attr:`distribution`) whose origin is the load balancer, now internal in the private
        subnets, through a CloudFront VPC origin; its group admits only CloudFront's VPC-origin
        group (no internet peer: ``security_groups`` must have none,
        ``TierSecurityGroups(web_ingress_cidr=None)``); WAF at the edge (scope CLOUDFRONT); no
        caching of dynamic pages (``CachingDisabled``); access logs of both. IPv4 to the
        origin (CloudFront serves IPv6 viewers itself).
    :param edge_web_acl_arn: with ``edge="cloudfront"`` and ``waf``: the ARN of a CLOUDFRONT web
        ACL (:class:`~wellstack.constructs.EdgeFirewall`), which AWS WAF keeps in us-east-1.
        Default: in a us-east-1 stack, the tier creates one; elsewhere it is required.
    :param edge_certificate: the viewers' certificate (ACM, us-east-1) for
        ``edge_domain_names``: TLS 1.2+ to viewers. Default: ``*.cloudfront.net``'s.
    :param edge_domain_names: the names the distribution answers to (with
        ``edge_certificate``).
    :param origin_domain_name: with ``edge="cloudfront"`` and ``certificate``: HTTPS from
        CloudFront to the load balancer under this name, which ``certificate`` must cover and
        which must resolve to the load balancer. Default: HTTP on ``web_port`` over the VPC
        origin's private path.
    :param load_balancer_props: ``elbv2.ApplicationLoadBalancer`` keyword arguments merged over
        wellstack's (e.g. ``{"idle_timeout": cdk.Duration.seconds(120)}``).
    :param auto_scaling_group_props: ``autoscaling.AutoScalingGroup`` keyword arguments.
    :param launch_template_props: ``ec2.LaunchTemplate`` keyword arguments.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        security_groups: TierSecurityGroups | None = None,
        instance_type: str | ec2.InstanceType = "t3.micro",
        architecture: Architecture | None = None,
        machine_image: ec2.IMachineImage | None = None,
        min_capacity: int = 2,
        max_capacity: int = 4,
        desired_capacity: int | None = None,
        cpu_target: int = 60,
        user_data: str | ec2.UserData | None = None,
        signal_timeout_minutes: int = SIGNAL_TIMEOUT_MINUTES,
        update: UpdateStrategy = "instance_refresh",
        health_check_path: str = "/health",
        health_check_props: Mapping[str, Any] | None = None,
        web_port: int | None = None,
        root_volume_gb: int = 10,
        deletion_protection: bool = False,
        access_logs_bucket: s3.IBucket | None = None,
        access_log_retention_days: int | None = None,
        waf: bool = True,
        waf_managed_rule_groups: Sequence[str] | None = None,
        waf_rules: Sequence[wafv2.CfnWebACL.RuleProperty | Mapping[str, Any]] | None = None,
        web_acl_props: Mapping[str, Any] | None = None,
        log_retention_days: int | None = None,
        log_encryption_key: kms.IKey | kms.Key | None = None,
        certificate: acm.ICertificate | None = None,
        tls_port: int | None = None,
        ssl_policy: elbv2.SslPolicy | None = None,
        ip_address_type: IpAddressType = "ipv4",
        edge: Edge = "alb",
        edge_web_acl_arn: str | None = None,
        edge_certificate: acm.ICertificate | None = None,
        edge_domain_names: Sequence[str] | None = None,
        origin_domain_name: str | None = None,
        load_balancer_props: Mapping[str, Any] | None = None,
        auto_scaling_group_props: Mapping[str, Any] | None = None,
        launch_template_props: Mapping[str, Any] | None = None,
    ) -> None:
        problems = Problems.of(scope, construct_id, "AppTier")
        type_name = _instance_type_name(instance_type)
        capacity = _Capacity(min_capacity, max_capacity, desired_capacity)
        web_acl = _Waf(
            waf, waf_managed_rule_groups, waf_rules, web_acl_props, log_retention_days,
            log_encryption_key,
        )  # fmt: skip
        arch = _validate_instances(
            problems,
            instance_type=type_name,
            architecture=architecture,
            machine_image=machine_image,
            capacity=capacity,
            cpu_target=cpu_target,
            root_volume_gb=root_volume_gb,
            user_data=user_data,
        )
        port = _validate_network(
            problems,
            scope,
            vpc=vpc,
            security_groups=security_groups,
            web_port=web_port,
            certificate=certificate,
            tls_port=tls_port,
            ssl_policy=ssl_policy,
        )
        _validate_ip_address_type(problems, ip_address_type, vpc, security_groups)
        edge_options = _validate_edge_choice(
            problems, scope, edge=edge, waf=waf, web_acl_arn=edge_web_acl_arn,
            viewer_certificate=edge_certificate, domain_names=edge_domain_names,
            origin_domain_name=origin_domain_name, certificate=certificate,
            security_groups=security_groups, ip_address_type=ip_address_type,
        )  # fmt: skip
        _validate_edge(
            problems,
            health_check_path=health_check_path,
            deletion_protection=deletion_protection,
            access_logs=_AccessLogs(access_logs_bucket, access_log_retention_days),
            waf=web_acl,
        )
        overrides = _Overrides(
            load_balancer=_props.check_overrides(
                problems, "load_balancer_props", load_balancer_props, LOAD_BALANCER_OVERRIDES
            ),
            auto_scaling_group=_props.check_overrides(
                problems,
                "auto_scaling_group_props",
                auto_scaling_group_props,
                AUTO_SCALING_GROUP_OVERRIDES,
            ),
            launch_template=_props.check_overrides(
                problems, "launch_template_props", launch_template_props, LAUNCH_TEMPLATE_OVERRIDES
            ),
            web_acl=_props.check_overrides(
                problems, "web_acl_props", web_acl_props, WEB_ACL_OVERRIDES
            ),
            health_check=_props.check_overrides(
                problems, "health_check_props", health_check_props, HEALTH_CHECK_OVERRIDES
            ),
        )
        problems.within("signal_timeout_minutes", signal_timeout_minutes, SIGNAL_TIMEOUT)
        problems.choice("update", update, UPDATE_STRATEGIES)
        problems.done()
        super().__init__(scope, construct_id)
        cached.adopt(self, scope, construct_id)
        self._path = problems.path

        #: The tier groups (``web`` on the load balancer, ``app`` on the instances).
        self.security_groups: TierSecurityGroups = security_groups or TierSecurityGroups(
            self,
            "SecurityGroups",
            vpc=vpc,
            web_port=port,
            web_ingress_cidr=None if edge == "cloudfront" else "0.0.0.0/0",
            web_ingress_ipv6_cidr="::/0" if ip_address_type == "dualstack" else None,
        )
        #: ``"ipv4"`` or ``"dualstack"``.
        self.ip_address_type: IpAddressType = ip_address_type
        #: The port the listener and the instances serve.
        self.web_port: int = port
        #: The instances' role (SSM managed instance core only); attach your policies here.
        self.role: iam.Role = self._instance_role()
        #: The Auto Scaling bounds.
        self.min_capacity: int = min_capacity
        self.max_capacity: int = max_capacity
        #: The instances' boot script (yours or the default), followed by the health signal.
        self.user_data: ec2.UserData = _user_data(user_data, port, health_check_path)
        #: The launch template (IMDSv2, encrypted gp3, no key pair).
        self.launch_template: ec2.LaunchTemplate = self._launch_template(
            type_name, arch, machine_image, root_volume_gb, overrides.launch_template
        )
        #: The Auto Scaling group in the private subnets.
        self.auto_scaling_group: autoscaling.AutoScalingGroup = self._auto_scaling_group(
            vpc, capacity, cpu_target, signal_timeout_minutes, update, overrides.auto_scaling_group,
        )  # fmt: skip
        self._signal_when_healthy(health_check_path)
        #: The internet-facing Application Load Balancer in the public subnets.
        self.load_balancer: elbv2.ApplicationLoadBalancer = self._load_balancer(
            vpc, deletion_protection, ip_address_type, edge, overrides.load_balancer
        )
        #: Where the load balancer's access logs go.
        self.access_logs_bucket: s3.IBucket = access_logs_bucket or log_bucket(
            self,
            "AccessLogs",
            retention_days=access_log_retention_days or 365,
            delivered_by="Elastic Load Balancing",
        )
        self.load_balancer.log_access_logs(self.access_logs_bucket, "alb")
        listener, https_listener = self._listeners(
            certificate, tls_port or 443, ssl_policy or DEFAULT_SSL_POLICY
        )
        #: The HTTP listener (only a redirect with a certificate).
        self.listener: elbv2.ApplicationListener = listener
        #: The HTTPS listener (``None`` without a certificate).
        self.https_listener: elbv2.ApplicationListener | None = https_listener
        #: The instances' target group (health checks on ``health_check_path``).
        self.target_group: elbv2.ApplicationTargetGroup = self._target_group(
            health_check_path, overrides.health_check
        )
        #: How launch-template changes reach the instances (see ``update``).
        self.update: UpdateStrategy = update
        #: The alarms that stop an instance refresh and roll the stack back (empty with
        #: ``update="rolling"``); they gate, they notify nobody.
        self.refresh_alarms: list[cloudwatch.Alarm] = (
            self._gate_refresh() if update == "instance_refresh" else []
        )
        #: The WAF web ACL and its log group (both ``None`` with ``waf=False``).
        self.web_acl: wafv2.CfnWebACL | None = None
        self.waf_log_group: logs.LogGroup | None = None
        #: What faces the internet: ``"alb"`` or ``"cloudfront"``.
        self.edge: Edge = edge
        if waf and (edge == "alb" or edge_options is None or edge_options.web_acl_arn is None):
            self.web_acl, self.waf_log_group = self._web_acl(
                log_retention_days or 30,
                log_encryption_key,
                waf_managed_rule_groups or DEFAULT_WAF_RULE_GROUPS,
                list(waf_rules or []),
                overrides.web_acl,
                edge,
            )
        self._acknowledge(certificate is not None, deletion_protection, waf)
        #: The CloudFront distribution in front (``None`` with ``edge="alb"``).
        self.distribution: cloudfront.Distribution | None = None
        if edge_options is not None:
            self.distribution = cloudfront_edge(
                self, self.load_balancer, self.security_groups.web, vpc,
                replace(edge_options, web_acl_arn=edge_options.web_acl_arn or (
                    self.web_acl.attr_arn if self.web_acl is not None else None
                ), web_port=port, tls_port=tls_port or 443),
                log_retention_days=access_log_retention_days or 365,
            )  # fmt: skip
            self._acknowledge_internal()
        scheme, url_port, default = (
            ("http", port, 80) if certificate is None else ("https", tls_port or 443, 443)
        )
        #: Where users go: the distribution's ``https://`` name with ``edge="cloudfront"``; else
        #: the load balancer's ``http://`` (or ``https://`` with a certificate) DNS name, and
        #: the port when it is not the scheme's default.
        self.url: str = (
            f"https://{(edge_domain_names or [self.distribution.domain_name])[0]}"
            if self.distribution is not None
            else f"{scheme}://{self.load_balancer.load_balancer_dns_name}"
            + ("" if url_port == default else f":{url_port}")
        )

    @property
    def connections(self) -> ec2.Connections:
        """The instances' connections (the ``app`` group), e.g. for
        ``db.connections.allow_default_port_from(app_tier)``."""
        return self.auto_scaling_group.connections

    # --- steps ---------------------------------------------------------------------------------

    def _instance_role(self) -> iam.Role:
        role = iam.Role(
            self,
            "InstanceRole",
            assumed_by=cached.service_principal("ec2.amazonaws.com"),  # pyright: ignore[reportArgumentType]  # CDK protocol false positive
            description="App instances: SSM Session Manager only (no SSH)",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name("AmazonSSMManagedInstanceCore")
            ],
        )
        acknowledge(
            role,
            {
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
                "AmazonSSMManagedInstanceCore]": (
                    "AWS's managed policy for the SSM agent (Session Manager instead of SSH, "
                    "patching); AWS keeps it current with the agent's needs"
                ),
            },
        )
        return role

    def _launch_template(
        self,
        instance_type: str,
        arch: Architecture,
        machine_image: ec2.IMachineImage | None,
        root_volume_gb: int,
        overrides: dict[str, Any],
    ) -> ec2.LaunchTemplate:
        image = machine_image or ec2.MachineImage.latest_amazon_linux2023(
            cpu_type=ec2.AmazonLinuxCpuType.ARM_64
            if arch == "arm64"
            else ec2.AmazonLinuxCpuType.X86_64
        )  # resolved at deploy time from AWS's public SSM parameter: no lookup at synth
        defaults: dict[str, Any] = {
            "instance_type": ec2.InstanceType(instance_type),
            "machine_image": image,
            "require_imdsv2": True,
            "http_put_response_hop_limit": 1,
            "detailed_monitoring": True,
            # CDK's own grants (e.g. for the creation signals) would add an inline policy: the
            # permissions the tier needs come as managed policies instead (SignalPolicy).
            "role": self.role.without_policy_updates(),
            "security_group": self.security_groups.app,
            "user_data": self.user_data,
            "block_devices": [
                ec2.BlockDevice(
                    device_name="/dev/xvda",
                    volume=ec2.BlockDeviceVolume.ebs(
                        root_volume_gb,
                        encrypted=True,
                        volume_type=ec2.EbsDeviceVolumeType.GP3,
                        delete_on_termination=True,
                    ),
                )
            ],
        }
        props = _props.merge(defaults, overrides)
        return _props.build(
            self._path,
            "launch_template_props",
            bool(overrides),
            lambda: ec2.LaunchTemplate(self, "LaunchTemplate", **props),
        )

    def _auto_scaling_group(
        self,
        vpc: ec2.IVpc,
        capacity: _Capacity,
        cpu_target: int,
        signal_timeout_minutes: int,
        update: UpdateStrategy,
        overrides: dict[str, Any],
    ) -> autoscaling.AutoScalingGroup:
        min_capacity, max_capacity = capacity.minimum, capacity.maximum
        timeout = cached.minutes(signal_timeout_minutes)
        defaults: dict[str, Any] = {
            "vpc": vpc,
            "vpc_subnets": ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            "launch_template": self.launch_template,
            "min_capacity": min_capacity,
            "max_capacity": max_capacity,
            "desired_capacity": capacity.desired,
            "health_checks": autoscaling.HealthChecks.with_additional_checks(
                additional_types=[autoscaling.AdditionalHealthCheckType.ELB],
                grace_period=cached.minutes(HEALTH_CHECK_GRACE_MINUTES),
            ),
            # Creation waits for min_capacity healthy instances (none to wait for at 0).
            "signals": autoscaling.Signals.wait_for_min_capacity(timeout=timeout)
            if min_capacity
            else None,
            "update_policy": _update_policy(update, capacity, timeout),
            # GroupInServiceInstances & co. for the alarms and the dashboard (free, 1 minute).
            "group_metrics": [autoscaling.GroupMetrics.all()],
        }
        props = _props.merge(defaults, overrides)
        group = _props.build(
            self._path,
            "auto_scaling_group_props",
            bool(overrides),
            lambda: autoscaling.AutoScalingGroup(self, "Instances", **props),
        )
        if min_capacity != max_capacity:  # a fixed-size group has nothing to scale
            group.scale_on_cpu_utilization("CpuTarget", target_utilization_percent=cpu_target)
        reasons = {
            "AwsSolutions-AS3": (
                "Scaling events are recorded in the group's activity history and CloudWatch "
                "metrics; nobody subscribes to per-event notifications in this design"
            ),
            CONTROL_TOWER + "autoscaling_mixed_instances_policy_multiple_instance_types_check": (
                "One instance type (instance_type=) keeps capacity, cost and the image's "
                "architecture predictable; the group spreads over every AZ of the private tier "
                "for availability"
            ),
        }
        if _state_availability_zones(group, vpc):
            reasons["CloudFormation-Validate::W3010"] = (
                "The group states the AZs of its subnets (the network's explicit "
                "availability_zones, which keep synthesis offline) for Control Tower's "
                "CT.AUTOSCALING.PR.1; they can only be those of the subnets"
            )
        else:
            reasons[CONTROL_TOWER + "autoscaling_multiple_az_check"] = (
                "The group's AZs come from its subnets (VPCZoneIdentifier), which span every AZ "
                "of the private tier; their names are not known at synth to state them too"
            )
        acknowledge(group, reasons)
        return group

    def _signal_when_healthy(self, health_check_path: str) -> None:
        """Append the health signal to the boot script; let the role signal this stack only.
        Both sides of ``SignalResource``: the instance role's policy names this stack's id, and
        CloudFormation, which has no resource policy, takes a signal for a resource of the
        caller's stack (CloudFormation User Guide, "cfn-signal")."""
        stack = cached.stack_of(self)
        group = cached.default_child(self.auto_scaling_group)
        if not isinstance(group, cdk.CfnResource):
            raise WellstackError(self._path, ["the Auto Scaling group has no CfnResource"])
        where = (stack.stack_name, stack.get_logical_id(group), cached.region(stack))
        self.user_data.add_commands(*signal_commands(self.web_port, health_check_path, *where))
        self.user_data.add_on_exit_commands(*signal_on_exit_commands(*where))
        policy = iam.ManagedPolicy(
            self,
            "SignalPolicy",
            description="App instances: report their health to this stack's update",
            statements=[
                iam.PolicyStatement(
                    actions=["cloudformation:SignalResource"],
                    resources=[cdk.Aws.STACK_ID],
                )
            ],
            roles=[self.role],  # pyright: ignore[reportArgumentType]  # CDK protocol false positive
        )
        # The group (and so its instances) only after the role may signal: an instance that
        # boots first gets AccessDenied on its signal and the group waits out the timeout.
        group.add_resource_dependency(l1(policy, iam.CfnManagedPolicy))

    def _load_balancer(
        self,
        vpc: ec2.IVpc,
        deletion_protection: bool,
        ip_address_type: IpAddressType,
        edge: Edge,
        overrides: dict[str, Any],
    ) -> elbv2.ApplicationLoadBalancer:
        internal = edge == "cloudfront"  # CloudFront's VPC origin reaches it privately
        defaults: dict[str, Any] = {
            "vpc": vpc,
            "internet_facing": not internal,
            "security_group": self.security_groups.web,
            "vpc_subnets": ec2.SubnetSelection(
                subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS
                if internal
                else ec2.SubnetType.PUBLIC
            ),
            "drop_invalid_header_fields": True,
            "deletion_protection": deletion_protection,
        }
        if ip_address_type == "dualstack":
            defaults["ip_address_type"] = elbv2.IpAddressType.DUAL_STACK
        props = _props.merge(defaults, overrides)
        return _props.build(
            self._path,
            "load_balancer_props",
            bool(overrides),
            lambda: elbv2.ApplicationLoadBalancer(self, "LoadBalancer", **props),
        )

    def _listeners(
        self, certificate: acm.ICertificate | None, tls_port: int, ssl_policy: elbv2.SslPolicy
    ) -> tuple[elbv2.ApplicationListener, elbv2.ApplicationListener | None]:
        groups = self.security_groups
        if certificate is None:
            http = self.load_balancer.add_listener(
                "Http", port=self.web_port, protocol=elbv2.ApplicationProtocol.HTTP, open=False
            )
            return http, None
        for peer in groups.web_peers:
            groups.web.add_ingress_rule(peer, cached.tcp(tls_port), f"HTTPS from {peer.unique_id}")
        http = self.load_balancer.add_listener(
            "Http",
            port=self.web_port,
            protocol=elbv2.ApplicationProtocol.HTTP,
            open=False,
            default_action=elbv2.ListenerAction.redirect(
                protocol="HTTPS", port=str(tls_port), permanent=True
            ),
        )
        https = self.load_balancer.add_listener(
            "Https",
            port=tls_port,
            protocol=elbv2.ApplicationProtocol.HTTPS,
            certificates=[elbv2.ListenerCertificate.from_certificate_manager(certificate)],
            ssl_policy=ssl_policy,
            open=False,
        )
        acknowledge(
            http,
            {
                "NIST.800.53.R5-ELBv2ACMCertificateRequired": (
                    f"This HTTP listener only answers with a permanent redirect to HTTPS on "
                    f"port {tls_port}, which carries the ACM certificate; it serves no content"
                )
            },
        )
        return http, https

    def _gate_refresh(self) -> list[cloudwatch.Alarm]:
        """Two alarms on the target group that fail an instance refresh (CloudFormation then
        rolls the stack back; at most 10 alarm names): target 5xx in two consecutive minutes,
        and an unhealthy target for three (longer than the 45 s in which the load balancer marks
        one unhealthy, so a replaced instance draining does not trip it)."""
        metrics = self.target_group.metrics
        errors = cloudwatch.Alarm(
            self, "RefreshGateErrors",
            metric=metrics.http_code_target(
                elbv2.HttpCodeTarget.TARGET_5XX_COUNT, period=cached.minutes(1),
                statistic="Sum",
            ),
            threshold=5, evaluation_periods=2,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description="Gates the app tier's instance refresh: 5 or more target 5xx a "
            "minute for 2 minutes fail the refresh and roll the stack back",
        )  # fmt: skip
        unhealthy = cloudwatch.Alarm(
            self, "RefreshGateUnhealthy",
            metric=metrics.unhealthy_host_count(
                period=cached.minutes(1), statistic="Maximum"
            ),
            threshold=1, evaluation_periods=3,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description="Gates the app tier's instance refresh: an unhealthy target for 3 "
            "minutes fails the refresh and rolls the stack back",
        )  # fmt: skip
        alarms = [errors, unhealthy]
        gate = (
            "A gate, not a notification: CloudFormation reads its state during an instance "
            "refresh (UpdatePolicy AlarmSpecification) and rolls the stack back; Monitoring's own "
            "alarms on the same tier notify the topic"
        )
        for alarm in alarms:
            acknowledge(alarm, same_reason(
                gate, "NIST.800.53.R5-CloudWatchAlarmAction",
                CONTROL_TOWER + "cloudwatch_alarm_action_check",
            ))  # fmt: skip
        group = l1(self.auto_scaling_group, autoscaling.CfnAutoScalingGroup)
        group.add_override(
            "UpdatePolicy.AutoScalingInstanceRefresh.Preferences.AlarmSpecification.Alarms",
            [alarm.alarm_name for alarm in alarms],
        )
        cdk.Annotations.of(self.auto_scaling_group).acknowledge_warning(
            "@aws-cdk/aws-autoscaling:signalsNotUsedByInstanceRefresh",
            "The signals are for the group's creation (CreationPolicy); an instance refresh "
            "waits for ELB health checks and warm-up instead, as AWS documents",
        )
        return alarms

    def _target_group(
        self, health_check_path: str, overrides: dict[str, Any]
    ) -> elbv2.ApplicationTargetGroup:
        serving = self.https_listener or self.listener
        health: dict[str, Any] = {
            "path": health_check_path,
            "healthy_http_codes": "200",
            "interval": cached.seconds(HEALTH_CHECK_INTERVAL_SECONDS),
            "healthy_threshold_count": HEALTHY_THRESHOLD,
            "unhealthy_threshold_count": UNHEALTHY_THRESHOLD,
        }
        health_check = _props.build(
            self._path,
            "health_check_props",
            bool(overrides),
            lambda: elbv2.HealthCheck(**_props.merge(health, overrides)),
        )
        return serving.add_targets(
            "App",
            port=self.web_port,
            protocol=elbv2.ApplicationProtocol.HTTP,
            targets=[self.auto_scaling_group],
            health_check=health_check,
            deregistration_delay=cached.seconds(30),
        )

    def _web_acl(
        self,
        retention_days: int,
        key: kms.IKey | kms.Key | None,
        rule_groups: Sequence[str],
        extra_rules: list[Any],
        overrides: dict[str, Any],
        edge: Edge,
    ) -> tuple[wafv2.CfnWebACL, logs.LogGroup]:
        acl, group = web_acl(
            self, self._path, scope="CLOUDFRONT" if edge == "cloudfront" else "REGIONAL",
            retention_days=retention_days, key=key, rule_groups=rule_groups,
            extra_rules=extra_rules, overrides=overrides,
        )  # fmt: skip
        if edge == "cloudfront":
            return acl, group  # the distribution names it (WebACLId)
        wafv2.CfnWebACLAssociation(
            self,
            "WebAclAssociation",
            resource_arn=self.load_balancer.load_balancer_arn,
            web_acl_arn=acl.attr_arn,
        )
        return acl, group

    def _acknowledge_internal(self) -> None:
        """Behind CloudFront: the load balancer's findings that the edge answers."""
        behind = (
            "Internal, behind CloudFront (edge='cloudfront'): only CloudFront's VPC origin "
            "reaches it, and the web ACL screens traffic at the edge (scope CLOUDFRONT)"
        )
        acknowledge(self.load_balancer, {"NIST.800.53.R5-ALBWAFEnabled": behind})
        if self.https_listener is None:
            private = (
                f"HTTP on port {self.web_port} only from CloudFront's VPC origin, over its private "
                "path inside AWS; viewers get HTTPS from CloudFront (pass certificate= and "
                "origin_domain_name= for TLS to the origin too)"
            )
            acknowledge(self.listener, {
                "NIST.800.53.R5-ALBHttpToHttpsRedirection": private,
                "NIST.800.53.R5-ELBv2ACMCertificateRequired": private,
                CONTROL_TOWER + "alb_http_to_https_redirection_check": private,
            })  # fmt: skip

    def _acknowledge(self, tls: bool, deletion_protection: bool, waf: bool) -> None:
        if not tls:
            plain_http = (
                f"The design serves plain HTTP on port {self.web_port}: TLS needs a domain name "
                "and an ACM certificate; pass certificate= to serve HTTPS and redirect HTTP to it"
            )
            acknowledge(
                self.listener,
                {
                    "NIST.800.53.R5-ALBHttpToHttpsRedirection": plain_http,
                    "NIST.800.53.R5-ELBv2ACMCertificateRequired": plain_http,
                    CONTROL_TOWER + "alb_http_to_https_redirection_check": plain_http,
                    CHECKOV + "CKV_AWS_2": plain_http,
                    CHECKOV + "CKV_AWS_103": plain_http,
                },
            )
        reasons = {}
        if not deletion_protection:
            reasons |= same_reason(
                "deletion_protection=False was chosen (non-production settings: the load "
                "balancer holds no data and is recreated by a deploy)",
                "NIST.800.53.R5-ELBDeletionProtectionEnabled",
                CONTROL_TOWER + "elbv2_deletion_protection_enabled_check",
            )
        if not waf:
            reasons["NIST.800.53.R5-ALBWAFEnabled"] = "waf=False was chosen explicitly"
        if reasons:
            acknowledge(self.load_balancer, reasons)


# --- validation ----------------------------------------------------------------------------------


def _instance_type_name(value: Any) -> Any:
    return value.to_string() if isinstance(value, ec2.InstanceType) else value


def _validate_instances(
    problems: Problems,
    *,
    instance_type: Any,
    architecture: Any,
    machine_image: Any,
    capacity: _Capacity,
    cpu_target: Any,
    root_volume_gb: Any,
    user_data: Any,
) -> Architecture:
    """Check the instance props; return the image architecture."""
    derived: Architecture = "x86_64"
    problem = ec2_problem(instance_type)
    if problem:
        problems.add(f"instance_type {problem}, got {instance_type!r}")
    else:
        derived = ec2_architecture(instance_type)
    arch_ok = architecture is not None and problems.choice(
        "architecture", architecture, ARCHITECTURES
    )
    if arch_ok and not problem and architecture != derived:
        problems.add(
            f"architecture {architecture!r} does not match instance_type {instance_type!r}, "
            f"which is {derived}"
        )
    if machine_image is not None:
        problems.implements(
            "machine_image",
            machine_image,
            ec2.IMachineImage,
            "an ec2.IMachineImage, e.g. ec2.MachineImage.generic_linux({...})",
        )
    min_capacity, max_capacity, desired = capacity.minimum, capacity.maximum, capacity.desired
    min_ok = problems.within("min_capacity", min_capacity, MIN_CAPACITY)
    max_ok = problems.within("max_capacity", max_capacity, MAX_CAPACITY)
    both = min_ok and max_ok and not is_token(min_capacity) and not is_token(max_capacity)
    if both and min_capacity > max_capacity:
        both = problems.add(
            f"min_capacity ({min_capacity}) must not exceed max_capacity ({max_capacity})"
        )
    if desired is not None and problems.integer("desired_capacity", desired, 0) and both:
        problems.check(
            min_capacity <= desired <= max_capacity,
            f"desired_capacity must be between min_capacity ({min_capacity}) and "
            f"max_capacity ({max_capacity}), got {desired}",
        )
    problems.within("cpu_target", cpu_target, CPU_TARGET)
    problems.within("root_volume_gb", root_volume_gb, ROOT_VOLUME_GB)
    if (
        user_data is not None
        and problems.instance_of(
            "user_data", user_data, (str, ec2.UserData), "a script (str) or an ec2.UserData"
        )
        and isinstance(user_data, ec2.UserData)
    ):
        try:
            user_data.add_on_exit_commands()  # adds nothing; refused by ec2.UserData.custom
        except RuntimeError:
            problems.add(
                f"user_data must be Linux user data (ec2.UserData.for_linux(), or a script "
                f"str): the tier appends its health signal and an EXIT trap that signals a "
                f"failed boot, which custom user data cannot take, got {user_data!r}"
            )
    return derived


EDGES = choices(Edge)
_WAF_ARN = re.compile(r"arn:aws[a-z-]*:wafv2:us-east-1:\d{12}:global/webacl/[\w-]+/[\w-]+")
_HOSTNAME = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


def _validate_edge_choice(
    problems: Problems,
    scope: Construct,
    *,
    edge: Any,
    waf: Any,
    web_acl_arn: Any,
    viewer_certificate: Any,
    domain_names: Any,
    origin_domain_name: Any,
    certificate: Any,
    security_groups: Any,
    ip_address_type: Any,
) -> EdgeOptions | None:
    """``edge`` and the props that go with ``"cloudfront"``; the edge's options, or ``None``
    for ``"alb"``."""
    given = {
        "edge_web_acl_arn": web_acl_arn, "edge_certificate": viewer_certificate,
        "edge_domain_names": domain_names, "origin_domain_name": origin_domain_name,
    }  # fmt: skip
    if not problems.choice("edge", edge, EDGES):
        return None
    if edge == "alb":
        for prop, value in given.items():
            if value is not None:
                problems.add(f"{prop} applies only with edge='cloudfront'", "conflict",
                             also=("edge",))  # fmt: skip
        return None
    region = _region_of(scope)
    if web_acl_arn is not None:
        if not (is_token(web_acl_arn) or (isinstance(web_acl_arn, str)
                                           and _WAF_ARN.fullmatch(web_acl_arn))):  # fmt: skip
            problems.add(
                f"edge_web_acl_arn must be the ARN of a web ACL of scope CLOUDFRONT, which AWS "
                f"WAF keeps in us-east-1 (arn:aws:wafv2:us-east-1:<account>:global/webacl/"
                f"<name>/<id>), got {web_acl_arn!r}", "format",
            )  # fmt: skip
        elif waf is False:
            problems.add("edge_web_acl_arn applies only with waf=True", "conflict", also=("waf",))
    elif waf is not False and region != EDGE_REGION:
        problems.add(
            f"edge='cloudfront' with waf=True needs edge_web_acl_arn: AWS WAF creates CLOUDFRONT "
            f"web ACLs only in us-east-1, and this stack is in {region!r}; create one there "
            f"(wellstack.constructs.EdgeFirewall) and pass its ARN, or waf=False",
            "required", "edge_web_acl_arn", ("edge", "waf"),
        )  # fmt: skip
    if (viewer_certificate is None) != (domain_names is None):
        problems.add("edge_certificate and edge_domain_names go together (the names the "
                     "certificate covers)", "conflict", "edge_certificate",
                     ("edge_domain_names",))  # fmt: skip
    if viewer_certificate is not None:
        problems.implements("edge_certificate", viewer_certificate, acm.ICertificate,
                            "an ACM certificate in us-east-1 (acm.ICertificate)")  # fmt: skip
        arn = getattr(viewer_certificate, "certificate_arn", None)
        if isinstance(arn, str) and not is_token(arn) and ":us-east-1:" not in arn:
            problems.add(f"edge_certificate must be an ACM certificate in us-east-1 (CloudFront "
                         f"takes viewer certificates from there only), got {arn!r}",
                         "conflict")  # fmt: skip
    if domain_names is not None and (
        isinstance(domain_names, str)
        or not isinstance(domain_names, Sequence)
        or not domain_names
        or not all(isinstance(d, str) and _HOSTNAME.fullmatch(d) for d in domain_names)
    ):
        problems.add(f"edge_domain_names must be a list of lower-case DNS names, got "
                     f"{domain_names!r}", "format")  # fmt: skip
    if origin_domain_name is not None:
        if certificate is None:
            problems.add("origin_domain_name applies only with certificate= (HTTPS to the "
                         "origin)", "conflict", also=("certificate",))  # fmt: skip
        problems.text("origin_domain_name", origin_domain_name, _HOSTNAME,
                      "a lower-case DNS name the load balancer's certificate covers")  # fmt: skip
    elif certificate is not None:
        problems.add(
            "edge='cloudfront' with certificate= needs origin_domain_name: CloudFront connects "
            "to the load balancer over HTTPS under a name its certificate covers (not the load "
            "balancer's *.elb.amazonaws.com name)", "required", "origin_domain_name",
            ("certificate",),
        )  # fmt: skip
    if ip_address_type == "dualstack":
        problems.add("ip_address_type='dualstack' does not apply with edge='cloudfront': the load "
                     "balancer is internal; CloudFront answers IPv6 viewers itself",
                     "conflict", also=("edge",))  # fmt: skip
    if isinstance(security_groups, TierSecurityGroups) and security_groups.web_peers:
        problems.add(
            f"edge='cloudfront' keeps the load balancer internal, but security_groups admit "
            f"{security_groups.web_ingress_cidr or security_groups.web_ingress_ipv6_cidr}: build "
            f"them with web_ingress_cidr=None (the tier admits CloudFront's VPC origin itself)",
            "conflict", "security_groups", ("edge",),
        )  # fmt: skip
    return EdgeOptions(
        web_acl_arn=web_acl_arn if isinstance(web_acl_arn, str) else None,
        certificate=viewer_certificate,
        domain_names=list(domain_names or []),
        origin_domain_name=origin_domain_name,
        web_port=80,
        tls_port=443,
    )


def _region_of(scope: Construct) -> str:
    try:
        return cached.region(scope)
    except RuntimeError:
        return ""


def _validate_ip_address_type(
    problems: Problems, ip_address_type: Any, vpc: Any, security_groups: Any
) -> None:
    if not problems.choice("ip_address_type", ip_address_type, IP_ADDRESS_TYPES):
        return
    if ip_address_type != "dualstack":
        return
    if isinstance(vpc, ec2.Vpc) and vpc_has_ipv6(vpc) is False:
        problems.add(
            "ip_address_type='dualstack' needs a VPC with IPv6 (Network(ipv6=True)); the "
            "load balancer's subnets have no IPv6 block"
        )
    if (
        isinstance(security_groups, TierSecurityGroups)
        and security_groups.web_ingress_ipv6_cidr is None
    ):
        problems.add(
            "ip_address_type='dualstack' but security_groups admit no IPv6 client (build them "
            "with web_ingress_ipv6_cidr='::/0', or leave security_groups out): IPv6 clients "
            "would time out"
        )


def _validate_network(
    problems: Problems,
    scope: Construct,
    *,
    vpc: Any,
    security_groups: Any,
    web_port: Any,
    certificate: Any,
    tls_port: Any,
    ssl_policy: Any,
) -> int:
    """Check where the tier sits and what it serves; return the web port."""
    if ssl_policy is not None and problems.instance_of(
        "ssl_policy", ssl_policy, elbv2.SslPolicy, "an elbv2.SslPolicy, e.g. SslPolicy.TLS13_12_PQ"
    ):
        problems.check(
            certificate is not None,
            f"ssl_policy={ssl_policy} applies only with a certificate (HTTPS)",
            "conflict",
        )
    if problems.implements("vpc", vpc, ec2.IVpc, "a VPC (ec2.IVpc), e.g. Network(...).vpc"):
        if not vpc.private_subnets:
            problems.add(
                "vpc has no private subnets with egress: the app tier needs them (a Network with "
                "nat='none' has none; use nat='single' or 'per_az')"
            )
        if not vpc.public_subnets:
            problems.add("vpc has no public subnets for the internet-facing load balancer")
    try:
        stack = cached.stack_of(scope)
        if is_token(cached.region(stack)):
            problems.add(
                f"AppTier needs a stack with a concrete region (the load balancer's access logs "
                f"go to the region's log-delivery principal), got an environment-agnostic stack "
                f"{cached.path(stack)!r}; give it env=cdk.Environment(region=...)"
            )
    except RuntimeError:
        problems.add("scope must be inside a cdk.Stack")
    port = 80
    if web_port is not None and problems.port("web_port", web_port):
        port = web_port
    groups_ok = security_groups is not None and problems.instance_of(
        "security_groups",
        security_groups,
        TierSecurityGroups,
        "a TierSecurityGroups (its web group goes on the load balancer, app on the instances)",
    )
    if groups_ok and security_groups is not None:
        if web_port is not None and web_port != security_groups.web_port:
            problems.add(
                f"web_port={web_port!r} conflicts with security_groups, which open web port "
                f"{security_groups.web_port}; drop web_port (it follows the groups) or build "
                f"the groups with web_port={web_port!r}"
            )
        port = security_groups.web_port
    if certificate is not None:
        problems.implements(
            "certificate",
            certificate,
            acm.ICertificate,
            "an ACM certificate (acm.ICertificate), e.g. acm.Certificate.from_certificate_arn(...)",
        )
        tls = 443 if tls_port is None else tls_port
        if problems.port("tls_port", tls) and tls == port:
            problems.add(
                f"tls_port and web_port must differ with a certificate (web_port redirects to "
                f"tls_port), got {tls} for both"
            )
    elif tls_port is not None and problems.port("tls_port", tls_port):
        problems.add(f"tls_port={tls_port!r} applies only with a certificate (HTTPS)")
    return port


def _validate_edge(
    problems: Problems,
    *,
    health_check_path: Any,
    deletion_protection: Any,
    access_logs: _AccessLogs,
    waf: _Waf,
) -> None:
    problems.text(
        "health_check_path",
        health_check_path,
        _HEALTH_PATH,
        "an absolute URL path such as '/health' (letters, digits and . _ ~ / -)",
        max_length=1024,
    )
    problems.flag("deletion_protection", deletion_protection)
    bucket, retention = access_logs.bucket, access_logs.retention_days
    if bucket is not None:
        problems.implements("access_logs_bucket", bucket, s3.IBucket, "an S3 bucket (s3.IBucket)")
        if retention is not None:
            problems.add(
                "access_log_retention_days applies only to the log bucket AppTier creates; with "
                "access_logs_bucket= set its lifecycle on that bucket"
            )
    if retention is not None:
        problems.integer("access_log_retention_days", retention, 1)
    enabled, rule_groups, rules, acl_props = (
        waf.enabled, waf.managed_rule_groups, waf.rules, waf.web_acl_props
    )  # fmt: skip
    waf_ok = problems.flag("waf", enabled)
    retention_days, key = waf.log_retention_days, waf.log_encryption_key
    if waf_ok and not enabled:
        given = {
            "waf_managed_rule_groups": rule_groups,
            "waf_rules": rules,
            "web_acl_props": acl_props,
            "log_retention_days": retention_days,
            "log_encryption_key": key,
        }
        extra = [name for name, value in given.items() if value is not None]
        if extra:
            problems.add(f"{', '.join(extra)} apply only with waf=True (got waf=False)")
    if rule_groups is not None:
        if (
            isinstance(rule_groups, str)
            or not isinstance(rule_groups, Sequence)
            or not all(isinstance(g, str) and _WAF_NAME.fullmatch(g) for g in rule_groups)
        ):
            problems.add(
                f"waf_managed_rule_groups must be a list of AWS managed rule group names such as "
                f"'AWSManagedRulesCommonRuleSet', got {rule_groups!r}"
            )
        elif len(set(rule_groups)) != len(rule_groups):
            problems.add(f"waf_managed_rule_groups lists a group twice: {list(rule_groups)!r}")
    acl_rules = acl_props.get("rules", []) if isinstance(acl_props, Mapping) else []
    if not _is_rule_list(rules or []):
        problems.add(
            f"waf_rules must be a list of wafv2.CfnWebACL.RuleProperty (or mappings of its "
            f"fields), got {rules!r}"
        )
    elif not _is_rule_list(acl_rules):
        problems.add(f"web_acl_props['rules'] must be a list of web ACL rules, got {acl_rules!r}")
    else:
        groups = len(rule_groups) if isinstance(rule_groups, Sequence) else 3
        _check_rule_priorities(problems, groups, [*(rules or []), *acl_rules])
    if retention_days is not None:
        problems.log_retention("log_retention_days", retention_days)
    if key is not None:
        problems.implements("log_encryption_key", key, kms.IKey, "a KMS key (kms.IKey)")


def _is_rule_list(rules: Any) -> bool:
    return (
        not isinstance(rules, str | bytes | Mapping)
        and isinstance(rules, Sequence)
        and all(isinstance(r, wafv2.CfnWebACL.RuleProperty | Mapping) for r in rules)
    )


def _check_rule_priorities(problems: Problems, managed: int, rules: Sequence[Any]) -> None:
    """Extra web ACL rules need a name and a priority of their own: the managed rule groups
    take priorities 0 .. n-1, and WAF rejects two rules with one priority at deploy time."""
    seen: dict[int, str] = {}
    for index, rule in enumerate(rules):
        get = rule.get if isinstance(rule, Mapping) else lambda key, r=rule: getattr(r, key, None)
        name, priority = get("name"), get("priority")
        where = f"waf_rules[{index}]"
        if not isinstance(name, str) or not _WAF_NAME.fullmatch(name):
            problems.add(f"{where} needs a name of 1-128 letters, digits, '_' or '-', got {name!r}")
        if isinstance(priority, bool) or not isinstance(priority, int) or priority < 0:
            problems.add(f"{where} needs a priority (a non-negative integer), got {priority!r}")
        elif priority < managed:
            problems.add(
                f"{where} priority {priority} is taken by the managed rule groups "
                f"(0-{managed - 1}); use {managed} or more"
            )
        elif priority in seen:
            problems.add(f"{where} priority {priority} is also the priority of {seen[priority]!r}")
        else:
            seen[priority] = str(name)


def _user_data(
    user_data: str | ec2.UserData | None, web_port: int, health_path: str
) -> ec2.UserData:
    if isinstance(user_data, ec2.UserData):
        return user_data
    if isinstance(user_data, str):
        script = ec2.UserData.for_linux()
        script.add_commands(user_data)
        return script
    return default_user_data(web_port, health_path)


def _state_availability_zones(group: autoscaling.AutoScalingGroup, vpc: ec2.IVpc) -> bool:
    """State the group's AZs (``AvailabilityZones``) next to its subnets when their names are
    known at synth: Control Tower's CT.AUTOSCALING.PR.1 reads that property. CloudFormation
    requires the subnets to lie in those AZs, which they do by construction."""
    resource = cached.default_child(group)
    subnets = vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
    azs = list(dict.fromkeys(subnets.availability_zones))
    if not isinstance(resource, autoscaling.CfnAutoScalingGroup) or len(azs) < 2:
        return False
    if any(is_token(az) for az in azs):
        return False
    resource.availability_zones = azs
    return True
