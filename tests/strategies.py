"""Hypothesis strategies for the public entry points: plausible props per construct (values a
user could mean, valid or not), junk (any type at all), environment settings, and cost flags.

``WELLSTACK_FUZZ=1`` (``make fuzz``) multiplies every example count by :data:`FUZZ_FACTOR` and
draws fresh random examples; ``make test`` runs a fixed (derandomized) set.
"""

from __future__ import annotations

import os
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from wellstack.constructs import Replication, SecretReplica

FUZZ = os.environ.get("WELLSTACK_FUZZ") == "1"
FUZZ_FACTOR = 25
REGION = "ap-northeast-2"
REGION_AZS = ["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c", "ap-northeast-2d"]

settings.register_profile(
    "wellstack",
    deadline=None,
    derandomize=not FUZZ,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.load_profile("wellstack")


def examples(count: int) -> Any:
    """``@examples(n)``: n examples in ``make test``, n x FUZZ_FACTOR in ``make fuzz``."""
    return settings(max_examples=count * FUZZ_FACTOR if FUZZ else count)


@dataclass(frozen=True)
class Deferred:
    """A value that needs the construct's scope (an imported certificate, a key)."""

    make: Callable[[Any], Any]
    label: str

    def __repr__(self) -> str:
        return self.label


def resolve(props: dict[str, Any], scope: Any) -> dict[str, Any]:
    return {k: v.make(scope) if isinstance(v, Deferred) else v for k, v in props.items()}


# --- anything at all --------------------------------------------------------------------------

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.text(alphabet=string.printable, max_size=30),
    st.lists(st.one_of(st.integers(), st.text(max_size=4)), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.builds(object),
    st.just(float("nan")),
    st.sampled_from(["", " ", "\n", "0", "-1", "true", "false", "None", "1e400", "\uff11\uff12"]),
)


# --- shared pieces ------------------------------------------------------------------------------

#: CloudWatch Logs' retention periods, and some that are not.
RETENTION = st.sampled_from(
    [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
     2922, 3288, 3653, 0, 2, 8, 366, 4000]
)  # fmt: skip
PORT = st.one_of(st.integers(min_value=1, max_value=65535), st.sampled_from([0, 65536, 80, 443]))
CIDR = st.one_of(
    st.builds("10.{}.0.0/{}".format, st.integers(0, 255), st.integers(16, 20)),
    st.builds("172.{}.0.0/16".format, st.integers(16, 31)),
    st.sampled_from(["192.168.0.0/16", "10.0.0.0/28", "11.0.0.0/16", "10.0.0.1/16",
                     "10.0.0.0/8", "10.0.0.0/255.255.0.0"]),
)  # fmt: skip
AZ_LIST = st.lists(st.sampled_from(REGION_AZS), min_size=1, max_size=4, unique=True)
INGRESS_CIDR = st.one_of(
    st.ip_addresses(v=4).map(lambda ip: f"{ip}/32"),
    st.sampled_from(["0.0.0.0/0", "10.0.0.0/8", "203.0.113.0/24", "0.0.0.0/0.0.0.0",
                     "::/0", "10.0.0.0/33"]),
)  # fmt: skip
EC2_TYPES = st.sampled_from(
    ["t3.micro", "t3.small", "t4g.micro", "m7g.large", "c7g.xlarge", "m5.large", "r6i.large",
     "m4.large", "x99.huge", "t3", "m7g"]
)  # fmt: skip
AURORA_TYPES = st.sampled_from(["r6g.large", "db.r6g.large", "t4g.medium", "r7g.xlarge",
                                "t3.medium", "serverless", "db.serverless", "m5.large",
                                "r5.large", "x2g.large", "db.t2.small"])  # fmt: skip
STORAGE_CLASSES = st.sampled_from(["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
                                   "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE", "TAPE"])  # fmt: skip
TRANSITIONS = st.lists(
    st.tuples(STORAGE_CLASSES, st.integers(min_value=0, max_value=3000)), max_size=4
)


INTERFACE_ENDPOINTS = st.lists(
    st.sampled_from(["ssm", "ssmmessages", "kms", "logs", "sts", "s3", "ssm "]), max_size=4
)

# --- per construct ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Props:
    """A strategy per keyword of an entry point; ``draw`` gives any subset of them."""

    strategies: dict[str, st.SearchStrategy[Any]]

    @property
    def names(self) -> list[str]:
        return sorted(self.strategies)

    @property
    def draw(self) -> st.SearchStrategy[dict[str, Any]]:
        return st.fixed_dictionaries({}, optional=self.strategies)

    def with_junk(self) -> st.SearchStrategy[tuple[dict[str, Any], str]]:
        """(props, the one prop replaced by junk)."""
        return st.tuples(self.draw, st.sampled_from(self.names), JUNK).map(
            lambda drawn: ({**drawn[0], drawn[1]: drawn[2]}, drawn[1])
        )


def _options(**optional: st.SearchStrategy[Any]) -> Props:
    return Props(optional)


NETWORK = _options(
    cidr=CIDR,
    availability_zones=AZ_LIST,
    nat=st.sampled_from(["none", "single", "per_az", "regional", "endpoints_only", "two"]),
    public_mask=st.integers(16, 29),
    private_mask=st.integers(16, 29),
    isolated_mask=st.integers(16, 29),
    reserved_azs=st.integers(1, 9),
    flow_logs=st.booleans(),
    flow_log_retention_days=RETENTION,
    gateway_endpoints=st.booleans(),
    restrict_default_security_group=st.booleans(),
    strict_acls=st.booleans(),
    db_port=PORT,
    reachability_paths=st.booleans(),
    ipv6=st.booleans(),
    dns64=st.booleans(),
    interface_endpoints=INTERFACE_ENDPOINTS,
    interface_endpoint_tier=st.sampled_from(["private", "isolated", "public"]),
)

SECURITY_GROUPS = _options(
    web_port=PORT,
    db_port=PORT,
    web_ingress_cidr=INGRESS_CIDR,
    web_ingress_ipv6_cidr=st.sampled_from(["::/0", "2001:db8::/32", "0.0.0.0/0", "::/0 ", "::1"]),
)


def _certificate(scope: Any) -> Any:
    from aws_cdk import aws_certificatemanager as acm

    arn = f"arn:aws:acm:{REGION}:123456789012:certificate/0e9f1c2a-1111-2222-3333-444455556666"
    return acm.Certificate.from_certificate_arn(scope, "Certificate", arn)


APP_TIER = _options(
    instance_type=EC2_TYPES,
    architecture=st.sampled_from(["x86_64", "arm64", "ARM64"]),
    min_capacity=st.integers(0, 12),
    max_capacity=st.integers(0, 12),
    desired_capacity=st.integers(0, 12),
    cpu_target=st.integers(0, 101),
    user_data=st.text(max_size=40),
    signal_timeout_minutes=st.integers(0, 70),
    health_check_path=st.sampled_from(
        ["/", "/health", "/a b", "health", "/x?y=1", "/" + "a" * 1030]
    ),
    web_port=PORT,
    root_volume_gb=st.integers(0, 20000),
    deletion_protection=st.booleans(),
    access_log_retention_days=st.integers(0, 4000),
    waf=st.booleans(),
    waf_managed_rule_groups=st.lists(
        st.sampled_from(
            [
                "AWSManagedRulesCommonRuleSet",
                "AWSManagedRulesKnownBadInputsRuleSet",
                "AWSManagedRulesAmazonIpReputationList",
                "AWSManagedRulesSQLiRuleSet",
                "NotARuleGroup",
            ]
        ),
        max_size=4,
    ),
    log_retention_days=RETENTION,
    certificate=st.just(Deferred(_certificate, "<imported certificate>")),
    tls_port=PORT,
    ip_address_type=st.sampled_from(["ipv4", "dualstack", "ipv6"]),
    update=st.sampled_from(["instance_refresh", "rolling", "blue_green"]),
    edge=st.sampled_from(["alb", "cloudfront", "cdn"]),
    edge_web_acl_arn=st.sampled_from(
        ["arn:aws:wafv2:us-east-1:111122223333:global/webacl/e/0f5e6a0b", "acl-1"]
    ),
    origin_domain_name=st.sampled_from(["origin.example.com", "Not A Name"]),
    ssl_policy=st.sampled_from([None, "TLS13_12_RES_PQ"]).map(
        lambda name: getattr(elbv2.SslPolicy, name) if name else None
    ),
)

AURORA = _options(
    engine=st.sampled_from(["mysql", "postgresql", "oracle"]),
    engine_version=st.sampled_from(["3.10.4", "3.04.3", "17.7", "16.8", "3.99.99", "8.0"]),
    readers=st.integers(0, 16),
    instance_type=AURORA_TYPES,
    serverless_v2=st.booleans(),
    min_capacity=st.sampled_from([0, 0.5, 1, 2.5, 128, 256, 0.3]),
    max_capacity=st.sampled_from([0.5, 1, 4, 16, 256, 300]),
    reader_autoscaling=st.tuples(st.integers(0, 16), st.integers(0, 16)),
    reader_autoscaling_cpu=st.integers(0, 101),
    proxy=st.booleans(),
    proxy_user=st.sampled_from(["app", "reporting", "rdsadmin", "bad-name", "x" * 20]),
    port=PORT,
    backup_retention_days=st.integers(0, 36),
    preferred_backup_window=st.sampled_from(
        ["19:00-20:00", "03:00-03:30", "23:30-00:15", "19:00-19:10", "25:00-26:00"]
    ),
    preferred_maintenance_window=st.sampled_from(
        ["sun:20:00-sun:21:00", "mon:03:00-mon:03:20", "xyz:00:00-sun:01:00"]
    ),
    backtrack_window_hours=st.integers(0, 80),
    backup_plan=st.booleans(),
    monitoring_interval_seconds=st.sampled_from([0, 1, 5, 10, 15, 30, 60, 7]),
    performance_insights=st.booleans(),
    auto_minor_version_upgrade=st.booleans(),
    log_exports=st.lists(
        st.sampled_from(
            [
                "error",
                "general",
                "slowquery",
                "audit",
                "postgresql",
                "iam-db-auth-error",
                "instance",
            ]
        ),
        max_size=4,
    ),
    log_retention_days=RETENTION,
    deletion_protection=st.booleans(),
    master_username=st.sampled_from(["admin", "app_owner", "rdsadmin", "1abc", "a" * 17]),
    parameters=st.dictionaries(
        st.sampled_from(
            [
                "max_connections",
                "time_zone",
                "require_secure_transport",
                "log_min_duration_statement",
            ]
        ),
        st.sampled_from(["100", "UTC", "OFF", "1000"]),
        max_size=2,
    ),
    global_cluster_identifier=st.sampled_from(["orders-global", "g", "9x", "a--b", "a" * 64]),
    backup_copy_to=st.sampled_from(
        ["arn:aws:backup:ap-northeast-1:111122223333:backup-vault:dr", "arn:aws:s3:::x", "vault"]
    ),
    master_password=st.sampled_from(["rds_managed", "generated", "vault"]),
    secret_replicas=st.lists(
        st.builds(
            lambda cls, region, alias: cls(region, alias),
            st.just(SecretReplica),
            st.sampled_from(["ap-northeast-1", REGION, "mars-1"]),
            st.sampled_from([None, "alias/dr", "key"]),
        ),
        max_size=2,
    ),
    rotation_days=st.integers(-1, 1001),
)

SECONDARY = _options(
    global_cluster_identifier=st.sampled_from(["orders-global", "g", "9x", ""]),
    engine=st.sampled_from(["mysql", "postgresql", "oracle"]),
    engine_version=st.sampled_from(["3.10.4", "3.04.3", "17.7", "12.22", "3.99.99"]),
    readers=st.integers(0, 16),
    instance_type=AURORA_TYPES,
    port=PORT,
    deletion_protection=st.booleans(),
    monitoring_interval_seconds=st.sampled_from([0, 1, 5, 10, 15, 30, 60, 7]),
    log_exports=st.lists(st.sampled_from(["error", "general", "audit", "postgresql"]), max_size=3),
    log_retention_days=RETENTION,
)

BUCKET = _options(
    transitions=TRANSITIONS,
    expiration_days=st.integers(0, 4000),
    versioned=st.booleans(),
    noncurrent_transitions=TRANSITIONS,
    noncurrent_expiration_days=st.one_of(st.none(), st.integers(0, 4000)),
    abort_incomplete_multipart_upload_days=st.integers(0, 40),
    intelligent_tiering=st.booleans(),
    archive_access_days=st.integers(80, 800),
    deep_archive_access_days=st.integers(170, 800),
    access_log_retention_days=st.integers(0, 4000),
    transfer_acceleration=st.booleans(),
    object_lock_days=st.integers(0, 40000),
    object_lock_mode=st.sampled_from(["governance", "compliance", "legal"]),
    event_bridge=st.booleans(),
    replicate_to=st.builds(
        lambda cls, name, region, alias, rtc: cls(name, region, alias, rtc),
        st.just(Replication),
        st.sampled_from(["replica-bucket-1", "Bad_Name", "ab"]),
        st.sampled_from(["ap-northeast-1", REGION, "mars-1"]),
        st.sampled_from([None, "alias/dr", "key"]),
        st.booleans(),
    ),
)

MONITORING = _options(
    alarm_email=st.one_of(st.emails(), st.sampled_from(["ops@example.com", "not-an-email"])),
    dashboard_name=st.one_of(
        st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True), st.sampled_from(["", "a b"])
    ),
)

