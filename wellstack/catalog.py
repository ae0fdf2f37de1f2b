"""What exists on AWS: instance families, sizes and the Aurora classes per engine, as plain
tables (pure Python, no CDK import: the command-line tools read them too).

Keep them current: ``tests/test_catalog.py`` fails when aws-cdk-lib knows an EC2 family this
table does not (``ec2.InstanceClass``), and the Aurora table follows AWS's "Supported DB engines
for DB instance classes" page of the Aurora User Guide (checked 2026-11).
"""

from __future__ import annotations

import math
import re
from typing import Literal

#: EC2 instance families (the part before the dot), as aws-cdk-lib 2.275 knows them. Mac
#: instances are left out: they run only on dedicated hosts, not in an Auto Scaling group.
_FAMILY_NAMES = """
    a1 arm1 c3 c4 c5 c5a c5ad c5d c5n c6a c6g c6gd c6gn c6i c6id c6in c7a c7g c7gd c7gn c7i
    c7i-flex c8a c8g c8gd c8gn c8i c8i-flex d2 d3 d3en dl1 dl2q f1 f2 fpga1 fpga2 g3 g3s
    g4ad g4dn g5 g5g g6 g6e g7e gr6 h1 hpc6a hpc6id hpc7a hpc7g i3 i3en i4g i4i i7i i7ie i8g
    i8ge im4gn inf1 inf2 io3 is4gen m3 m4 m5 m5a m5ad m5d m5dn m5n m5zn m6a m6g m6gd m6i
    m6id m6idn m6in m7a m7g m7gd m7i m7i-flex m8a m8g m8gd m8i m8i-flex m9g p2 p3 p3dn p4d
    p4de p5 p5e p5en r3 r4 r5 r5a r5ad r5b r5d r5dn r5n r6a r6g r6gd r6i r6id r6idn r6in r7a
    r7g r7gd r7i r7iz r8a r8g r8gb r8gd r8gn r8i r8i-flex t2 t3 t3a t4g trn1 trn1n trn2
    trn2u vt1 x1 x1e x2g x2gd x2idn x2iedn x2iezn x8g z1d
"""
EC2_FAMILIES = frozenset(_FAMILY_NAMES.split())
#: Families AWS no longer sells as current generation (``wellstack review`` flags them).
_PREVIOUS_NAMES = "t1 t2 m1 m2 m3 m4 c1 c3 c4 r3 r4 i2 g3 g3s p2 x1 x1e d2 h1 f1"
PREVIOUS_GENERATION = frozenset(_PREVIOUS_NAMES.split())
#: EC2 sizes: nano ... 48xlarge, metal and metal-NNxl.
EC2_SIZE = re.compile(
    r"nano|micro|small|medium|large|xlarge|[1-9][0-9]{0,2}xlarge|metal(-[0-9]+xl)?"
)
_GRAVITON = re.compile(r"[a-z]+[0-9]+g[a-z]*")

#: Aurora DB instance class families per engine (``db.`` + family + ``.`` + size), from the
#: Aurora User Guide, "Supported DB engines for DB instance classes". Optimized Reads classes
#: (``*d``) are Aurora MySQL 3.04+ and Aurora PostgreSQL 14.9+ features.
_AURORA_NAMES = "r5 r6g r6gd r6i r6id r7g r7i r8g r8gd x2g t3 t4g"
AURORA_FAMILIES: dict[str, frozenset[str]] = {
    "mysql": frozenset(_AURORA_NAMES.split()),
    "postgresql": frozenset(_AURORA_NAMES.split()),
}
#: Aurora accepts burstable classes only in these sizes (t3/t4g .medium and .large).
AURORA_BURSTABLE_SIZES = frozenset({"medium", "large"})
AURORA_SIZE = re.compile(r"large|xlarge|[1-9][0-9]?xlarge")

Architecture = Literal["x86_64", "arm64"]


def split_instance_type(value: str) -> tuple[str, str] | None:
    """``"m7g.large"`` -> ``("m7g", "large")``; None when it is not ``family.size``."""
    match = re.fullmatch(r"([a-z][a-z0-9]*(?:-flex)?)\.([a-z0-9-]+)", value)
    return (match.group(1), match.group(2)) if match else None


def ec2_problem(value: object) -> str | None:
    """Why ``value`` is not an EC2 instance type this table knows, or None when it is."""
    if not isinstance(value, str):
        return "must be an EC2 instance type such as 't3.micro'"
    parts = split_instance_type(value)
    if parts is None:
        return "must be an EC2 instance type written family.size, such as 't3.micro'"
    family, size = parts
    if family not in EC2_FAMILIES:
        return f"has an unknown instance family {family!r} (e.g. t3, t4g, m7g, c7i, r7g)"
    if not EC2_SIZE.fullmatch(size):
        return f"has an unknown size {size!r} (e.g. micro, large, 2xlarge)"
    return None


