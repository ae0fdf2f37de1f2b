"""Aurora: feature combinations RDS refuses although the template is schema-valid."""

from __future__ import annotations

from collections.abc import Iterator

from wellstack.analysis.constraints.base import Violation, rule, violation
from wellstack.analysis.pillars import OPERATIONS, PERFORMANCE, RELIABILITY, SECURITY
from wellstack.analysis.template import Assembly, Resource, flat
from wellstack.catalog import global_database_class_problem, supports_performance_insights

SECRETS_MANAGER = (
    "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-secrets-manager.html"
)
GLOBAL_LIMITS = (
    "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/"
    "aurora-global-database-limitations.html"
)


def _identifier(cluster: Resource) -> str | None:
    value = cluster.prop("DBClusterIdentifier")
    return value.lower() if isinstance(value, str) else None


def global_primaries(assembly: Assembly) -> dict[tuple[str, str], Resource]:
    """(stack, logical id) of every cluster an ``AWS::RDS::GlobalCluster`` is made from
    (``SourceDBClusterIdentifier``: a reference, the cluster's identifier or its ARN) ->
    the global cluster."""
    clusters = assembly.resources("AWS::RDS::DBCluster")
    found: dict[tuple[str, str], Resource] = {}
    for global_cluster in assembly.resources("AWS::RDS::GlobalCluster"):
        source = global_cluster.prop("SourceDBClusterIdentifier")
        if source is None:
            continue
        target = assembly.target(global_cluster.stack, source)
        if target is not None and target.type == "AWS::RDS::DBCluster":
            found[(target.stack, target.logical_id)] = global_cluster
            continue
        text = flat(source).lower()
        for cluster in clusters:
            name = _identifier(cluster)
            if name and (text == name or text.endswith(f":cluster:{name}")):
                found[(cluster.stack, cluster.logical_id)] = global_cluster
    return found


def _in_global_database(assembly: Assembly) -> Iterator[tuple[Resource, str]]:
    """Every cluster of a global database, with how it belongs to it."""
    primaries = global_primaries(assembly)
    for cluster in assembly.resources("AWS::RDS::DBCluster"):
        source = primaries.get((cluster.stack, cluster.logical_id))
        if source is not None:
            yield cluster, f"the primary of global cluster {source.stack}/{source.logical_id}"
        elif cluster.prop("GlobalClusterIdentifier") is not None:
            name = flat(cluster.prop("GlobalClusterIdentifier"))
            yield cluster, f"a secondary of global cluster {name}"


def _blue_green_sources(assembly: Assembly) -> dict[tuple[str, str], Resource]:
    """Clusters an ``AWS::RDS::Deployment`` (Blue/Green) starts from, by reference or ARN."""
    found: dict[tuple[str, str], Resource] = {}
    clusters = assembly.resources("AWS::RDS::DBCluster")
    for deployment in assembly.resources("AWS::RDS::Deployment"):
        source = deployment.prop("Source")
        target = assembly.target(deployment.stack, source)
        if target is not None:
            found[(target.stack, target.logical_id)] = deployment
            continue
        text = flat(source).lower()
        for cluster in clusters:
            name = _identifier(cluster)
            if name and text.endswith(f":cluster:{name}"):
                found[(cluster.stack, cluster.logical_id)] = deployment
    return found


@rule(
    "RDS1",
    "An Aurora cluster in a global database does not use an RDS-managed master password",
    pillar=RELIABILITY,
    outcome="refused",
    source="Aurora User Guide, Password management with Amazon Aurora and AWS Secrets Manager "
    "(Limitations): not supported for DB clusters that are part of an Aurora global database",
    url=SECRETS_MANAGER,
)
def _managed_password_global(assembly: Assembly) -> Iterator[Violation]:
    for cluster, how in _in_global_database(assembly):
        if cluster.prop("ManageMasterUserPassword") is True:
            yield violation(
                "RDS1",
                cluster,
                f"ManageMasterUserPassword is true on {how}: RDS refuses it, the global "
                f"cluster fails to create and the stack rolls back",
                "give the cluster a generated Secrets Manager secret (MasterUserPassword from a "
                "dynamic reference), replicated to the other regions",
                "ManageMasterUserPassword",
            )