EDGE_FIREWALL = _options(
    rule_groups=st.lists(
        st.sampled_from(["AWSManagedRulesCommonRuleSet", "AWSManagedRulesSQLiRuleSet"]),
        max_size=2,
    ),
    log_retention_days=RETENTION,
)

# --- settings and the command -----------------------------------------------------------------

ENVIRONMENT = Props(
    {
        "region": st.sampled_from([REGION, "us-east-1", "mars-1", "ap-northeast-2 "]),
        "availability_zones": AZ_LIST,
        "account": st.sampled_from(["123456789012", "12345678901", "abcdefghijkl"]),
        "cidr": CIDR,
        "nat": st.sampled_from(["none", "single", "per_az", "endpoints_only", "all"]),
        "ipv6": st.booleans(),
        "dns64": st.booleans(),
        "interface_endpoints": st.one_of(st.none(), INTERFACE_ENDPOINTS),
        "interface_endpoint_tier": st.sampled_from(["private", "isolated", "public"]),
        "public_mask": st.integers(16, 29),
        "private_mask": st.integers(16, 29),
        "isolated_mask": st.integers(16, 29),
        "strict_acls": st.booleans(),
        "db_engine": st.sampled_from(["mysql", "postgresql", "mariadb"]),
        "db_readers": st.integers(0, 16),
        "db_instance_type": AURORA_TYPES,
        "db_backup_retention_days": st.integers(0, 36),
        "app_instance_type": EC2_TYPES,
        "app_min_capacity": st.integers(0, 10),
        "app_max_capacity": st.integers(0, 10),
        "app_desired_capacity": st.one_of(st.none(), st.integers(0, 10)),
        "log_retention_days": RETENTION,
        "production": st.booleans(),
        "alarm_email": st.one_of(st.none(), st.emails()),
        "tags": st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=10), max_size=3),
        "dr_region": st.sampled_from(["ap-northeast-1", REGION, "mars-1"]),
        "dr_availability_zones": st.lists(
            st.sampled_from(
                ["ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d", "ap-northeast-2a"]
            ),
            min_size=1,
            max_size=3,
            unique=True,
        ),
        "dr_cidr": CIDR,
        "dr_nat": st.sampled_from(["none", "single", "per_az", "all"]),
        "dr_db_readers": st.integers(0, 16),
    }
)
ENVIRONMENT_NAMES = st.one_of(
    st.sampled_from(["dev", "prod", "staging-eu", "qa1"]), st.text(min_size=0, max_size=12)
)
COST_FLAG = st.sampled_from(
    ["--nat-gb", "--alb-lcu", "--db-storage-gb", "--log-gb", "--s3-gb", "--log-bucket-gb",
     "--s3-age-days", "--waf-million-requests"]
)  # fmt: skip
FLAG_VALUE = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10, 10**6).map(str),
    st.sampled_from(["nan", "inf", "-inf", "-0", "1e400", "abc", "", "1,5", "0x10"]),
)
