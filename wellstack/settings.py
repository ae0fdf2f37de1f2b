"""Environment settings: parse and validate the ``wellstack:environments`` context of cdk.json.

Every environment is a JSON object of the keys in :class:`EnvironmentSettings`. ``region`` and
``availability_zones`` are required (explicit AZs keep ``cdk synth`` offline: no context lookup);
every other key has the documented default below. Every problem of one environment is reported
at once, each naming the environment, the key, the value and what is allowed, with the same
rules the constructs apply to the props the keys feed. Pure Python: no CDK import.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

from wellstack.catalog import aurora_problem, ec2_problem, global_database_class_problem
from wellstack.errors import Problem, WellstackError
from wellstack.limits import (
    AURORA_READERS,
    BACKUP_RETENTION_DAYS,
    DEFAULT_RESERVED_AZS,
    DOMAIN_MAX_LENGTH,
    DOMAIN_NAME,
    EMAIL,
    EMAIL_MAX_LENGTH,
    HOSTED_ZONE_ID,
    MAX_CAPACITY,
    MIN_CAPACITY,
    SUBNET_MASK,
    Range,
)
from wellstack.subnets import plan_subnets
from wellstack.types import (
    Edge,
    EndpointTier,
    Engine,
    InterfaceEndpoint,
    NatStrategy,
    choices,
)
from wellstack.validation import REGION, Problems

ENVIRONMENTS_KEY = "wellstack:environments"
SELECT_KEY = "env"
PACKS_KEY = "packs"
DEFAULT_ENVIRONMENT = "dev"

_ACCOUNT = r"[0-9]{12}"
_ENV_NAME = r"[a-z][a-z0-9-]{0,19}"


@dataclass(frozen=True)
class EnvironmentSettings:
    """One named environment (``dev``, ``prod`` ...) from cdk.json.

    Defaults are the cheap, safe dev profile: one NAT gateway, one reader, small instances.
    """

    #: The environment's name (the key in ``wellstack:environments``).
    name: str
    #: The AWS region (required), e.g. ``ap-northeast-2``.
    region: str
    #: Two or more AZ names of the region, in slot order (required: keeps synthesis offline).
    availability_zones: tuple[str, ...]
    #: The 12-digit account; deploys refuse other accounts' credentials. Default: any account.
    account: str | None = None
    #: The VPC's private IPv4 block, /16 to /28.
    cidr: str = "10.0.0.0/16"
    #: ``none``, ``single`` (one NAT gateway) or ``per_az`` (one per AZ, survives an AZ),
    #: ``regional`` (one regional NAT gateway serving every AZ, survives an AZ), or
    #: ``endpoints_only`` (a private tier without NAT, reaching AWS through VPC endpoints).
    nat: NatStrategy = "single"
    #: Dual stack: IPv6 on the VPC (a /64 per subnet from the stable plan), the load balancer
    #: on IPv4 and IPv6, the web group open to ``::/0`` on the web port.
    ipv6: bool = False
    #: DNS64 + NAT64 on the private subnets (needs ``ipv6`` and a NAT gateway).
    dns64: bool = False
    #: Interface endpoints (``ssm``, ``secretsmanager``, ``kms``, ``logs`` ...); ``null``: none,
    #: or the app tier's set with ``nat: endpoints_only``.
    interface_endpoints: tuple[InterfaceEndpoint, ...] | None = None
    #: Where their interfaces go: ``private`` or ``isolated``.
    interface_endpoint_tier: EndpointTier = "private"
    #: Prefix length of each public subnet (16-28).
    public_mask: int = 24
    #: Prefix length of each private subnet (16-28).
    private_mask: int = 24
    #: Prefix length of each isolated subnet (16-28).
    isolated_mask: int = 24
    #: A network ACL on the isolated tier admitting only the database port from the private tier.
    strict_acls: bool = False
    #: ``mysql`` (Aurora MySQL 3) or ``postgresql`` (Aurora PostgreSQL 17).
    db_engine: Engine = "mysql"
    #: Aurora Replicas besides the writer, 0-15.
    db_readers: int = 1
    #: Aurora instance class of the engine, e.g. ``r6g.large`` or ``t4g.medium``.
    db_instance_type: str = "r6g.large"
    #: Automated backups kept, 1-35 days.
    db_backup_retention_days: int = 7
    #: An RDS Proxy in front of the cluster, IAM authentication on both legs
    #: (``AuroraCluster(proxy=True)``): the app connects to the proxy as the IAM database user
    #: ``app``.
    db_proxy: bool = False
    #: EC2 instance type of the app tier; Graviton types get the arm64 image.
    app_instance_type: str = "t3.micro"
    #: Auto Scaling minimum.
    app_min_capacity: int = 2
    #: Auto Scaling maximum.
    app_max_capacity: int = 4
    #: Auto Scaling desired capacity (``null``: start at the minimum).
    app_desired_capacity: int | None = None
    #: What faces the internet: ``alb`` (the load balancer) or ``cloudfront`` (a distribution
    #: in front of an internal load balancer, with its web ACL in a ``{Env}Edge`` stack in
    #: us-east-1).
    edge: Edge = "alb"
    #: Retention of every log group and log bucket the stacks create (CloudWatch's periods).
    log_retention_days: int = 30
    #: Production: stack termination protection and load balancer deletion protection.
    production: bool = False
    #: Where the alarms are sent by email (confirm the subscription AWS mails). Default: nobody
    #: (subscribe your endpoints to the alarm topic).
    alarm_email: str | None = None
    #: Cost-allocation tags on every taggable resource (with ``project`` and ``environment``).
    tags: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: A disaster-recovery region, preferably in another country (``ap-northeast-1`` for Seoul):
    #: the ``{Env}DrNetwork`` and ``{Env}DrData`` stacks there, an Aurora global database, S3
    #: replication and backup copies. Default: none.
    dr_region: str | None = None
    #: The DR region's AZs, in slot order (required with ``dr_region``; keeps synthesis offline).
    dr_availability_zones: tuple[str, ...] = ()
    #: The DR VPC's private IPv4 block (required with ``dr_region``); must not overlap ``cidr``.
    dr_cidr: str | None = None
    #: NAT in the DR network: ``single`` (a warm standby) or ``per_az`` / ``regional`` (ready to
    #: take the load); ``none`` and ``endpoints_only`` as for ``nat``.
    dr_nat: NatStrategy = "single"
    #: Readers of the secondary cluster in the DR region, 0-15 (0: headless, storage only).
    dr_db_readers: int = 1
    #: Instances the DR region's app tier (``{Env}DrApp``) keeps running: ``0`` is a pilot
    #: light (the group at 0, the load balancer ready; ``wellstack failover`` scales it to
    #: ``app_min_capacity``), more is a warm standby. At most ``app_max_capacity``.
    dr_app_capacity: int = 0
    #: The name users reach the app by (e.g. ``app.example.com``), answered by failover
    #: records in ``dr_hosted_zone_id``. Default: none (no traffic switch; ``wellstack
    #: failover`` then prints the DR load balancer to point your DNS at).
    dr_domain_name: str | None = None
    #: The Route 53 public hosted zone that holds ``dr_domain_name`` (its id, e.g.
    #: ``Z0123456789ABCDEFGHIJ``, without ``/hostedzone/``; required with it).
    dr_hosted_zone_id: str | None = None

    def dr_settings(self) -> EnvironmentSettings:
        """The environment as the DR region sees it: ``dr_region``, ``dr_availability_zones``,
        ``dr_cidr`` and ``dr_nat`` in place of the primary's (raises without a ``dr_region``)."""
        if self.dr_region is None or self.dr_cidr is None:
            raise WellstackError("", [f"environment {self.name!r} has no dr_region"])
        return replace(
            self,
            region=self.dr_region,
            availability_zones=self.dr_availability_zones,
            cidr=self.dr_cidr,
            nat=self.dr_nat,
        )

    @property
    def dr_stack_prefix(self) -> str:
        """Prefix of the DR stacks' names, e.g. ``ProdDr`` -> ``ProdDrNetwork``."""
        return f"{self.stack_prefix}Dr"

    @property
    def subnet_masks(self) -> dict[str, int]:
        """Prefix length per tier, as :func:`wellstack.subnets.plan_subnets` takes them."""
        return {
            "public": self.public_mask,
            "private": self.private_mask,
            "isolated": self.isolated_mask,
        }

    @property
    def stack_prefix(self) -> str:
        """Prefix of this environment's stack names, e.g. ``Dev`` -> ``DevNetwork``."""
        return "".join(part.capitalize() for part in self.name.split("-"))


