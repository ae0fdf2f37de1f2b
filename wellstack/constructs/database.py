"""Database tier: Aurora MySQL or PostgreSQL, one writer and up to 15 readers, never losing data."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_backup as backup
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_kms as kms
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from wellstack.compliance import acknowledge
from wellstack.constructs._checks import check_choice, check_int, check_port, is_token

ENGINES = ("mysql", "postgresql")
#: Aurora MySQL 3.10 is a long-term-support release line (MySQL 8.0 compatible).
AURORA_MYSQL_VERSION = rds.AuroraMysqlEngineVersion.VER_3_10_4
#: Aurora PostgreSQL 17.
AURORA_POSTGRES_VERSION = rds.AuroraPostgresEngineVersion.VER_17_7
DEFAULT_PORTS = {"mysql": 3306, "postgresql": 5432}
#: Aurora's limit: one writer plus at most 15 Aurora Replicas per cluster.
MAX_READERS = 15
LOG_EXPORTS = {"mysql": ["audit", "error", "general", "slowquery"], "postgresql": ["postgresql"]}
TLS_PARAMETERS = {
    "mysql": {"require_secure_transport": "ON", "server_audit_logging": "1"},
    "postgresql": {"rds.force_ssl": "1"},
}
MASTER_USERNAME = "dbadmin"
_INSTANCE = re.compile(r"^(db\.)?(?P<type>[a-z][a-z0-9-]*\.[0-9]*[a-z0-9]+)$")
_TOO_SMALL = ("nano", "micro", "small")
_BACKUP_WINDOW = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
_MAINTENANCE_WINDOW = re.compile(
    r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)-"
    r"(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)$"
)
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEK = 7 * 24 * 60


def instance_type_of(prop: str, value: Any) -> ec2.InstanceType:
    """``"r6g.large"`` or ``"db.r6g.large"`` -> ``ec2.InstanceType("r6g.large")``."""
    match = _INSTANCE.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"{prop} must be an instance class such as 'r6g.large', got {value!r}")
    name = match.group("type")
    if name.split(".")[1] in _TOO_SMALL:
        raise ValueError(
            f"{prop} {value!r} is too small for Aurora (the smallest classes are *.medium, "
            f"e.g. t4g.medium)"
        )
    return ec2.InstanceType(name)


def engine_for(engine: str, version: Any) -> rds.IClusterEngine:
    """The CDK engine for ``"mysql"``/``"postgresql"`` at ``version`` (None: the pinned one;
    a CDK version object; or a string such as ``"3.10.4"`` / ``"17.7"``)."""
    if engine == "mysql":
        if version is None:
            version = AURORA_MYSQL_VERSION
        elif isinstance(version, str):
            match = re.fullmatch(r"(8\.0\.mysql_aurora\.)?(3\.\d+\.\d+)", version)
            if not match:
                raise ValueError(
                    f"engine_version for mysql must look like '3.10.4' (Aurora MySQL 3), "
                    f"got {version!r}"
                )
            version = rds.AuroraMysqlEngineVersion.of(f"8.0.mysql_aurora.{match.group(2)}", "8.0")
        return rds.DatabaseClusterEngine.aurora_mysql(version=version)
    if version is None:
        version = AURORA_POSTGRES_VERSION
    elif isinstance(version, str):
        match = re.fullmatch(r"(1[1-9])\.(\d+)", version)
        if not match:
            raise ValueError(
                f"engine_version for postgresql must look like '17.7', got {version!r}"
            )
        version = rds.AuroraPostgresEngineVersion.of(version, match.group(1))
    return rds.DatabaseClusterEngine.aurora_postgres(version=version)


def _backup_interval(window: str) -> tuple[int, int]:
    start_h, start_m, end_h, end_m = map(int, _BACKUP_WINDOW.match(window).groups())  # type: ignore[union-attr]
    start, end = start_h * 60 + start_m, end_h * 60 + end_m
    return start, (end - start) % (24 * 60)


def _maintenance_interval(window: str) -> tuple[int, int]:
    groups = _MAINTENANCE_WINDOW.match(window).groups()  # type: ignore[union-attr]
    start = _DAYS.index(groups[0]) * 1440 + int(groups[1]) * 60 + int(groups[2])
    end = _DAYS.index(groups[3]) * 1440 + int(groups[4]) * 60 + int(groups[5])
    return start, (end - start) % _WEEK


def _overlaps(a: tuple[int, int], b: tuple[int, int], period: int) -> bool:
    """Do [a0, a0+a1) and [b0, b0+b1) overlap on a circle of ``period`` minutes?"""
    return (b[0] - a[0]) % period < a[1] or (a[0] - b[0]) % period < b[1]


def validate_windows(backup_window: str, maintenance_window: str) -> None:
    """RDS's rules: ``hh24:mi-hh24:mi`` of at least 30 minutes (UTC), ``ddd:hh24:mi-ddd:hh24:mi``
    of at least 30 minutes, and the two must not overlap."""
    if not isinstance(backup_window, str) or not _BACKUP_WINDOW.match(backup_window):
        raise ValueError(
            f"preferred_backup_window must be 'hh24:mi-hh24:mi' in UTC, e.g. '17:00-18:00', "
            f"got {backup_window!r}"
        )
    if not isinstance(maintenance_window, str) or not _MAINTENANCE_WINDOW.match(maintenance_window):
        raise ValueError(
            f"preferred_maintenance_window must be 'ddd:hh24:mi-ddd:hh24:mi' in UTC, e.g. "
            f"'sun:18:30-sun:19:30', got {maintenance_window!r}"
        )
    backup_interval = _backup_interval(backup_window)
    maintenance = _maintenance_interval(maintenance_window)
    if backup_interval[1] < 30:
        raise ValueError(
            f"preferred_backup_window must last at least 30 minutes, got {backup_window!r}"
        )
    if maintenance[1] < 30:
        raise ValueError(
            f"preferred_maintenance_window must last at least 30 minutes, got "
            f"{maintenance_window!r}"
        )
    for day in range(7):  # the backup window recurs daily
        daily = (day * 1440 + backup_interval[0], backup_interval[1])
        if _overlaps(daily, maintenance, _WEEK):
            raise ValueError(
                f"preferred_backup_window {backup_window!r} overlaps preferred_maintenance_window"
                f" {maintenance_window!r}; RDS requires them apart"
            )


@jsii.implements(ec2.IConnectable)
class AuroraCluster(Construct):
    """An Aurora cluster on isolated subnets: one writer plus ``readers`` replicas, encrypted
    with a customer-managed key, credentials managed and rotated by RDS in Secrets Manager,
    TLS required, deletion protection on, and a final snapshot when the stack is deleted.

    :param vpc: the VPC; the cluster goes on its isolated subnets.
    :param engine: ``"mysql"`` (Aurora MySQL 3, default) or ``"postgresql"``.
    :param engine_version: override the pinned version (``AURORA_MYSQL_VERSION`` /
        ``AURORA_POSTGRES_VERSION``): a CDK version object or ``"3.10.4"`` / ``"17.7"``.
    :param readers: Aurora Replicas besides the writer, 0-15. Default 1 (a failover target).
        The first readers get the best failover priority and are spread over the other AZs.
    :param instance_type: writer class, with or without ``db.``. Default ``r6g.large``
        (Graviton, memory optimized; the smallest class Aurora recommends for production).
    :param reader_instance_type: reader class. Default: the writer's.
    :param serverless_v2: Serverless v2 instances instead of provisioned ones. Default off.
    :param min_capacity: Serverless v2 minimum ACUs (0-256 in 0.5 steps). Default 0.5.
    :param max_capacity: Serverless v2 maximum ACUs (1-256 in 0.5 steps). Default 4.
    :param reader_autoscaling: ``(min, max)`` extra readers added by Application Auto Scaling
        on reader CPU; ``readers + max`` stays within 15. Default none.
    :param reader_autoscaling_cpu: the CPU target of that policy, in percent. Default 70.
    :param port: Default: the engine's standard port (3306 / 5432).
    :param subnet_type: where the cluster goes. Default ``PRIVATE_ISOLATED`` (no route out).
    :param security_group: used as is (e.g. ``TierSecurityGroups.database``). Default: a new
        group with no rules, opened through ``connections``.
    :param backup_retention_days: automated backups, 1-35 days. Default 7.
    :param preferred_backup_window: UTC. Default ``17:00-18:00`` (02:00 in Seoul).
    :param preferred_maintenance_window: UTC. Default ``sun:18:30-sun:19:30``.
    :param backtrack_window_hours: Aurora MySQL Backtrack (provisioned only; can only be enabled
        when the cluster is created), 0-72. Default 24 for MySQL provisioned, 0 otherwise.
    :param backup_plan: an AWS Backup plan (daily, kept 35 days) into a vault encrypted with
        the cluster's key. Default on.
    :param monitoring_interval_seconds: enhanced monitoring: 0, 1, 5, 10, 15, 30 or 60.
        Default 60.
    :param performance_insights: Default: on where the class supports it (not burstable t*).
    :param deletion_protection: Default on.
    :param encryption_key: Default: a new customer-managed key with rotation on.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        engine: str = "mysql",
        engine_version: Any = None,
        readers: int = 1,
        instance_type: str = "r6g.large",
        reader_instance_type: str | None = None,
        serverless_v2: bool = False,
        min_capacity: float = 0.5,
        max_capacity: float = 4,
        reader_autoscaling: tuple[int, int] | None = None,
        reader_autoscaling_cpu: int = 70,
        port: int | None = None,
        security_group: ec2.ISecurityGroup | None = None,
        subnet_type: ec2.SubnetType = ec2.SubnetType.PRIVATE_ISOLATED,
        backup_retention_days: int = 7,
        preferred_backup_window: str = "17:00-18:00",
        preferred_maintenance_window: str = "sun:18:30-sun:19:30",
        backtrack_window_hours: int | None = None,
        backup_plan: bool = True,
        monitoring_interval_seconds: int = 60,
        performance_insights: bool | None = None,
        deletion_protection: bool = True,
        encryption_key: kms.IKey | None = None,
    ) -> None:
        check_choice("engine", engine, ENGINES)
        check_int("readers", readers, 0, MAX_READERS, "Aurora's limit")
        writer_type = None if serverless_v2 else instance_type_of("instance_type", instance_type)
        reader_type = (
            None
            if serverless_v2
            else instance_type_of("reader_instance_type", reader_instance_type or instance_type)
        )
        if serverless_v2:
            _validate_capacity(min_capacity, max_capacity)
        cluster_engine = engine_for(engine, engine_version)
        if reader_autoscaling is not None:
            _validate_reader_autoscaling(reader_autoscaling, readers, reader_autoscaling_cpu)
        port = DEFAULT_PORTS[engine] if port is None else port
        check_port("port", port)
        check_int("backup_retention_days", backup_retention_days, 1, 35, "RDS's range")
        validate_windows(preferred_backup_window, preferred_maintenance_window)
        if backtrack_window_hours is None:
            backtrack_window_hours = 24 if engine == "mysql" and not serverless_v2 else 0
        check_int("backtrack_window_hours", backtrack_window_hours, 0, 72, "Aurora's limit")
        if backtrack_window_hours and engine != "mysql":
            raise ValueError(
                f"backtrack_window_hours={backtrack_window_hours}: Backtrack exists only for "
                f"Aurora MySQL, not for engine={engine!r}"
            )
        if backtrack_window_hours and serverless_v2:
            raise ValueError(
                f"backtrack_window_hours={backtrack_window_hours}: wellstack enables Backtrack "
                f"on provisioned instances only, not with serverless_v2=True"
            )
        if monitoring_interval_seconds not in (0, 1, 5, 10, 15, 30, 60):
            raise ValueError(
                f"monitoring_interval_seconds must be one of 0, 1, 5, 10, 15, 30, 60, got "
                f"{monitoring_interval_seconds!r}"
            )
        try:
            subnets = vpc.select_subnets(subnet_type=subnet_type)
        except RuntimeError as err:  # jsii: "There are no 'Isolated' subnet groups in this VPC"
            raise ValueError(
                f"the cluster needs {subnet_type.name} subnets in at least 2 AZs; the VPC has "
                f"none ({str(err).splitlines()[0]})"
            ) from None
        azs = list(dict.fromkeys(subnets.availability_zones))
        if len(subnets.subnets) < 2 or (len(azs) < 2 and not any(is_token(az) for az in azs)):
            raise ValueError(
                f"the cluster needs {subnet_type.name} subnets in at least 2 AZs, the VPC has "
                f"{len(subnets.subnets)} subnet(s) of that type in {azs!r}"
            )
        super().__init__(scope, construct_id)
        self.engine = engine
        self.port = port

        self.encryption_key: kms.IKey = encryption_key or kms.Key(
            self,
            "Key",
            description=f"Aurora {engine} storage, secret, backups and Performance Insights",
            enable_key_rotation=True,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self.subnet_group = rds.SubnetGroup(
            self,
            "SubnetGroup",
            description=f"Isolated subnets of {cdk.Names.unique_id(self)}",
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnets=subnets.subnets),
        )

        def insights(type_: ec2.InstanceType | None) -> bool:
            if performance_insights is not None:
                return performance_insights
            return type_ is None or not str(type_.to_string()).startswith("t")

        def instance(name: str, type_: ec2.InstanceType | None, **props: Any) -> Any:
            common = {
                "enable_performance_insights": insights(type_),
                "performance_insight_encryption_key": self.encryption_key
                if insights(type_)
                else None,
                "auto_minor_version_upgrade": True,
                "publicly_accessible": False,
            }
            if type_ is None:
                return rds.ClusterInstance.serverless_v2(name, **common, **props)
            return rds.ClusterInstance.provisioned(name, instance_type=type_, **common, **props)

        concrete_azs = [az for az in azs if not is_token(az)]
        reader_instances = []
        for index in range(readers):
            props: dict[str, Any] = {}
            if serverless_v2:
                # The first two readers follow the writer's capacity: they are failover targets.
                props["scale_with_writer"] = index < 2
            else:
                props["promotion_tier"] = min(index + 1, MAX_READERS)
            if len(concrete_azs) >= 2:
                props["availability_zone"] = concrete_azs[(index + 1) % len(concrete_azs)]
            reader_instances.append(instance(f"Reader{index + 1}", reader_type, **props))

        self.cluster = rds.DatabaseCluster(
            self,
            "Resource",
            engine=cluster_engine,
            writer=instance(
                "Writer",
                writer_type,
                **({} if serverless_v2 else {"promotion_tier": 0}),
                **({"availability_zone": concrete_azs[0]} if len(concrete_azs) >= 2 else {}),
            ),
            readers=reader_instances,
            serverless_v2_min_capacity=min_capacity if serverless_v2 else None,
            serverless_v2_max_capacity=max_capacity if serverless_v2 else None,
            vpc=vpc,
            subnet_group=self.subnet_group,
            security_groups=[security_group] if security_group else None,
            port=port,
            storage_encrypted=True,
            storage_encryption_key=self.encryption_key,
            manage_master_user_password=True,
            credentials=rds.Credentials.from_username(
                MASTER_USERNAME, encryption_key=self.encryption_key
            ),
            iam_authentication=True,
            parameters=TLS_PARAMETERS[engine],
            deletion_protection=deletion_protection,
            removal_policy=cdk.RemovalPolicy.SNAPSHOT,
            backup=rds.BackupProps(
                retention=cdk.Duration.days(backup_retention_days),
                preferred_window=preferred_backup_window,
            ),
            preferred_maintenance_window=preferred_maintenance_window,
            copy_tags_to_snapshot=True,
            cloudwatch_logs_exports=LOG_EXPORTS[engine],
            monitoring_interval=cdk.Duration.seconds(monitoring_interval_seconds)
            if monitoring_interval_seconds
            else None,
            backtrack_window=cdk.Duration.hours(backtrack_window_hours)
            if backtrack_window_hours
            else None,
        )
        #: The master credentials: a secret RDS creates, encrypts with the key and rotates.
        self.secret: secretsmanager.ISecret | None = self.cluster.secret

        self.reader_scaling: appscaling.ScalableTarget | None = None
        if reader_autoscaling is not None:
            self.reader_scaling = self._reader_autoscaling(
                reader_autoscaling, reader_autoscaling_cpu
            )

        self.backup_plan: backup.BackupPlan | None = None
        if backup_plan:
            self.backup_plan = self._backup_plan()

        self._acknowledge(
            engine, port, backtrack_window_hours, serverless_v2, pinned=len(concrete_azs) >= 2
        )

    @property
    def connections(self) -> ec2.Connections:
        """The cluster's security groups with the port as a number, not the cluster's
        ``Endpoint.Port`` attribute: a rule opened with ``allow_default_port_from`` then matches
        the tier group's rule (no duplicate) and does not tie the group's stack to this one."""
        return ec2.Connections(
            security_groups=self.cluster.connections.security_groups,
            default_port=ec2.Port.tcp(self.port),
        )

    def _reader_autoscaling(self, bounds: tuple[int, int], cpu: int) -> appscaling.ScalableTarget:
        target = appscaling.ScalableTarget(
            self,
            "ReaderScaling",
            service_namespace=appscaling.ServiceNamespace.RDS,
            scalable_dimension="rds:cluster:ReadReplicaCount",
            resource_id=f"cluster:{self.cluster.cluster_identifier}",
            min_capacity=bounds[0],
            max_capacity=bounds[1],
        )
        target.scale_to_track_metric(
            "ReaderCpu",
            target_value=cpu,
            predefined_metric=appscaling.PredefinedMetric.RDS_READER_AVERAGE_CPU_UTILIZATION,
            scale_in_cooldown=cdk.Duration.minutes(5),
            scale_out_cooldown=cdk.Duration.minutes(5),
        )
        return target

    def _backup_plan(self) -> backup.BackupPlan:
        vault = backup.BackupVault(
            self,
            "BackupVault",
            encryption_key=self.encryption_key,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        plan = backup.BackupPlan(
            self,
            "BackupPlan",
            backup_vault=vault,
            backup_plan_rules=[
                backup.BackupPlanRule(
                    rule_name="Daily35Days",
                    schedule_expression=events.Schedule.cron(hour="19", minute="0"),
                    start_window=cdk.Duration.hours(1),
                    completion_window=cdk.Duration.hours(8),
                    delete_after=cdk.Duration.days(35),
                )
            ],
        )
        acknowledge(
            self.cluster,
            {
                "NIST.800.53.R5-RDSInBackupPlan": (
                    "Aurora is backed up per cluster: the cluster is selected in this "
                    "construct's AWS Backup plan (BackupPlan/Cluster); AWS Backup does not take "
                    "Aurora instances one by one"
                )
            },
        )
        selection = plan.add_selection(
            "Cluster", resources=[backup.BackupResource.from_rds_database_cluster(self.cluster)]
        )
        acknowledge(
            selection,
            {
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AWSBackupServiceRolePolicyForBackup]": (
                    "AWS Backup's own service-role policy, maintained by AWS for exactly this "
                    "role; it grants only backup actions"
                ),
            },
        )
        return plan

    def _acknowledge(
        self, engine: str, port: int, backtrack: int, serverless: bool, *, pinned: bool
    ) -> None:
        reasons = {}
        if port == DEFAULT_PORTS[engine]:
            reasons["AwsSolutions-RDS11"] = (
                f"The design uses the engine's standard port {port}; the cluster sits on "
                f"isolated subnets and accepts connections only where its security group allows "
                f"(with TierSecurityGroups: the app group only). Pass port= to change it."
            )
        if engine == "mysql" and not backtrack:
            reasons["AwsSolutions-RDS14"] = (
                "Backtrack is off: serverless_v2=True or backtrack_window_hours=0 was chosen; "
                "point-in-time restore and the AWS Backup plan still cover recovery"
                if serverless
                else "Backtrack was turned off explicitly (backtrack_window_hours=0); "
                "point-in-time restore and the AWS Backup plan still cover recovery"
            )
        if pinned:
            reasons["CloudFormation-Validate::W3010"] = (
                "Instances are pinned to AZs on purpose: the writer to the first AZ and each "
                "reader to another one, so a failover target always lives outside the writer's AZ"
            )
        if reasons:
            acknowledge(self.cluster, reasons)
        monitoring_role = self.cluster.node.try_find_child("MonitoringRole")
        if monitoring_role is not None:
            acknowledge(
                monitoring_role,
                {
                    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                    "AmazonRDSEnhancedMonitoringRole]": (
                        "AWS's managed policy for RDS enhanced monitoring: it lets the RDS "
                        "agent write OS metrics to its own log group and nothing else"
                    ),
                },
            )