def ec2_architecture(instance_type: str) -> Architecture:
    """The CPU architecture of a known instance type: Graviton families are arm64."""
    family = instance_type.split(".", 1)[0]
    return "arm64" if family == "a1" or _GRAVITON.fullmatch(family) else "x86_64"


def aurora_problem(value: object, engine: str) -> str | None:
    """Why ``value`` (``"r6g.large"`` or ``"db.r6g.large"``) is not an Aurora class of
    ``engine``, or None when it is."""
    if not isinstance(value, str):
        return "must be an Aurora DB instance class such as 'r6g.large'"
    parts = split_instance_type(value.removeprefix("db."))
    if parts is None or value.count("db.") > 1:
        return "must be an Aurora DB instance class written family.size, such as 'r6g.large'"
    family, size = parts
    allowed = AURORA_FAMILIES.get(engine, frozenset())
    if family not in allowed:
        return (
            f"is not an Aurora {engine} instance class: family {family!r} is not one of "
            f"{', '.join(sorted(allowed))} (db.serverless is serverless_v2=True)"
        )
    if family.startswith("t") and size not in AURORA_BURSTABLE_SIZES:
        return (
            f"is too small or not offered for Aurora: burstable {family} comes only as .medium "
            f"and .large"
        )
    if not family.startswith("t") and not AURORA_SIZE.fullmatch(size):
        return (
            f"has a size {size!r} Aurora does not offer for {family} (large, xlarge, 2xlarge ...)"
        )
    return None


def _vcpus(size: str) -> int:
    if size in ("medium", "large"):
        return 2
    if size == "xlarge":
        return 4
    multiple = size.removesuffix("xlarge")
    return 4 * int(multiple) if multiple.isdigit() else 2


def aurora_memory_gib(instance_class: str, max_acu: float | None = None) -> float:
    """Memory of an Aurora instance: burstable t3/t4g have 4 GiB (medium) or 8 (large); the r
    families 8 GiB per vCPU and x2g 16; Serverless v2 (``"serverless"``) about 2 GiB per ACU at
    its maximum capacity. (Aurora User Guide, "Hardware specifications for DB instance
    classes".)"""
    if instance_class.removeprefix("db.") == "serverless":
        return 2.0 * (max_acu or 1)
    family, _, size = instance_class.removeprefix("db.").partition(".")
    if family.startswith("t"):
        return 4.0 if size == "medium" else 8.0
    return float(_vcpus(size) * (16 if family.startswith("x2") else 8))


#: Aurora MySQL's default max_connections by size (Aurora User Guide, "Maximum connections to
#: an Aurora MySQL DB instance"); burstable classes are t3/t4g.
_MYSQL_MAX_CONNECTIONS = {
    "t-medium": 90, "t-large": 135, "large": 1000, "xlarge": 2000, "2xlarge": 3000,
    "4xlarge": 4000, "8xlarge": 5000, "12xlarge": 6000, "16xlarge": 6000, "24xlarge": 7000,
}  # fmt: skip


def aurora_max_connections(engine: str, instance_class: str, max_acu: float | None = None) -> int:
    """The default ``max_connections`` of an Aurora instance. MySQL: AWS's table by class;
    PostgreSQL: ``LEAST(DBInstanceClassMemory/9531392, 5000)`` with DBInstanceClassMemory taken
    as 90% of the class's memory (RDS keeps the rest for the OS)."""
    memory = aurora_memory_gib(instance_class, max_acu) * 2**30
    if engine == "postgresql":
        return int(min(memory * 0.9 / 9531392, 5000))
    name = instance_class.removeprefix("db.")
    if name == "serverless":
        return max(90, int(min(1000 * math.log2(max(memory * 0.9 / 8187281408, 1)) + 1000, 16000)))
    family, _, size = name.partition(".")
    key = f"t-{size}" if family.startswith("t") else size
    return _MYSQL_MAX_CONNECTIONS.get(key, 7000)


def supports_performance_insights(instance_class: str) -> bool:
    """Aurora offers Performance Insights on every class but db.t2, db.t3 and db.t4g.micro/small
    ("Amazon Aurora DB engine, Region, and instance class support for Database Insights")."""
    family, _, size = instance_class.removeprefix("db.").partition(".")
    if family in ("t2", "t3"):
        return False
    return not (family == "t4g" and size in ("micro", "small"))


# --- Aurora global databases ----------------------------------------------------------------