_REQUIRED = ("region", "availability_zones")
_KEYS = tuple(f.name for f in fields(EnvironmentSettings) if f.name != "name")
_DEFAULTS = {f.name: f.default for f in fields(EnvironmentSettings) if f.name != "name"}
#: A key's check: (problems, the key's label in messages, the value, the whole environment).
KeyCheck = Callable[[Problems, str, Any, Mapping[str, Any]], bool]


class SettingsError(WellstackError):
    """Bad cdk.json settings; every message starts ``environment 'NAME', key 'KEY':``."""

    def __init__(self, environment: str, problems: Sequence[str | Problem]) -> None:
        super().__init__("", problems)
        self.path: str = f"cdk.json environment {environment!r}"


def _region(p: Problems, k: str, v: Any, _: Mapping[str, Any]) -> bool:
    return p.text(k, v, REGION, "an AWS region name such as 'ap-northeast-2'")


def _azs(p: Problems, k: str, v: Any, raw: Mapping[str, Any]) -> bool:
    region = raw.get("region")
    known = region if isinstance(region, str) and REGION.fullmatch(region) else None
    return p.availability_zones(k, v, known) is not None


def _account(p: Problems, k: str, v: Any, _: Mapping[str, Any]) -> bool:
    return p.text(k, v, _ACCOUNT, "a 12-digit AWS account id such as '111122223333'")


