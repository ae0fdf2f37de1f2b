// The TypeScript anchor of the synthesis benchmark: benchmarks/anchors/plain_app.py line by
// line in TypeScript (the same resources, the same cdk-nag packs, the same acknowledgments on
// the same constructs),
// compiled with tsc before any timing (`make bench` installs this folder's toolchain only).
import * as cdk from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import { IConstruct } from 'constructs';

const env = { region: 'ap-northeast-2' };
const azs = ['ap-northeast-2a', 'ap-northeast-2c'];
const reason = 'timing anchor: a shortcut of the hand-written app, taken on purpose';

// Acknowledge `rules` on the construct that took the shortcut.
function acknowledge(construct: IConstruct, ...rules: string[]): void {
  cdk.Validations.of(construct).acknowledge(...rules.map((id) => ({ id, reason })));
}

class Network extends cdk.Stack {
  readonly vpc: ec2.Vpc;
  readonly web: ec2.SecurityGroup;
  readonly app: ec2.SecurityGroup;
  readonly db: ec2.SecurityGroup;
  constructor(scope: cdk.App, id: string) {
    super(scope, id, { env });
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr('10.10.0.0/16'),
      availabilityZones: azs,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 24 },
        { name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
        DynamoDB: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
      },
    });
    const key = new kms.Key(this, 'FlowLogKey', { enableKeyRotation: true });
    key.grantEncryptDecrypt(new iam.ServicePrincipal(`logs.${env.region}.amazonaws.com`));
    const group = new logs.LogGroup(this, 'FlowLogs', { retention: logs.RetentionDays.ONE_MONTH, encryptionKey: key });
    this.vpc.addFlowLog('FlowLog', { destination: ec2.FlowLogDestination.toCloudWatchLogs(group) });
    acknowledge(this.vpc, 'NIST.800.53.R5-IAMNoInlinePolicy'); // the flow log's role
    this.vpc.publicSubnets.forEach((subnet) => acknowledge(subnet, 'NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW'));
    this.web = new ec2.SecurityGroup(this, 'Web', { vpc: this.vpc, allowAllOutbound: false });
    acknowledge(this.web, 'AwsSolutions-EC23');
    this.app = new ec2.SecurityGroup(this, 'App', { vpc: this.vpc, allowAllOutbound: false });
    this.db = new ec2.SecurityGroup(this, 'Db', { vpc: this.vpc, allowAllOutbound: false });
    this.web.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80));
    this.web.addEgressRule(this.app, ec2.Port.tcp(80));
    this.app.addIngressRule(this.web, ec2.Port.tcp(80));
    this.app.addEgressRule(this.db, ec2.Port.tcp(3306));
    this.app.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443));
    this.db.addIngressRule(this.app, ec2.Port.tcp(3306));
  }
}

class Data extends cdk.Stack {
  readonly cluster: rds.DatabaseCluster;
  constructor(scope: cdk.App, id: string, network: Network) {
    super(scope, id, { env });
    const key = new kms.Key(this, 'DataKey', { enableKeyRotation: true });
    const logsBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED, blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true, versioned: true,
    });
    acknowledge(logsBucket, 'NIST.800.53.R5-S3BucketReplicationEnabled', 'NIST.800.53.R5-S3DefaultEncryptionKMS');
    const assets = new s3.Bucket(this, 'Assets', {
      encryption: s3.BucketEncryption.KMS, encryptionKey: key,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL, enforceSSL: true, versioned: true,
      serverAccessLogsBucket: logsBucket, removalPolicy: cdk.RemovalPolicy.RETAIN,
      lifecycleRules: [{ transitions: [
        { storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: cdk.Duration.days(30) },
        { storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: cdk.Duration.days(90) },
      ] }],
    });
    acknowledge(assets, 'NIST.800.53.R5-S3BucketReplicationEnabled');
    const engine = rds.DatabaseClusterEngine.auroraMysql({ version: rds.AuroraMysqlEngineVersion.VER_3_10_0 });
    const parameters = new rds.ParameterGroup(this, 'Parameters', {
      engine,
      parameters: { require_secure_transport: 'ON', server_audit_logging: '1', server_audit_events: 'CONNECT,QUERY_DDL' },
    });
    this.cluster = new rds.DatabaseCluster(this, 'Db', {
      engine,
      writer: rds.ClusterInstance.provisioned('Writer', { instanceType: new ec2.InstanceType('t4g.medium') }),
      readers: [rds.ClusterInstance.provisioned('Reader', { instanceType: new ec2.InstanceType('t4g.medium') })],
      vpc: network.vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [network.db], storageEncryptionKey: key, deletionProtection: true,
      parameterGroup: parameters, backup: { retention: cdk.Duration.days(7) },
      cloudwatchLogsExports: ['audit', 'error', 'slowquery'], iamAuthentication: true,
    });
    acknowledge(
      this.cluster, 'AwsSolutions-RDS11', 'AwsSolutions-RDS14', 'AwsSolutions-SMG4',
      'NIST.800.53.R5-RDSLoggingEnabled[LogExport::general]',
      'NIST.800.53.R5-RDSEnhancedMonitoringEnabled', 'NIST.800.53.R5-RDSInBackupPlan',
      'NIST.800.53.R5-SecretsManagerRotationEnabled', 'NIST.800.53.R5-SecretsManagerUsingKMSKey',
    );
    const plan = backup.BackupPlan.daily35DayRetention(this, 'Backups');
    const selection = plan.addSelection('Db', { resources: [backup.BackupResource.fromRdsDatabaseCluster(this.cluster)] });
    acknowledge(selection, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]');
  }
}

