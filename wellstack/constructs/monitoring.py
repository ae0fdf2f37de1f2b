"""Day-2 operations: CloudWatch alarms on every tier's golden signals, notifying an encrypted SNS
topic, and one dashboard.

Every threshold below is a starting point a senior SRE would defend, with why; ``treat missing
data`` is chosen per metric: a metric that only exists while something happens (errors, requests,
dropped packets) is ``notBreaching`` when silent, and a metric that must always report (healthy
hosts, in-service instances) is ``breaching`` when silent — silence there is the outage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_rds as rds
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from wellstack.catalog import aurora_max_connections, aurora_memory_gib
from wellstack.constructs import _cache as cached
from wellstack.constructs.checks import Problems
from wellstack.constructs.compute import AppTier
from wellstack.constructs.database import AuroraCluster
from wellstack.constructs.global_database import AuroraSecondaryCluster
from wellstack.constructs.keys import customer_key
from wellstack.constructs.network import Network
from wellstack.constructs.storage import TieredBucket
from wellstack.errors import WellstackError
from wellstack.limits import EMAIL, EMAIL_MAX_LENGTH

MINUTE = cached.minutes(1)
FIVE_MINUTES = cached.minutes(5)


@dataclass(frozen=True)
class Threshold:
    """An alarm's rule: above/below ``value`` for ``datapoints`` of ``periods`` periods of
    ``period_minutes``; ``why`` goes into the alarm description."""

    value: float
    periods: int
    datapoints: int
    period_minutes: int
    why: str
    unit: str = ""


#: The thresholds, by alarm. Rates are percent of requests or packets.
THRESHOLDS: dict[str, Threshold] = {
    "LoadBalancer5xx": Threshold(
        5,
        5,
        3,
        1,
        "more than 5% of requests failed at the load balancer itself (no healthy "
        "target, a misconfiguration) in 3 of 5 minutes: users see errors now",
        unit="% of requests",
    ),
    "Target5xx": Threshold(
        5,
        5,
        3,
        1,
        "more than 5% of requests failed in the application (HTTP 5xx from the "
        "instances) in 3 of 5 minutes",
        unit="% of requests",
    ),
    "TargetLatencyP99": Threshold(
        2,
        5,
        3,
        1,
        "the slowest 1% of requests took over 2 s in 3 of 5 minutes: the tier is "
        "saturated or a dependency (the database) is slow",
        unit="s",
    ),
    "UnhealthyHosts": Threshold(
        1,
        5,
        5,
        1,
        "an instance failed its health checks for 5 minutes: Auto Scaling should "
        "have replaced it by then",
        unit="host",
    ),
    "NoHealthyHosts": Threshold(
        1,
        2,
        2,
        1,
        "no instance passes its health check for 2 minutes: the site is down",
        unit="host (below)",
    ),
    "InServiceBelowMinimum": Threshold(
        0,
        10,
        10,
        1,
        "fewer instances in service than the group's minimum for 10 minutes: "
        "launches are failing (capacity, image, user data) or an AZ is impaired",
        unit="(below the group's minimum)",
    ),
    "InstanceCpu": Threshold(
        85,
        3,
        3,
        5,
        "average CPU over 85% for 15 minutes although scaling targets less: the "
        "group is at its maximum or scaling cannot keep up",
        unit="% CPU",
    ),
    "WriterCpu": Threshold(
        80,
        3,
        3,
        5,
        "the writer's CPU over 80% for 15 minutes: writes will slow down; scale "
        "the class up or move reads to readers",
        unit="% CPU",
    ),
    "ReaderCpu": Threshold(
        80,
        3,
        3,
        5,
        "the readers' CPU over 80% for 15 minutes: add readers (or reader "
        "autoscaling) or a larger class",
        unit="% CPU",
    ),
    "FreeableMemory": Threshold(
        10,
        3,
        3,
        5,
        "less than 10% of the instance's memory free for 15 minutes: the buffer "
        "pool is squeezed and the engine may swap or restart",
        unit="% of memory (below)",
    ),
    "ReplicaLag": Threshold(
        1000,
        5,
        5,
        1,
        "a reader more than 1 s behind the writer for 5 minutes: stale reads, "
        "and a failover would lose the lag's worth of unreplicated work",
        unit="ms",
    ),
    "Connections": Threshold(
        80,
        3,
        3,
        5,
        "connections above 80% of the class's default max_connections for 15 "
        "minutes: new connections will soon be refused; pool them (RDS Proxy)",
        unit="% of max_connections",
    ),
    "Deadlocks": Threshold(
        0.1,
        3,
        3,
        5,
        "more than one deadlock every 10 seconds for 15 minutes: transactions "
        "are colliding on the same rows",
        unit="per second",
    ),
    "NatPortAllocationErrors": Threshold(
        0,
        1,
        1,
        5,
        "the NAT gateway could not allocate a source port (over 55,000 "
        "connections to one destination): outbound connections are failing",
        unit="errors",
    ),
    "NatPacketsDropped": Threshold(
        0.01,
        3,
        3,
        5,
        "the NAT gateway dropped more than 0.01% of packets for 15 minutes "
        "(AWS's guidance for investigating NAT health)",
        unit="% of packets",
    ),
    "GlobalReplicationLag": Threshold(
        5000,
        5,
        5,
        1,
        "the DR region's secondary cluster more than 5 s behind the primary's replication "
        "server for 5 minutes (Aurora keeps it typically under a second): cross-region "
        "replication is struggling",
        unit="ms",
    ),
    "GlobalRpoLag": Threshold(
        10000,
        5,
        5,
        1,
        "the DR region's secondary cluster more than 10 s behind the primary in user "
        "transactions for 5 minutes, or reporting nothing: a failover now would lose that much "
        "data. The DR runbook reads this alarm before a failover (docs/dr.md)",
        unit="ms",
    ),
    # RDS Proxy (Aurora User Guide, "Monitoring RDS Proxy metrics with Amazon CloudWatch"):
    # AvailabilityPercentage exists only with ProxyName + TargetGroup + TargetRole; the
    # failure counts are per 5 minutes. Thresholds are wellstack's (AWS publishes none).
    "ProxyAvailability": Threshold(
        100,
        3,
        3,
        1,
        "the RDS Proxy's read/write target available less than 100% of the time for 3 "
        "minutes: the app's connections through it fail",
        unit="%",
    ),
    "ProxyTargetConnectFailures": Threshold(
        0,
        1,
        1,
        5,
        "the RDS Proxy failed to open connections to the cluster (its role's rds-db:connect, "
        "the proxy user missing in the database, TLS): every new session of the app fails",
    ),
    "ProxyClientAuthFailures": Threshold(
        4,
        1,
        1,
        5,
        "5 or more clients failed to authenticate to the RDS Proxy in 5 minutes (an IAM token "
        "made for the cluster instead of the proxy, an expired token, no TLS)",
    ),
    "Bucket5xx": Threshold(
        1,
        3,
        3,
        5,
        "more than 1% of requests to the bucket failed with 5xx for 15 minutes: "
        "retry storms or S3 throttling (request metrics are on for this bucket)",
        unit="% of requests",
    ),
}


class Monitoring(Construct):
    """Alarms and a dashboard for wellstack's tiers, notifying one encrypted SNS topic.

    Add each tier with ``watch_network``, ``watch_app_tier``, ``watch_database`` and
    ``watch_bucket``; each returns the alarms it created. The alarms notify ``topic`` when they
    go into ALARM and when they recover.

    :param topic: an existing SNS topic to notify. Default: a new topic encrypted with a
        customer-managed key (which CloudWatch and EventBridge may use), TLS-only.
    :param alarm_email: an address subscribed to the topic (the subscription must be confirmed
        from the email AWS sends). Default none: subscribe your own endpoints to ``topic``.
    :param dashboard_name: Default: derived from the construct path, unique in the account.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        topic: sns.ITopic | sns.Topic | None = None,
        alarm_email: str | None = None,
        dashboard_name: str | None = None,
    ) -> None:
        problems = Problems.of(scope, construct_id, "Monitoring")
        if topic is not None:
            problems.implements("topic", topic, sns.ITopic, "an SNS topic (sns.ITopic)")
        if alarm_email is not None:
            problems.text(
                "alarm_email", alarm_email, EMAIL, "an email address", max_length=EMAIL_MAX_LENGTH
            )
        if dashboard_name is not None:
            problems.text(
                "dashboard_name",
                dashboard_name,
                r"[A-Za-z0-9_-]{1,255}",
                "a dashboard name: letters, digits, '-' and '_'",
            )
        problems.done()
        super().__init__(scope, construct_id)
        cached.adopt(self, scope, construct_id)
        #: The key of the topic wellstack created (``None`` with ``topic=``).
        self.topic_key: kms.Key | None = None
        #: Where every alarm sends its notifications.
        self.topic: sns.ITopic | sns.Topic = topic or self._encrypted_topic()
        self._let_publishers_in()
        if alarm_email is not None:
            self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))  # pyright: ignore[reportArgumentType]  # CDK protocol false positive
        #: Every alarm, in the order the tiers were watched.
        self.alarms: list[cw.Alarm] = []
        #: EventBridge rules that notify the topic (failed backup and copy jobs).
        self.rules: list[events.Rule] = []
        #: The dashboard: a row of golden signals per watched tier.
        self.dashboard: cw.Dashboard = cw.Dashboard(
            self,
            "Dashboard",
            dashboard_name=dashboard_name
            or cdk.Names.unique_resource_name(self, max_length=255, separator="-"),
            default_interval=cached.hours(3),
        )
        self._action = cw_actions.SnsAction(self.topic)  # pyright: ignore[reportArgumentType]  # CDK protocol false positive

    # --- watching the tiers ----------------------------------------------------------------------

    def watch_app_tier(self, tier: AppTier) -> list[cw.Alarm]:
        """Load balancer 5xx and target 5xx rates, p99 latency, unhealthy and no healthy hosts,
        in-service instances below the minimum, sustained CPU."""
        self._require(tier, AppTier, "watch_app_tier", "an AppTier")
        lb = {"LoadBalancer": tier.load_balancer.load_balancer_full_name}
        tg = {**lb, "TargetGroup": tier.target_group.target_group_full_name}
        group = {"AutoScalingGroupName": tier.auto_scaling_group.auto_scaling_group_name}
        requests = _metric("AWS/ApplicationELB", "RequestCount", lb, "Sum")
        elb_5xx = _metric("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", lb, "Sum")
        target_5xx = _metric("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", lb, "Sum")
        latency = _metric("AWS/ApplicationELB", "TargetResponseTime", lb, "p99")
        healthy = _metric("AWS/ApplicationELB", "HealthyHostCount", tg, "Minimum")
        unhealthy = _metric("AWS/ApplicationELB", "UnHealthyHostCount", tg, "Maximum")
        in_service = _metric("AWS/AutoScaling", "GroupInServiceInstances", group, "Minimum")
        cpu = _metric("AWS/EC2", "CPUUtilization", group, "Average", FIVE_MINUTES)
        minimum = tier.min_capacity
        serving: cw.IMetric = healthy
        if minimum == 0:
            # A group allowed to stand at zero (a pilot light) has no host by design: count the
            # healthy hosts only while it wants some, else read 1 (nothing missing).
            desired = _metric("AWS/AutoScaling", "GroupDesiredCapacity", group, "Maximum")
            serving = cw.MathExpression(
                expression="IF(FILL(desired, 0) > 0, FILL(healthy, 0), 1)",
                using_metrics={"desired": desired, "healthy": healthy},
                label="healthy hosts while the group wants some",
                period=healthy.period,
            )
        name = cached.node(tier).id
        alarms = [
            self._alarm(name, "LoadBalancer5xx", _rate(elb_5xx, requests, "ELB 5xx %")),
            self._alarm(name, "Target5xx", _rate(target_5xx, requests, "target 5xx %")),
            self._alarm(name, "TargetLatencyP99", latency),
            self._alarm(name, "UnhealthyHosts", unhealthy),
            self._alarm(
                name, "NoHealthyHosts", serving, below=True, missing=cw.TreatMissingData.BREACHING
            ),
            self._alarm(
                name,
                "InServiceBelowMinimum",
                in_service,
                below=True,
                value=minimum,
                missing=cw.TreatMissingData.BREACHING,
            ),
            self._alarm(name, "InstanceCpu", cpu),
        ]
        self.dashboard.add_widgets(
            cw.TextWidget(markdown=f"### App tier {cached.path(tier)}", width=24, height=1),
            _graph("Requests and errors", [requests, elb_5xx, target_5xx]),
            _graph("Latency p99 (s)", [latency]),
            _graph("Hosts", [healthy, unhealthy, in_service]),
            _graph("CPU %", [cpu]),
        )
        return alarms

    def watch_database(self, db: AuroraCluster | AuroraSecondaryCluster) -> list[cw.Alarm]:
        """Writer and reader CPU, freeable memory, replica lag, connections against the class's
        default max_connections, deadlocks (MySQL); failed backup and copy jobs. For the
        secondary cluster of a global database (watched from its own region, where its metrics
        are published): replication lag and RPO lag, and the readers' CPU and memory."""
        self._require(
            db, (AuroraCluster, AuroraSecondaryCluster), "watch_database",
            "an AuroraCluster or an AuroraSecondaryCluster",
        )  # fmt: skip
        if isinstance(db, AuroraSecondaryCluster):
            return self._watch_secondary(db)
        cluster = db.cluster_identifier
        writer = {"DBClusterIdentifier": cluster, "Role": "WRITER"}
        reader = {"DBClusterIdentifier": cluster, "Role": "READER"}
        whole = {"DBClusterIdentifier": cluster}
        cpu = _metric("AWS/RDS", "CPUUtilization", writer, "Maximum", FIVE_MINUTES)
        reader_cpu = _metric("AWS/RDS", "CPUUtilization", reader, "Average", FIVE_MINUTES)
        memory = _metric("AWS/RDS", "FreeableMemory", writer, "Minimum", FIVE_MINUTES)
        connections = _metric("AWS/RDS", "DatabaseConnections", writer, "Maximum", FIVE_MINUTES)
        lag = _metric("AWS/RDS", "AuroraReplicaLagMaximum", whole, "Maximum")
        name = cached.node(db).id
        instance_class = db.instance_class
        memory_bytes = aurora_memory_gib(instance_class, db.max_acu) * 2**30
        max_connections = aurora_max_connections(db.engine, instance_class, db.max_acu)
        alarms = [
            self._alarm(name, "WriterCpu", cpu),
            self._alarm(
                name,
                "FreeableMemory",
                memory,
                below=True,
                value=memory_bytes * THRESHOLDS["FreeableMemory"].value / 100,
            ),
            self._alarm(
                name,
                "Connections",
                connections,
                value=max_connections * THRESHOLDS["Connections"].value / 100,
            ),
        ]
        if db.readers:
            alarms += [
                self._alarm(name, "ReaderCpu", reader_cpu),
                self._alarm(name, "ReplicaLag", lag),
            ]
        if db.engine == "mysql":
            deadlocks = _metric("AWS/RDS", "Deadlocks", writer, "Average", FIVE_MINUTES)
            alarms.append(self._alarm(name, "Deadlocks", deadlocks))
        if db.proxy is not None:
            alarms += self._watch_proxy(name, db.proxy)
        if db.backup_vault_name is not None:
            vault_arn = cached.stack_of(db).format_arn(
                service="backup",
                resource="backup-vault",
                resource_name=db.backup_vault_name,
                arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
            )
            self._notify_failed_jobs(name, db.backup_vault_name, vault_arn)
        self.dashboard.add_widgets(
            cw.TextWidget(markdown=f"### Database {cached.path(db)}", width=24, height=1),
            _graph("CPU %", [cpu, reader_cpu]),
            _graph("Connections", [connections]),
            _graph("Freeable memory (bytes)", [memory]),
            _graph("Replica lag (ms)", [lag]),
        )
        return alarms

    def _watch_secondary(self, db: AuroraSecondaryCluster) -> list[cw.Alarm]:
        """The global-database metrics exist only in the secondary's region ("Amazon CloudWatch
        metrics for Amazon Aurora": "available only in secondary AWS Regions"), per cluster.
        RPO lag is the data a failover would lose (Aurora MySQL 3.04+, every Aurora
        PostgreSQL); silence there is breaching: a secondary that reports nothing is no
        recovery point. A headless secondary has no instance metrics to watch."""
        cluster = {"DBClusterIdentifier": db.cluster_identifier}
        reader = {**cluster, "Role": "READER"}
        replication = _metric("AWS/RDS", "AuroraGlobalDBReplicationLag", cluster, "Average")
        rpo = _metric("AWS/RDS", "AuroraGlobalDBRPOLag", cluster, "Maximum")
        name = cached.node(db).id
        alarms = [
            self._alarm(name, "GlobalReplicationLag", replication),
            self._alarm(name, "GlobalRpoLag", rpo, missing=cw.TreatMissingData.BREACHING),
        ]
        widgets: list[Any] = [_graph("Global lag (ms)", [replication, rpo])]
        if db.readers:
            cpu = _metric("AWS/RDS", "CPUUtilization", reader, "Average", FIVE_MINUTES)
            memory = _metric("AWS/RDS", "FreeableMemory", reader, "Minimum", FIVE_MINUTES)
            memory_bytes = aurora_memory_gib(db.instance_class) * 2**30
            alarms += [
                self._alarm(name, "ReaderCpu", cpu),
                self._alarm(
                    name,
                    "FreeableMemory",
                    memory,
                    below=True,
                    value=memory_bytes * THRESHOLDS["FreeableMemory"].value / 100,
                ),
            ]
            widgets += [_graph("Reader CPU %", [cpu]), _graph("Freeable memory (bytes)", [memory])]
        self.dashboard.add_widgets(
            cw.TextWidget(markdown=f"### Secondary database {cached.path(db)}", width=24, height=1),
            *widgets,
        )
        return alarms

    def watch_network(self, network: Network) -> list[cw.Alarm]:
        """Per NAT gateway: port-allocation errors and the share of dropped packets."""
        self._require(network, Network, "watch_network", "a Network")
        alarms, widgets = [], []
        for index, gateway in enumerate(network.nat_gateways, start=1):
            nat = {"NatGatewayId": gateway.ref}
            errors = _metric("AWS/NATGateway", "ErrorPortAllocation", nat, "Sum", FIVE_MINUTES)
            dropped = _metric("AWS/NATGateway", "PacketsDropCount", nat, "Sum", FIVE_MINUTES)
            packets_in = _metric("AWS/NATGateway", "PacketsInFromSource", nat, "Sum", FIVE_MINUTES)
            packets_back = _metric(
                "AWS/NATGateway", "PacketsInFromDestination", nat, "Sum", FIVE_MINUTES
            )
            drop_rate = cw.MathExpression(
                expression="100 * dropped / (fromsrc + fromdst)",
                using_metrics={"dropped": dropped, "fromsrc": packets_in, "fromdst": packets_back},
                label=f"NAT {index} dropped %",
                period=FIVE_MINUTES,
            )
            name = f"{cached.node(network).id}Nat{index}"
            alarms += [
                self._alarm(name, "NatPortAllocationErrors", errors),
                self._alarm(name, "NatPacketsDropped", drop_rate),
            ]
            widgets.append(_graph(f"NAT {index}: errors and drops", [errors, dropped]))
        if widgets:
            self.dashboard.add_widgets(
                cw.TextWidget(markdown=f"### Network {cached.path(network)}", width=24, height=1),
                *widgets,
            )
        return alarms

    def watch_bucket(self, bucket: TieredBucket) -> list[cw.Alarm]:
        """The share of requests failing with 5xx. Turns S3 request metrics on for the bucket
        (filter ``EntireBucket``; billed as CloudWatch metrics)."""
        self._require(bucket, TieredBucket, "watch_bucket", "a TieredBucket")
        bucket.bucket.add_metric(id="EntireBucket")
        dims = {"BucketName": bucket.bucket.bucket_name, "FilterId": "EntireBucket"}
        errors = _metric("AWS/S3", "5xxErrors", dims, "Sum", FIVE_MINUTES)
        requests = _metric("AWS/S3", "AllRequests", dims, "Sum", FIVE_MINUTES)
        alarm = self._alarm(cached.node(bucket).id, "Bucket5xx", _rate(errors, requests, "5xx %"))
        self.dashboard.add_widgets(
            cw.TextWidget(markdown=f"### Bucket {cached.path(bucket)}", width=24, height=1),
            _graph("Requests and 5xx", [requests, errors]),
        )
        return [alarm]

    # --- helpers ---------------------------------------------------------------------------------

    def _require(self, value: Any, kind: type | tuple[type, ...], method: str, what: str) -> None:
        if not isinstance(value, kind):
            raise WellstackError(cached.path(self), [f"{method} needs {what}, got {value!r}"])

    def _watch_proxy(self, name: str, proxy: rds.CfnDBProxy) -> list[cw.Alarm]:
        target = {"ProxyName": proxy.ref, "TargetGroup": "default", "TargetRole": "READ_WRITE"}
        whole = {"ProxyName": proxy.ref}
        five = cached.minutes(5)
        availability = _metric("AWS/RDS", "AvailabilityPercentage", target, "Average")
        to_cluster = _metric("AWS/RDS", "DatabaseConnectionsSetupFailed", whole, "Sum", five)
        auth = _metric("AWS/RDS", "ClientConnectionsSetupFailedAuth", whole, "Sum", five)
        self.dashboard.add_widgets(
            _graph("Proxy connections", [
                _metric("AWS/RDS", "ClientConnections", whole, "Maximum"),
                _metric("AWS/RDS", "DatabaseConnections", whole, "Maximum"),
            ]),
            _graph("Proxy availability %", [availability]),
        )  # fmt: skip
        return [
            # Reported only once the proxy is used: silence is not an outage.
            self._alarm(name, "ProxyAvailability", availability, below=True),
            self._alarm(name, "ProxyTargetConnectFailures", to_cluster),
            self._alarm(name, "ProxyClientAuthFailures", auth),
        ]

    def _alarm(
        self,
        owner: str,
        rule: str,
        metric: cw.IMetric,
        *,
        below: bool = False,
        value: float | None = None,
        missing: cw.TreatMissingData = cw.TreatMissingData.NOT_BREACHING,
    ) -> cw.Alarm:
        threshold = THRESHOLDS[rule]
        alarm = cw.Alarm(
            self,
            f"{owner}{rule}",
            metric=metric,
            threshold=threshold.value if value is None else value,
            evaluation_periods=threshold.periods,
            datapoints_to_alarm=threshold.datapoints,
            comparison_operator=cw.ComparisonOperator.LESS_THAN_THRESHOLD
            if below
            else cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=missing,
            alarm_description=f"{owner}: {threshold.why}",
        )
        alarm.add_alarm_action(self._action)  # pyright: ignore[reportArgumentType]  # CDK protocol false positive
        alarm.add_ok_action(self._action)  # pyright: ignore[reportArgumentType]  # CDK protocol false positive
        self.alarms.append(alarm)
        return alarm

    def _notify_failed_jobs(self, owner: str, vault_name: str, vault_arn: str) -> None:
        """Two rules: EventBridge matches a pattern only when the event carries every field it
        names, and the detail-types differ ("Monitoring AWS Backup events using Amazon
        EventBridge"): backup-job events carry ``backupVaultName``, copy-job events only
        ``sourceBackupVaultArn`` / ``destinationBackupVaultArn``."""
        backup_jobs = events.EventPattern(
            source=["aws.backup"],
            detail_type=["Backup Job State Change"],
            detail={"state": ["FAILED", "ABORTED", "EXPIRED"], "backupVaultName": [vault_name]},
        )
        # CopyJob's states: CREATED | RUNNING | COMPLETED | FAILED | PARTIAL (a copy of a
        # composite recovery point whose child copies did not all complete).
        copy_jobs = events.EventPattern(
            source=["aws.backup"],
            detail_type=["Copy Job State Change"],
            detail={"state": ["FAILED", "PARTIAL"], "sourceBackupVaultArn": [vault_arn]},
        )
        for suffix, what, pattern in (
            ("BackupFailures", "an AWS Backup job failed, aborted or expired", backup_jobs),
            ("CopyFailures", "copying a recovery point to the DR vault failed", copy_jobs),
        ):
            rule = events.Rule(
                self, f"{owner}{suffix}", description=f"{owner}: {what}", event_pattern=pattern
            )
            rule.add_target(targets.SnsTopic(self.topic))  # pyright: ignore[reportArgumentType]  # CDK protocol false positive
            self.rules.append(rule)

    def _let_publishers_in(self) -> None:
        """CloudWatch alarms and EventBridge publish to the topic only when its policy and its
        KMS key let them. A topic policy replaces the topic's default policy (the one that let
        the account's services publish), and CDK writes one for ``enforce_ssl``: without an
        Allow for ``cloudwatch.amazonaws.com`` every alarm's history shows "not authorized to
        perform: SNS:Publish" (AWS Knowledge Center, *Why didn't I receive an SNS notification
        for my CloudWatch alarm trigger?*). An SSE-KMS topic needs a customer-managed key whose
        policy lets each publisher use it (SNS Developer Guide, *Enable compatibility between
        event sources from AWS services and encrypted topics*). EventBridge's Allow on the
        topic comes with each rule's target (CDK's ``SnsTopic``); AWS's EventBridge guide gives
        it without conditions."""
        stack = cached.stack_of(self)
        alarms_arn = stack.format_arn(
            service="cloudwatch",
            resource="alarm",
            resource_name="*",
            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
        )
        added = self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[cached.service_principal("cloudwatch.amazonaws.com")],  # pyright: ignore[reportArgumentType]  # CDK protocol false positive
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={
                    "ArnLike": {"aws:SourceArn": alarms_arn},
                    "StringEquals": {"aws:SourceAccount": stack.account},
                },
            )
        ).statement_added
        missing = [] if added else [
            "its access policy must allow Service cloudwatch.amazonaws.com sns:Publish (and "
            "events.amazonaws.com, for the backup-failure rules)"
        ]  # fmt: skip
        key = getattr(self.topic, "master_key", None)
        if key is not None and key is not self.topic_key:
            statement = iam.PolicyStatement(
                sid="AlarmAndEventPublishers",
                principals=[
                    cached.service_principal("cloudwatch.amazonaws.com"),  # pyright: ignore[reportArgumentType]  # CDK protocol false positive
                    cached.service_principal("events.amazonaws.com"),  # pyright: ignore[reportArgumentType]  # CDK protocol false positive
                ],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
            )
            if not key.add_to_resource_policy(statement).statement_added:
                missing.append(
                    "its KMS key's policy must allow Service cloudwatch.amazonaws.com and "
                    "events.amazonaws.com kms:Decrypt and kms:GenerateDataKey* (and must not be "
                    "the AWS-managed alias/aws/sns)"
                )
        elif key is None and not added:
            missing.append(
                "if it is encrypted, its KMS key's policy must allow Service "
                "cloudwatch.amazonaws.com and events.amazonaws.com kms:Decrypt and "
                "kms:GenerateDataKey* (the AWS-managed alias/aws/sns cannot)"
            )
        if missing:
            cdk.Annotations.of(self).add_warning_v2(
                "wellstack:topic-publishers",
                f"topic {self.topic.topic_arn} is not this app's to change, so the alarms can "
                f"notify it only if {'; and '.join(missing)}. Grant that where the topic is "
                f"defined (wellstack review reports its alarms as unknown).",
            )

    def _encrypted_topic(self) -> sns.Topic:
        key = customer_key(self, "TopicKey", "Encrypts the alarm topic")
        # CloudWatch alarms and EventBridge publish to an SSE-KMS topic only when the key lets
        # them (SNS Developer Guide, "Enable compatibility between event sources from AWS
        # services and encrypted topics"; the AWS-managed alias/aws/sns cannot be used).
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AlarmAndEventPublishers",
                principals=[
                    cached.service_principal("cloudwatch.amazonaws.com"),  # pyright: ignore[reportArgumentType]  # CDK protocol false positive
                    cached.service_principal("events.amazonaws.com"),  # pyright: ignore[reportArgumentType]  # CDK protocol false positive
                ],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
            )
        )
        self.topic_key = key
        return sns.Topic(
            self,
            "Topic",
            display_name=f"wellstack alarms: {cached.path(self)}",
            master_key=key,  # pyright: ignore[reportArgumentType]  # CDK protocol false positive
            enforce_ssl=True,
        )


def _metric(
    namespace: str,
    name: str,
    dimensions: dict[str, str],
    statistic: str,
    period: cdk.Duration = MINUTE,
) -> cw.Metric:
    return cw.Metric(
        namespace=namespace,
        metric_name=name,
        dimensions_map=dimensions,
        statistic=statistic,
        period=period,
    )


def _rate(part: cw.Metric, whole: cw.Metric, label: str) -> cw.MathExpression:
    """``100 * part / whole``; no requests at all gives no data point (not an alarm)."""
    return cw.MathExpression(
        expression="IF(whole > 0, 100 * part / whole)",
        using_metrics={"part": part, "whole": whole},
        label=label,
        period=part.period,
    )


def _graph(title: str, metrics: list[Any]) -> cw.GraphWidget:
    return cw.GraphWidget(title=title, left=metrics, width=6, height=6)


__all__ = ["THRESHOLDS", "Monitoring", "Threshold"]