def _cidr(p: Problems, k: str, v: Any, _: Mapping[str, Any]) -> bool:
    return p.vpc_cidr(k, v) is not None


def _mask(p: Problems, k: str, v: Any, _: Mapping[str, Any]) -> bool:
    return p.within(k, v, SUBNET_MASK)


def _flag(p: Problems, k: str, v: Any, _: Mapping[str, Any]) -> bool:
    return p.flag(k, v)


def _choice(allowed: tuple[str, ...]) -> KeyCheck:
    return lambda p, k, v, _: p.choice(k, v, allowed)


def _int(limits: Range) -> KeyCheck:
    return lambda p, k, v, _: p.within(k, v, limits)


def _db_class(p: Problems, k: str, v: Any, raw: Mapping[str, Any]) -> bool:
    engine = raw.get("db_engine", "mysql")
    if engine not in choices(Engine):  # the engine is reported under db_engine
        return p.check(isinstance(v, str), f"{k} must be an Aurora instance class, got {v!r}")
    problem = aurora_problem(v, engine)
    return p.check(problem is None, f"{k} {problem}, got {v!r}")


def _app_class(p: Problems, k: str, v: Any, _: Mapping[str, Any]) -> bool:
    problem = ec2_problem(v)
    return p.check(problem is None, f"{k} {problem}, got {v!r}")


def _desired(p: Problems, k: str, v: Any, _: Mapping[str, Any]) -> bool:
    return v is None or p.within(k, v, MIN_CAPACITY)


def _retention(p: Problems, k: str, v: Any, _: Mapping[str, Any]) -> bool:
    return p.log_retention(k, v)


