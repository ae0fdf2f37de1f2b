"""The anchor of the synthesis benchmark: the same architecture written by hand in plain Python
CDK (L2 constructs, no wellstack), with the same cdk-nag packs (AwsSolutions + NIST 800-53 R5)
as plugins and the same kind of checks a careful team adds: a three-tier VPC with flow logs and
gateway endpoints, chained security groups, an internet-facing ALB with WAF and access logs in
front of an Auto Scaling group, an encrypted Aurora MySQL cluster with a reader and a backup
plan, a tiered S3 bucket, alarms on a topic and a dashboard.

A hand-written app acknowledges its findings too; this one does it on each construct whose
shortcut trips a rule (it is a timing anchor, not a product, so one reason serves them all).
`benchmarks/bench.py` counts its resources and reports time per resource next to wellstack's.
"""

import aws_cdk as cdk
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_backup as backup
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_wafv2 as wafv2
from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks
from constructs import IConstruct

ENV = cdk.Environment(region="ap-northeast-2")
AZS = ["ap-northeast-2a", "ap-northeast-2c"]
REASON = "timing anchor: a shortcut of the hand-written app, taken on purpose"


def acknowledge(construct: IConstruct, *rules: str) -> None:
    """Acknowledge ``rules`` on the construct that took the shortcut."""
    cdk.Validations.of(construct).acknowledge(
        *(cdk.Acknowledgment(id=rule, reason=REASON) for rule in rules)
    )


class Network(cdk.Stack):
    def __init__(self, scope: cdk.App, construct_id: str, env: cdk.Environment = ENV,
                 cidr: str = "10.10.0.0/16") -> None:  # fmt: skip
        super().__init__(scope, construct_id, env=env)
        self.vpc = ec2.Vpc(
            self, "Vpc", ip_addresses=ec2.IpAddresses.cidr(cidr),
            availability_zones=AZS, nat_gateways=1,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="Public", subnet_type=ec2.SubnetType.PUBLIC,
                                        cidr_mask=24, map_public_ip_on_launch=False),
                ec2.SubnetConfiguration(name="Private", cidr_mask=24,
                                        subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
                ec2.SubnetConfiguration(name="Isolated", cidr_mask=24,
                                        subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            ],
            gateway_endpoints={
                "S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3),
                "DynamoDB": ec2.GatewayVpcEndpointOptions(
                    service=ec2.GatewayVpcEndpointAwsService.DYNAMODB),
            },
        )  # fmt: skip
        key = kms.Key(self, "FlowLogKey", enable_key_rotation=True)
        key.grant_encrypt_decrypt(iam.ServicePrincipal(f"logs.{env.region}.amazonaws.com"))
        group = logs.LogGroup(self, "FlowLogs", retention=logs.RetentionDays.ONE_MONTH,
                              encryption_key=key)  # fmt: skip
        self.vpc.add_flow_log(
            "FlowLog", destination=ec2.FlowLogDestination.to_cloud_watch_logs(group)
        )
        acknowledge(self.vpc, "NIST.800.53.R5-IAMNoInlinePolicy")  # the flow log's role
        for subnet in self.vpc.public_subnets:
            acknowledge(subnet, "NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW")
        self.web = ec2.SecurityGroup(self, "Web", vpc=self.vpc, allow_all_outbound=False)
        acknowledge(self.web, "AwsSolutions-EC23")
        self.app = ec2.SecurityGroup(self, "App", vpc=self.vpc, allow_all_outbound=False)
        self.db = ec2.SecurityGroup(self, "Db", vpc=self.vpc, allow_all_outbound=False)
        self.web.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(80))
        self.web.add_egress_rule(self.app, ec2.Port.tcp(80))
        self.app.add_ingress_rule(self.web, ec2.Port.tcp(80))
        self.app.add_egress_rule(self.db, ec2.Port.tcp(3306))
        self.app.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443))
        self.db.add_ingress_rule(self.app, ec2.Port.tcp(3306))


