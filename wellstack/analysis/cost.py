"""``wellstack cost``: a monthly estimate computed offline from the synthesized templates.

What it counts, from the resources in ``cdk.out``: NAT gateways (hours, and the data they process
at a stated volume), public IPv4 addresses (Elastic IPs and one per internet-facing load balancer
subnet), load balancers (hours and LCUs at a stated average), EC2 instances (the Auto Scaling
group's desired or minimum capacity) and their gp3 root volumes, Aurora instances (or the
Serverless v2 ACU range) and storage, KMS keys, Secrets Manager secrets (including the one RDS
manages for a cluster), CloudWatch log ingestion and storage, S3 storage by tier following each
bucket's lifecycle waterfall, and AWS WAF. Every volume that a template cannot know is an
:class:`Assumptions` field, printed with the result.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from wellstack.analysis.template import Assembly, AssemblyError, ref
from wellstack.errors import WellstackError


@dataclass(frozen=True)
class Assumptions:
    nat_gb: float = 100.0  #: GB a month through all NAT gateways together
    alb_lcu: float = 1.0  #: average LCUs per load balancer
    db_storage_gb: float = 20.0  #: Aurora storage per cluster
    log_gb: float = 5.0  #: GB ingested a month per log group
    s3_gb: float = 100.0  #: GB in each tiered bucket
    log_bucket_gb: float = 10.0  #: GB in each bucket without a tiering rule (log buckets)
    s3_age_days: int = 365  #: object ages spread evenly over this many days (or to expiration)
    waf_million_requests: float = 1.0  #: requests a month per web ACL, in millions

    def __post_init__(self) -> None:
        bad = [
            f"{name} must be a finite number of at least 0, got {value!r}"
            for name, value in vars(self).items()
            if isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value < 0
        ]
        if (
            not isinstance(self.s3_age_days, int)
            or isinstance(self.s3_age_days, bool)
            or (isinstance(self.s3_age_days, int) and self.s3_age_days < 1)
        ):
            bad.append(
                f"s3_age_days must be a whole number of days, at least 1, got {self.s3_age_days!r}"
            )
        if bad:
            raise WellstackError("cost assumptions", bad)


@dataclass(frozen=True)
class Line:
    item: str
    quantity: float
    unit: str
    unit_usd: float | None
    note: str = ""

    @property
    def monthly_usd(self) -> float:
        return round(self.quantity * self.unit_usd, 2) if self.unit_usd is not None else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "monthly_usd": self.monthly_usd}


@dataclass(frozen=True)
class Estimate:
    region: str
    lines: list[Line]
    assumptions: Assumptions
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def total_usd(self) -> float:
        return round(sum(line.monthly_usd for line in self.lines), 2)

    def as_dict(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "total_monthly_usd": self.total_usd,
            "lines": [line.as_dict() for line in self.lines],
            "assumptions": asdict(self.assumptions),
            "price_sources": self.sources,
        }


def price_table() -> dict[str, Any]:
    return json.loads(resources.files("wellstack.analysis").joinpath("prices.json").read_text())


def tier_fractions(transitions: list[tuple[str, int]], horizon: int) -> dict[str, float]:
    """Share of a bucket's bytes in each storage class when object ages are spread evenly over
    ``horizon`` days and objects move down ``transitions`` (class, day)."""
    stops = [("STANDARD", 0), *sorted(transitions, key=lambda t: t[1])]
    fractions: dict[str, float] = {}
    for index, (storage_class, start) in enumerate(stops):
        end = stops[index + 1][1] if index + 1 < len(stops) else horizon
        span = max(0, min(end, horizon) - min(start, horizon))
        if span:
            fractions[storage_class] = fractions.get(storage_class, 0) + span / horizon
    return fractions


def estimate(
    cdk_out: str | Path, region: str | None = None, assumptions: Assumptions | None = None
) -> Estimate:
    assumptions = assumptions or Assumptions()
    assembly = Assembly.load(cdk_out)
    return estimate_assembly(assembly, region, assumptions)


def estimate_assembly(assembly: Assembly, region: str | None, assumptions: Assumptions) -> Estimate:
    """The estimate of templates already read (see :func:`estimate`)."""
    table = price_table()
    if region is None:
        known = assembly.concrete_regions()
        if len(known) != 1:
            raise AssemblyError(
                f"the stacks are in {sorted(known) or 'no concrete region'}; pass --region"
            )
        region = known.pop()
    if region not in table["regions"]:
        raise AssemblyError(
            f"no prices for region {region!r}; the price table has {', '.join(table['regions'])}"
        )
    prices = table["regions"][region]
    hours = table["hours_per_month"]
    used_sources: dict[str, str] = {}

    def price(key: str) -> float | None:
        entry = prices.get(key)
        if entry is None:
            return None
        used_sources[key] = f"{entry['source']} ({entry['as_of']})"
        return entry["usd"]

    lines: list[Line] = []

    def add(item: str, quantity: float, unit: str, key: str, note: str = "") -> None:
        if quantity <= 0:
            return
        unit_price = price(key)
        if unit_price is None:
            note = f"{note}; no price for {key} in {region}: not in the total".lstrip("; ")
        lines.append(Line(item, round(quantity, 4), unit, unit_price, note))

    # Network
    nats = len(assembly.resources("AWS::EC2::NatGateway"))
    add("NAT gateways", nats * hours, "NAT gateway-hours", "nat_gateway_hour", f"{nats} x 730 h")
    if nats:
        add("NAT data processing", assumptions.nat_gb, "GB", "nat_gateway_gb", "assumed volume")
    load_balancers = assembly.resources("AWS::ElasticLoadBalancingV2::LoadBalancer")
    public_lb_ips = sum(
        len(lb.items("Subnets"))
        for lb in load_balancers
        if lb.prop("Scheme", "internet-facing") == "internet-facing"
    )
    eips = len(assembly.resources("AWS::EC2::EIP"))
    add(
        "Public IPv4 addresses",
        (eips + public_lb_ips) * hours,
        "address-hours",
        "public_ipv4_hour",
        f"{eips} Elastic IP(s) + {public_lb_ips} load balancer address(es)",
    )
    albs = len(load_balancers)
    add("Application Load Balancers", albs * hours, "ALB-hours", "alb_hour", f"{albs} x 730 h")
    add(
        "Load balancer capacity units",
        albs * assumptions.alb_lcu * hours,
        "LCU-hours",
        "alb_lcu_hour",
        f"assumed {assumptions.alb_lcu:g} LCU average",
    )

    # Compute
    for group in assembly.resources("AWS::AutoScaling::AutoScalingGroup"):
        count = group.number("DesiredCapacity")
        count = group.number("MinSize", 0) if count is None else count
        template = assembly.resource(
            group.stack, ref(group.mapping("LaunchTemplate").get("LaunchTemplateId"))
        )
        data = template.mapping("LaunchTemplateData") if template else {}
        instance_type = data.get("InstanceType")
        if not isinstance(instance_type, str) or count is None:
            lines.append(
                Line(f"EC2 ({group.stack}/{group.logical_id})", 0, "instance-hours", None,
                     "instance type or count known only at deploy: not in the total")
            )  # fmt: skip
            continue
        add(
            f"EC2 {instance_type}",
            count * hours,
            "instance-hours",
            f"ec2:{instance_type}",
            f"{count:g} instance(s) (desired or minimum capacity) x 730 h",
        )
        volume_gb = 0.0
        for mapping in data.get("BlockDeviceMappings") or []:
            size = (
                (mapping.get("Ebs") or {}).get("VolumeSize", 0) if isinstance(mapping, dict) else 0
            )
            volume_gb += size if isinstance(size, int | float) and not isinstance(size, bool) else 0
        add("EBS gp3 root volumes", count * volume_gb, "GB-months", "ebs_gp3_gb_month")

    # Database
    clusters = assembly.resources("AWS::RDS::DBCluster")
    by_class: dict[str, int] = {}
    for instance in assembly.resources("AWS::RDS::DBInstance"):
        instance_class = str(instance.prop("DBInstanceClass", "unknown"))
        by_class[instance_class] = by_class.get(instance_class, 0) + 1
    serverless_instances = by_class.pop("db.serverless", 0)
    for instance_class, count in sorted(by_class.items()):
        add(
            f"Aurora {instance_class}",
            count * hours,
            "instance-hours",
            f"aurora:{instance_class}",
            f"{count} instance(s) (writer and readers) x 730 h",
        )
    for cluster in clusters:
        scaling = cluster.mapping("ServerlessV2ScalingConfiguration")
        if scaling and serverless_instances:
            low, high = scaling.get("MinCapacity", 0.5), scaling.get("MaxCapacity", 1)
            add(
                "Aurora Serverless v2 capacity",
                serverless_instances * float(low) * hours,
                "ACU-hours",
                "aurora_serverless_v2_acu_hour",
                f"{serverless_instances} instance(s) at the minimum {float(low):g} ACU; up to "
                f"{float(high):g} ACU each under load",
            )
    add(
        "Aurora storage",
        len(clusters) * assumptions.db_storage_gb,
        "GB-months",
        "aurora_storage_gb_month",
        f"assumed {assumptions.db_storage_gb:g} GB per cluster",
    )

    # Keys, secrets, logs
    add("KMS keys", len(assembly.resources("AWS::KMS::Key")), "key-months", "kms_key_month")
    managed_secrets = sum(1 for c in clusters if c.prop("ManageMasterUserPassword") is True)
    secrets = len(assembly.resources("AWS::SecretsManager::Secret")) + managed_secrets
    add("Secrets Manager secrets", secrets, "secret-months", "secret_month")
    groups = assembly.resources("AWS::Logs::LogGroup")
    add(
        "CloudWatch Logs ingestion",
        len(groups) * assumptions.log_gb,
        "GB",
        "logs_ingest_gb",
        f"assumed {assumptions.log_gb:g} GB a month per log group ({len(groups)} groups)",
    )
    stored = sum(
        assumptions.log_gb * min(g.number("RetentionInDays", 3653) or 3653, 365) / 30
        for g in groups
    )
    add(
        "CloudWatch Logs storage",
        stored,
        "GB-months",
        "logs_storage_gb_month",
        "steady state: monthly volume x retention (capped at a year)",
    )

    # S3 by tier
    by_tier: dict[str, float] = {}
    for bucket in assembly.resources("AWS::S3::Bucket"):
        rules = bucket.mapping("LifecycleConfiguration").get("Rules", [])
        rules = [r for r in rules if isinstance(r, dict)] if isinstance(rules, list) else []
        tiered = next((r for r in rules if r.get("Id") == "Tiering"), None)
        rule = tiered or (rules[0] if rules else {})
        volume = assumptions.s3_gb if tiered else assumptions.log_bucket_gb
        transitions = [
            (str(t.get("StorageClass")), int(t.get("TransitionInDays", 0)))
            for t in rule.get("Transitions", [])
            if isinstance(t, dict)
        ]
        horizon = min(rule.get("ExpirationInDays", math.inf), assumptions.s3_age_days)
        for storage_class, share in tier_fractions(transitions, int(horizon)).items():
            by_tier[storage_class] = by_tier.get(storage_class, 0) + volume * share
    for storage_class, gb in sorted(by_tier.items()):
        add(
            f"S3 {storage_class}",
            gb,
            "GB-months",
            f"s3:{storage_class}",
            "stated volume spread over the lifecycle waterfall",
        )

    # Monitoring: alarms (each metric an alarm reads), dashboards, S3 request metrics
    alarms = assembly.resources("AWS::CloudWatch::Alarm")
    alarm_metrics = sum(_alarm_metric_count(alarm) for alarm in alarms)
    add(
        "CloudWatch alarms",
        alarm_metrics,
        "alarm metric-months",
        "cloudwatch_alarm_metric_month",
        f"{len(alarms)} alarms reading {alarm_metrics} metrics",
    )
    add(
        "CloudWatch dashboards",
        len(assembly.resources("AWS::CloudWatch::Dashboard")),
        "dashboard-months",
        "cloudwatch_dashboard_month",
    )
    request_filters = sum(
        len(b.items("MetricsConfigurations")) for b in assembly.resources("AWS::S3::Bucket")
    )
    add(
        "S3 request metrics",
        request_filters * S3_REQUEST_METRICS,
        "metric-months",
        "cloudwatch_metric_month",
        f"{request_filters} filter(s) x {S3_REQUEST_METRICS} request metrics",
    )

    # WAF
    acls = assembly.resources("AWS::WAFv2::WebACL")
    rules_count = sum(len(acl.items("Rules")) for acl in acls)
    add("WAF web ACLs", len(acls), "web ACL-months", "waf_web_acl_month")
    add("WAF rules", rules_count, "rule-months", "waf_rule_month")
    add(
        "WAF requests",
        len(acls) * assumptions.waf_million_requests,
        "million requests",
        "waf_million_requests",
        "assumed volume",
    )
    return Estimate(region=region, lines=lines, assumptions=assumptions, sources=used_sources)


#: S3 publishes 16 request metrics per metrics filter (AllRequests, GetRequests ... 5xxErrors,
#: FirstByteLatency, TotalRequestLatency), billed as custom CloudWatch metrics.
S3_REQUEST_METRICS = 16


def _alarm_metric_count(alarm: Any) -> int:
    """A plain alarm reads one metric; a metric-math alarm each metric its expression uses."""
    queries = alarm.items("Metrics")
    if not queries:
        return 1
    return sum(1 for q in queries if isinstance(q, dict) and "MetricStat" in q) or 1


def compare(base: Estimate, other: Estimate) -> list[dict[str, Any]]:
    """Line-by-line difference ``other - base`` (items in either)."""
    base_lines = {line.item: line for line in base.lines}
    other_lines = {line.item: line for line in other.lines}
    rows = []
    for item in [*base_lines, *(i for i in other_lines if i not in base_lines)]:
        a, b = base_lines.get(item), other_lines.get(item)
        a_usd, b_usd = (a.monthly_usd if a else 0.0), (b.monthly_usd if b else 0.0)
        rows.append(
            {
                "item": item,
                "base_usd": a_usd,
                "other_usd": b_usd,
                "difference_usd": round(b_usd - a_usd, 2),
                "base_quantity": a.quantity if a else 0,
                "other_quantity": b.quantity if b else 0,
                "unit": (a or b).unit,  # type: ignore[union-attr]
            }
        )
    return rows