def _email(p: Problems, k: str, v: Any, _: Mapping[str, Any]) -> bool:
    return v is None or p.text(k, v, EMAIL, "an email address", max_length=EMAIL_MAX_LENGTH)


def _tags(p: Problems, k: str, v: Any, _: Mapping[str, Any]) -> bool:
    return p.tags(k, v)


def _dr_region(p: Problems, k: str, v: Any, raw: Mapping[str, Any]) -> bool:
    if v is None:
        return True
    if not _region(p, k, v, raw):
        return False
    return p.check(
        v != raw.get("region"),
        f"{k} must be another region than region ({v!r}): a DR region survives the loss of the "
        f"primary one",
    )


def _dr_azs(p: Problems, k: str, v: Any, raw: Mapping[str, Any]) -> bool:
    region = raw.get("dr_region")
    known = region if isinstance(region, str) and REGION.fullmatch(region) else None
    return p.availability_zones(k, v, known) is not None


def _endpoints(p: Problems, k: str, v: Any, _: Mapping[str, Any]) -> bool:
    if v is None:
        return True
    allowed = choices(InterfaceEndpoint)
    if not isinstance(v, list) or not all(isinstance(name, str) for name in v):
        return p.add(f"{k} must be a list of endpoint names ({', '.join(allowed)}), got {v!r}")
    unknown = [name for name in v if name not in allowed]
    if unknown:
        return p.add(
            f"{k} has unknown name(s) {', '.join(map(repr, unknown))}; allowed: "
            f"{', '.join(allowed)}"
        )
    repeated = sorted({name for name in v if v.count(name) > 1})
    return p.check(not repeated, f"{k} lists {', '.join(map(repr, repeated))} more than once")


def _dr_cidr(p: Problems, k: str, v: Any, _: Mapping[str, Any]) -> bool:
    return v is None or p.vpc_cidr(k, v) is not None


def _domain(p: Problems, k: str, v: Any, _: Mapping[str, Any]) -> bool:
    return v is None or p.text(
        k, v, DOMAIN_NAME, "a DNS name such as 'app.example.com'", max_length=DOMAIN_MAX_LENGTH
    )


def _zone(p: Problems, k: str, v: Any, _: Mapping[str, Any]) -> bool:
    return v is None or p.text(k, v, HOSTED_ZONE_ID, "a Route 53 hosted zone id such as "
                               "'Z0123456789ABCDEFGHIJ'")  # fmt: skip


#: Every key's check, under its cdk.json name (the same rules as the construct prop it feeds).
KEY_CHECKS: dict[str, KeyCheck] = {
    "region": _region,
    "availability_zones": _azs,
    "account": _account,
    "cidr": _cidr,
    "nat": _choice(choices(NatStrategy)),
    "ipv6": _flag,
    "dns64": _flag,
    "interface_endpoints": _endpoints,
    "interface_endpoint_tier": _choice(choices(EndpointTier)),
    "public_mask": _mask,
    "private_mask": _mask,
    "isolated_mask": _mask,
    "strict_acls": _flag,
    "db_engine": _choice(choices(Engine)),
    "db_readers": _int(AURORA_READERS),
    "db_instance_type": _db_class,
    "db_backup_retention_days": _int(BACKUP_RETENTION_DAYS),
    "db_proxy": _flag,
    "app_instance_type": _app_class,
    "app_min_capacity": _int(MIN_CAPACITY),
    "app_max_capacity": _int(MAX_CAPACITY),
    "app_desired_capacity": _desired,
    "edge": _choice(choices(Edge)),
    "log_retention_days": _retention,
    "production": _flag,
    "alarm_email": _email,
    "tags": _tags,
    "dr_region": _dr_region,
    "dr_availability_zones": _dr_azs,
    "dr_cidr": _dr_cidr,
    "dr_nat": _choice(choices(NatStrategy)),
    "dr_db_readers": _int(AURORA_READERS),
    "dr_app_capacity": _int(MIN_CAPACITY),
    "dr_domain_name": _domain,
    "dr_hosted_zone_id": _zone,
}
if set(KEY_CHECKS) != set(_KEYS):  # a key without a check (or a check without a key) is a bug
    raise RuntimeError(f"settings checks out of step with the keys: {set(KEY_CHECKS) ^ set(_KEYS)}")