#: "An Aurora global database requires DB instance classes that are optimized for
#: memory-intensive applications" (Aurora User Guide, "Configuration requirements of an Amazon
#: Aurora global database"): the memory-optimized families, not the burstable db.t*.
GLOBAL_DATABASE_FAMILIES = frozenset(f for f in _AURORA_NAMES.split() if f[0] in "rx")
#: The oldest version each engine line supports a global database with, in the regions wellstack
#: pairs (Seoul/Tokyo; "Supported Regions and DB engines for Aurora global databases", checked
#: 2026-11): Aurora MySQL 3.01.0; Aurora PostgreSQL by major version.
GLOBAL_DATABASE_MINIMUM: dict[str, dict[int, tuple[int, ...]]] = {
    "mysql": {3: (3, 1, 0)},
    "postgresql": {13: (13, 3), 14: (14, 3), 15: (15, 2), 16: (16, 1), 17: (17, 4)},
}


def global_database_class_problem(instance_class: object) -> str | None:
    """Why ``instance_class`` cannot run in a global database, or None."""
    if not isinstance(instance_class, str):
        return f"must be an instance class name, got {instance_class!r}"
    parts = split_instance_type(instance_class.removeprefix("db."))
    if parts is None or parts[0] not in GLOBAL_DATABASE_FAMILIES:
        families = ", ".join(sorted(GLOBAL_DATABASE_FAMILIES))
        return (
            f"{instance_class!r} cannot run in an Aurora global database, which needs a "
            f"memory-optimized class ({families})"
        )
    return None


def global_database_version_problem(engine: str, version: str) -> str | None:
    """Why ``engine`` at ``version`` (``"3.10.4"``, ``"8.0.mysql_aurora.3.10.4"``, ``"17.7"``)
    cannot be a global database, or None."""
    text = version.removeprefix("8.0.mysql_aurora.")
    try:
        numbers = tuple(int(part) for part in text.split("."))
    except ValueError:
        return f"version {version!r} is not a version number"
    minimums = GLOBAL_DATABASE_MINIMUM.get(engine, {})
    minimum = minimums.get(numbers[0]) if numbers else None
    if minimum is None or numbers < minimum:
        supported = ", ".join(".".join(map(str, m)) + "+" for m in minimums.values())
        return f"Aurora {engine} {version} cannot be a global database (supported: {supported})"
    return None


# --- availability zones ---------------------------------------------------------------------

#: The letters of each region's AZ names that any account can have (an AZ name is mapped per
#: account; some AZs are offered only to older accounts, so this is the union). From AWS's
#: "AWS Availability Zones" page (AZ IDs per region) and real accounts' AZ lists (moto's
#: instance-type offerings, 2026-08; cfn-lint's region data), checked 2026-12. A region not
#: listed here is not checked.
AZ_LETTERS: dict[str, str] = {
    "us-east-1": "abcdef", "us-east-2": "abc", "us-west-1": "abc", "us-west-2": "abcd",
    "ca-central-1": "abcd", "ca-west-1": "abc", "mx-central-1": "abc", "sa-east-1": "abc",
    "af-south-1": "abc", "ap-east-1": "abc", "ap-east-2": "abc", "ap-northeast-1": "abcd",
    "ap-northeast-2": "abcd", "ap-northeast-3": "abc", "ap-south-1": "abc", "ap-south-2": "abc",
    "ap-southeast-1": "abc", "ap-southeast-2": "abc", "ap-southeast-3": "abc",
    "ap-southeast-4": "abc", "ap-southeast-5": "abc", "ap-southeast-6": "abc",
    "ap-southeast-7": "abc", "eu-central-1": "abc", "eu-central-2": "abc", "eu-north-1": "abc",
    "eu-south-1": "abc", "eu-south-2": "abc", "eu-west-1": "abc", "eu-west-2": "abcd",
    "eu-west-3": "abc", "il-central-1": "abc", "me-central-1": "abc", "me-south-1": "abc",
    "us-gov-west-1": "abc", "us-gov-east-1": "abc", "cn-north-1": "abd", "cn-northwest-1": "abc",
}  # fmt: skip


def az_problem(az: str) -> str | None:
    """Why ``az`` (``"ap-northeast-2e"``) is not an AZ of its region, or None (also for a region
    this table does not know)."""
    region, letter = az[:-1], az[-1:]
    letters = AZ_LETTERS.get(region)
    if letters is None or letter in letters:
        return None
    names = ", ".join(f"{region}{x}" for x in letters)
    return f"{az!r} is not an availability zone of {region} (it has {names})"


def az_context_key(account: str, region: str) -> str:
    """The context key CDK looks a region's AZs up by (``Stack.availabilityZones``):
    ``availability-zones:account=111122223333:region=ap-northeast-2``."""
    return f"availability-zones:account={account}:region={region}"
