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

#: The largest volume an assumption may state (GB, LCUs, millions of requests): far beyond
#: any real app, and small enough that no cost overflows.
MAX_ASSUMPTION = 1e9
#: The longest object age spread (``s3_age_days``): a hundred years.
MAX_AGE_DAYS = 36500


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
    #: write I/Os an Aurora global database replicates to each secondary a month, in millions
    global_write_million: float = 10.0
    #: GB a month that cross regions (S3 replication of new objects, backup copies aside)
    replicated_gb: float = 20.0
    #: GB a month through all interface endpoints together (AWS API calls, logs, metrics)
    endpoint_gb: float = 10.0

    def __post_init__(self) -> None:
        bad = [
            f"{name} must be a number from 0 to {MAX_ASSUMPTION:g}, got {value!r}"
            for name, value in vars(self).items()
            if isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not 0 <= value <= MAX_ASSUMPTION
        ]
        age = self.s3_age_days
        if not isinstance(age, int) or isinstance(age, bool) or not 1 <= age <= MAX_AGE_DAYS:
            bad.append(
                f"s3_age_days must be a whole number of days from 1 to {MAX_AGE_DAYS}, got {age!r}"
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
    def priced(self) -> bool:
        """False when the region's price table has no price for it, or its quantity is known
        only at deploy: its cost is unknown (not zero) and no total that leaves it out is
        complete."""
        return self.unit_usd is not None

    @property
    def monthly_usd(self) -> float:
        """The line's cost; 0 for an unpriced line, which totals leave out (see ``priced``)."""
        return round(self.quantity * self.unit_usd, 2) if self.unit_usd is not None else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "priced": self.priced,
            "monthly_usd": self.monthly_usd if self.priced else None,
        }