class App extends cdk.Stack {
  constructor(scope: cdk.App, id: string, network: Network, data: Data) {
    super(scope, id, { env });
    const role = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    acknowledge(role, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]');
    const userData = ec2.UserData.forLinux();
    userData.addCommands('dnf install -y nginx', 'systemctl enable --now nginx');
    const template = new ec2.LaunchTemplate(this, 'Template', {
      instanceType: new ec2.InstanceType('t3.micro'), machineImage: ec2.MachineImage.latestAmazonLinux2023(),
      role, userData, securityGroup: network.app, requireImdsv2: true,
      blockDevices: [{ deviceName: '/dev/xvda', volume: ec2.BlockDeviceVolume.ebs(10, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }) }],
    });
    const group = new autoscaling.AutoScalingGroup(this, 'Asg', {
      vpc: network.vpc, launchTemplate: template, minCapacity: 2, maxCapacity: 4,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      healthChecks: autoscaling.HealthChecks.withAdditionalChecks({
        additionalTypes: [autoscaling.AdditionalHealthCheckType.ELB], gracePeriod: cdk.Duration.minutes(5),
      }),
    });
    group.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 60 });
    acknowledge(group, 'AwsSolutions-AS3');
    const logsBucket = new s3.Bucket(this, 'AlbLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED, blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true, versioned: true,
    });
    const lb = new elbv2.ApplicationLoadBalancer(this, 'Lb', {
      vpc: network.vpc, internetFacing: true, securityGroup: network.web, dropInvalidHeaderFields: true,
    });
    acknowledge(logsBucket, 'AwsSolutions-S1', 'NIST.800.53.R5-S3BucketLoggingEnabled',
      'NIST.800.53.R5-S3BucketReplicationEnabled', 'NIST.800.53.R5-S3DefaultEncryptionKMS');
    acknowledge(lb, 'NIST.800.53.R5-ELBDeletionProtectionEnabled');
    lb.logAccessLogs(logsBucket, 'alb');
    const listener = lb.addListener('Http', { port: 80, open: false });
    acknowledge(listener, 'NIST.800.53.R5-ALBHttpToHttpsRedirection', 'NIST.800.53.R5-ELBv2ACMCertificateRequired');
    listener.addTargets('App', { port: 80, targets: [group], healthCheck: { path: '/health' } });
    const names = ['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet', 'AWSManagedRulesAmazonIpReputationList'];
    const acl = new wafv2.CfnWebACL(this, 'Waf', {
      scope: 'REGIONAL', defaultAction: { allow: {} },
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'waf', sampledRequestsEnabled: true },
      rules: names.map((name, priority) => ({
        name, priority, overrideAction: { none: {} },
        statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
        visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: name, sampledRequestsEnabled: true },
      })),
    });
    new wafv2.CfnWebACLAssociation(this, 'WafOnLb', { resourceArn: lb.loadBalancerArn, webAclArn: acl.attrArn });
    const wafLogs = new logs.LogGroup(this, 'WafLogs', { logGroupName: 'aws-waf-logs-anchor', retention: logs.RetentionDays.ONE_MONTH });
    acknowledge(wafLogs, 'NIST.800.53.R5-CloudWatchLogGroupEncrypted');
    new wafv2.CfnLoggingConfiguration(this, 'WafLogging', { resourceArn: acl.attrArn, logDestinationConfigs: [wafLogs.logGroupArn] });
    const topic = new sns.Topic(this, 'Alarms', { enforceSSL: true, masterKey: kms.Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns') });
    const metrics = [
      lb.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT),
      lb.metrics.targetResponseTime(),
      data.cluster.metricCPUUtilization(),
      data.cluster.metricFreeLocalStorage(),
      data.cluster.metricDatabaseConnections(),
      new cloudwatch.Metric({ namespace: 'AWS/EC2', metricName: 'CPUUtilization', dimensionsMap: { AutoScalingGroupName: group.autoScalingGroupName } }),
    ];
    const widgets: cloudwatch.IWidget[] = [];
    metrics.forEach((metric, index) => {
      const alarm = metric.createAlarm(this, `Alarm${index}`, { threshold: 80, evaluationPeriods: 3 });
      alarm.addAlarmAction(new actions.SnsAction(topic));
      widgets.push(new cloudwatch.GraphWidget({ left: [metric] }));
    });
    new cloudwatch.Dashboard(this, 'Dashboard', { widgets: [widgets] });
    new cdk.CfnOutput(this, 'Url', { value: `http://${lb.loadBalancerDnsName}` });
  }
}

const app = new cdk.App();
const network = new Network(app, 'PlainNetwork');
const data = new Data(app, 'PlainData', network);
new App(app, 'PlainApp', network, data);
cdk.Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app));
app.synth();