@rule(
    "RDS2",
    "An Aurora cluster that a Blue/Green deployment starts from does not use an RDS-managed "
    "master password",
    pillar=RELIABILITY,
    outcome="refused",
    source="Aurora User Guide, Limitations and considerations for Amazon Aurora blue/green "
    "deployments: managing master user passwords with Secrets Manager is not supported",
    url="https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/"
    "blue-green-deployments-considerations.html",
)
def _managed_password_blue_green(assembly: Assembly) -> Iterator[Violation]:
    sources = _blue_green_sources(assembly)
    for cluster in assembly.resources("AWS::RDS::DBCluster"):
        deployment = sources.get((cluster.stack, cluster.logical_id))
        if deployment is not None and cluster.prop("ManageMasterUserPassword") is True:
            yield violation(
                "RDS2",
                cluster,
                f"ManageMasterUserPassword is true on the source of Blue/Green deployment "
                f"{deployment.stack}/{deployment.logical_id}",
                "use a Secrets Manager secret the stack generates (MasterUserPassword)",
                "ManageMasterUserPassword",
            )


@rule(
    "RDS3",
    "An Aurora cluster in a global database has no Backtrack window",
    pillar=RELIABILITY,
    outcome="refused",
    source="Aurora User Guide, Limitations of Amazon Aurora global databases: Backtrack is not "
    "supported",
    url=GLOBAL_LIMITS,
)
def _backtrack_global(assembly: Assembly) -> Iterator[Violation]:
    for cluster, how in _in_global_database(assembly):
        window = cluster.number("BacktrackWindow")
        if window:
            yield violation(
                "RDS3",
                cluster,
                f"BacktrackWindow is {window:g} s on {how}",
                "remove BacktrackWindow (point-in-time restore and backups remain)",
                "BacktrackWindow",
            )


@rule(
    "RDS4",
    "The instances of a global database use a memory-optimized class",
    pillar=RELIABILITY,
    outcome="refused",
    source="Aurora User Guide, Configuration requirements of an Amazon Aurora global database: "
    "DB instance classes optimized for memory-intensive applications (db.r*, db.x*)",
    url="https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/"
    "aurora-global-database-getting-started.html",
)
def _global_class(assembly: Assembly) -> Iterator[Violation]:
    members = {(c.stack, c.logical_id): how for c, how in _in_global_database(assembly)}
    for instance in assembly.resources("AWS::RDS::DBInstance"):
        cluster = assembly.target(instance.stack, instance.prop("DBClusterIdentifier"))
        if cluster is None or (cluster.stack, cluster.logical_id) not in members:
            continue
        value = instance.prop("DBInstanceClass")
        if not isinstance(value, str) or value == "db.serverless":
            continue
        problem = global_database_class_problem(value)
        if problem:
            yield violation(
                "RDS4",
                instance,
                f"{value} in {members[(cluster.stack, cluster.logical_id)]}: {problem}",
                "use db.r6g / db.r7g / db.r8g (or Serverless v2)",
                "DBInstanceClass",
            )


@rule(
    "RDS5",
    "Performance Insights is enabled only on instance classes that support it",
    pillar=PERFORMANCE,
    outcome="refused",
    source="Aurora User Guide, Amazon Aurora DB engine, Region, and instance class support for "
    "Database Insights: not on db.t2, db.t3, db.t4g.micro and db.t4g.small",
    url="https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/"
    "USER_PerfInsights.Overview.Engines.html",
)
def _insights_class(assembly: Assembly) -> Iterator[Violation]:
    for instance in assembly.resources("AWS::RDS::DBInstance"):
        value = instance.prop("DBInstanceClass")
        if instance.prop("EnablePerformanceInsights") is not True or not isinstance(value, str):
            continue
        if value != "db.serverless" and not supports_performance_insights(value):
            yield violation(
                "RDS5",
                instance,
                f"EnablePerformanceInsights is true on {value}, which does not offer it",
                "turn Performance Insights off for this class, or use a larger class",
                "EnablePerformanceInsights",
            )


@rule(
    "RDS6",
    "A secondary cluster of a global database sets no master user name or password",
    pillar=RELIABILITY,
    outcome="refused",
    source="Aurora User Guide, Adding an AWS Region to an Amazon Aurora global database: the "
    "secondary inherits the primary's users (CreateDBCluster refuses master credentials for a "
    "cross-Region replica cluster)",
    url="https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/"
    "aurora-global-database-attaching.html",
)
def _secondary_credentials(assembly: Assembly) -> Iterator[Violation]:
    primaries = global_primaries(assembly)
    for cluster in assembly.resources("AWS::RDS::DBCluster"):
        if cluster.prop("GlobalClusterIdentifier") is None:
            continue
        if (cluster.stack, cluster.logical_id) in primaries:
            continue
        given = [
            key
            for key in ("MasterUsername", "MasterUserPassword", "ManageMasterUserPassword")
            if cluster.prop(key) not in (None, False)
        ]
        if given:
            yield violation(
                "RDS6",
                cluster,
                f"{', '.join(given)} set on a secondary cluster of global cluster "
                f"{flat(cluster.prop('GlobalClusterIdentifier'))}",
                "leave the master credentials out: the secondary has the primary's users",
                given[0],
            )