class Data(cdk.Stack):
    def __init__(self, scope: cdk.App, construct_id: str, network: Network,
                 env: cdk.Environment = ENV, readers: int = 1) -> None:  # fmt: skip
        super().__init__(scope, construct_id, env=env)
        key = kms.Key(self, "DataKey", enable_key_rotation=True)
        logs_bucket = s3.Bucket(self, "AccessLogs", encryption=s3.BucketEncryption.S3_MANAGED,
                                block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                                enforce_ssl=True, versioned=True)  # fmt: skip
        self.assets = s3.Bucket(
            self, "Assets", encryption=s3.BucketEncryption.KMS, encryption_key=key,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL, enforce_ssl=True, versioned=True,
            server_access_logs_bucket=logs_bucket, removal_policy=cdk.RemovalPolicy.RETAIN,
            lifecycle_rules=[s3.LifecycleRule(transitions=[
                s3.Transition(storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                              transition_after=cdk.Duration.days(30)),
                s3.Transition(storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                              transition_after=cdk.Duration.days(90)),
            ])],
        )  # fmt: skip
        acknowledge(logs_bucket, "NIST.800.53.R5-S3BucketReplicationEnabled",
                    "NIST.800.53.R5-S3DefaultEncryptionKMS")  # fmt: skip
        acknowledge(self.assets, "NIST.800.53.R5-S3BucketReplicationEnabled")
        parameters = rds.ParameterGroup(
            self, "Parameters",
            engine=rds.DatabaseClusterEngine.aurora_mysql(
                version=rds.AuroraMysqlEngineVersion.VER_3_10_0),
            parameters={"require_secure_transport": "ON", "server_audit_logging": "1",
                        "server_audit_events": "CONNECT,QUERY_DDL"},
        )  # fmt: skip
        self.cluster = rds.DatabaseCluster(
            self, "Db",
            engine=rds.DatabaseClusterEngine.aurora_mysql(
                version=rds.AuroraMysqlEngineVersion.VER_3_10_0),
            writer=rds.ClusterInstance.provisioned("Writer",
                                                   instance_type=ec2.InstanceType("t4g.medium")),
            readers=[rds.ClusterInstance.provisioned(f"Reader{'' if i == 0 else i + 1}",
                                                     instance_type=ec2.InstanceType("t4g.medium"))
                     for i in range(readers)],
            vpc=network.vpc, vpc_subnets=ec2.SubnetSelection(
                subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            security_groups=[network.db], storage_encryption_key=key, deletion_protection=True,
            parameter_group=parameters, backup=rds.BackupProps(retention=cdk.Duration.days(7)),
            cloudwatch_logs_exports=["audit", "error", "slowquery"],
            iam_authentication=True,
        )  # fmt: skip
        acknowledge(
            self.cluster, "AwsSolutions-RDS11", "AwsSolutions-RDS14", "AwsSolutions-SMG4",
            "NIST.800.53.R5-RDSLoggingEnabled[LogExport::general]",
            "NIST.800.53.R5-RDSEnhancedMonitoringEnabled", "NIST.800.53.R5-RDSInBackupPlan",
            "NIST.800.53.R5-SecretsManagerRotationEnabled",
            "NIST.800.53.R5-SecretsManagerUsingKMSKey",
        )  # fmt: skip
        plan = backup.BackupPlan.daily35_day_retention(self, "Backups")
        selection = plan.add_selection("Db", resources=[
            backup.BackupResource.from_rds_database_cluster(self.cluster)])  # fmt: skip
        acknowledge(selection, "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
                    "service-role/AWSBackupServiceRolePolicyForBackup]")  # fmt: skip


class App(cdk.Stack):
    def __init__(self, scope: cdk.App, construct_id: str, network: Network, data: Data,
                 env: cdk.Environment = ENV, monitoring: bool = True) -> None:  # fmt: skip
        super().__init__(scope, construct_id, env=env)
        role = iam.Role(self, "InstanceRole", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
                        managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(
                            "AmazonSSMManagedInstanceCore")])  # fmt: skip
        acknowledge(role, "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
                    "AmazonSSMManagedInstanceCore]")  # fmt: skip
        user_data = ec2.UserData.for_linux()
        user_data.add_commands("dnf install -y nginx", "systemctl enable --now nginx")
        template = ec2.LaunchTemplate(
            self, "Template", instance_type=ec2.InstanceType("t3.micro"),
            machine_image=ec2.MachineImage.latest_amazon_linux2023(), role=role,
            user_data=user_data, security_group=network.app, require_imdsv2=True,
            block_devices=[ec2.BlockDevice(
                device_name="/dev/xvda", volume=ec2.BlockDeviceVolume.ebs(
                    10, encrypted=True, volume_type=ec2.EbsDeviceVolumeType.GP3))],
        )  # fmt: skip
        group = autoscaling.AutoScalingGroup(
            self, "Asg", vpc=network.vpc, launch_template=template, min_capacity=2,
            max_capacity=4, vpc_subnets=ec2.SubnetSelection(
                subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            health_checks=autoscaling.HealthChecks.with_additional_checks(
                additional_types=[autoscaling.AdditionalHealthCheckType.ELB],
                grace_period=cdk.Duration.minutes(5)),
        )  # fmt: skip
        group.scale_on_cpu_utilization("Cpu", target_utilization_percent=60)
        acknowledge(group, "AwsSolutions-AS3")
        logs_bucket = s3.Bucket(self, "AlbLogs", encryption=s3.BucketEncryption.S3_MANAGED,
                                block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                                enforce_ssl=True, versioned=True)  # fmt: skip
        lb = elbv2.ApplicationLoadBalancer(self, "Lb", vpc=network.vpc, internet_facing=True,
                                           security_group=network.web,
                                           drop_invalid_header_fields=True)  # fmt: skip
        acknowledge(logs_bucket, "AwsSolutions-S1", "NIST.800.53.R5-S3BucketLoggingEnabled",
                    "NIST.800.53.R5-S3BucketReplicationEnabled",
                    "NIST.800.53.R5-S3DefaultEncryptionKMS")  # fmt: skip
        acknowledge(lb, "NIST.800.53.R5-ELBDeletionProtectionEnabled")
        lb.log_access_logs(logs_bucket, "alb")
        listener = lb.add_listener("Http", port=80, open=False)
        acknowledge(listener, "NIST.800.53.R5-ALBHttpToHttpsRedirection",
                    "NIST.800.53.R5-ELBv2ACMCertificateRequired")  # fmt: skip
        listener.add_targets("App", port=80, targets=[group],
                             health_check=elbv2.HealthCheck(path="/health"))  # fmt: skip
        acl = wafv2.CfnWebACL(
            self, "Waf", scope="REGIONAL", default_action={"allow": {}},
            visibility_config={"cloudWatchMetricsEnabled": True, "metricName": "waf",
                               "sampledRequestsEnabled": True},
            rules=[{"name": name, "priority": index, "overrideAction": {"none": {}},
                    "statement": {"managedRuleGroupStatement": {"vendorName": "AWS",
                                                                "name": name}},
                    "visibilityConfig": {"cloudWatchMetricsEnabled": True, "metricName": name,
                                         "sampledRequestsEnabled": True}}
                   for index, name in enumerate(["AWSManagedRulesCommonRuleSet",
                                                 "AWSManagedRulesKnownBadInputsRuleSet",
                                                 "AWSManagedRulesAmazonIpReputationList"])],
        )  # fmt: skip
        wafv2.CfnWebACLAssociation(self, "WafOnLb", resource_arn=lb.load_balancer_arn,
                                   web_acl_arn=acl.attr_arn)  # fmt: skip
        waf_logs = logs.LogGroup(self, "WafLogs", log_group_name="aws-waf-logs-anchor",
                                 retention=logs.RetentionDays.ONE_MONTH)  # fmt: skip
        acknowledge(waf_logs, "NIST.800.53.R5-CloudWatchLogGroupEncrypted")
        wafv2.CfnLoggingConfiguration(self, "WafLogging", resource_arn=acl.attr_arn,
                                      log_destination_configs=[waf_logs.log_group_arn])  # fmt: skip
        if monitoring:
            self._monitoring(lb, data, group)
        cdk.CfnOutput(self, "Url", value=f"http://{lb.load_balancer_dns_name}")

    def _monitoring(self, lb: elbv2.ApplicationLoadBalancer, data: Data,
                    group: autoscaling.AutoScalingGroup) -> None:  # fmt: skip
        sns_key = kms.Alias.from_alias_name(self, "SnsKey", "alias/aws/sns")
        topic = sns.Topic(self, "Alarms", enforce_ssl=True, master_key=sns_key)
        metrics = [
            lb.metrics.http_code_elb(elbv2.HttpCodeElb.ELB_5XX_COUNT),
            lb.metrics.target_response_time(),
            data.cluster.metric_cpu_utilization(),
            data.cluster.metric_free_local_storage(),
            data.cluster.metric_database_connections(),
            cloudwatch.Metric(namespace="AWS/EC2", metric_name="CPUUtilization",
                              dimensions_map={"AutoScalingGroupName":
                                              group.auto_scaling_group_name}),
        ]  # fmt: skip
        widgets = []
        for index, metric in enumerate(metrics):
            alarm = metric.create_alarm(self, f"Alarm{index}", threshold=80, evaluation_periods=3)
            alarm.add_alarm_action(actions.SnsAction(topic))
            widgets.append(cloudwatch.GraphWidget(left=[metric]))
        cloudwatch.Dashboard(self, "Dashboard", widgets=[widgets])


def copy(app: cdk.App, index: int, env: cdk.Environment, readers: int = 2) -> None:
    """One copy of the tiers for ``benchmarks/copies.py``: the same stacks without the
    alarms and dashboard (wellstack's copy has no ``Monitoring`` either)."""
    network = Network(app, f"Plain{index}Network", env=env, cidr=f"10.{index % 250}.0.0/16")
    data = Data(app, f"Plain{index}Data", network, env=env, readers=readers)
    App(app, f"Plain{index}App", network, data, env=env, monitoring=False)


if __name__ == "__main__":
    app = cdk.App()
    network = Network(app, "PlainNetwork")
    data = Data(app, "PlainData", network)
    App(app, "PlainApp", network, data)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), NIST80053R5Checks(app))  # pyright: ignore[reportArgumentType]
    app.synth()