def parse_environment(name: str, raw: Any) -> EnvironmentSettings:
    """Parse one environment's JSON object; raise :class:`~wellstack.errors.WellstackError`
    (a ``ValueError``) naming the environment and every bad key."""
    if not isinstance(name, str) or not re.fullmatch(_ENV_NAME, name):
        raise WellstackError(
            "cdk.json",
            [
                f"environment name {name!r} must be 1-20 lowercase letters, digits or '-', "
                "starting with a letter"
            ],
        )
    problems = Problems("")

    def label(key: str) -> str:
        return f"environment {name!r}, key {key!r}:"

    if not isinstance(raw, Mapping):
        raise SettingsError(
            name,
            [f"environment {name!r} must be a JSON object of settings, got {type(raw).__name__}"],
        )
    for key in sorted(set(raw) - set(_KEYS), key=str):
        problems.add(
            f"{label(key)} unknown key; allowed keys are {', '.join(sorted(_KEYS))}", "unknown"
        )
    for key in _REQUIRED:
        if key not in raw:
            problems.add(f"{label(key)} is required", "required")
    valid = {key: value for key, value in raw.items() if key in KEY_CHECKS}
    bad = {
        key for key, value in valid.items() if not KEY_CHECKS[key](problems, label(key), value, raw)
    }
    bad |= {key for key in _REQUIRED if key not in raw}
    _check_together(problems, {**_DEFAULTS, **valid}, label, bad)
    if problems:
        raise SettingsError(name, problems.details)
    values: dict[str, Any] = dict(valid)
    values["availability_zones"] = tuple(values["availability_zones"])
    values["dr_availability_zones"] = tuple(values.get("dr_availability_zones", ()))
    values["tags"] = MappingProxyType(dict(values.get("tags", {})))
    if values.get("interface_endpoints") is not None:
        values["interface_endpoints"] = tuple(values["interface_endpoints"])
    return EnvironmentSettings(name=name, **values)


def _check_together(
    problems: Problems,
    values: Mapping[str, Any],
    label: Callable[[str], str],
    bad: set[str],
) -> None:
    """Rules across keys, each checked when the keys it reads are valid themselves (``bad``:
    the keys already reported), so that every problem of the environment is reported at once:
    an overlapping ``dr_cidr`` next to a misspelt ``nat``."""

    def ok(*keys: str) -> bool:
        return not bad.intersection(keys)

    low, high, desired = (
        values["app_min_capacity"],
        values["app_max_capacity"],
        values["app_desired_capacity"],
    )
    if ok("app_min_capacity", "app_max_capacity", "app_desired_capacity"):
        if low > high:
            problems.add(
                f"{label('app_min_capacity')} {low} must not exceed app_max_capacity ({high})"
            )
        elif desired is not None and not low <= desired <= high:
            problems.add(
                f"{label('app_desired_capacity')} must be between app_min_capacity ({low}) and "
                f"app_max_capacity ({high}), got {desired}"
            )
    mask_keys = ("public_mask", "private_mask", "isolated_mask")
    masks = {tier: values[f"{tier}_mask"] for tier in ("public", "private", "isolated")}
    plan_ok = ok("cidr", *mask_keys)
    if plan_ok:
        prefix = int(str(values["cidr"]).rsplit("/", 1)[1])
        for tier, mask in masks.items():
            if mask < prefix:
                plan_ok = False
                problems.add(
                    f"{label(tier + '_mask')} /{mask} is larger than the cidr {values['cidr']}; "
                    f"use /{prefix} or longer"
                )
    if plan_ok:
        try:
            plan_subnets(values["cidr"], [], masks=masks, reserved_azs=DEFAULT_RESERVED_AZS)
        except ValueError as err:
            problems.add(f"{label('cidr')} {err}", "conflict", "cidr", mask_keys)
    if ok("availability_zones") and len(values["availability_zones"]) > DEFAULT_RESERVED_AZS:
        problems.add(
            f"{label('availability_zones')} has {len(values['availability_zones'])} AZs; the "
            f"subnet plan reserves {DEFAULT_RESERVED_AZS} slots per tier"
        )
    if ok("dns64", "ipv6", "nat", "dr_nat", "dr_region", "interface_endpoints",
          "interface_endpoint_tier"):  # fmt: skip
        _check_connectivity(problems, values, label)
    _check_dr(problems, values, masks if ok(*mask_keys) else None, label, ok)


