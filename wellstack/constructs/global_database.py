"""The secondary cluster of an Aurora global database, in another region.

The primary is an :class:`~wellstack.constructs.AuroraCluster` with
``global_cluster_identifier``; the secondary joins that global cluster by its name — a known
string, not a cross-region reference — from a stack in the DR region, deployed after the
primary's. A secondary cluster has no writer: it holds a replica of the primary's storage
(replicated by Aurora, typically under a second behind) and 0-15 readers; with 0 it is
*headless* (storage only, the cheapest standby: add readers before or after promoting it).

How to switch over (planned, no data lost) and fail over (the primary region is down: the data
the secondary had not received is lost, AWS states an RPO of typically seconds and an RTO of
minutes) is in docs/dr.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from constructs import Construct

from wellstack.compliance import CONTROL_TOWER, acknowledge, same_reason
from wellstack.constructs import _cache as cached
from wellstack.constructs import database as _db
from wellstack.constructs._registry import record_cluster
from wellstack.constructs.checks import Problems, implements
from wellstack.constructs.keys import customer_key
from wellstack.constructs.logs import logs_key, rds_cluster_log_groups
from wellstack.types import Engine

#: The engine names CloudFormation's DBCluster/DBInstance take.
ENGINE_NAMES = {"mysql": "aurora-mysql", "postgresql": "aurora-postgresql"}


@jsii.implements(ec2.IConnectable)
class AuroraSecondaryCluster(Construct):
    """The secondary cluster of an Aurora global database, in this stack's region.

    :param vpc: the VPC; the cluster goes on its isolated subnets.
    :param global_cluster_identifier: the global database to join (the primary's
        ``global_cluster_identifier``).
    :param engine: the primary's engine, ``"mysql"`` (default) or ``"postgresql"``.
    :param engine_version: the primary's version (default: the version wellstack pins, as for
        the primary). It must support a global database.
    :param readers: readers in this region, 0-15 (0: headless). Default 1.
    :param instance_type: the readers' class, memory-optimized (``r6g.large``, default).
    :param port: the primary's port. Default: the engine's standard port.
    :param security_group: Default: a new group that admits nothing until opened through
        ``connections``.
    :param subnet_type: Default ``PRIVATE_ISOLATED``.
    :param encryption_key: a key in this region (a global database re-encrypts each region's
        storage with a key of that region). Default: a new customer-managed key.
    :param deletion_protection: Default on.
    :param monitoring_interval_seconds: enhanced monitoring of the readers. Default 60.
    :param log_exports: as for the primary. Default: all of the engine's logs, into log groups
        the construct creates encrypted with retention.
    :param log_retention_days: Default 30.
    :param parameters: cluster parameters merged over wellstack's (TLS required).

    The cluster is RETAINed: after a failover it may be the only copy of the data.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        global_cluster_identifier: str,
        engine: Engine = "mysql",
        engine_version: str
        | rds.AuroraMysqlEngineVersion
        | rds.AuroraPostgresEngineVersion
        | None = None,
        readers: int = 1,
        instance_type: str | ec2.InstanceType = _db.DEFAULT_INSTANCE_TYPE,
        port: int | None = None,
        security_group: ec2.ISecurityGroup | None = None,
        subnet_type: ec2.SubnetType = ec2.SubnetType.PRIVATE_ISOLATED,
        encryption_key: kms.IKey | kms.Key | None = None,
        deletion_protection: bool = True,
        monitoring_interval_seconds: int = 60,
        log_exports: Sequence[str] | None = None,
        log_retention_days: int = 30,
        parameters: Mapping[str, str] | None = None,
    ) -> None:
        problems = Problems.of(scope, construct_id, "AuroraSecondaryCluster")
        plan = _db._plan(
            problems,
            vpc=vpc,
            engine=engine,
            engine_version=engine_version,
            readers=readers,
            instance_type=instance_type,
            reader_instance_type=None,
            serverless_v2=False,
            port=port,
            subnet_type=subnet_type,
            backtrack_window_hours=0,
            global_database=True,
        )
        if global_cluster_identifier is None:
            problems.add("global_cluster_identifier is required (the global database to join)")
        _db._check_global(
            problems,
            global_cluster_identifier,
            engine=engine,
            engine_version=engine_version,
            types={"instance_type": instance_type},
            serverless=False,
        )
        known_engine = engine if isinstance(engine, str) and engine in _db.ENGINES else None
        problems.flag("deletion_protection", deletion_protection)
        if not (
            isinstance(monitoring_interval_seconds, int)
            and not isinstance(monitoring_interval_seconds, bool)
            and monitoring_interval_seconds in _db.MONITORING_INTERVALS
        ):
            problems.add(
                f"monitoring_interval_seconds must be one of "
                f"{', '.join(map(str, _db.MONITORING_INTERVALS))}, got "
                f"{monitoring_interval_seconds!r}"
            )
        if security_group is not None and not implements(security_group, ec2.ISecurityGroup):
            problems.add(f"security_group must be an ec2.ISecurityGroup, got {security_group!r}")
        if encryption_key is not None and not implements(encryption_key, kms.IKey):
            problems.add(f"encryption_key must be a KMS key (kms.IKey), got {encryption_key!r}")
        exports = _db._check_log_exports(problems, log_exports, known_engine, log_retention_days)
        merged = _db._check_parameters(
            problems, parameters, known_engine, _db.logging_parameters(str(known_engine), exports)
        )
        _db.check_wiring(
            problems, vpc=vpc, security_group=security_group, plan=plan, engine=str(engine)
        )
        facts = (
            _db.cluster_facts(problems.path, plan, vpc, _db._stack_region(scope))
            if plan is not None
            else None
        )
        root = cached.node(scope).root
        _db.check_global_members(problems, root, global_cluster_identifier, facts, "secondary")
        problems.done()
        if plan is None or facts is None:
            raise _db.WellstackError(problems.path, ["the cluster could not be planned"])
        super().__init__(scope, construct_id)
        cached.adopt(self, scope, construct_id)
        record_cluster(root, global_cluster_identifier, "secondary", facts)

        #: ``mysql`` or ``postgresql``.
        self.engine: Engine = plan.engine
        #: The database port.
        self.port: int = plan.port
        #: Readers in this region (0: headless).
        self.readers: int = plan.readers
        #: The readers' class without ``db.`` (``"r6g.large"``).
        self.instance_class: str = str(plan.reader_type.to_string()) if plan.reader_type else ""
        #: The global database this cluster joins.
        self.global_cluster_identifier: str = global_cluster_identifier
        #: The key of this region's storage, logs and Performance Insights.
        self.encryption_key: kms.IKey | kms.Key = encryption_key or customer_key(
            self, "Key", f"Aurora {plan.engine} secondary storage, logs, Performance Insights"
        )
        #: The identifier RDS knows the cluster by (it names the log groups).
        self.cluster_identifier: str = _db._identifier(self, {})
        #: The cluster's security group.
        self.security_group: ec2.ISecurityGroup = security_group or ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="Aurora secondary: admits nothing until opened through connections",
            allow_all_outbound=False,
        )
        #: The log groups of the exported logs, by log type.
        self.log_groups: dict[str, logs.LogGroup] = self._log_groups(exports, log_retention_days)
        #: The DB subnet group.
        self.subnet_group: rds.SubnetGroup = _db.subnet_group(self, vpc, plan.subnets)
        #: The cluster (an L1: CDK's DatabaseCluster cannot join a global database).
        self.cluster: rds.CfnDBCluster = self._cluster(plan, exports, merged, deletion_protection)
        #: The readers, spread over the AZs.
        self.instances: list[rds.CfnDBInstance] = self._readers(plan, monitoring_interval_seconds)
        self._acknowledge(plan)

    @property
    def connections(self) -> ec2.Connections:
        return ec2.Connections(
            security_groups=[self.security_group], default_port=cached.tcp(self.port)
        )

    # --- steps ---------------------------------------------------------------------------------

    def _log_groups(self, exports: list[str], retention_days: int) -> dict[str, logs.LogGroup]:
        key = logs_key(self, "LogKey", "Encrypts the secondary database's log groups")
        return rds_cluster_log_groups(
            self,
            cluster_identifier=self.cluster_identifier,
            exports=exports,
            retention_days=retention_days,
            key=key,
        )

    def _cluster(
        self,
        plan: Any,
        exports: list[str],
        parameters: dict[str, str],
        deletion_protection: bool,
    ) -> rds.CfnDBCluster:
        group = rds.ParameterGroup(
            self, "Parameters", engine=plan.cluster_engine, parameters=parameters
        )
        bound = group.bind_to_cluster()
        version = plan.cluster_engine.engine_version
        cluster = rds.CfnDBCluster(
            self,
            "Cluster",
            db_cluster_identifier=self.cluster_identifier,
            global_cluster_identifier=self.global_cluster_identifier,
            engine=ENGINE_NAMES[plan.engine],
            engine_version=version.full_version if version else None,
            db_subnet_group_name=self.subnet_group.subnet_group_name,
            vpc_security_group_ids=[self.security_group.security_group_id],
            db_cluster_parameter_group_name=bound.parameter_group_name,
            port=plan.port,
            storage_encrypted=True,
            kms_key_id=self.encryption_key.key_arn,
            enable_cloudwatch_logs_exports=exports or None,
            enable_iam_database_authentication=True,
            deletion_protection=deletion_protection,
            copy_tags_to_snapshot=True,
        )
        cluster.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
        for group_ in self.log_groups.values():
            cached.node(cluster).add_dependency(group_)
        return cluster

    def _readers(self, plan: Any, interval: int) -> list[rds.CfnDBInstance]:
        role = None
        if interval:
            # Aurora User Guide, "Setting up and enabling Enhanced Monitoring": a role trusted
            # by monitoring.rds.amazonaws.com with AmazonRDSEnhancedMonitoringRole.
            role = iam.Role(
                self,
                "MonitoringRole",
                assumed_by=cached.service_principal("monitoring.rds.amazonaws.com"),  # pyright: ignore[reportArgumentType]  # CDK protocol false positive
                managed_policies=[
                    iam.ManagedPolicy.from_aws_managed_policy_name(
                        "service-role/AmazonRDSEnhancedMonitoringRole"
                    )
                ],
            )
            acknowledge(
                role,
                {
                    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                    "AmazonRDSEnhancedMonitoringRole]": (
                        "AWS's managed policy for RDS enhanced monitoring: it lets the RDS agent "
                        "write OS metrics to its own log group and nothing else"
                    )
                },
            )
        instances = []
        class_name = f"db.{plan.reader_type.to_string()}" if plan.reader_type else "db.serverless"
        insights = _db.supports_performance_insights(class_name)
        for index in range(plan.readers):
            instance = rds.CfnDBInstance(
                self,
                f"Reader{index + 1}",
                db_cluster_identifier=self.cluster.ref,
                db_instance_class=class_name,
                engine=ENGINE_NAMES[plan.engine],
                publicly_accessible=False,
                promotion_tier=min(index + 1, _db.MAX_READERS),
                availability_zone=plan.azs[index % len(plan.azs)] if plan.azs else None,
                auto_minor_version_upgrade=False,
                monitoring_interval=interval or None,
                monitoring_role_arn=role.role_arn if role else None,
                enable_performance_insights=insights,
                performance_insights_kms_key_id=self.encryption_key.key_arn if insights else None,
            )
            instance.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
            if len(plan.azs) >= 2:
                acknowledge(
                    instance,
                    {
                        "CloudFormation-Validate::W3010": (
                            "Readers are pinned to AZs on purpose, round robin over the DR "
                            "region's AZs: after a promotion the failover target lives outside "
                            "the new writer's AZ"
                        )
                    },
                )
            instances.append(instance)
        return instances

    def _acknowledge(self, plan: Any) -> None:
        reasons: dict[str, str] = {}
        if plan.port == _db.DEFAULT_PORTS[plan.engine]:
            reasons["AwsSolutions-RDS11"] = (
                f"The design uses the engine's standard port {plan.port}, as the primary does "
                f"(a global database's clusters share it); the cluster sits on isolated subnets "
                f"behind a security group that admits nothing until opened"
            )
        if plan.engine == "mysql":
            reasons |= same_reason(
                "Backtrack is off: an Aurora global database does not support it; the primary's "
                "point-in-time restore and backups (copied to this region) cover recovery",
                "AwsSolutions-RDS14",
                CONTROL_TOWER + "aurora_cluster_backtracking_enabled_check",
            )
        acknowledge(self.cluster, reasons)
        # The cluster and its readers: a secondary has no backups of its own to plan.
        acknowledge(
            self,
            {
                "NIST.800.53.R5-RDSInBackupPlan": (
                    "A secondary cluster of a global database is not backed up on its own: AWS "
                    "Backup takes the primary's recovery points and copies them to this "
                    "region's vault"
                )
            },
        )
        for instance in self.instances:
            acknowledge(
                instance,
                {
                    CONTROL_TOWER + "rds_instance_automatic_minor_version_upgrade_enabled_check": (
                        "A secondary's engine version follows the primary's (global database "
                        "upgrades are done for the whole global cluster, not by RDS per region)"
                    )
                },
            )
