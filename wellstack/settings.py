"""Environment settings: parse and validate the ``wellstack:environments`` context of cdk.json.

Every environment is a JSON object of the keys in :class:`EnvironmentSettings`. ``region`` and
``availability_zones`` are required (explicit AZs keep ``cdk synth`` offline: no context lookup);
every other key has the documented default below. An unknown key, a missing required key or a
bad value raises ``ValueError`` naming the environment and the key.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

ENVIRONMENTS_KEY = "wellstack:environments"
SELECT_KEY = "env"
PACKS_KEY = "packs"
EMULATOR_KEY = "wellstack:emulator"
DEFAULT_ENVIRONMENT = "dev"

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_ACCOUNT = re.compile(r"^\d{12}$")
_ENV_NAME = re.compile(r"^[a-z][a-z0-9-]{0,19}$")


@dataclass(frozen=True)
class EnvironmentSettings:
    """One named environment (``dev``, ``prod`` ...) from cdk.json.

    Defaults are the cheap, safe dev profile: one NAT gateway, one reader, small instances.
    """

    name: str
    region: str
    availability_zones: tuple[str, ...]
    account: str | None = None
    cidr: str = "10.0.0.0/16"
    nat: str = "single"
    public_mask: int = 24
    private_mask: int = 24
    isolated_mask: int = 24
    strict_acls: bool = False
    db_engine: str = "mysql"
    db_readers: int = 1
    db_instance_type: str = "r6g.large"
    db_backup_retention_days: int = 7
    app_instance_type: str = "t3.micro"
    app_min_capacity: int = 2
    app_max_capacity: int = 4
    app_desired_capacity: int | None = None
    log_retention_days: int = 30
    production: bool = False
    tags: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

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
_KINDS: dict[str, type | tuple[type, ...]] = {
    "region": str,
    "availability_zones": list,
    "account": str,
    "cidr": str,
    "nat": str,
    "public_mask": int,
    "private_mask": int,
    "isolated_mask": int,
    "strict_acls": bool,
    "db_engine": str,
    "db_readers": int,
    "db_instance_type": str,
    "db_backup_retention_days": int,
    "app_instance_type": str,
    "app_min_capacity": int,
    "app_max_capacity": int,
    "app_desired_capacity": int,
    "log_retention_days": int,
    "production": bool,
    "tags": dict,
}
assert set(_KINDS) == {f.name for f in fields(EnvironmentSettings)} - {"name"}


def _fail(env: str, key: str, message: str) -> ValueError:
    return ValueError(f"environment {env!r}, key {key!r}: {message}")


def parse_environment(name: str, raw: Any) -> EnvironmentSettings:
    """Parse one environment's JSON object; raise ``ValueError`` naming ``name`` and the key."""
    if not isinstance(name, str) or not _ENV_NAME.match(name):
        raise ValueError(
            f"environment name {name!r} must be 1-20 lowercase letters, digits or '-', "
            "starting with a letter"
        )
    if not isinstance(raw, Mapping):
        raise ValueError(f"environment {name!r} must be a JSON object, got {type(raw).__name__}")
    unknown = sorted(set(raw) - set(_KINDS))
    if unknown:
        raise _fail(name, unknown[0], f"unknown key; allowed keys are {', '.join(sorted(_KINDS))}")
    for key in _REQUIRED:
        if key not in raw:
            raise _fail(name, key, "is required")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        kind = _KINDS[key]
        # bool is an int in Python: never accept True for a count, nor 1 for a flag.
        wrong = not isinstance(value, kind) or (kind is int and isinstance(value, bool))
        if key == "app_desired_capacity" and value is None:
            wrong = False
        if wrong:
            raise _fail(name, key, f"must be {kind.__name__}, got {value!r}")  # type: ignore[union-attr]
        values[key] = value

    region = values["region"]
    if not _REGION.match(region):
        raise _fail(name, "region", f"{region!r} is not an AWS region name like 'ap-northeast-2'")
    azs = values["availability_zones"]
    if len(azs) < 2 or not all(isinstance(az, str) for az in azs):
        raise _fail(name, "availability_zones", f"needs at least 2 AZ names, got {azs!r}")
    for az in azs:
        if not (az.startswith(region) and re.fullmatch(r"[a-z]", az[len(region) :])):
            raise _fail(name, "availability_zones", f"{az!r} is not an AZ of region {region!r}")
    if len(set(azs)) != len(azs):
        raise _fail(name, "availability_zones", f"lists an AZ twice: {azs!r}")
    values["availability_zones"] = tuple(azs)
    account = values.get("account")
    if account is not None and not _ACCOUNT.match(account):
        raise _fail(name, "account", f"{account!r} is not a 12-digit AWS account id")
    cidr = values.get("cidr", "10.0.0.0/16")
    try:
        ipaddress.IPv4Network(cidr)
    except ValueError as err:
        raise _fail(name, "cidr", f"{cidr!r} is not an IPv4 CIDR block ({err})") from None
    nat = values.get("nat", "single")
    if nat not in ("none", "single", "per_az"):
        raise _fail(name, "nat", f"must be 'none', 'single' or 'per_az', got {nat!r}")
    engine = values.get("db_engine", "mysql")
    if engine not in ("mysql", "postgresql"):
        raise _fail(name, "db_engine", f"must be 'mysql' or 'postgresql', got {engine!r}")
    for key in ("db_readers", "db_backup_retention_days", "app_min_capacity", "log_retention_days"):
        if key in values and values[key] < 0:
            raise _fail(name, key, f"must not be negative, got {values[key]}")
    tags = values.get("tags", {})
    for tag_key, tag_value in tags.items():
        if not isinstance(tag_value, str) or not tag_key or len(tag_key) > 128:
            raise _fail(
                name, "tags", f"tag {tag_key!r} must be a 1-128 char key with a string value"
            )
    values["tags"] = MappingProxyType(dict(tags))
    return EnvironmentSettings(name=name, **values)


def parse_environments(raw: Any) -> dict[str, EnvironmentSettings]:
    """Parse the whole ``wellstack:environments`` object."""
    if not isinstance(raw, Mapping) or not raw:
        raise ValueError(
            f"context {ENVIRONMENTS_KEY!r} must be a non-empty JSON object of environments, "
            f"got {raw!r}"
        )
    return {name: parse_environment(name, value) for name, value in raw.items()}


def split_list(value: Any, key: str) -> tuple[str, ...]:
    """Context given as ``-c key=a,b`` (a string) or as a JSON list in cdk.json."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        items = [item.strip() for item in value.split(",")]
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        items = [item.strip() for item in value]
    else:
        raise ValueError(
            f"context {key!r} must be a comma-separated string or a list, got {value!r}"
        )
    if any(not item for item in items):
        raise ValueError(f"context {key!r} has an empty entry: {value!r}")
    return tuple(dict.fromkeys(items))


def select_environments(
    environments: Mapping[str, EnvironmentSettings], selection: Any
) -> list[EnvironmentSettings]:
    """The environments named by ``-c env=dev,prod`` (default ``dev``)."""
    names = split_list(selection, SELECT_KEY) or (DEFAULT_ENVIRONMENT,)
    missing = [name for name in names if name not in environments]
    if missing:
        raise ValueError(
            f"context {SELECT_KEY!r} names unknown environment {missing[0]!r}; "
            f"cdk.json defines {', '.join(sorted(environments))}"
        )
    return [environments[name] for name in names]