def _check_connectivity(
    problems: Problems, values: Mapping[str, Any], label: Callable[[str], str]
) -> None:
    """The same combinations ``Network`` refuses, named by key."""
    if values["dns64"] and not values["ipv6"]:
        problems.add(f"{label('dns64')} true needs ipv6: true (DNS64 synthesizes IPv6 addresses)")
    # The DR network takes the same connectivity keys, with dr_nat for nat.
    nat_keys = ("nat", "dr_nat") if values["dr_region"] else ("nat",)
    for key in nat_keys:
        nat = values[key]
        if values["dns64"] and nat in ("none", "endpoints_only", "regional"):
            problems.add(
                f"{label('dns64')} true needs a zonal NAT gateway for NAT64 ({key} 'single' or "
                f"'per_az'), got {key} {nat!r}",
                "conflict",
                "dns64",
                (key,),
            )
        private = values["interface_endpoint_tier"] == "private"
        if private and values["interface_endpoints"] and nat == "none":
            problems.add(
                f"{label('interface_endpoint_tier')} 'private' but {key} 'none' has no "
                f"private tier; use 'isolated', or {key} 'endpoints_only' to keep a private "
                f"tier without NAT"
            )


def _check_dr(
    problems: Problems,
    values: Mapping[str, Any],
    masks: dict[str, int] | None,
    label: Callable[[str], str],
    ok: Callable[..., bool],
) -> None:
    """A DR region comes with its AZs and a CIDR that does not overlap the primary's, and asks
    for a database class a global database runs on."""
    if not ok("dr_region"):
        return
    given = [k for k in ("dr_availability_zones", "dr_cidr", "dr_domain_name",
                         "dr_hosted_zone_id") if values.get(k)]  # fmt: skip
    given += [k for k in ("dr_app_capacity",) if values.get(k) != _DEFAULTS[k]]
    if values.get("dr_region") is None:
        for key in given:
            problems.add(f"{label(key)} needs dr_region (the region it belongs to)")
        return
    for key in ("dr_availability_zones", "dr_cidr"):
        if not values.get(key) and ok(key):
            problems.add(f"{label(key)} is required with dr_region")
    if values.get("dr_cidr") and ok("dr_cidr", "cidr"):
        primary = ipaddress.ip_network(values["cidr"])
        dr = ipaddress.ip_network(values["dr_cidr"])
        if primary.overlaps(dr):
            problems.add(
                f"{label('dr_cidr')} {values['dr_cidr']} overlaps cidr {values['cidr']}; the two "
                f"VPCs must not share addresses (peering, VPN and a failover need distinct "
                f"ranges)"
            )
        elif masks is not None:
            try:
                plan_subnets(values["dr_cidr"], [], masks=masks, reserved_azs=DEFAULT_RESERVED_AZS)
            except ValueError as err:
                problems.add(
                    f"{label('dr_cidr')} {err}",
                    "conflict",
                    "dr_cidr",
                    ("public_mask", "private_mask", "isolated_mask"),
                )
    _check_switch(problems, values, label, ok)
    if ok("db_instance_type", "db_engine"):
        problem = global_database_class_problem(values["db_instance_type"])
        if problem:
            problems.add(f"{label('db_instance_type')} {problem} (dr_region asks for one)")