@rule(
    "RDS7",
    "Enhanced monitoring comes with its monitoring role",
    pillar=OPERATIONS,
    outcome="refused",
    source="Amazon RDS API Reference, CreateDBInstance (MonitoringInterval / MonitoringRoleArn: "
    "a role is required for an interval other than 0, and an interval for a role)",
    url="https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html",
)
def _monitoring_role(assembly: Assembly) -> Iterator[Violation]:
    for instance in assembly.resources("AWS::RDS::DBInstance", "AWS::RDS::DBCluster"):
        interval = instance.number("MonitoringInterval")
        role = instance.prop("MonitoringRoleArn")
        if interval and role is None:
            yield violation(
                "RDS7", instance, f"MonitoringInterval {interval:g} without MonitoringRoleArn",
                "give it a role that monitoring.rds.amazonaws.com assumes", "MonitoringRoleArn",
            )  # fmt: skip
        elif role is not None and interval == 0:
            yield violation(
                "RDS7", instance, "MonitoringRoleArn with MonitoringInterval 0",
                "set an interval (1, 5, 10, 15, 30, 60) or drop the role", "MonitoringInterval",
            )  # fmt: skip


@rule(
    "RDS8",
    "An Aurora MySQL cluster that exports the general, slow-query or audit log switches it on",
    pillar=OPERATIONS,
    outcome="ignored",
    source="Aurora User Guide, Publishing Amazon Aurora MySQL logs to Amazon CloudWatch Logs: "
    "error logs are enabled by default, the other types must be enabled explicitly (general_log, "
    "slow_query_log, server_audit_logging)",
    url="https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/"
    "AuroraMySQL.Integrating.CloudWatch.html",
)
def _exports_switched_on(assembly: Assembly) -> Iterator[Violation]:
    needs = {
        "general": "general_log",
        "slowquery": "slow_query_log",
        "audit": "server_audit_logging",
    }
    for cluster in assembly.resources("AWS::RDS::DBCluster"):
        if cluster.prop("Engine") != "aurora-mysql":
            continue
        group = assembly.target(cluster.stack, cluster.prop("DBClusterParameterGroupName"))
        if group is None or group.type != "AWS::RDS::DBClusterParameterGroup":
            continue  # the engine's default group, or one outside the app: not readable here
        parameters = group.mapping("Parameters")
        for log in cluster.items("EnableCloudwatchLogsExports"):
            parameter = needs.get(str(log))
            if parameter and str(parameters.get(parameter, "0")) not in ("1", "ON", "on"):
                yield violation(
                    "RDS8", cluster, f"exports the {log} log but its parameter group leaves "
                    f"{parameter} off: the log group stays empty",
                    f"set {parameter}=1 in the cluster parameter group",
                    "EnableCloudwatchLogsExports",
                )  # fmt: skip


@rule(
    "RDS9",
    "No instance of a global database counts on automatic minor version upgrades",
    pillar=SECURITY,
    outcome="ignored",
    source="Aurora User Guide, Limitations of Amazon Aurora global databases: automatic minor "
    "version upgrade doesn't apply to clusters of a global database; the setting has no effect",
    url=GLOBAL_LIMITS,
)
def _auto_minor_global(assembly: Assembly) -> Iterator[Violation]:
    members = {(c.stack, c.logical_id) for c, _ in _in_global_database(assembly)}
    for instance in assembly.resources("AWS::RDS::DBInstance"):
        cluster = assembly.target(instance.stack, instance.prop("DBClusterIdentifier"))
        if cluster is None or (cluster.stack, cluster.logical_id) not in members:
            continue
        if instance.prop("AutoMinorVersionUpgrade", True) is not False:
            yield violation(
                "RDS9", instance, "AutoMinorVersionUpgrade is on (or left to its default, on) in "
                "a global database, where it does nothing: no minor upgrade will come",
                "set AutoMinorVersionUpgrade false and upgrade the global database as a whole",
                "AutoMinorVersionUpgrade",
            )  # fmt: skip