@dataclass(frozen=True)
class Estimate:
    region: str
    lines: list[Line]
    assumptions: Assumptions
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def total_usd(self) -> float:
        """The priced lines' sum: a lower bound whenever ``unpriced`` is not empty."""
        return round(sum(line.monthly_usd for line in self.lines), 2)

    @property
    def unpriced(self) -> list[str]:
        """The items whose cost the total leaves out."""
        return [line.item for line in self.lines if not line.priced]

    @property
    def complete(self) -> bool:
        return not self.unpriced

    def as_dict(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "total_monthly_usd": self.total_usd,
            "complete": self.complete,
            "unpriced": self.unpriced,
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
    """The estimate of templates already read (see :func:`estimate`). Each stack is priced in its
    own region when the price table has it, at the primary region's prices otherwise (said in
    the line); lines of a second region name it. The primary region is ``region``, or the one
    most stacks are in."""
    table = price_table()
    primary = _region(assembly, region, table)
    hours = table["hours_per_month"]
    lines: list[Line] = []
    sources: dict[str, str] = {}
    for stack_region, part in _by_region(assembly, primary):
        priced = stack_region if stack_region in table["regions"] else primary
        bill = _Bill(table["regions"][priced], hours, assumptions, primary=stack_region == primary)
        for step in (_network, _compute, _database, _keys_and_logs, _storage, _monitoring, _waf):
            step(part, bill)
        if stack_region == primary:
            _disaster_recovery(assembly, bill)
        suffix = "" if stack_region == primary else f" ({stack_region})"
        fallback = (
            f"priced at {primary} rates (no {stack_region} price table)"
            if priced != stack_region
            else ""
        )
        for line in bill.lines:
            note = "; ".join(n for n in (line.note, fallback) if n)
            lines.append(Line(line.item + suffix, line.quantity, line.unit, line.unit_usd, note))
        sources |= bill.sources
    return Estimate(region=primary, lines=lines, assumptions=assumptions, sources=sources)


def _by_region(assembly: Assembly, primary: str) -> list[tuple[str, Assembly]]:
    """The assembly split by the stacks' regions (an unknown region counts as the primary),
    the primary first."""
    groups: dict[str, list[str]] = {}
    for stack in sorted(assembly.templates):
        stack_region = assembly.regions.get(stack) or ""
        if stack_region in ("", "unknown-region"):
            stack_region = primary
        groups.setdefault(stack_region, []).append(stack)
    ordered = sorted(groups, key=lambda r: (r != primary, r))
    return [
        (
            r,
            Assembly(
                {n: assembly.templates[n] for n in groups[r]},
                {n: assembly.regions.get(n, "") for n in groups[r]},
                {n: assembly.files[n] for n in groups[r] if n in assembly.files},
                assembly.directory,
                assembly.report,
            ),
        )
        for r in ordered
    ]


def _region(assembly: Assembly, region: str | None, table: dict[str, Any]) -> str:
    if region is None:
        counts: dict[str, int] = {}
        for name in assembly.templates:
            stack_region = assembly.regions.get(name, "")
            if stack_region and stack_region != "unknown-region":
                counts[stack_region] = counts.get(stack_region, 0) + 1
        if not counts:
            raise AssemblyError("the stacks are in no concrete region; pass --region")
        # The primary region: the global database's home, else the one with most stacks (a DR
        # region holds as many stacks as the primary).
        homes = {assembly.regions.get(g.stack) for g in assembly.resources(
            "AWS::RDS::GlobalCluster")}  # fmt: skip
        region = max(sorted(counts), key=lambda r: (r in homes, counts[r]))
    if region not in table["regions"]:
        raise AssemblyError(
            f"no prices for region {region!r}; the price table has {', '.join(table['regions'])}"
        )
    return region


class _Bill:
    """The lines of an estimate, priced from one region's table (and the sources used)."""

    def __init__(
        self, prices: dict[str, Any], hours: float, assumptions: Assumptions, primary: bool = True
    ) -> None:
        self.prices = prices
        self.hours = hours
        self.assumptions = assumptions
        #: The primary region carries the traffic (NAT data); a DR region is a standby.
        self.primary = primary
        self.lines: list[Line] = []
        self.sources: dict[str, str] = {}

    def price(self, key: str) -> float | None:
        entry = self.prices.get(key)
        if entry is None:
            return None
        self.sources[key] = f"{entry['source']} ({entry['as_of']})"
        return entry["usd"]

    def add(self, item: str, quantity: float, unit: str, key: str, note: str = "") -> None:
        if quantity <= 0:
            return
        unit_price = self.price(key)
        if unit_price is None:
            note = f"{note}; no price for {key} in the region: not in the total".lstrip("; ")
        self.lines.append(Line(item, round(quantity, 4), unit, unit_price, note))

    def unpriced(self, item: str, unit: str, why: str) -> None:
        self.lines.append(Line(item, 0, unit, None, f"{why}: not in the total"))


def _network(assembly: Assembly, bill: _Bill) -> None:
    hours, assumed = bill.hours, bill.assumptions
    gateways = assembly.resources("AWS::EC2::NatGateway")
    regional = [g for g in gateways if g.prop("AvailabilityMode") == "regional"]
    nats = len(gateways) - len(regional)
    bill.add(
        "NAT gateways", nats * hours, "NAT gateway-hours", "nat_gateway_hour", f"{nats} x 730 h"
    )
    for gateway in regional:
        # Billed for each AZ it is active in — the AZs of the subnets routed to it (automatic
        # mode follows the workloads), at the zonal hourly rate: VPC pricing page. Not
        # confirmed offline against the page; the note says so.
        azs = _regional_nat_azs(assembly, gateway)
        bill.add(
            "Regional NAT gateway", len(azs) * hours, "NAT gateway AZ-hours", "nat_gateway_hour",
            f"{len(azs)} active AZ(s) x 730 h (per-AZ billing at the zonal rate assumed)",
        )  # fmt: skip
    nats += len(regional)
    if nats and bill.primary:
        bill.add("NAT data processing", assumed.nat_gb, "GB", "nat_gateway_gb", "assumed volume")
    interface = [
        e
        for e in assembly.resources("AWS::EC2::VPCEndpoint")
        if e.prop("VpcEndpointType") == "Interface"
    ]
    endpoint_azs = sum(len(e.items("SubnetIds")) for e in interface)
    bill.add(
        "Interface endpoints",
        endpoint_azs * hours,
        "endpoint-AZ-hours",
        "vpc_endpoint_hour",
        f"{len(interface)} endpoint(s) in {endpoint_azs} endpoint-AZs x 730 h",
    )
    if interface and bill.primary:
        bill.add(
            "Interface endpoint data processing",
            assumed.endpoint_gb,
            "GB",
            "vpc_endpoint_gb",
            "assumed volume",
        )
    load_balancers = assembly.resources("AWS::ElasticLoadBalancingV2::LoadBalancer")
    public_lb_ips = sum(
        len(lb.items("Subnets"))
        for lb in load_balancers
        if lb.prop("Scheme", "internet-facing") == "internet-facing"
    )
    eips = len(assembly.resources("AWS::EC2::EIP"))
    bill.add(
        "Public IPv4 addresses",
        (eips + public_lb_ips) * hours,
        "address-hours",
        "public_ipv4_hour",
        f"{eips} Elastic IP(s) + {public_lb_ips} load balancer address(es)",
    )
    albs = len(load_balancers)
    bill.add("Application Load Balancers", albs * hours, "ALB-hours", "alb_hour", f"{albs} x 730 h")
    bill.add(
        "Load balancer capacity units",
        albs * assumed.alb_lcu * hours,
        "LCU-hours",
        "alb_lcu_hour",
        f"assumed {assumed.alb_lcu:g} LCU average",
    )


def _regional_nat_azs(assembly: Assembly, gateway: Any) -> set[str]:
    """The AZs of the subnets whose route tables send traffic to ``gateway`` (an AZ that is not
    a literal counts as one of its own)."""
    tables = {
        (route.stack, ref(route.prop("RouteTableId")))
        for route in assembly.resources("AWS::EC2::Route")
        if (t := assembly.target(route.stack, route.prop("NatGatewayId"))) is not None
        and (t.stack, t.logical_id) == (gateway.stack, gateway.logical_id)
    }
    azs = set()
    for association in assembly.resources("AWS::EC2::SubnetRouteTableAssociation"):
        if (association.stack, ref(association.prop("RouteTableId"))) not in tables:
            continue
        subnet = assembly.target(association.stack, association.prop("SubnetId"))
        zone = subnet.prop("AvailabilityZone") if subnet is not None else None
        azs.add(zone if isinstance(zone, str) else f"{association.logical_id}?")
    return azs


def _compute(assembly: Assembly, bill: _Bill) -> None:
    for group in assembly.resources("AWS::AutoScaling::AutoScalingGroup"):
        count = group.number("DesiredCapacity")
        count = group.number("MinSize", 0) if count is None else count
        template = assembly.resource(
            group.stack, ref(group.mapping("LaunchTemplate").get("LaunchTemplateId"))
        )
        instance_type = template.at("LaunchTemplateData", "InstanceType") if template else None
        if template is None or not isinstance(instance_type, str) or count is None:
            bill.unpriced(
                f"EC2 ({group.stack}/{group.logical_id})",
                "instance-hours",
                "instance type or count known only at deploy",
            )
            continue
        bill.add(
            f"EC2 {instance_type}",
            count * bill.hours,
            "instance-hours",
            f"ec2:{instance_type}",
            f"{count:g} instance(s) (desired or minimum capacity) x 730 h",
        )
        volume_gb = 0.0
        mappings = template.at("LaunchTemplateData", "BlockDeviceMappings", kind=list) or []
        for index in range(len(mappings)):
            path = ("LaunchTemplateData", "BlockDeviceMappings", index, "Ebs", "VolumeSize")
            size = template.as_number(template.at(*path), ".".join(map(str, path)))
            volume_gb += size or 0
        bill.add("EBS gp3 root volumes", count * volume_gb, "GB-months", "ebs_gp3_gb_month")


def _database(assembly: Assembly, bill: _Bill) -> None:
    clusters = assembly.resources("AWS::RDS::DBCluster")
    by_class: dict[str, int] = {}
    for instance in assembly.resources("AWS::RDS::DBInstance"):
        instance_class = str(instance.prop("DBInstanceClass", "unknown"))
        by_class[instance_class] = by_class.get(instance_class, 0) + 1
    serverless_instances = by_class.pop("db.serverless", 0)
    for instance_class, count in sorted(by_class.items()):
        bill.add(
            f"Aurora {instance_class}",
            count * bill.hours,
            "instance-hours",
            f"aurora:{instance_class}",
            f"{count} instance(s) x 730 h",
        )
    for cluster in clusters:
        scaling = cluster.mapping("ServerlessV2ScalingConfiguration")
        if not (scaling and serverless_instances):
            continue
        name = "ServerlessV2ScalingConfiguration"
        low = cluster.as_number(cluster.at(name, "MinCapacity") or 0.5, f"{name}.MinCapacity")
        high = cluster.as_number(cluster.at(name, "MaxCapacity") or 1, f"{name}.MaxCapacity")
        if low is None or high is None:
            bill.unpriced("Aurora Serverless v2 capacity", "ACU-hours", "capacity set at deploy")
            continue
        bill.add(
            "Aurora Serverless v2 capacity",
            serverless_instances * low * bill.hours,
            "ACU-hours",
            "aurora_serverless_v2_acu_hour",
            f"{serverless_instances} instance(s) at the minimum {low:g} ACU; up to "
            f"{high:g} ACU each under load",
        )
    bill.add(
        "Aurora storage",
        len(clusters) * bill.assumptions.db_storage_gb,
        "GB-months",
        "aurora_storage_gb_month",
        f"assumed {bill.assumptions.db_storage_gb:g} GB per cluster",
    )


def _keys_and_logs(assembly: Assembly, bill: _Bill) -> None:
    log_gb = bill.assumptions.log_gb
    bill.add("KMS keys", len(assembly.resources("AWS::KMS::Key")), "key-months", "kms_key_month")
    clusters = assembly.resources("AWS::RDS::DBCluster")
    managed_secrets = sum(1 for c in clusters if c.prop("ManageMasterUserPassword") is True)
    secrets = len(assembly.resources("AWS::SecretsManager::Secret")) + managed_secrets
    bill.add("Secrets Manager secrets", secrets, "secret-months", "secret_month")
    groups = assembly.resources("AWS::Logs::LogGroup")
    bill.add(
        "CloudWatch Logs ingestion",
        len(groups) * log_gb,
        "GB",
        "logs_ingest_gb",
        f"assumed {log_gb:g} GB a month per log group ({len(groups)} groups)",
    )
    stored = sum(log_gb * min(g.number("RetentionInDays", 3653) or 3653, 365) / 30 for g in groups)
    bill.add(
        "CloudWatch Logs storage",
        stored,
        "GB-months",
        "logs_storage_gb_month",
        "steady state: monthly volume x retention (capped at a year)",
    )


def _storage(assembly: Assembly, bill: _Bill) -> None:
    """S3 by tier: each bucket's volume spread over its lifecycle waterfall."""
    by_tier: dict[str, float] = {}
    for bucket in assembly.resources("AWS::S3::Bucket"):
        rules = bucket.at("LifecycleConfiguration", "Rules", kind=list) or []
        ids = [bucket.at("LifecycleConfiguration", "Rules", i, "Id") for i in range(len(rules))]
        tiered = "Tiering" in ids
        rule = ("LifecycleConfiguration", "Rules", ids.index("Tiering") if tiered else 0)
        volume = bill.assumptions.s3_gb if tiered else bill.assumptions.log_bucket_gb
        transitions = []
        steps = (bucket.at(*rule, "Transitions", kind=list) or []) if rules else []
        for index in range(len(steps)):
            day_path = (*rule, "Transitions", index, "TransitionInDays")
            day = bucket.as_number(bucket.at(*day_path) or 0, ".".join(map(str, day_path)))
            if day is not None:
                storage_class = bucket.at(*rule, "Transitions", index, "StorageClass")
                transitions.append((str(storage_class), int(day)))
        expiration_path = (*rule, "ExpirationInDays")
        expiration = (
            bucket.as_number(bucket.at(*expiration_path), ".".join(map(str, expiration_path)))
            if rules
            else None
        )
        horizon = int(min(expiration or math.inf, bill.assumptions.s3_age_days))
        for storage_class, share in tier_fractions(transitions, horizon).items():
            by_tier[storage_class] = by_tier.get(storage_class, 0) + volume * share
    for storage_class, gb in sorted(by_tier.items()):
        bill.add(
            f"S3 {storage_class}",
            gb,
            "GB-months",
            f"s3:{storage_class}",
            "stated volume spread over the lifecycle waterfall",
        )


def _monitoring(assembly: Assembly, bill: _Bill) -> None:
    """Alarms (each metric an alarm reads), dashboards, S3 request metrics."""
    alarms = assembly.resources("AWS::CloudWatch::Alarm")
    alarm_metrics = sum(_alarm_metric_count(alarm) for alarm in alarms)
    bill.add(
        "CloudWatch alarms",
        alarm_metrics,
        "alarm metric-months",
        "cloudwatch_alarm_metric_month",
        f"{len(alarms)} alarms reading {alarm_metrics} metrics",
    )
    bill.add(
        "CloudWatch dashboards",
        len(assembly.resources("AWS::CloudWatch::Dashboard")),
        "dashboard-months",
        "cloudwatch_dashboard_month",
    )
    request_filters = sum(
        len(b.items("MetricsConfigurations")) for b in assembly.resources("AWS::S3::Bucket")
    )
    bill.add(
        "S3 request metrics",
        request_filters * S3_REQUEST_METRICS,
        "metric-months",
        "cloudwatch_metric_month",
        f"{request_filters} filter(s) x {S3_REQUEST_METRICS} request metrics",
    )


def _disaster_recovery(assembly: Assembly, bill: _Bill) -> None:
    """What a DR region adds beyond its resources: the global database's replicated writes,
    data crossing regions (S3 replication; with Replication Time Control its surcharge), and
    the backup copies stored in the other region."""
    assumed = bill.assumptions
    secondaries = [
        c for c in assembly.resources("AWS::RDS::DBCluster")
        if c.prop("GlobalClusterIdentifier") is not None
    ]  # fmt: skip
    bill.add(
        "Aurora global database replicated writes",
        len(secondaries) * assumed.global_write_million,
        "million write I/Os",
        "aurora_global_replicated_write_million",
        f"assumed {assumed.global_write_million:g} million a month to each of "
        f"{len(secondaries)} secondary cluster(s)",
    )
    replicated = [
        b for b in assembly.resources("AWS::S3::Bucket")
        if b.prop("ReplicationConfiguration") is not None
    ]  # fmt: skip
    if replicated:
        bill.add(
            "Inter-region transfer (S3 replication)",
            assumed.replicated_gb,
            "GB",
            "inter_region_transfer_gb",
            f"assumed {assumed.replicated_gb:g} GB of new objects a month",
        )
    timed = [
        b for b in replicated
        if b.at("ReplicationConfiguration", "Rules", 0, "Destination", "ReplicationTime")
    ]  # fmt: skip
    if timed:
        bill.add("S3 Replication Time Control", assumed.replicated_gb, "GB", "s3_rtc_gb")
    copies = assembly.copying_backup_plans()
    bill.add(
        "Backup copies in the DR region",
        len(copies) * assumed.db_storage_gb,
        "GB-months",
        "backup_storage_gb_month",
        f"one full copy of {assumed.db_storage_gb:g} GB per copying plan (increments aside)",
    )


def _waf(assembly: Assembly, bill: _Bill) -> None:
    acls = assembly.resources("AWS::WAFv2::WebACL")
    rules_count = sum(len(acl.items("Rules")) for acl in acls)
    bill.add("WAF web ACLs", len(acls), "web ACL-months", "waf_web_acl_month")
    bill.add("WAF rules", rules_count, "rule-months", "waf_rule_month")
    bill.add(
        "WAF requests",
        len(acls) * bill.assumptions.waf_million_requests,
        "million requests",
        "waf_million_requests",
        "assumed volume",
    )


#: S3 publishes 16 request metrics per metrics filter (AllRequests, GetRequests ... 5xxErrors,
#: FirstByteLatency, TotalRequestLatency), billed as custom CloudWatch metrics.
S3_REQUEST_METRICS = 16


def _alarm_metric_count(alarm: Any) -> int:
    """A plain alarm reads one metric; a metric-math alarm each metric its expression uses."""
    queries = alarm.items("Metrics")
    if not queries:
        return 1
    return sum(1 for q in queries if isinstance(q, dict) and "MetricStat" in q) or 1


@dataclass(frozen=True)
class Difference:
    """One item of :func:`compare`: what it costs in ``base`` and in ``other``."""

    item: str
    #: None: unpriced on that side (unknown, not 0); 0.0: absent there.
    base_usd: float | None
    other_usd: float | None
    #: None whenever a side is unpriced: never a saving or a cost of 0.
    difference_usd: float | None
    unpriced: bool
    base_quantity: float
    other_quantity: float
    unit: str

    @property
    def changed(self) -> bool:
        """A difference worth showing: a cost that moved, or one nobody can price."""
        return bool(self.difference_usd) or self.unpriced

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def compare(base: Estimate, other: Estimate) -> list[Difference]:
    """Line-by-line difference ``other - base`` (items in either). An item absent on one side
    costs 0 there; an unpriced one costs ``None`` (unknown), and so does its difference: a row
    with ``unpriced`` is never a saving or a cost of 0."""
    base_lines = {line.item: line for line in base.lines}
    other_lines = {line.item: line for line in other.lines}
    rows = []
    for item in [*base_lines, *(i for i in other_lines if i not in base_lines)]:
        a, b = base_lines.get(item), other_lines.get(item)
        a_usd = (a.monthly_usd if a.priced else None) if a else 0.0
        b_usd = (b.monthly_usd if b.priced else None) if b else 0.0
        either = a or b  # every item comes from one side
        rows.append(
            Difference(
                item=item,
                base_usd=a_usd,
                other_usd=b_usd,
                difference_usd=None if a_usd is None or b_usd is None else round(b_usd - a_usd, 2),
                unpriced=a_usd is None or b_usd is None,
                base_quantity=a.quantity if a else 0,
                other_quantity=b.quantity if b else 0,
                unit=either.unit if either else "",
            )
        )
    return rows


def usd(value: float | None, signed: bool = False) -> str:
    """A cost cell: ``12.34`` (``+12.34``), or ``unpriced`` for an unknown one."""
    if value is None:
        return "unpriced"
    return f"{value:+,.2f}" if signed else f"{value:,.2f}"


def totals_note(base: Estimate, other: Estimate | None = None) -> str:
    """What the totals leave out, in one sentence; empty when both are complete."""
    parts = []
    for name, estimate_ in (("before", base), ("after", other)):
        if estimate_ is not None and estimate_.unpriced:
            items = ", ".join(estimate_.unpriced)
            parts.append(f"{name if other is not None else 'the total'} leaves out {items}")
    if not parts:
        return ""
    return "incomplete: " + "; ".join(parts) + " (no price in the table: not 0, unknown)"
