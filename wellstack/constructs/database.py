"""Database tier: Aurora MySQL or PostgreSQL, one writer and up to 15 readers, never losing data."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_backup as backup
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from wellstack.catalog import (
    aurora_problem,
    global_database_class_problem,
    global_database_version_problem,
    supports_performance_insights,
)
from wellstack.compliance import CHECKOV, CONTROL_TOWER, acknowledge, same_reason
from wellstack.constructs import _cache as cached
from wellstack.constructs import _props
from wellstack.constructs._registry import (
    ClusterFacts,
    clusters,
    mismatches,
    record_cluster,
    tier_port,
    vpc_facts,
)
from wellstack.constructs.checks import Problems, implements, is_token
from wellstack.constructs.grants import grant
from wellstack.constructs.keys import customer_key
from wellstack.constructs.logs import cloudwatch_logs_statement, logs_key, rds_cluster_log_groups
from wellstack.errors import WellstackError
from wellstack.limits import (
    ACU_STEP,
    AURORA_PORT,
    AURORA_READERS,
    BACKTRACK_HOURS,
    BACKUP_RETENTION_DAYS,
    CPU_TARGET,
    DEFAULT_PORTS,
    MONITORING_INTERVALS,
    ROTATION_DAYS,
    SERVERLESS_MAX_ACU,
    SERVERLESS_MIN_ACU,
)
from wellstack.types import Engine, MasterPassword, choices
from wellstack.validation import REGION, Conflict

ENGINES = choices(Engine)
#: Aurora MySQL 3.10 is a long-term-support release line (MySQL 8.0 compatible).
AURORA_MYSQL_VERSION = rds.AuroraMysqlEngineVersion.VER_3_10_4
#: Aurora PostgreSQL 17.
AURORA_POSTGRES_VERSION = rds.AuroraPostgresEngineVersion.VER_17_7
#: The writer's class when none is given: Graviton, memory optimized, the smallest Aurora
#: recommends for production.
DEFAULT_INSTANCE_TYPE = "r6g.large"
#: Aurora's limit: one writer plus at most 15 Aurora Replicas per cluster.
MAX_READERS = AURORA_READERS.high or 15
#: The logs Aurora can export to CloudWatch Logs, per engine; the default exports.
LOG_TYPES: dict[str, tuple[str, ...]] = {
    "mysql": ("audit", "error", "general", "slowquery"),
    "postgresql": ("postgresql",),
}
#: Every log by default: NIST 800-53 (RDSLoggingEnabled) and Control Tower (CT.RDS.PR.25) ask
#: for each one, and each is switched on so that it holds what its name says.
DEFAULT_LOG_EXPORTS: dict[str, tuple[str, ...]] = LOG_TYPES
#: Cluster parameters wellstack sets: TLS required. ``parameters=`` merges over them; the TLS
#: one cannot be switched off. The logging parameters follow the exported logs (see
#: :func:`logging_parameters`).
DEFAULT_PARAMETERS: dict[str, dict[str, str]] = {
    "mysql": {"require_secure_transport": "ON"},
    "postgresql": {"rds.force_ssl": "1"},
}
#: Aurora MySQL advanced auditing: log connections, grants and schema changes (not every row
#: read or written: QUERY_DML would log the whole workload). The audit log stays empty unless
#: server_audit_events names events ("Using Advanced Auditing with an Amazon Aurora MySQL DB
#: cluster"); rdsadmin is RDS's own monitoring user.
AUDIT_EVENTS = "CONNECT,QUERY_DCL,QUERY_DDL"
#: A query slower than this many seconds goes to the slow-query log.
SLOW_QUERY_SECONDS = 1
#: Aurora MySQL long-term-support minor versions (3.04, 3.10): the release notes advise against
#: automatic minor upgrades on them, which can move a cluster to a non-LTS minor.
MYSQL_LTS_MINORS = ("3.04.", "3.10.")


def logging_parameters(engine: str, exports: Sequence[str]) -> dict[str, str]:
    """Cluster parameters that make each exported log hold what its name says."""
    parameters: dict[str, str] = {}
    if engine == "mysql":
        if "audit" in exports:
            parameters |= {
                "server_audit_logging": "1",
                "server_audit_events": AUDIT_EVENTS,
                "server_audit_excl_users": "rdsadmin",
            }
        if "slowquery" in exports:
            parameters |= {
                "slow_query_log": "1",
                "long_query_time": str(SLOW_QUERY_SECONDS),
                "log_output": "FILE",
            }
        if "general" in exports:
            parameters |= {"general_log": "1", "log_output": "FILE"}
    elif "postgresql" in exports:
        parameters |= {
            "log_min_duration_statement": str(SLOW_QUERY_SECONDS * 1000),
            "log_statement": "ddl",
            "log_lock_waits": "1",
            "log_connections": "1",
            "log_disconnections": "1",
        }
    return parameters


_TLS_PARAMETERS = {
    "mysql": ("require_secure_transport", "ON"),
    "postgresql": ("rds.force_ssl", "1"),
}
MASTER_USERNAME = "dbadmin"
#: Master user names: a letter, then letters, digits or '_' (Aurora MySQL at most 16 characters,
#: Aurora PostgreSQL 63); RDS keeps a few names for itself.
_USERNAME_LENGTH = {"mysql": 16, "postgresql": 63}
_RESERVED_USERNAMES = ("rdsadmin", "rdsrepladmin", "rdsproxyadmin", "rds_superuser")
#: How long a client connection may idle before the proxy closes it: CloudFormation's default
#: (AWS::RDS::DBProxy IdleClientTimeout, 1800 s), stated.
PROXY_IDLE_CLIENT_TIMEOUT_SECONDS = 1800
_CLUSTER_IDENTIFIER = re.compile(r"[A-Za-z](?!.*--)[A-Za-z0-9-]{0,61}[A-Za-z0-9]|[A-Za-z]")
_BACKUP_WINDOW = re.compile(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)")
_MAINTENANCE_WINDOW = re.compile(
    r"(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)-"
    r"(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)"
)
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEK = 7 * 24 * 60


def _cluster_identifier_ok(problems: Problems, prop: str, value: Any) -> bool:
    return problems.text(
        prop,
        value,
        _CLUSTER_IDENTIFIER,
        "a DB cluster identifier such as 'orders': 1-63 letters, digits or hyphens, starting "
        "with a letter, no '--', not ending in '-'",
        max_length=63,
    )


#: ``cluster_props``: what wellstack's keywords decide, and which protections must stay on.
CLUSTER_OVERRIDES = _props.OverrideRules(
    target=rds.DatabaseCluster,
    managed={
        "engine": "engine / engine_version",
        "writer": "instance_type",
        "readers": "readers / reader_instance_type",
        "instances": "readers",
        "instance_props": "instance_type",
        "vpc": "vpc",
        "vpc_subnets": "subnet_type",
        "subnet_group": "subnet_type",
        "security_groups": "security_group",
        "port": "port",
        "storage_encryption_key": "encryption_key",
        "credentials": "master_username",
        "manage_master_user_password": "master_username",
        "backup": "backup_retention_days / preferred_backup_window",
        "preferred_maintenance_window": "preferred_maintenance_window",
        "serverless_v2_min_capacity": "min_capacity",
        "serverless_v2_max_capacity": "max_capacity",
        "monitoring_interval": "monitoring_interval_seconds",
        "backtrack_window": "backtrack_window_hours",
        "deletion_protection": "deletion_protection",
        "parameters": "parameters",
        "parameter_group": "parameters",
        "enable_performance_insights": "performance_insights",
        "performance_insight_encryption_key": "encryption_key",
        "cloudwatch_logs_exports": "log_exports",
        "cloudwatch_logs_retention": "log_retention_days",
        "cloudwatch_logs_retention_role": "log_retention_days",
        "auto_minor_version_upgrade": "auto_minor_version_upgrade",
    },
    protected={
        "storage_encrypted": _props.Protect(lambda v: v is True, "store the data unencrypted"),
        "removal_policy": _props.Protect(
            lambda v: v in (cdk.RemovalPolicy.SNAPSHOT, cdk.RemovalPolicy.RETAIN),
            "delete the cluster without a final snapshot",
        ),
        "iam_authentication": _props.Protect(
            lambda v: v is True, "turn off IAM database authentication"
        ),
        "delete_automated_backups": _props.Protect(
            lambda v: v is False, "delete the automated backups with the cluster"
        ),
    },
    checks={"cluster_identifier": _cluster_identifier_ok},
)


def _mysql_versions() -> dict[str, rds.AuroraMysqlEngineVersion]:
    """Aurora MySQL 3 versions aws-cdk-lib knows, by ``3.10.4``."""
    found = {}
    for name in dir(rds.AuroraMysqlEngineVersion):
        match = re.fullmatch(r"VER_3_(\d+)_(\d+)", name)
        if match:
            found[f"3.{int(match.group(1)):02d}.{int(match.group(2))}"] = getattr(
                rds.AuroraMysqlEngineVersion, name
            )
    return found


def _postgres_versions() -> dict[str, rds.AuroraPostgresEngineVersion]:
    """Aurora PostgreSQL versions aws-cdk-lib knows (Limitless ones aside), by ``17.7``."""
    found = {}
    for name in dir(rds.AuroraPostgresEngineVersion):
        match = re.fullmatch(r"VER_(1\d)_(\d+)", name)
        if match:
            found[f"{match.group(1)}.{match.group(2)}"] = getattr(
                rds.AuroraPostgresEngineVersion, name
            )
    return found


def _normalize_mysql(version: str) -> str:
    """``"3.10.4"``, ``"3.10.04"`` or ``"8.0.mysql_aurora.3.10.4"`` -> ``"3.10.4"`` style keys."""
    version = version.removeprefix("8.0.mysql_aurora.")
    parts = version.split(".")
    return f"3.{int(parts[1]):02d}.{int(parts[2])}" if len(parts) == 3 else version


def engine_for(problems: Problems, engine: str, version: Any) -> rds.IClusterEngine | None:
    """The CDK engine for ``engine`` at ``version``: None (the pinned one), a CDK version object
    (``rds.AuroraMysqlEngineVersion.VER_3_10_4``), or a version string aws-cdk-lib knows
    (``"3.10.4"``, ``"17.7"``). Records a problem and returns None otherwise."""
    if engine == "mysql":
        if version is None or isinstance(version, rds.AuroraMysqlEngineVersion):
            return rds.DatabaseClusterEngine.aurora_mysql(version=version or AURORA_MYSQL_VERSION)
        known = _mysql_versions()
        well_formed = isinstance(version, str) and re.fullmatch(
            r"(8\.0\.mysql_aurora\.)?3\.[0-9]{1,2}\.[0-9]{1,2}", version
        )
        if well_formed and _normalize_mysql(version) in known:
            return rds.DatabaseClusterEngine.aurora_mysql(version=known[_normalize_mysql(version)])
        newest = ", ".join(sorted(known, key=_version_key)[-4:])
        problems.add(
            f"engine_version for mysql must be an Aurora MySQL 3 version aws-cdk-lib knows, "
            f"such as {newest} (or an rds.AuroraMysqlEngineVersion), got {version!r}"
        )
        return None
    if version is None or isinstance(version, rds.AuroraPostgresEngineVersion):
        return rds.DatabaseClusterEngine.aurora_postgres(version=version or AURORA_POSTGRES_VERSION)
    known_pg = _postgres_versions()
    if isinstance(version, str) and version in known_pg:
        return rds.DatabaseClusterEngine.aurora_postgres(version=known_pg[version])
    newest = ", ".join(sorted(known_pg, key=_version_key)[-4:])
    problems.add(
        f"engine_version for postgresql must be an Aurora PostgreSQL version aws-cdk-lib knows, "
        f"such as {newest} (or an rds.AuroraPostgresEngineVersion), got {version!r}"
    )
    return None


MASTER_PASSWORDS = choices(MasterPassword)
DEFAULT_ROTATION_DAYS = 30
#: What a generated password leaves out: RDS refuses '/', '"' and '@' in a master password
#: (CreateDBCluster, MasterUserPassword), and characters a shell or a connection string would
#: need escaped are left out too (CDK's DatabaseSecret default; the rotation uses the same).
PASSWORD_EXCLUDE = " %+~`#$&*()|[]{}:;<>?!'/@\"\\"
_KMS_ALIAS = r"alias/[A-Za-z0-9/_-]{1,250}"


@dataclass(frozen=True)
class SecretReplica:
    """A region a generated master secret is replicated to
    (``AuroraCluster(secret_replicas=[...])``).

    :param region: another region than the cluster's (the DR region).
    :param kms_key_alias: ``alias/...`` of a KMS key in ``region`` that encrypts the replica
        (it must exist before the cluster's stack deploys). Default: Secrets Manager's
        AWS-managed key there (``aws/secretsmanager``).
    """

    region: str
    kms_key_alias: str | None = None


def _stack_region(scope: Any) -> str | None:
    try:
        region = cached.region(scope)
    except RuntimeError:  # not in a stack: Problems.of reports the scope
        return None
    return None if is_token(region) else region


def _check_master_password(
    problems: Problems,
    value: Any,
    *,
    global_cluster_identifier: Any,
    replicas: Any,
    rotation_days: Any,
    vpc: Any,
    region: str | None,
) -> MasterPassword:
    """The password mode (default: generated for a global database) and its props."""
    chosen: MasterPassword = "generated" if global_cluster_identifier is not None else "rds_managed"
    if value is not None and problems.choice("master_password", value, MASTER_PASSWORDS):
        chosen = value
        if value == "rds_managed" and global_cluster_identifier is not None:
            problems.add(
                "master_password='rds_managed' cannot be combined with global_cluster_identifier: "
                "RDS does not support managed master passwords for a cluster in an Aurora "
                "global database (Aurora User Guide, Password management with Amazon Aurora and "
                "AWS Secrets Manager, Limitations); use 'generated'"
            )
    generated = chosen == "generated"
    if replicas is not None:
        _check_replicas(problems, replicas, region)
        if not generated and replicas:
            problems.add(
                "secret_replicas needs master_password='generated': the secret of an "
                "RDS-managed password belongs to RDS and is not replicated"
            )
    if (
        rotation_days is not None
        and problems.within("rotation_days", rotation_days, ROTATION_DAYS)
        and not generated
    ):
        problems.add(
            f"rotation_days={rotation_days} applies to a generated secret: RDS rotates a "
            f"managed password itself (every 7 days)"
        )
    days = DEFAULT_ROTATION_DAYS if rotation_days is None else rotation_days
    if generated and days and implements(vpc, ec2.IVpc) and not vpc.private_subnets:
        problems.add(
            "the secret's rotation runs in the VPC's private subnets with egress (it calls the "
            "Secrets Manager API), and the vpc has none; give the Network a NAT, or pass "
            "rotation_days=0"
        )
    return chosen


def _check_replicas(problems: Problems, replicas: Any, region: str | None) -> None:
    if (
        isinstance(replicas, str | bytes)
        or not isinstance(replicas, Sequence)
        or not all(isinstance(r, SecretReplica) for r in replicas)
    ):
        problems.add(
            f"secret_replicas must be a list of wellstack.constructs.SecretReplica(region, "
            f"kms_key_alias), got {replicas!r}"
        )
        return
    seen: set[str] = set()
    for index, replica in enumerate(replicas):
        prop = f"secret_replicas[{index}]"
        if problems.text(f"{prop}.region", replica.region, REGION, "an AWS region name"):
            problems.check(
                replica.region != region,
                f"{prop}.region must be another region than the cluster's ({region!r})",
            )
            problems.check(
                replica.region not in seen, f"{prop}.region {replica.region!r} is listed twice"
            )
            seen.add(replica.region)
        if replica.kms_key_alias is not None:
            problems.text(
                f"{prop}.kms_key_alias",
                replica.kms_key_alias,
                _KMS_ALIAS,
                "a KMS alias, 'alias/NAME'",
            )


_GLOBAL_ID = r"[A-Za-z](?:-?[A-Za-z0-9])*"
_VAULT_ARN = (
    r"arn:aws[a-z-]*:backup:[a-z]{2}(?:-[a-z]+)+-[0-9]:[0-9]{12}:backup-vault:[A-Za-z0-9_.-]{2,50}"
)


def _type_name(value: Any) -> str | None:
    """``"r6g.large"`` of ``"db.r6g.large"`` or an ``ec2.InstanceType``; None otherwise."""
    if isinstance(value, ec2.InstanceType):
        value = value.to_string()
    return value.removeprefix("db.") if isinstance(value, str) else None


def _check_global(
    problems: Problems,
    identifier: Any,
    *,
    engine: Any,
    engine_version: Any,
    types: Mapping[str, Any],
    serverless: Any,
) -> None:
    """A global cluster's name, and a class and version an Aurora global database runs —
    checked on the props themselves, so these problems are reported next to any other of the
    call (a bad ``readers`` does not hide a burstable class)."""
    if identifier is None:
        return
    problems.text(
        "global_cluster_identifier",
        identifier,
        _GLOBAL_ID,
        "1-63 letters, digits or single hyphens, starting with a letter",
        max_length=63,
    )
    if not (isinstance(engine, str) and engine in ENGINES):
        return
    if serverless is not True:
        for prop, value in types.items():
            name = _type_name(value)
            if name is None or aurora_problem(name, engine) is not None:
                continue  # no class, or one the engine does not offer (reported already)
            problem = global_database_class_problem(name)
            if problem:
                problems.add(f"{prop} {problem} (global_cluster_identifier is set)")
    cluster_engine = engine_for(Problems(""), engine, engine_version)  # bad ones: reported
    version = cluster_engine.engine_version if cluster_engine is not None else None
    if version is not None:
        problem = global_database_version_problem(engine, str(version.full_version))
        if problem:
            problems.add(f"engine_version: {problem} (global_cluster_identifier is set)")


def check_wiring(
    problems: Problems, *, vpc: Any, security_group: Any, plan: _Plan | None, engine: str
) -> None:
    """The port the cluster listens on must be the one its tier group and its network's
    isolated ACL open: a TierSecurityGroups built for MySQL (3306) in front of PostgreSQL (5432)
    admits nobody, and nothing says so until the app times out."""
    if plan is None:
        return
    tier = tier_port(security_group) if security_group is not None else None
    if tier is not None and tier.port != plan.port:
        problems.add(
            f"security_group admits port {tier.port} (TierSecurityGroups(db_port={tier.port}) at "
            f"{tier.path}) but the cluster listens on port {plan.port} (engine={engine!r}); build "
            f"the groups with db_port={plan.port}, or pass port={tier.port}",
            "mismatch",
        )
    facts = vpc_facts(vpc)
    if facts is not None and facts.acl_port not in (None, plan.port) and _in_isolated(vpc, plan):
        problems.add(
            f"vpc's isolated tier admits only port {facts.acl_port} (Network(strict_acls=True, "
            f"db_port={facts.acl_port}) at {facts.path}) but the cluster listens on port "
            f"{plan.port} (engine={engine!r}); build the Network with db_port={plan.port}",
            "mismatch",
        )


def _in_isolated(vpc: Any, plan: _Plan) -> bool:
    isolated = {subnet.subnet_id for subnet in vpc.isolated_subnets}
    return all(subnet.subnet_id in isolated for subnet in plan.subnets)


def cluster_facts(path: str, plan: _Plan, vpc: Any, region: str | None) -> ClusterFacts:
    version = cached.engine_full_version(plan.cluster_engine)
    return ClusterFacts(path, plan.engine, version, plan.port, vpc, region)


def check_global_members(
    problems: Problems, root: Any, identifier: Any, facts: ClusterFacts | None, role: str
) -> None:
    """Compare a cluster with the other side of its global database already in the app (the
    primary for a secondary, the secondaries for a primary)."""
    if facts is None or not isinstance(identifier, str):
        return
    if role == "secondary":
        for primary in clusters(root, identifier, "primary"):
            for problem in mismatches(primary, facts, identifier):
                problems.add(problem, "mismatch")
        return
    for other in clusters(root, identifier, "primary"):
        problems.add(
            f"global_cluster_identifier {identifier!r} is already the global database of "
            f"{other.path}: a global database has one primary cluster",
            "duplicate",
        )
    for secondary in clusters(root, identifier, "secondary"):
        for problem in mismatches(facts, secondary, identifier):
            problems.add(
                f"global_cluster_identifier {identifier!r}: its secondary {secondary.path} does "
                f"not match: {problem}",
                "mismatch",
                "global_cluster_identifier",
            )


def _closed_group(
    scope: Construct, name: str, vpc: ec2.IVpc, description: str
) -> ec2.SecurityGroup:
    """A group with no rule: what may pass is added rule by rule."""
    return ec2.SecurityGroup(
        scope, name, vpc=vpc, description=description, allow_all_outbound=False
    )


def _check_proxy(
    problems: Problems,
    proxy: Any,
    user: Any,
    *,
    master_username: Any,
    port: Any,
    serverless: bool,
    min_capacity: Any,
) -> None:
    """The proxy's own rules (Aurora User Guide, "Amazon RDS Proxy for Aurora": quotas and
    limitations; "Scaling to zero ACUs": a proxy keeps Serverless v2 instances from pausing)."""
    if not problems.flag("proxy", proxy):
        return
    if not proxy:
        if user != "app":
            problems.add(f"proxy_user={user!r} applies only with proxy=True", "conflict",
                         also=("proxy",))  # fmt: skip
        return
    if problems.text("proxy_user", user, r"[A-Za-z][A-Za-z0-9_]*", "a letter, then letters, "
                     "digits or _", max_length=16):  # fmt: skip
        problems.check(
            user.lower() not in _RESERVED_USERNAMES and user != master_username,
            f"proxy_user {user!r} must be an IAM database user of its own, not the master user "
            f"or one RDS reserves ({', '.join(_RESERVED_USERNAMES)})",
            "conflict",
        )
    if port is not None and port not in (3306, 5432):
        problems.add(
            f"port={port!r} with proxy=True: an RDS Proxy listens on the engine's standard port "
            f"(3306 for MySQL, 5432 for PostgreSQL); leave port out",
            "conflict", also=("proxy",),
        )  # fmt: skip
    if serverless and min_capacity == 0:
        problems.add(
            "min_capacity=0 with proxy=True: an RDS Proxy keeps a connection open to every "
            "instance, so Serverless v2 would never pause at 0 ACUs (Aurora User Guide, "
            "\"Scaling to zero ACUs with automatic pause and resume\"); use 0.5 or no proxy",
            "conflict", also=("proxy",),
        )  # fmt: skip


def _check_copy(problems: Problems, vault_arn: Any, backup_plan: Any) -> None:
    if vault_arn is None:
        return
    problems.text(
        "backup_copy_to",
        vault_arn,
        _VAULT_ARN,
        "a backup vault ARN, arn:aws:backup:REGION:ACCOUNT:backup-vault:NAME",
    )
    if backup_plan is False:
        problems.add("backup_copy_to needs backup_plan=True (the plan's rule makes the copies)")


def _check_types_without_engine(
    problems: Problems, version: Any, *, instance_type: Any, reader: Any
) -> None:
    versions = (str, rds.AuroraMysqlEngineVersion, rds.AuroraPostgresEngineVersion)
    if version is not None and not isinstance(version, versions):
        problems.add(
            f"engine_version must be a version string such as '3.10.4' (or an "
            f"rds.AuroraMysqlEngineVersion / rds.AuroraPostgresEngineVersion), got {version!r}"
        )
    for prop, value in (("instance_type", instance_type), ("reader_instance_type", reader)):
        if value is not None and not isinstance(value, str | ec2.InstanceType):
            problems.add(
                f"{prop} must be an instance class such as 'r6g.large' (or an ec2.InstanceType), "
                f"got {value!r}"
            )


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def instance_type_of(
    problems: Problems, prop: str, value: Any, engine: str
) -> ec2.InstanceType | None:
    """``"r6g.large"``, ``"db.r6g.large"`` or an ``ec2.InstanceType`` of a class Aurora offers
    for ``engine``; None (problem recorded) otherwise."""
    if isinstance(value, ec2.InstanceType):
        value = cached.instance_type_name(value)
    if value in ("serverless", "db.serverless"):
        problems.add(f"{prop} {value!r}: use serverless_v2=True for Aurora Serverless v2")
        return None
    problem = aurora_problem(value, engine)
    if problem:
        problems.add(f"{prop} {problem}, got {value!r}")
        return None
    return cached.instance_type(str(value).removeprefix("db."))


def _backup_interval(window: str) -> tuple[int, int]:
    start_h, start_m, end_h, end_m = (int(g) for g in re.findall(r"\d\d", window))
    start, end = start_h * 60 + start_m, end_h * 60 + end_m
    return start, (end - start) % (24 * 60)


def _maintenance_interval(window: str) -> tuple[int, int]:
    start_day, start_time, end_day, end_time = window[:3], window[4:9], window[10:13], window[14:]

    def minute(day: str, time: str) -> int:
        return _DAYS.index(day) * 1440 + int(time[:2]) * 60 + int(time[3:])

    start = minute(start_day, start_time)
    return start, (minute(end_day, end_time) - start) % _WEEK


def _overlaps(a: tuple[int, int], b: tuple[int, int], period: int) -> bool:
    """Do [a0, a0+a1) and [b0, b0+b1) overlap on a circle of ``period`` minutes?"""
    return (b[0] - a[0]) % period < a[1] or (a[0] - b[0]) % period < b[1]


def check_windows(problems: Problems, backup_window: Any, maintenance_window: Any) -> None:
    """RDS's rules: ``hh24:mi-hh24:mi`` of at least 30 minutes (UTC), ``ddd:hh24:mi-ddd:hh24:mi``
    of at least 30 minutes, and the two must not overlap."""
    backup_ok = problems.text(
        "preferred_backup_window", backup_window, _BACKUP_WINDOW,
        "'hh24:mi-hh24:mi' in UTC, e.g. '17:00-18:00'",
    )  # fmt: skip
    maintenance_ok = problems.text(
        "preferred_maintenance_window", maintenance_window, _MAINTENANCE_WINDOW,
        "'ddd:hh24:mi-ddd:hh24:mi' in UTC, e.g. 'sun:18:30-sun:19:30'",
    )  # fmt: skip
    if not (backup_ok and maintenance_ok):
        return
    backup_interval = _backup_interval(backup_window)
    maintenance = _maintenance_interval(maintenance_window)
    if backup_interval[1] < 30:
        problems.add(
            f"preferred_backup_window must last at least 30 minutes, got {backup_window!r}"
        )
    if maintenance[1] < 30:
        problems.add(
            f"preferred_maintenance_window must last at least 30 minutes, got "
            f"{maintenance_window!r}"
        )
    for day in range(7):  # the backup window recurs daily
        if _overlaps((day * 1440 + backup_interval[0], backup_interval[1]), maintenance, _WEEK):
            problems.add(
                f"preferred_backup_window {backup_window!r} overlaps preferred_maintenance_window"
                f" {maintenance_window!r}; RDS requires them apart"
            )
            return


def validate_windows(backup_window: str, maintenance_window: str) -> None:
    """:func:`check_windows` on its own; raises :class:`~wellstack.errors.WellstackError`."""
    problems = Problems("")
    check_windows(problems, backup_window, maintenance_window)
    problems.done()


@dataclass(frozen=True)
class _Acus:
    """Aurora Serverless v2 capacity in ACUs, as given (None: the default)."""

    minimum: float | None
    maximum: float | None


@dataclass(frozen=True)
class _ReaderScaling:
    """Reader auto scaling as given: ``(min, max)`` readers, the CPU target, the readers."""

    bounds: tuple[int, int] | None
    cpu: int | None
    readers: int


@dataclass(frozen=True)
class _Backups:
    retention_days: int
    window: str


@dataclass(frozen=True)
class _Plan:
    """The validated shape of the cluster."""

    engine: Engine
    cluster_engine: rds.IClusterEngine
    writer_type: ec2.InstanceType | None  # None: Serverless v2
    reader_type: ec2.InstanceType | None
    readers: int
    port: int
    azs: list[str]
    subnets: list[ec2.ISubnet]
    backtrack_hours: int
    serverless: bool


@jsii.implements(ec2.IConnectable)
class AuroraCluster(Construct):
    """An Aurora cluster on isolated subnets: one writer plus ``readers`` replicas, encrypted
    with a customer-managed key, credentials in Secrets Manager, rotated (by RDS, or for a
    global database by Secrets Manager), TLS required, deletion protection on, and a final
    snapshot when the stack is deleted.

    :param vpc: the VPC; the cluster goes on its isolated subnets.
    :param engine: ``"mysql"`` (Aurora MySQL 3, default) or ``"postgresql"``.
    :param engine_version: override the pinned version (``AURORA_MYSQL_VERSION`` /
        ``AURORA_POSTGRES_VERSION``): a CDK version object or a version aws-cdk-lib knows,
        ``"3.10.4"`` / ``"17.7"``.
    :param readers: Aurora Replicas besides the writer, 0-15. Default 1 (a failover target).
        The first readers get the best failover priority and are spread over the other AZs.
    :param instance_type: writer class (``"r6g.large"``, ``"db.r6g.large"`` or an
        ``ec2.InstanceType``), one Aurora offers for the engine. Default ``r6g.large``
        (Graviton, memory optimized; the smallest class Aurora recommends for production).
    :param reader_instance_type: reader class. Default: the writer's.
    :param serverless_v2: Serverless v2 instances instead of provisioned ones. Default off.
    :param min_capacity: Serverless v2 minimum ACUs (0-256 in 0.5 steps). Default 0.5.
    :param max_capacity: Serverless v2 maximum ACUs (1-256 in 0.5 steps). Default 4.
    :param reader_autoscaling: ``(min, max)`` extra readers added by Application Auto Scaling
        on reader CPU; ``readers + max`` stays within 15. Default none.
    :param reader_autoscaling_cpu: the CPU target of that policy, in percent. Default 70.
    :param port: 1150-65535 (RDS's range for Aurora). Default: the engine's standard port
        (3306 / 5432).
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
    :param performance_insights: Default: on where Aurora supports it (every class but db.t3
        and the smallest db.t4g), KMS-encrypted, 7 days (free).
    :param auto_minor_version_upgrade: let RDS apply minor versions in the maintenance window.
        Default off on Aurora MySQL's long-term-support lines (3.04, 3.10: an automatic upgrade
        can move the cluster off LTS), on otherwise.
    :param log_exports: the logs exported to CloudWatch Logs. Default all: ``audit``,
        ``error``, ``general`` and ``slowquery`` for MySQL, ``postgresql`` for PostgreSQL. The
        parameters that fill each one are switched on to match (audit events, every statement
        for ``general`` — its volume is billed as log ingestion; leave it out to save that —,
        slow-query threshold 1 s, DDL statements for PostgreSQL).
    :param log_retention_days: retention of those log groups, which the construct creates
        (``/aws/rds/cluster/<identifier>/<log>``) encrypted with the cluster's key, before
        RDS would create them unencrypted and kept forever. Default 30.
    :param deletion_protection: Default on.
    :param encryption_key: Default: a new customer-managed key with rotation on.
    :param master_username: the master user RDS creates (its password: see
        ``master_password``). Default ``dbadmin``.
    :param parameters: cluster parameters merged over wellstack's (TLS required, audit logging);
        the TLS parameter cannot be switched off.
    :param global_cluster_identifier: make the cluster the primary of an Aurora global database
        (``AWS::RDS::GlobalCluster``) of this name, which an
        :class:`~wellstack.constructs.AuroraSecondaryCluster` joins from another region. A
        global database needs a memory-optimized class (db.r*, db.x2g) or Serverless v2, a
        version that supports it (Aurora MySQL 3.01.0+; PostgreSQL 13.3+, 14.3+, 15.2+, 16.1+,
        17.4+) and no Backtrack (off by default then). Default: none.
    :param backup_copy_to: the ARN of a backup vault in another region
        (``arn:aws:backup:REGION:ACCOUNT:backup-vault:NAME``): the AWS Backup plan copies each
        recovery point there, kept 35 days. Needs ``backup_plan``. Default: no copy.
    :param master_password: ``"rds_managed"``: RDS creates the master password in Secrets
        Manager, encrypts it with the key and rotates it (every 7 days). ``"generated"``: the
        stack generates a Secrets Manager secret (30 characters, encrypted with the key) that
        RDS reads at deploy, rotated by Secrets Manager's hosted rotation (single user) every
        ``rotation_days``. RDS does not support managed passwords for a cluster of an Aurora
        global database, nor for Blue/Green deployments (Aurora User Guide, *Password management
        with Amazon Aurora and AWS Secrets Manager*, Limitations). Default: ``"generated"`` with
        ``global_cluster_identifier``, ``"rds_managed"`` otherwise.
    :param secret_replicas: with a generated secret, the regions it is replicated to
        (:class:`SecretReplica`, each with the alias of a KMS key there), so that an app in
        the DR region reads the same credentials after a failover. Replicas are read-only;
        rotation changes the primary and Secrets Manager copies the new value. Default none.
    :param rotation_days: how often a generated secret is rotated, 1-1000 days (Secrets
        Manager's range), or 0 for never. The rotation function runs in the VPC's private
        subnets (it needs the Secrets Manager API: NAT or an interface endpoint) behind its own
        security group, which the cluster admits on its port. Default 30.
    :param proxy: an RDS Proxy in front of the cluster (Aurora User Guide, "Amazon RDS Proxy
        for Aurora"): end-to-end IAM authentication (``DefaultAuthScheme: IAM_AUTH`` — the app
        signs in to the proxy with an IAM token, the proxy to the cluster with its own role; no
        password on either leg), TLS required, in the cluster's subnets. The proxy takes
        ``security_group`` (the group the app tier is chained to) and the cluster gets a group
        of its own that admits only the proxy and the secret's rotation, so the app reaches the
        proxy, never the cluster. A read-only endpoint with readers. Default off. Refused with a
        ``port`` other than the engine's (a proxy listens on 3306 / 5432) and with Serverless v2
        at 0 ACUs (a proxy keeps a connection to every instance: it would never pause).
    :param proxy_user: the database user the proxy connects as (``rds-db:connect`` on it for
        the proxy's role, and through :meth:`grant_connect` for the app). Create it once in the
        database as an IAM user — Aurora MySQL: ``CREATE USER 'app' IDENTIFIED WITH
        AWSAuthenticationPlugin AS 'RDS'``; PostgreSQL: ``CREATE USER app; GRANT rds_iam TO
        app`` — with the grants it needs. Default ``app``.
    :param cluster_props: keyword arguments of ``rds.DatabaseCluster`` merged over wellstack's
        (e.g. ``{"cluster_identifier": "orders"}``). Keys owned by the keywords above are
        refused with a pointer to the keyword; unencrypted storage, deletion without a snapshot
        and switching off IAM authentication are refused.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        engine: Engine = "mysql",
        engine_version: str
        | rds.AuroraMysqlEngineVersion
        | rds.AuroraPostgresEngineVersion
        | None = None,
        readers: int = 1,
        instance_type: str | ec2.InstanceType = DEFAULT_INSTANCE_TYPE,
        reader_instance_type: str | ec2.InstanceType | None = None,
        serverless_v2: bool = False,
        min_capacity: float | None = None,
        max_capacity: float | None = None,
        reader_autoscaling: tuple[int, int] | None = None,
        reader_autoscaling_cpu: int | None = None,
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
        auto_minor_version_upgrade: bool | None = None,
        log_exports: Sequence[str] | None = None,
        log_retention_days: int = 30,
        deletion_protection: bool = True,
        encryption_key: kms.IKey | kms.Key | None = None,
        master_username: str = MASTER_USERNAME,
        parameters: Mapping[str, str] | None = None,
        global_cluster_identifier: str | None = None,
        backup_copy_to: str | None = None,
        master_password: MasterPassword | None = None,
        secret_replicas: Sequence[SecretReplica] | None = None,
        rotation_days: int | None = None,
        proxy: bool = False,
        proxy_user: str = "app",
        cluster_props: Mapping[str, Any] | None = None,
    ) -> None:
        problems = Problems.of(scope, construct_id, "AuroraCluster")
        plan = _plan(
            problems,
            vpc=vpc,
            engine=engine,
            engine_version=engine_version,
            readers=readers,
            instance_type=instance_type,
            reader_instance_type=reader_instance_type,
            serverless_v2=serverless_v2,
            port=port,
            subnet_type=subnet_type,
            backtrack_window_hours=backtrack_window_hours,
            global_database=global_cluster_identifier is not None,
        )
        _check_global(
            problems,
            global_cluster_identifier,
            engine=engine,
            engine_version=engine_version,
            types={"instance_type": instance_type, "reader_instance_type": reader_instance_type},
            serverless=serverless_v2,
        )
        _check_copy(problems, backup_copy_to, backup_plan)
        _check_proxy(
            problems, proxy, proxy_user,
            master_username=master_username, port=port,
            serverless=serverless_v2 is True, min_capacity=min_capacity,
        )  # fmt: skip
        password = _check_master_password(
            problems,
            master_password,
            global_cluster_identifier=global_cluster_identifier,
            replicas=secret_replicas,
            rotation_days=rotation_days,
            vpc=vpc,
            region=_stack_region(scope),
        )
        # The engine the engine-specific checks use (None: reported as bad by the plan).
        known_engine = engine if isinstance(engine, str) and engine in ENGINES else None
        _validate_options(
            problems,
            serverless_v2=serverless_v2,
            capacity=_Acus(min_capacity, max_capacity),
            reader_autoscaling=_ReaderScaling(reader_autoscaling, reader_autoscaling_cpu, readers),
            security_group=security_group,
            backup_retention_days=backup_retention_days,
            backup_window=preferred_backup_window,
            maintenance_window=preferred_maintenance_window,
            flags={
                "backup_plan": backup_plan,
                "deletion_protection": deletion_protection,
            },
            performance_insights=performance_insights,
            monitoring_interval_seconds=monitoring_interval_seconds,
            encryption_key=encryption_key,
            master_username=master_username,
            engine=known_engine,
        )
        exports = _check_log_exports(problems, log_exports, known_engine, log_retention_days)
        if auto_minor_version_upgrade is not None and problems.flag(
            "auto_minor_version_upgrade", auto_minor_version_upgrade
        ):
            problems.check(
                not (auto_minor_version_upgrade and global_cluster_identifier is not None),
                "auto_minor_version_upgrade=True does nothing in an Aurora global database "
                "(global_cluster_identifier is set): AWS applies no automatic minor upgrade there; "
                "upgrade the global database as a whole",
            )
        merged_parameters = _check_parameters(
            problems, parameters, known_engine, logging_parameters(str(known_engine), exports)
        )
        overrides = _props.check_overrides(
            problems, "cluster_props", cluster_props, CLUSTER_OVERRIDES
        )
        check_wiring(
            problems, vpc=vpc, security_group=security_group, plan=plan, engine=str(engine)
        )
        facts = (
            cluster_facts(problems.path, plan, vpc, _stack_region(scope))
            if plan is not None
            else None
        )
        root = cached.node(scope).root
        check_global_members(problems, root, global_cluster_identifier, facts, "primary")
        problems.done()
        if plan is None or facts is None:  # every reason is recorded above
            raise WellstackError(problems.path, ["the cluster could not be planned"])
        super().__init__(scope, construct_id)
        cached.adopt(self, scope, construct_id)
        if global_cluster_identifier is not None:
            record_cluster(root, global_cluster_identifier, "primary", facts)

        #: ``mysql`` or ``postgresql``.
        self.engine: Engine = plan.engine
        #: The database port.
        self.port: int = plan.port
        #: Readers besides the writer.
        self.readers: int = plan.readers
        #: The writer's class without ``db.`` (``"r6g.large"``), or ``"serverless"``.
        self.instance_class: str = (
            "serverless"
            if plan.writer_type is None
            else cached.instance_type_name(plan.writer_type)
        )
        #: Serverless v2 maximum ACUs (``None`` for provisioned instances).
        self.max_acu: float | None = (max_capacity or 4) if plan.serverless else None
        #: The key for storage, the secret, backups and Performance Insights.
        self.encryption_key: kms.IKey | kms.Key = encryption_key or customer_key(
            self, "Key", f"Aurora {engine} storage, secret, backups, logs, Performance Insights"
        )
        #: The identifier RDS knows the cluster by (it names the log groups).
        self.cluster_identifier: str = _identifier(self, overrides)
        #: ``"rds_managed"`` or ``"generated"`` (see ``master_password``).
        self.master_password: MasterPassword = password
        #: The name of a generated secret (``wellstack/<cluster identifier>/master``; the same in
        #: every replica region), ``None`` for an RDS-managed one.
        self.secret_name: str | None = (
            f"wellstack/{self.cluster_identifier}/master" if password == "generated" else None
        )
        self._exports = exports
        self._auto_minor = _auto_minor(
            auto_minor_version_upgrade, plan, global_cluster_identifier is not None
        )
        #: The log groups of the exported logs, by log type.
        self.log_groups: dict[str, logs.LogGroup] = self._log_groups(exports, log_retention_days)
        #: The DB subnet group (the isolated subnets).
        self.subnet_group: rds.SubnetGroup = subnet_group(self, vpc, plan.subnets)
        #: The RDS Proxy's group (``security_group``, or a new one) and the cluster's own group
        #: behind it (both ``None`` without ``proxy``).
        self.proxy_security_group: ec2.ISecurityGroup | None = None
        self.cluster_security_group: ec2.SecurityGroup | None = None
        if proxy:
            self.proxy_security_group = security_group or _closed_group(
                self, "ProxySecurityGroup", vpc, "RDS Proxy: the app's way into the database"
            )
            self.cluster_security_group = _closed_group(
                self, "ClusterSecurityGroup", vpc,
                "The cluster behind its RDS Proxy: the proxy and the secret rotation only",
            )  # fmt: skip
        #: The cluster (CDK's ``rds.DatabaseCluster``).
        self.cluster: rds.DatabaseCluster = self._create_cluster(
            problems.path,
            plan,
            vpc=vpc,
            security_group=self.cluster_security_group or security_group,
            capacity=_Acus(min_capacity or 0.5, max_capacity or 4),
            backups=_Backups(backup_retention_days, preferred_backup_window),
            maintenance_window=preferred_maintenance_window,
            monitoring_interval_seconds=monitoring_interval_seconds,
            performance_insights=performance_insights,
            auto_minor_version_upgrade=self._auto_minor,
            exports=exports,
            deletion_protection=deletion_protection,
            master_username=master_username,
            parameters=merged_parameters,
            overrides=overrides,
            replicas=list(secret_replicas or []),
        )
        #: The master credentials in Secrets Manager, encrypted with the key: RDS's own secret,
        #: or the generated one (with its replicas).
        self.secret: secretsmanager.ISecret = self._master_secret()
        days = DEFAULT_ROTATION_DAYS if rotation_days is None else rotation_days
        #: The rotation function's security group (``None`` without a rotation).
        self.rotation_security_group: ec2.SecurityGroup | None = None
        #: The generated secret's rotation (``None`` for an RDS-managed password, which RDS
        #: rotates, or with ``rotation_days=0``).
        self.rotation: secretsmanager.RotationSchedule | None = (
            self._rotation(vpc, days) if password == "generated" and days else None
        )
        #: Reader autoscaling (``None`` without ``reader_autoscaling``).
        self.reader_scaling: appscaling.ScalableTarget | None = (
            self._reader_autoscaling(reader_autoscaling, reader_autoscaling_cpu or 70)
            if reader_autoscaling is not None
            else None
        )
        #: The AWS Backup vault and its name (both ``None`` with ``backup_plan=False``); the
        #: name is the literal one in the template, so it can be used elsewhere without a
        #: cross-stack reference.
        self.backup_vault: backup.BackupVault | None = None
        self.backup_vault_name: str | None = None
        #: The AWS Backup plan (``None`` with ``backup_plan=False``).
        self.backup_plan: backup.BackupPlan | None = (
            self._backup_plan(backup_copy_to) if backup_plan else None
        )
        #: The Aurora global database this cluster is the primary of (``None`` without
        #: ``global_cluster_identifier``).
        self.global_cluster: rds.CfnGlobalCluster | None = (
            self._global_cluster(global_cluster_identifier, deletion_protection)
            if global_cluster_identifier
            else None
        )
        #: The RDS Proxy (``None`` without ``proxy``), its endpoint (read/write), and its
        #: read-only endpoint (``None`` without readers).
        self.proxy: rds.CfnDBProxy | None = None
        self.proxy_endpoint: str | None = None
        self.proxy_read_only_endpoint: str | None = None
        #: The database user the proxy connects as.
        self.proxy_user: str | None = proxy_user if proxy else None
        if proxy:
            self._proxy(plan, proxy_user)
        self._acknowledge(plan, pinned=len(plan.azs) >= 2)
        self._acknowledge_opt_outs(
            deletion_protection=deletion_protection,
            backup_plan=backup_plan,
            monitoring_interval_seconds=monitoring_interval_seconds,
        )

    @property
    def connections(self) -> ec2.Connections:
        """Where the app connects — the proxy's group with ``proxy``, else the cluster's groups —
        with the port as a number, not the cluster's ``Endpoint.Port`` attribute: a rule opened
        with ``allow_default_port_from`` then matches the tier group's rule (no duplicate) and
        does not tie the group's stack to this one."""
        groups = (
            [self.proxy_security_group]
            if self.proxy_security_group is not None
            else self.cluster.connections.security_groups
        )
        return ec2.Connections(security_groups=groups, default_port=cached.tcp(self.port))

    def grant_connect(
        self, grantee: iam.IGrantable, db_user: str | None = None
    ) -> iam.ManagedPolicy | None:
        """Let ``grantee`` sign in with an IAM token as ``db_user`` (default: ``proxy_user``):
        ``rds-db:connect`` on the proxy (``dbuser:prx-…/<user>``; the token is made for the
        proxy's endpoint) with ``proxy``, else on the cluster (``dbuser:cluster-…/<user>``,
        IAM database authentication is on). A managed policy in this construct's stack that the
        grantee's role attaches (returned): the proxy's id is cut from its ARN here, where the
        ARN is known, and the grantee's stack only names the policy — never the other way round,
        so the database's stack never depends on the app's."""
        user = db_user if db_user is not None else (self.proxy_user or "")
        if not isinstance(user, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,62}", user):
            raise WellstackError(
                cached.path(self),
                [f"db_user must be a database user name (a letter, then letters, digits or _), "
                 f"got {user!r}"],
            )  # fmt: skip
        if not implements(grantee, iam.IGrantable):
            raise WellstackError(
                cached.path(self),
                [f"grantee must be an iam.IGrantable (a role ...), got {grantee!r}"],
            )
        resource_id = (
            cdk.Fn.select(6, cdk.Fn.split(":", self.proxy.attr_db_proxy_arn))
            if self.proxy is not None
            else self.cluster.cluster_resource_identifier
        )
        statement = iam.PolicyStatement(
            actions=["rds-db:connect"],
            resources=[cached.stack_of(self).format_arn(
                service="rds-db", resource="dbuser", resource_name=f"{resource_id}/{user}",
                arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
            )],
        )  # fmt: skip
        principal = grantee.grant_principal
        if not implements(principal, iam.IRole):
            principal.add_to_principal_policy(statement)
            return None
        policy_id = f"Connect{user.title().replace('_', '')}"
        policy = cached.node(self).try_find_child(policy_id)
        if not isinstance(policy, iam.ManagedPolicy):
            policy = iam.ManagedPolicy(
                self, policy_id, statements=[statement],
                description=f"rds-db:connect as {user} to {cached.path(self)}",
            )  # fmt: skip
        principal.add_managed_policy(policy)  # pyright: ignore[reportAttributeAccessIssue]  # an IRole, checked above
        return policy

    def grant_secret_read(self, grantee: iam.IGrantable) -> iam.ManagedPolicy | None:
        """Read the master secret (and decrypt it with the cluster's key, only through Secrets
        Manager): a managed policy on the grantee's role, in the role's stack, so a grant to an
        app in another stack does not make this stack depend on it."""
        return grant(
            self,
            grantee,
            purpose="SecretRead",
            statements=[
                iam.PolicyStatement(
                    actions=["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                    resources=[self.secret.secret_arn],
                ),
                iam.PolicyStatement(
                    actions=["kms:Decrypt"],
                    resources=[self.encryption_key.key_arn],
                    conditions={
                        "StringEquals": {
                            "kms:ViaService": f"secretsmanager.{cached.region(self)}.amazonaws.com"
                        }
                    },
                ),
            ],
        )

    # --- steps ---------------------------------------------------------------------------------

    def _create_cluster(
        self,
        path: str,
        plan: _Plan,
        *,
        vpc: ec2.IVpc,
        security_group: ec2.ISecurityGroup | None,
        capacity: _Acus,
        backups: _Backups,
        maintenance_window: str,
        monitoring_interval_seconds: int,
        performance_insights: bool | None,
        auto_minor_version_upgrade: bool,
        exports: list[str],
        deletion_protection: bool,
        master_username: str,
        parameters: dict[str, str],
        overrides: dict[str, Any],
        replicas: list[SecretReplica],
    ) -> rds.DatabaseCluster:
        def insights(type_: ec2.InstanceType | None) -> bool:
            if performance_insights is not None:
                return performance_insights
            return type_ is None or supports_performance_insights(cached.instance_type_name(type_))

        def instance(name: str, type_: ec2.InstanceType | None, **props: Any) -> Any:
            common = {
                "enable_performance_insights": insights(type_),
                "performance_insight_encryption_key": self.encryption_key
                if insights(type_)
                else None,
                "auto_minor_version_upgrade": auto_minor_version_upgrade,
                "publicly_accessible": False,
            }
            if type_ is None:
                return rds.ClusterInstance.serverless_v2(name, **common, **props)
            return rds.ClusterInstance.provisioned(name, instance_type=type_, **common, **props)

        reader_instances = []
        for index in range(plan.readers):
            props: dict[str, Any] = {}
            if plan.serverless:
                # The first two readers follow the writer's capacity: they are failover targets.
                props["scale_with_writer"] = index < 2
            else:
                props["promotion_tier"] = min(index + 1, MAX_READERS)
            if len(plan.azs) >= 2:
                props["availability_zone"] = plan.azs[(index + 1) % len(plan.azs)]
            reader_instances.append(instance(f"Reader{index + 1}", plan.reader_type, **props))
        writer_props: dict[str, Any] = {} if plan.serverless else {"promotion_tier": 0}
        if len(plan.azs) >= 2:
            writer_props["availability_zone"] = plan.azs[0]
        retention_days, backup_window = backups.retention_days, backups.window
        defaults: dict[str, Any] = {
            "engine": plan.cluster_engine,
            "writer": instance("Writer", plan.writer_type, **writer_props),
            "readers": reader_instances,
            "serverless_v2_min_capacity": capacity.minimum if plan.serverless else None,
            "serverless_v2_max_capacity": capacity.maximum if plan.serverless else None,
            "vpc": vpc,
            "subnet_group": self.subnet_group,
            "security_groups": [security_group] if security_group else None,
            "port": plan.port,
            "storage_encrypted": True,
            "storage_encryption_key": self.encryption_key,
            "manage_master_user_password": self.master_password == "rds_managed",
            "credentials": self._credentials(master_username, replicas),
            "iam_authentication": True,
            "parameters": parameters,
            "deletion_protection": deletion_protection,
            "removal_policy": cdk.RemovalPolicy.SNAPSHOT,
            "backup": rds.BackupProps(
                retention=cached.days(retention_days), preferred_window=backup_window
            ),
            "preferred_maintenance_window": maintenance_window,
            "copy_tags_to_snapshot": True,
            "cluster_identifier": self.cluster_identifier,
            "cloudwatch_logs_exports": exports,
            "monitoring_interval": cached.seconds(monitoring_interval_seconds)
            if monitoring_interval_seconds
            else None,
            "backtrack_window": cached.hours(plan.backtrack_hours)
            if plan.backtrack_hours
            else None,
        }
        props = _props.merge(defaults, overrides)
        cluster = _props.build(
            path,
            "cluster_props",
            bool(overrides),
            lambda: rds.DatabaseCluster(self, "Resource", **props),
        )
        # RDS creates a log group on the first export unless it exists: create ours first.
        for group in self.log_groups.values():
            cached.node(cluster).add_dependency(group)
        return cluster

    def _credentials(self, username: str, replicas: list[SecretReplica]) -> rds.Credentials:
        if self.master_password == "rds_managed":
            return rds.Credentials.from_username(
                username,
                encryption_key=self.encryption_key,  # pyright: ignore[reportArgumentType]  # CDK protocol false positive
            )
        stack = cached.stack_of(self)
        return rds.Credentials.from_generated_secret(
            username,
            encryption_key=self.encryption_key,  # pyright: ignore[reportArgumentType]  # CDK protocol false positive
            exclude_characters=PASSWORD_EXCLUDE,
            secret_name=self.secret_name,
            replica_regions=[
                secretsmanager.ReplicaRegion(
                    region=replica.region,
                    # The key in the replica's region, by its alias ARN there: the secret's
                    # ReplicaRegions take "the ARN, key ID, or alias of the KMS key".
                    encryption_key=kms.Key.from_key_arn(
                        self,
                        f"ReplicaKey{index + 1}",
                        f"arn:{stack.partition}:kms:{replica.region}:{stack.account}:"
                        f"{replica.kms_key_alias}",
                    )
                    if replica.kms_key_alias
                    else None,
                )
                for index, replica in enumerate(replicas)
            ],
        )

    def _proxy(self, plan: _Plan, user: str) -> None:
        """The proxy (L1: CDK's ``DatabaseProxy`` opens the cluster on its ``Endpoint.Port``
        attribute and gives its role no ``rds-db:connect``): IAM on both legs, TLS required,
        one target group on the cluster, a read-only endpoint with readers, and the groups
        chained app -> proxy -> cluster on the port."""
        stack = cached.stack_of(self)
        proxy_group, cluster_group = self.proxy_security_group, self.cluster_security_group
        if proxy_group is None or cluster_group is None:
            raise WellstackError(cached.path(self), ["the proxy's security groups are missing"])
        # Both sides (RDS User Guide, "Setting up end-to-end IAM authentication for RDS
        # Proxy"): the role trusts rds.amazonaws.com and may rds-db:connect as the database user
        # (dbuser:<cluster resource id>/<user>); the user must exist in the database with IAM
        # authentication (docs/operations.md), which no template can state.
        role = iam.Role(
            self,
            "ProxyRole",
            assumed_by=cached.service_principal("rds.amazonaws.com"),  # pyright: ignore[reportArgumentType]  # CDK protocol false positive
            description="RDS Proxy: signs in to the cluster with IAM",
        )
        iam.ManagedPolicy(
            self, "ProxyConnect",
            roles=[role],  # pyright: ignore[reportArgumentType]  # CDK protocol false positive
            description=f"RDS Proxy of {cached.path(self)}: rds-db:connect as {user}",
            statements=[iam.PolicyStatement(
                actions=["rds-db:connect"],
                resources=[stack.format_arn(
                    service="rds-db", resource="dbuser",
                    resource_name=f"{self.cluster.cluster_resource_identifier}/{user}",
                    arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                )],
            )],
        )  # fmt: skip
        name = f"{self.cluster_identifier[:54].rstrip('-')}-proxy"
        subnets = [s.subnet_id for s in plan.subnets]
        proxy = rds.CfnDBProxy(
            self, "Proxy",
            db_proxy_name=name,
            engine_family="MYSQL" if plan.engine == "mysql" else "POSTGRESQL",
            role_arn=role.role_arn,
            default_auth_scheme="IAM_AUTH",
            require_tls=True,
            idle_client_timeout=PROXY_IDLE_CLIENT_TIMEOUT_SECONDS,
            debug_logging=False,
            vpc_subnet_ids=subnets,
            vpc_security_group_ids=[proxy_group.security_group_id],
        )  # fmt: skip
        targets = rds.CfnDBProxyTargetGroup(
            self, "ProxyTargets",
            db_proxy_name=proxy.ref,
            target_group_name="default",
            db_cluster_identifiers=[self.cluster.cluster_identifier],
            connection_pool_configuration_info=rds.CfnDBProxyTargetGroup.ConnectionPoolConfigurationInfoFormatProperty(
                max_connections_percent=100, max_idle_connections_percent=50,
                connection_borrow_timeout=120,
            ),
        )  # fmt: skip
        cached.node(targets).add_dependency(self.cluster)  # the instances must be available
        # AWS::RDS::DBProxyTargetGroup takes no Tags (its CloudFormation schema; cfn-lint F3002),
        # though CDK's tag aspect renders the stack's tags on it.
        targets.add_property_deletion_override("Tags")
        # Both rules here, in the cluster's stack: a rule added through the proxy's group (a
        # tier group, in the network's stack) would make that stack depend on this one.
        ec2.CfnSecurityGroupEgress(
            self, "ProxyEgress",
            group_id=proxy_group.security_group_id,
            destination_security_group_id=cluster_group.security_group_id,
            ip_protocol="tcp", from_port=self.port, to_port=self.port,
            description="The cluster behind the proxy",
        )  # fmt: skip
        ec2.CfnSecurityGroupIngress(
            self, "ProxyIngress",
            group_id=cluster_group.security_group_id,
            source_security_group_id=proxy_group.security_group_id,
            ip_protocol="tcp", from_port=self.port, to_port=self.port,
            description="RDS Proxy",
        )  # fmt: skip
        self.proxy = proxy
        self.proxy_endpoint = proxy.attr_endpoint
        if plan.readers:
            read_only = rds.CfnDBProxyEndpoint(
                self, "ProxyReadOnly",
                db_proxy_endpoint_name=f"{name[:54]}-ro",
                db_proxy_name=proxy.ref,
                vpc_subnet_ids=subnets,
                vpc_security_group_ids=[proxy_group.security_group_id],
                target_role="READ_ONLY",
            )  # fmt: skip
            cached.node(read_only).add_dependency(targets)
            self.proxy_read_only_endpoint = read_only.attr_endpoint

    def _rotation(self, vpc: ec2.IVpc, days: int) -> secretsmanager.RotationSchedule:
        """Secrets Manager's hosted rotation (single user: the master user changes its own
        password) in the VPC's private subnets, behind a group of its own that the cluster
        admits on its port. It connects to the secret's ``host``, the writer's endpoint."""
        group = ec2.SecurityGroup(
            self,
            "RotationSecurityGroup",
            vpc=vpc,
            description="Secret rotation: the database port and HTTPS (Secrets Manager) only",
            allow_all_outbound=False,
        )
        group.add_egress_rule(
            cached.any_ipv4(),
            cached.tcp(443),
            "Secrets Manager API (through NAT or an endpoint)",
        )
        for index, database in enumerate(self.cluster.connections.security_groups):
            group.add_egress_rule(database, cached.tcp(self.port), "The cluster")
            # In this construct's stack, next to the rotation's group: a rule on a tier group
            # that lives in the network's stack would make that stack depend on this one.
            ec2.CfnSecurityGroupIngress(
                self,
                f"RotationIngress{index + 1}" if index else "RotationIngress",
                group_id=database.security_group_id,
                source_security_group_id=group.security_group_id,
                ip_protocol="tcp",
                from_port=self.port,
                to_port=self.port,
                description="Secret rotation (single user)",
            )
        make = (
            secretsmanager.HostedRotation.mysql_single_user
            if self.engine == "mysql"
            else secretsmanager.HostedRotation.postgre_sql_single_user
        )
        hosted = make(
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            security_groups=[group],
            exclude_characters=PASSWORD_EXCLUDE,
        )
        self.rotation_security_group = group
        return self.secret.add_rotation_schedule(
            "Rotation", hosted_rotation=hosted, automatically_after=cached.days(days)
        )

    def _log_groups(self, exports: list[str], retention_days: int) -> dict[str, logs.LogGroup]:
        key = self.encryption_key
        if not (isinstance(key, kms.Key) and key.add_to_resource_policy(
            _cloudwatch_logs_statement(key)
        ).statement_added):  # fmt: skip
            key = logs_key(self, "LogKey", "Encrypts the database's log groups")
        return rds_cluster_log_groups(
            self,
            cluster_identifier=self.cluster_identifier,
            exports=exports,
            retention_days=retention_days,
            key=key,
        )

    def _master_secret(self) -> secretsmanager.ISecret:
        secret = self.cluster.secret
        if secret is None:  # both a managed and a generated password give one
            raise WellstackError(cached.path(self), ["the cluster has no master secret"])
        return secret

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
            scale_in_cooldown=cached.minutes(5),
            scale_out_cooldown=cached.minutes(5),
        )
        return target

    def _global_cluster(self, identifier: str, deletion_protection: bool) -> rds.CfnGlobalCluster:
        """The global database, made from this cluster (its engine, version and encryption come
        from the cluster: CloudFormation refuses them next to SourceDBClusterIdentifier)."""
        arn = cached.stack_of(self).format_arn(
            service="rds",
            resource="cluster",
            resource_name=self.cluster_identifier,
            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
        )
        global_cluster = rds.CfnGlobalCluster(
            self,
            "Global",
            global_cluster_identifier=identifier,
            source_db_cluster_identifier=arn,
            deletion_protection=deletion_protection,
        )
        cached.node(global_cluster).add_dependency(self.cluster)
        return global_cluster

    def _backup_plan(self, copy_to: str | None = None) -> backup.BackupPlan:
        self.backup_vault = vault = backup.BackupVault(
            self,
            "BackupVault",
            encryption_key=self.encryption_key,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        resource = cached.default_child(vault)
        if isinstance(resource, backup.CfnBackupVault):
            self.backup_vault_name = resource.backup_vault_name
        plan = backup.BackupPlan(
            self,
            "BackupPlan",
            # Unique in the account and region: two environments in one account both have one.
            backup_plan_name=cdk.Names.unique_resource_name(self, max_length=50, separator="-"),
            backup_vault=vault,
            backup_plan_rules=[
                backup.BackupPlanRule(
                    rule_name="Daily35Days",
                    schedule_expression=events.Schedule.cron(hour="19", minute="0"),
                    start_window=cached.hours(1),
                    completion_window=cached.hours(8),
                    delete_after=cached.days(35),
                    copy_actions=[
                        backup.BackupPlanCopyActionProps(
                            destination_backup_vault=backup.BackupVault.from_backup_vault_arn(
                                self, "CopyVault", copy_to
                            ),
                            delete_after=cached.days(35),
                        )
                    ]
                    if copy_to
                    else None,
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

    def _acknowledge(self, plan: _Plan, *, pinned: bool) -> None:
        reasons = {}
        if plan.port == DEFAULT_PORTS[plan.engine]:
            reasons["AwsSolutions-RDS11"] = (
                f"The design uses the engine's standard port {plan.port}; the cluster sits on "
                f"isolated subnets and accepts connections only where its security group allows "
                f"(with TierSecurityGroups: the app group only). Pass port= to change it."
            )
        if plan.engine == "mysql" and not plan.backtrack_hours:
            backtrack_off = (
                "Backtrack is off: an Aurora global database does not support it "
                "(global_cluster_identifier is set); point-in-time restore, the AWS Backup plan "
                "and the secondary region cover recovery"
                if self.global_cluster is not None
                else "Backtrack is off: serverless_v2=True or backtrack_window_hours=0 was chosen; "
                "point-in-time restore and the AWS Backup plan still cover recovery"
                if plan.serverless
                else "Backtrack was turned off explicitly (backtrack_window_hours=0); "
                "point-in-time restore and the AWS Backup plan still cover recovery"
            )
            reasons |= same_reason(
                backtrack_off,
                "AwsSolutions-RDS14",
                CONTROL_TOWER + "aurora_cluster_backtracking_enabled_check",
            )
        left_out = [t for t in LOG_TYPES[plan.engine] if t not in self._exports]
        chosen = f"log_exports={self._exports!r} was chosen explicitly (it leaves {left_out} out)"
        for log_type in left_out:
            reasons[f"NIST.800.53.R5-RDSLoggingEnabled[LogExport::{log_type}]"] = chosen
        if left_out:
            # Control Tower reports this control against the stack, not the cluster: it is the
            # only place that can hold the acknowledgment.
            acknowledge(
                cached.stack_of(self),
                {
                    CONTROL_TOWER
                    + "rds_cluster_logging_enabled_check": f"{cached.path(self)}: {chosen}"
                },
            )
        if not self._auto_minor:
            for instance in cached.node(self.cluster).find_all():
                if isinstance(instance, rds.CfnDBInstance):
                    acknowledge(
                        instance,
                        {
                            CONTROL_TOWER
                            + "rds_instance_automatic_minor_version_upgrade_enabled_check": (
                                "The cluster is the primary of an Aurora global database: AWS "
                                "applies no automatic minor version upgrade there (the setting "
                                "has no effect); the global database is upgraded as a whole"
                                if self.global_cluster is not None
                                else "The cluster runs an Aurora MySQL long-term-support minor "
                                "version (3.04/3.10): AWS's release notes advise against "
                                "automatic minor upgrades there, which can move the cluster off "
                                "LTS; minor upgrades are planned (auto_minor_version_upgrade=True "
                                "opts in)"
                            )
                        },
                    )
        if pinned:
            reasons["CloudFormation-Validate::W3010"] = (
                "Instances are pinned to AZs on purpose: the writer to the first AZ and each "
                "reader to another one, so a failover target always lives outside the writer's AZ"
            )
        if reasons:
            acknowledge(self.cluster, reasons)
        monitoring_role = cached.node(self.cluster).try_find_child("MonitoringRole")
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

    def _acknowledge_opt_outs(
        self, *, deletion_protection: bool, backup_plan: bool, monitoring_interval_seconds: int
    ) -> None:
        """What an explicit opt-out turns into a finding, acknowledged with the prop that chose
        it, for every tool that checks it (cdk-nag, Control Tower, checkov)."""
        if not deletion_protection:
            acknowledge(
                self.cluster,
                same_reason(
                    "deletion_protection=False was chosen (an environment meant to be torn down); "
                    "a destroy still takes a final snapshot (removal policy SNAPSHOT)",
                    "AwsSolutions-RDS10",
                    "NIST.800.53.R5-RDSInstanceDeletionProtectionEnabled",
                    CONTROL_TOWER + "rds_cluster_deletion_protection_enabled_check",
                    CHECKOV + "CKV_AWS_139",
                ),
            )
        if not backup_plan:
            acknowledge(
                self.cluster,
                {
                    "NIST.800.53.R5-RDSInBackupPlan": (
                        "backup_plan=False was chosen: no AWS Backup plan; RDS automated backups "
                        "(backup_retention_days) and point-in-time restore remain"
                    )
                },
            )
        if not monitoring_interval_seconds:
            why = (
                "monitoring_interval_seconds=0 was chosen: no enhanced (OS-level) monitoring; the "
                "CloudWatch metrics of the cluster and its alarms remain"
            )
            for instance in cached.node(self.cluster).find_all():
                if isinstance(instance, rds.CfnDBInstance):
                    acknowledge(
                        instance,
                        same_reason(
                            why,
                            "NIST.800.53.R5-RDSEnhancedMonitoringEnabled",
                            CONTROL_TOWER + "rds_instance_enhanced_monitoring_enabled_check",
                            CHECKOV + "CKV_AWS_118",
                        ),
                    )


# --- validation ----------------------------------------------------------------------------------


def _plan(
    problems: Problems,
    *,
    vpc: Any,
    engine: Any,
    engine_version: Any,
    readers: Any,
    instance_type: Any,
    reader_instance_type: Any,
    serverless_v2: Any,
    port: Any,
    subnet_type: Any,
    backtrack_window_hours: Any,
    global_database: bool = False,
) -> _Plan | None:
    """Check the props that shape the cluster; None when one is bad (recorded)."""
    engine_ok = problems.choice("engine", engine, ENGINES)
    readers_ok = problems.within("readers", readers, AURORA_READERS)
    serverless_ok = problems.flag("serverless_v2", serverless_v2)
    serverless = serverless_v2 is True
    cluster_engine = engine_for(problems, engine, engine_version) if engine_ok else None
    if not engine_ok:  # what can still be checked without knowing the engine: the types
        _check_types_without_engine(
            problems, engine_version, instance_type=instance_type, reader=reader_instance_type
        )
    writer_type = reader_type = None
    if engine_ok and not serverless:
        writer_type = instance_type_of(problems, "instance_type", instance_type, engine)
        reader_type = (
            writer_type
            if reader_instance_type is None
            else instance_type_of(problems, "reader_instance_type", reader_instance_type, engine)
        )
    if serverless:
        for prop, value, default in (
            ("instance_type", instance_type, DEFAULT_INSTANCE_TYPE),
            ("reader_instance_type", reader_instance_type, None),
        ):
            if value != default and value not in ("serverless", "db.serverless"):
                problems.add(
                    f"{prop}={value!r} does not apply with serverless_v2=True (every instance "
                    f"is db.serverless; size it with min_capacity/max_capacity)"
                )
    resolved_port = (DEFAULT_PORTS[engine] if engine_ok else 3306) if port is None else port
    port_ok = problems.within("port", resolved_port, AURORA_PORT)
    backtrack = (
        (24 if engine == "mysql" and not serverless and not global_database else 0)
        if backtrack_window_hours is None
        else backtrack_window_hours
    )
    backtrack_ok = problems.within(
        "backtrack_window_hours", backtrack, BACKTRACK_HOURS
    ) and problems.conflicts(
        {"backtrack": backtrack, "global_database": global_database, "engine": engine,
         "engine_ok": engine_ok, "serverless": serverless},
        BACKTRACK_CONFLICTS,
    )  # fmt: skip
    if not isinstance(subnet_type, ec2.SubnetType):
        problems.add(f"subnet_type must be an ec2.SubnetType, got {subnet_type!r}")
        return None
    subnets = _subnets(problems, vpc, subnet_type)
    if (
        subnets is None
        or cluster_engine is None
        or not (readers_ok and serverless_ok and port_ok and backtrack_ok)
        or (not serverless and (writer_type is None or reader_type is None))
    ):
        return None
    azs = [az for az in dict.fromkeys(s.availability_zone for s in subnets) if not is_token(az)]
    return _Plan(
        engine=engine,
        cluster_engine=cluster_engine,
        writer_type=writer_type,
        reader_type=reader_type,
        readers=readers,
        port=resolved_port,
        azs=azs,
        subnets=subnets,
        backtrack_hours=backtrack,
        serverless=serverless,
    )


#: What Backtrack cannot be combined with, as data (the first that holds is reported).
BACKTRACK_CONFLICTS = (
    Conflict(
        ("backtrack_window_hours", "global_cluster_identifier"),
        lambda v: bool(v["backtrack"] and v["global_database"]),
        "backtrack_window_hours={backtrack}: an Aurora global database does not support "
        "Backtrack (global_cluster_identifier is set); use 0",
    ),
    Conflict(
        ("backtrack_window_hours", "engine"),
        lambda v: bool(v["backtrack"] and v["engine_ok"] and v["engine"] != "mysql"),
        "backtrack_window_hours={backtrack}: Backtrack exists only for Aurora MySQL, not for "
        "engine={engine!r}",
    ),
    Conflict(
        ("backtrack_window_hours", "serverless_v2"),
        lambda v: bool(v["backtrack"] and v["serverless"]),
        "backtrack_window_hours={backtrack}: wellstack enables Backtrack on provisioned "
        "instances only, not with serverless_v2=True",
    ),
)


def _subnets(problems: Problems, vpc: Any, subnet_type: ec2.SubnetType) -> list[ec2.ISubnet] | None:
    if not problems.implements("vpc", vpc, ec2.IVpc, "a VPC (ec2.IVpc), e.g. Network(...).vpc"):
        return None
    try:
        selected = vpc.select_subnets(subnet_type=subnet_type)
    except RuntimeError as err:  # jsii: "There are no 'Isolated' subnet groups in this VPC"
        problems.add(
            f"the cluster needs {subnet_type.name} subnets in at least 2 AZs; the VPC has none "
            f"({str(err).splitlines()[0]})"
        )
        return None
    azs = list(dict.fromkeys(selected.availability_zones))
    if len(selected.subnets) < 2 or (len(azs) < 2 and not any(is_token(az) for az in azs)):
        problems.add(
            f"the cluster needs {subnet_type.name} subnets in at least 2 AZs, the VPC has "
            f"{len(selected.subnets)} subnet(s) of that type in {azs!r}"
        )
        return None
    return list(selected.subnets)


def _validate_options(
    problems: Problems,
    *,
    serverless_v2: Any,
    capacity: _Acus,
    reader_autoscaling: _ReaderScaling,
    security_group: Any,
    backup_retention_days: Any,
    backup_window: Any,
    maintenance_window: Any,
    flags: dict[str, Any],
    performance_insights: Any,
    monitoring_interval_seconds: Any,
    encryption_key: Any,
    master_username: Any,
    engine: Engine | None,
) -> None:
    min_capacity, max_capacity = capacity.minimum, capacity.maximum
    if serverless_v2 is True:
        low_ok = min_capacity is None or problems.number(
            "min_capacity",
            min_capacity,
            SERVERLESS_MIN_ACU,
            SERVERLESS_MAX_ACU,
            "Aurora Serverless v2 ACUs",
            step=ACU_STEP,
        )
        high_ok = max_capacity is None or problems.number(
            "max_capacity",
            max_capacity,
            1,
            SERVERLESS_MAX_ACU,
            "Aurora Serverless v2 ACUs",
            step=ACU_STEP,
        )
        low, high = (
            (0.5 if min_capacity is None else min_capacity),
            (4 if max_capacity is None else max_capacity),
        )
        if low_ok and high_ok and low > high:
            problems.add(f"min_capacity ({low:g}) must not exceed max_capacity ({high:g})")
    elif min_capacity is not None or max_capacity is not None:
        given = [p for p, v in (("min_capacity", min_capacity), ("max_capacity", max_capacity))
                 if v is not None]  # fmt: skip
        problems.add(
            f"{' / '.join(given)} set{'' if len(given) > 1 else 's'} Serverless v2 capacity "
            f"(ACUs) and need{'' if len(given) > 1 else 's'} serverless_v2=True, got "
            f"min_capacity={min_capacity!r}, max_capacity={max_capacity!r}",
            "conflict",
            given[0],
            (*given[1:], "serverless_v2"),
        )
    bounds, cpu, readers = (
        reader_autoscaling.bounds,
        reader_autoscaling.cpu,
        reader_autoscaling.readers,
    )
    if bounds is not None:
        _check_reader_autoscaling(problems, bounds, readers)
    if cpu is not None:
        if bounds is None:
            problems.add(
                f"reader_autoscaling_cpu={cpu!r} needs reader_autoscaling=(min, max) to apply to"
            )
        problems.within("reader_autoscaling_cpu", cpu, CPU_TARGET)
    if security_group is not None:
        problems.implements(
            "security_group",
            security_group,
            ec2.ISecurityGroup,
            "a security group (ec2.ISecurityGroup), e.g. TierSecurityGroups(...).database",
        )
    problems.within("backup_retention_days", backup_retention_days, BACKUP_RETENTION_DAYS)
    check_windows(problems, backup_window, maintenance_window)
    for prop, value in flags.items():
        problems.flag(prop, value)
    if performance_insights is not None:
        problems.flag("performance_insights", performance_insights)
    if is_token(monitoring_interval_seconds) or (
        isinstance(monitoring_interval_seconds, bool)
        or not isinstance(monitoring_interval_seconds, int)
        or monitoring_interval_seconds not in MONITORING_INTERVALS
    ):
        problems.add(
            f"monitoring_interval_seconds must be one of "
            f"{', '.join(map(str, MONITORING_INTERVALS))}, got {monitoring_interval_seconds!r}"
        )
    if encryption_key is not None and not implements(encryption_key, kms.IKey):
        problems.add(
            f"encryption_key must be a KMS key (kms.IKey), e.g. kms.Key(...), got "
            f"{encryption_key!r}"
        )
    username = master_username
    length = _USERNAME_LENGTH.get(engine, 16) if engine else 16
    if problems.text(
        "master_username",
        username,
        r"[A-Za-z][A-Za-z0-9_]*",
        f"a user name: a letter, then letters, digits or '_' (at most {length} for Aurora "
        f"{engine})",
        max_length=length,
    ):
        problems.check(
            username.lower() not in _RESERVED_USERNAMES,
            f"master_username {username!r} is reserved by RDS ({', '.join(_RESERVED_USERNAMES)})",
        )


def _check_reader_autoscaling(problems: Problems, bounds: Any, readers: Any) -> None:
    if (
        isinstance(bounds, str)
        or not isinstance(bounds, Sequence)
        or len(bounds) != 2
        or not all(isinstance(b, int) and not isinstance(b, bool) for b in bounds)
    ):
        problems.add(f"reader_autoscaling must be a (min, max) pair of integers, got {bounds!r}")
        return
    low, high = bounds
    if low < 0 or high < 1 or low > high:
        problems.add(
            f"reader_autoscaling must satisfy 0 <= min <= max and max >= 1, got {tuple(bounds)}"
        )
    elif isinstance(readers, int) and readers + high > MAX_READERS:
        problems.add(
            f"readers ({readers}) plus reader_autoscaling max ({high}) is {readers + high}; "
            f"Aurora allows at most {MAX_READERS} readers"
        )


def _check_parameters(
    problems: Problems, parameters: Any, engine: Any, logging: dict[str, str]
) -> dict[str, str]:
    """wellstack's cluster parameters with ``parameters`` on top; the TLS one stays on."""
    base = {**DEFAULT_PARAMETERS.get(engine, {}), **logging}
    if parameters is None:
        return base
    if not problems.mapping("parameters", parameters):
        return base
    bad = {k: v for k, v in parameters.items() if not isinstance(v, str)}
    if bad:
        problems.add(f"parameters values must be strings (as RDS takes them), got {bad!r}")
        return base
    tls = _TLS_PARAMETERS.get(engine)
    if tls and tls[0] in parameters and parameters[tls[0]] != tls[1]:
        problems.add(
            f"parameters[{tls[0]!r}]={parameters[tls[0]]!r} would allow connections without "
            f"TLS; wellstack requires {tls[0]}={tls[1]}"
        )
        return base
    return {**base, **parameters}


def _check_log_exports(
    problems: Problems, exports: Any, engine: Any, retention_days: Any
) -> list[str]:
    problems.log_retention("log_retention_days", retention_days)
    if engine not in LOG_TYPES:  # the engine is reported; the type can still be checked
        if exports is not None and (
            isinstance(exports, str | bytes)
            or not isinstance(exports, Sequence)
            or not all(isinstance(e, str) for e in exports)
        ):
            problems.add(f"log_exports must be a list of log names, got {exports!r}")
        return []
    if exports is None:
        return list(DEFAULT_LOG_EXPORTS[engine])
    allowed = LOG_TYPES[engine]
    if (
        isinstance(exports, str | bytes)
        or not isinstance(exports, Sequence)
        or not all(isinstance(e, str) and e in allowed for e in exports)
    ):
        problems.add(
            f"log_exports must be a list of Aurora {engine} logs ({', '.join(allowed)}), got "
            f"{exports!r}"
        )
        return []
    if len(set(exports)) != len(exports):
        problems.add(f"log_exports lists a log twice: {list(exports)!r}")
    return list(dict.fromkeys(exports))


def _auto_minor(chosen: bool | None, plan: _Plan, global_database: bool = False) -> bool:
    """Off on a global database (AWS: "automatic minor version upgrade doesn't apply" there,
    the setting "has no effect") and on Aurora MySQL's LTS lines; on otherwise."""
    if chosen is not None:
        return chosen
    if global_database:
        return False
    full = cached.engine_full_version(plan.cluster_engine) or ""
    lts = plan.engine == "mysql" and any(
        str(full).removeprefix("8.0.mysql_aurora.").startswith(m) for m in MYSQL_LTS_MINORS
    )
    return not lts


def subnet_group(
    scope: Construct, vpc: ec2.IVpc, subnets: Sequence[ec2.ISubnet]
) -> rds.SubnetGroup:
    """The DB subnet group of an Aurora construct: ``subnets`` (its isolated subnets)."""
    return rds.SubnetGroup(
        scope,
        "SubnetGroup",
        description=f"Isolated subnets of {cdk.Names.unique_id(scope)}",
        vpc=vpc,
        vpc_subnets=ec2.SubnetSelection(subnets=list(subnets)),
    )


def _identifier(cluster: Construct, overrides: Mapping[str, Any]) -> str:
    """``cluster_props['cluster_identifier']``, or one derived from the construct path: stable,
    unique in the account, 63 characters at most (RDS keeps it in lowercase)."""
    given = overrides.get("cluster_identifier")
    if isinstance(given, str):
        return given.lower()
    name = cdk.Names.unique_resource_name(cluster, max_length=63, separator="-").lower()
    name = re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "", name)).strip("-")
    return name if name[:1].isalpha() else f"db-{name}"[:63].rstrip("-")


def _cloudwatch_logs_statement(key: kms.Key) -> iam.PolicyStatement:
    return cloudwatch_logs_statement(cached.stack_of(key))