def _check_switch(
    problems: Problems,
    values: Mapping[str, Any],
    label: Callable[[str], str],
    ok: Callable[..., bool],
) -> None:
    """The DR app tier fits the group's bounds; the traffic switch has its name and zone, and
    an ALB edge to fail over (failover records alias the two regions' load balancers)."""
    if ok("dr_app_capacity", "app_max_capacity") and (
        values["dr_app_capacity"] > values["app_max_capacity"]
    ):
        problems.add(
            f"{label('dr_app_capacity')} {values['dr_app_capacity']} must not exceed "
            f"app_max_capacity ({values['app_max_capacity']}): the DR group has the same bounds",
            "conflict",
            "dr_app_capacity",
            ("app_max_capacity",),
        )
    name, zone = values.get("dr_domain_name"), values.get("dr_hosted_zone_id")
    if ok("dr_domain_name", "dr_hosted_zone_id") and (name is None) != (zone is None):
        missing = "dr_hosted_zone_id" if zone is None else "dr_domain_name"
        given = "dr_domain_name" if zone is None else "dr_hosted_zone_id"
        problems.add(
            f"{label(missing)} is required with {given} (the failover records need the name "
            f"and the hosted zone that holds it)"
        )
    if ok("edge", "dr_domain_name") and name is not None and values["edge"] == "cloudfront":
        problems.add(
            f"{label('dr_domain_name')} is not supported with edge 'cloudfront': the failover "
            f"records alias the two regions' load balancers, and CloudFront's origin is internal "
            f"(fail over with a CloudFront origin group instead)",
            "conflict",
            "dr_domain_name",
            ("edge",),
        )


def parse_environments(raw: Any) -> dict[str, EnvironmentSettings]:
    """Parse the whole ``wellstack:environments`` object (every environment's problems at
    once)."""
    if not isinstance(raw, Mapping) or not raw:
        raise WellstackError(
            "cdk.json",
            [
                f"context {ENVIRONMENTS_KEY!r} must be a non-empty JSON object of environments, "
                f"got {raw!r}"
            ],
        )
    parsed: dict[str, EnvironmentSettings] = {}
    errors: list[Problem] = []
    for name, value in raw.items():
        try:
            parsed[name] = parse_environment(name, value)
        except WellstackError as err:
            errors.extend(err.details)
    if errors:
        raise WellstackError("", errors)
    return parsed


def split_list(value: Any, key: str) -> tuple[str, ...]:
    """Context given as ``-c key=a,b`` (a string) or as a JSON list in cdk.json."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        items = [item.strip() for item in value.split(",")]
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        items = [item.strip() for item in value]
    else:
        raise WellstackError(
            "cdk.json",
            [f"context {key!r} must be a comma-separated string or a list, got {value!r}"],
        )
    if any(not item for item in items):
        raise WellstackError("cdk.json", [f"context {key!r} has an empty entry: {value!r}"])
    return tuple(dict.fromkeys(items))


def select_environments(
    environments: Mapping[str, EnvironmentSettings], selection: Any
) -> list[EnvironmentSettings]:
    """The environments named by ``-c env=dev,prod`` (default ``dev``)."""
    names = split_list(selection, SELECT_KEY) or (DEFAULT_ENVIRONMENT,)
    missing = [name for name in names if name not in environments]
    if missing:
        raise WellstackError(
            "cdk.json",
            [
                f"unknown environment {missing[0]!r}; known environments: "
                f"{', '.join(sorted(environments))}"
            ],
        )
    return [environments[name] for name in names]