def _validate_capacity(min_capacity: Any, max_capacity: Any) -> None:
    for prop, value, low in (("min_capacity", min_capacity, 0), ("max_capacity", max_capacity, 1)):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{prop} must be a number of ACUs, got {value!r}")
        if not low <= value <= 256 or (value * 2) % 1:
            raise ValueError(
                f"{prop} must be between {low} and 256 ACUs in steps of 0.5 (Aurora Serverless "
                f"v2), got {value}"
            )
    if min_capacity > max_capacity:
        raise ValueError(
            f"min_capacity ({min_capacity}) must not exceed max_capacity ({max_capacity})"
        )


def _validate_reader_autoscaling(bounds: Sequence[int], readers: int, cpu: int) -> None:
    if (
        isinstance(bounds, str)
        or not isinstance(bounds, Sequence)
        or len(bounds) != 2
        or not all(isinstance(b, int) and not isinstance(b, bool) for b in bounds)
    ):
        raise ValueError(
            f"reader_autoscaling must be a (min, max) pair of integers, got {bounds!r}"
        )
    low, high = bounds
    if low < 0 or high < 1 or low > high:
        raise ValueError(
            f"reader_autoscaling must satisfy 0 <= min <= max and max >= 1, got {tuple(bounds)}"
        )
    if readers + high > MAX_READERS:
        raise ValueError(
            f"readers ({readers}) plus reader_autoscaling max ({high}) is {readers + high}; "
            f"Aurora allows at most {MAX_READERS} readers"
        )
    check_int("reader_autoscaling_cpu", cpu, 10, 90, "percent CPU target")
