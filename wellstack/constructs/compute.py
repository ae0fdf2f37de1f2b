"""App tier: EC2 instances as cattle, an Auto Scaling group behind an Application Load Balancer."""

from __future__ import annotations

import re

import aws_cdk as cdk
import jsii
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from wellstack.compliance import acknowledge
from wellstack.constructs._checks import check_int, check_log_retention, check_port, is_token
from wellstack.constructs._logs import encrypted_log_group, log_bucket, logs_key
from wellstack.constructs.security import TierSecurityGroups

ARCHITECTURES = ("x86_64", "arm64")
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
_HEALTH_PATH = re.compile(r"^/[A-Za-z0-9._~/-]*$")


def default_user_data(web_port: int, health_check_path: str) -> ec2.UserData:
    """nginx from Amazon Linux 2023's own repository, serving a small page and the health path."""
    health_file = health_check_path + ("index.html" if health_check_path.endswith("/") else "")
    user_data = ec2.UserData.for_linux()
    user_data.add_commands(
        "set -euo pipefail",
        "dnf install -y nginx",
        f"sed -i 's/listen       80;/listen       {web_port};/; "
        f"s/listen       \\[::\\]:80;/listen       [::]:{web_port};/' /etc/nginx/nginx.conf",
        "TOKEN=$(curl -s -X PUT http://169.254.169.254/latest/api/token "
        "-H 'X-aws-ec2-metadata-token-ttl-seconds: 60')",
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


@jsii.implements(ec2.IConnectable)
class AppTier(Construct):
    """An internet-facing ALB in the public subnets in front of an Auto Scaling group in the
    private subnets. Instances never get public IPs, have no key pair and no port 22: use SSM
    Session Manager.

    :param vpc: the VPC (needs public and private subnets).
    :param security_groups: the tier groups: ``web`` goes on the load balancer, ``app`` on the
        instances. Default: a new :class:`TierSecurityGroups` with ``web_port``.
    :param instance_type: Default ``t3.micro``. A Graviton type (``t4g``, ``m7g`` ...) gets the
        arm64 image.
    :param architecture: ``"x86_64"`` or ``"arm64"``; must match ``instance_type``. Default:
        derived from it.
    :param min_capacity: Default 2 (one per AZ of a two-AZ network).
    :param max_capacity: Default 4.
    :param desired_capacity: Default: none (Auto Scaling starts at ``min_capacity``).
    :param cpu_target: target-tracking CPU utilization, percent. Default 60.
    :param user_data: a script (str) or ``ec2.UserData``. Default: nginx serving a small page
        and ``health_check_path`` on the web port.
    :param health_check_path: what the target group checks. Default ``/health``.
    :param web_port: port of the listener and the instances, when ``security_groups`` is not
        given. Default 80.
    :param root_volume_gb: encrypted gp3 root volume. Default 10.
    :param deletion_protection: load balancer deletion protection. Default off (on in prod
        settings).
    :param access_logs_bucket: where the load balancer's access logs go. Default: a new
        encrypted, private bucket (SSE-S3: ELB log delivery supports no other), RETAINed.
    :param waf: an AWS WAF web ACL on the load balancer with AWS's managed rule groups (common
        exploits, known bad inputs, IP reputation). Default on (about $8 a month plus
        $0.60 per million requests), logging to an encrypted CloudWatch log group.
    :param log_retention_days: retention of the WAF log group. Default 30.
    :param log_encryption_key: KMS key for that log group. Default: a new rotating key.
    :param certificate: an ACM certificate for your domain: the load balancer then serves HTTPS
        on ``tls_port`` (TLS 1.2+ policy) from ``web_ingress_cidr`` and ``web_port`` only
        redirects to it. Default none: plain HTTP on ``web_port``, as the design draws it (TLS
        needs a domain name a sandbox does not have).
    :param tls_port: the HTTPS port with a certificate. Default 443.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        security_groups: TierSecurityGroups | None = None,
        instance_type: str = "t3.micro",
        architecture: str | None = None,
        min_capacity: int = 2,
        max_capacity: int = 4,
        desired_capacity: int | None = None,
        cpu_target: int = 60,
        user_data: str | ec2.UserData | None = None,
        health_check_path: str = "/health",
        web_port: int = 80,
        root_volume_gb: int = 10,
        deletion_protection: bool = False,
        access_logs_bucket: s3.IBucket | None = None,
        waf: bool = True,
        log_retention_days: int = 30,
        log_encryption_key: kms.IKey | None = None,
        certificate: acm.ICertificate | None = None,
        tls_port: int = 443,
    ) -> None:
        arch = _validate(
            instance_type=instance_type,
            architecture=architecture,
            min_capacity=min_capacity,
            max_capacity=max_capacity,
            desired_capacity=desired_capacity,
            cpu_target=cpu_target,
            health_check_path=health_check_path,
            root_volume_gb=root_volume_gb,
        )
        check_log_retention("log_retention_days", log_retention_days)
        check_port("tls_port", tls_port)
        if not vpc.private_subnets:
            raise ValueError(
                "vpc has no private subnets with egress: the app tier needs them (a Network with "
                "nat='none' has none; use nat='single' or 'per_az')"
            )
        if not vpc.public_subnets:
            raise ValueError("vpc has no public subnets for the internet-facing load balancer")
        region = cdk.Stack.of(scope).region
        if is_token(region):
            raise ValueError(
                f"AppTier needs a stack with a concrete region (the load balancer's access logs "
                f"go to the region's log-delivery principal), got an environment-agnostic stack "
                f"{cdk.Stack.of(scope).node.path!r}; give it env=cdk.Environment(region=...)"
            )
        super().__init__(scope, construct_id)
        if security_groups is None:
            security_groups = TierSecurityGroups(self, "SecurityGroups", vpc=vpc, web_port=web_port)
        self.security_groups = security_groups
        web_port = security_groups.web_port
        self.web_port = web_port
        if certificate is not None and tls_port == web_port:
            raise ValueError(
                f"tls_port and web_port must differ with a certificate (web_port redirects to "
                f"tls_port), got {tls_port} for both"
            )

        self.role = iam.Role(
            self,
            "InstanceRole",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            description="App instances: SSM Session Manager only (no SSH)",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name("AmazonSSMManagedInstanceCore")
            ],
        )
        acknowledge(
            self.role,
            {
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
                "AmazonSSMManagedInstanceCore]": (
                    "AWS's managed policy for the SSM agent (Session Manager instead of SSH, "
                    "patching); AWS keeps it current with the agent's needs"
                ),
            },
        )
        if isinstance(user_data, str):
            script = ec2.UserData.for_linux()
            script.add_commands(user_data)
            user_data = script
        self.launch_template = ec2.LaunchTemplate(
            self,
            "LaunchTemplate",
            instance_type=ec2.InstanceType(instance_type),
            # Resolved at deploy time from AWS's public SSM parameter: no lookup at synth.
            machine_image=ec2.MachineImage.latest_amazon_linux2023(
                cpu_type=ec2.AmazonLinuxCpuType.ARM_64
                if arch == "arm64"
                else ec2.AmazonLinuxCpuType.X86_64
            ),
            require_imdsv2=True,
            http_put_response_hop_limit=1,
            detailed_monitoring=True,
            role=self.role,
            security_group=security_groups.app,
            user_data=user_data or default_user_data(web_port, health_check_path),
            block_devices=[
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
        )
        self.auto_scaling_group = autoscaling.AutoScalingGroup(
            self,
            "Instances",
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            launch_template=self.launch_template,
            min_capacity=min_capacity,
            max_capacity=max_capacity,
            desired_capacity=desired_capacity,
            health_checks=autoscaling.HealthChecks.with_additional_checks(
                additional_types=[autoscaling.AdditionalHealthCheckType.ELB],
                grace_period=cdk.Duration.minutes(5),
            ),
            # Keep min_capacity in service while rolling, but stay below max: CloudFormation
            # rejects MinInstancesInService >= MaxSize (e.g. min == max == 2).
            update_policy=autoscaling.UpdatePolicy.rolling_update(
                min_instances_in_service=min(min_capacity, max_capacity - 1)
            ),
        )
        self.auto_scaling_group.scale_on_cpu_utilization(
            "CpuTarget", target_utilization_percent=cpu_target
        )
        acknowledge(
            self.auto_scaling_group,
            {
                "AwsSolutions-AS3": (
                    "Scaling events are recorded in the group's activity history and CloudWatch "
                    "metrics; nobody subscribes to per-event notifications in this design"
                ),
            },
        )

        self.load_balancer = elbv2.ApplicationLoadBalancer(
            self,
            "LoadBalancer",
            vpc=vpc,
            internet_facing=True,
            security_group=security_groups.web,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
            drop_invalid_header_fields=True,
            deletion_protection=deletion_protection,
        )
        self.access_logs_bucket: s3.IBucket = access_logs_bucket or log_bucket(
            self, "AccessLogs", retention_days=365, delivered_by="Elastic Load Balancing"
        )
        self.load_balancer.log_access_logs(self.access_logs_bucket, "alb")
        self.https_listener: elbv2.ApplicationListener | None = None
        if certificate is None:
            self.listener = self.load_balancer.add_listener(
                "Http", port=web_port, protocol=elbv2.ApplicationProtocol.HTTP, open=False
            )
            serving = self.listener
        else:
            security_groups.web.add_ingress_rule(
                security_groups.web_peer,
                ec2.Port.tcp(tls_port),
                f"HTTPS from {security_groups.web_ingress_cidr}",
            )
            self.listener = self.load_balancer.add_listener(
                "Http",
                port=web_port,
                protocol=elbv2.ApplicationProtocol.HTTP,
                open=False,
                default_action=elbv2.ListenerAction.redirect(
                    protocol="HTTPS", port=str(tls_port), permanent=True
                ),
            )
            self.https_listener = self.load_balancer.add_listener(
                "Https",
                port=tls_port,
                protocol=elbv2.ApplicationProtocol.HTTPS,
                certificates=[elbv2.ListenerCertificate.from_certificate_manager(certificate)],
                ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS,
                open=False,
            )
            serving = self.https_listener
            acknowledge(
                self.listener,
                {
                    "NIST.800.53.R5-ELBv2ACMCertificateRequired": (
                        f"This HTTP listener only answers with a permanent redirect to HTTPS on "
                        f"port {tls_port}, which carries the ACM certificate; it serves no content"
                    )
                },
            )
        self.target_group = serving.add_targets(
            "App",
            port=web_port,
            protocol=elbv2.ApplicationProtocol.HTTP,
            targets=[self.auto_scaling_group],
            health_check=elbv2.HealthCheck(
                path=health_check_path,
                healthy_http_codes="200",
                interval=cdk.Duration.seconds(15),
                healthy_threshold_count=2,
                unhealthy_threshold_count=3,
            ),
            deregistration_delay=cdk.Duration.seconds(30),
        )
        self.web_acl: wafv2.CfnWebACL | None = (
            self._web_acl(log_retention_days, log_encryption_key) if waf else None
        )
        if certificate is None:
            plain_http = (
                f"The design serves plain HTTP on port {web_port}: TLS needs a domain name and "
                "an ACM certificate; pass certificate= to serve HTTPS and redirect HTTP to it"
            )
            acknowledge(
                self.listener,
                {
                    "NIST.800.53.R5-ALBHttpToHttpsRedirection": plain_http,
                    "NIST.800.53.R5-ELBv2ACMCertificateRequired": plain_http,
                },
            )
        lb_reasons = {}
        if not deletion_protection:
            lb_reasons["NIST.800.53.R5-ELBDeletionProtectionEnabled"] = (
                "deletion_protection=False was chosen (non-production settings: the load "
                "balancer holds no data and is recreated by a deploy)"
            )
        if not waf:
            lb_reasons["NIST.800.53.R5-ALBWAFEnabled"] = "waf=False was chosen explicitly"
        if lb_reasons:
            acknowledge(self.load_balancer, lb_reasons)
        #: The load balancer's URL: ``http://`` (or ``https://`` with a certificate) + its DNS
        #: name, and the port when it is not the scheme's default.
        scheme, port, default = (
            ("http", web_port, 80) if certificate is None else ("https", tls_port, 443)
        )
        self.url = f"{scheme}://{self.load_balancer.load_balancer_dns_name}" + (
            "" if port == default else f":{port}"
        )

    @property
    def connections(self) -> ec2.Connections:
        """The instances' connections (the ``app`` group), e.g. for
        ``db.connections.allow_default_port_from(app_tier)``."""
        return self.auto_scaling_group.connections

    def _web_acl(self, retention_days: int, key: kms.IKey | None) -> wafv2.CfnWebACL:
        metric = cdk.Names.unique_id(self)

        def visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
            return wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True,
                metric_name=name[:128],
                sampled_requests_enabled=True,
            )

        rule_groups = (
            "AWSManagedRulesCommonRuleSet",
            "AWSManagedRulesKnownBadInputsRuleSet",
            "AWSManagedRulesAmazonIpReputationList",
        )
        acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=visibility(metric),
            rules=[
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
            ],
        )
        wafv2.CfnWebACLAssociation(
            self,
            "WebAclAssociation",
            resource_arn=self.load_balancer.load_balancer_arn,
            web_acl_arn=acl.attr_arn,
        )
        # WAF logs only to log groups whose name starts with "aws-waf-logs-".
        name = f"aws-waf-logs-{metric}"
        self.waf_log_group = encrypted_log_group(
            self,
            "WafLogs",
            retention_days=retention_days,
            key=key or logs_key(self, "WafLogKey", "Encrypts the WAF log group"),
            log_group_name=name,
        )
        logging = wafv2.CfnLoggingConfiguration(
            self,
            "WafLogging",
            resource_arn=acl.attr_arn,
            log_destination_configs=[
                cdk.Stack.of(self).format_arn(
                    service="logs",
                    resource="log-group",
                    resource_name=name,
                    arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
        )
        logging.node.add_dependency(self.waf_log_group)
        return acl


def _validate(
    *,
    instance_type: str,
    architecture: str | None,
    min_capacity: int,
    max_capacity: int,
    desired_capacity: int | None,
    cpu_target: int,
    health_check_path: str,
    root_volume_gb: int,
) -> str:
    """Validate the props; return the image architecture."""
    if not isinstance(instance_type, str) or not _INSTANCE_TYPE.match(instance_type):
        raise ValueError(
            f"instance_type must be an EC2 instance type such as 't3.micro', got {instance_type!r}"
        )
    derived = (
        "arm64"
        if ec2.InstanceType(instance_type).architecture == ec2.InstanceArchitecture.ARM_64
        else "x86_64"
    )
    if architecture is not None:
        if architecture not in ARCHITECTURES:
            raise ValueError(f"architecture must be one of 'x86_64', 'arm64', got {architecture!r}")
        if architecture != derived:
            raise ValueError(
                f"architecture {architecture!r} does not match instance_type {instance_type!r}, "
                f"which is {derived}"
            )
    check_int("min_capacity", min_capacity, 0)
    check_int("max_capacity", max_capacity, 1)
    if not is_token(min_capacity) and not is_token(max_capacity) and min_capacity > max_capacity:
        raise ValueError(
            f"min_capacity ({min_capacity}) must not exceed max_capacity ({max_capacity})"
        )
    if desired_capacity is not None:
        check_int("desired_capacity", desired_capacity, 0)
        if not min_capacity <= desired_capacity <= max_capacity:
            raise ValueError(
                f"desired_capacity must be between min_capacity ({min_capacity}) and "
                f"max_capacity ({max_capacity}), got {desired_capacity}"
            )
    check_int("cpu_target", cpu_target, 10, 90, "percent CPU")
    check_int("root_volume_gb", root_volume_gb, 8, 16384, "gp3; AL2023 needs 8 GiB")
    if not isinstance(health_check_path, str) or not _HEALTH_PATH.match(health_check_path):
        raise ValueError(
            f"health_check_path must be an absolute URL path such as '/health', got "
            f"{health_check_path!r}"
        )
    if len(health_check_path) > 1024:
        raise ValueError("health_check_path must be at most 1024 characters (ELB's limit)")
    return derived
