"""``wellstack review``: a Well-Architected review of a synthesized app, offline, from ``cdk.out``.

For each of the five pillars: wellstack's own checks of the templates (passed or a finding),
cdk-nag's unacknowledged findings (from the validation report), and the acknowledged findings with
their reasons (from the templates' ``cdk_nag`` metadata). Every cdk-nag rule is mapped to a pillar
in :data:`RULE_PILLARS`.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from wellstack.assembly import AssemblyError, load_app
from wellstack.audit import acknowledgments_in

PILLARS = (
    "security",
    "reliability",
    "performance efficiency",
    "cost optimization",
    "operational excellence",
)
SECURITY, RELIABILITY, PERFORMANCE, COST, OPERATIONS = PILLARS

#: cdk-nag (and CDK validation) rules -> the pillar they serve. A test fails when a rule that
#: fires in the default app (dev or prod) is missing here.
RULE_PILLARS: dict[str, str] = {
    "AwsSolutions-AS3": OPERATIONS,
    "AwsSolutions-EC23": SECURITY,
    "AwsSolutions-IAM4": SECURITY,
    "AwsSolutions-IAM5": SECURITY,
    "AwsSolutions-RDS11": SECURITY,
    "AwsSolutions-RDS14": RELIABILITY,
    "AwsSolutions-S1": SECURITY,
    "AwsSolutions-S10": SECURITY,
    "AwsSolutions-VPC3": SECURITY,
    "AwsSolutions-VPC7": OPERATIONS,
    "NIST.800.53.R5-ALBHttpToHttpsRedirection": SECURITY,
    "NIST.800.53.R5-ALBWAFEnabled": SECURITY,
    "NIST.800.53.R5-CloudWatchLogGroupEncrypted": SECURITY,
    "NIST.800.53.R5-ELBDeletionProtectionEnabled": RELIABILITY,
    "NIST.800.53.R5-ELBv2ACMCertificateRequired": SECURITY,
    "NIST.800.53.R5-IAMNoInlinePolicy": SECURITY,
    "NIST.800.53.R5-RDSInBackupPlan": RELIABILITY,
    "NIST.800.53.R5-S3BucketLoggingEnabled": SECURITY,
    "NIST.800.53.R5-S3BucketReplicationEnabled": RELIABILITY,
    "NIST.800.53.R5-S3DefaultEncryptionKMS": SECURITY,
    "NIST.800.53.R5-VPCDefaultSecurityGroupClosed": SECURITY,
    "NIST.800.53.R5-VPCFlowLogsEnabled": OPERATIONS,
    "NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW": SECURITY,
    "NIST.800.53.R5-WAFv2LoggingEnabled": OPERATIONS,
    "CloudFormation-Validate::F3002": OPERATIONS,
    "CloudFormation-Validate::F3003": OPERATIONS,
    "CloudFormation-Validate::W3010": RELIABILITY,
}
_OLD_FAMILIES = ("t1", "t2", "m1", "m2", "m3", "m4", "c1", "c3", "c4", "r3", "r4", "i2")


def rule_pillar(rule: str) -> str | None:
    """``AwsSolutions-IAM4[Policy::...]`` -> the pillar of ``AwsSolutions-IAM4``."""
    return RULE_PILLARS.get(rule.split("[", 1)[0])


@dataclass(frozen=True)
class Check:
    pillar: str
    id: str
    title: str
    passed: bool
    detail: str


Templates = dict[str, dict[str, Any]]
CHECKS: list[Callable[[Templates], Iterator[Check]]] = []


def check(function: Callable[[Templates], Iterator[Check]]) -> Callable[..., Iterator[Check]]:
    CHECKS.append(function)
    return function


def _all(templates: Templates, type_: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (stack, logical_id, resource)
        for stack, template in templates.items()
        for logical_id, resource in template["Resources"].items()
        if resource.get("Type") == type_
    ]


def _props(resource: dict[str, Any]) -> dict[str, Any]:
    return resource.get("Properties", {})


@check
def _multi_az(templates: Templates) -> Iterator[Check]:
    azs = {_props(s).get("AvailabilityZone") for _, _, s in _all(templates, "AWS::EC2::Subnet")}
    azs.discard(None)
    yield Check(
        RELIABILITY,
        "multi-az",
        "Every tier spans at least two availability zones",
        len(azs) >= 2,
        f"subnets in {len(azs)} AZ(s)",
    )


@check
def _nat(templates: Templates) -> Iterator[Check]:
    nats = len(_all(templates, "AWS::EC2::NatGateway"))
    private = [
        s
        for _, _, s in _all(templates, "AWS::EC2::Subnet")
        if any(t.get("Value") == "Private" for t in _props(s).get("Tags", []))
    ]
    azs = len({_props(s).get("AvailabilityZone") for s in private})
    if not nats:
        return
    yield Check(
        RELIABILITY,
        "nat-per-az",
        "Private subnets keep egress when an AZ fails (a NAT gateway per AZ)",
        nats >= azs,
        f"{nats} NAT gateway(s) for private subnets in {azs} AZ(s)"
        + ("" if nats >= azs else ": an outage of the NAT's AZ cuts every private subnet off"),
    )
    yield Check(
        COST,
        "nat-count",
        "No more NAT gateways than AZs",
        nats <= max(azs, 1),
        f"{nats} NAT gateway(s) at about 33-43 USD a month each before data",
    )


@check
def _database(templates: Templates) -> Iterator[Check]:
    clusters = _all(templates, "AWS::RDS::DBCluster")
    if not clusters:
        return
    instances = _all(templates, "AWS::RDS::DBInstance")
    azs = {_props(i).get("AvailabilityZone") for _, _, i in instances}
    yield Check(
        RELIABILITY,
        "db-failover",
        "The database has a failover target in another AZ",
        len(instances) >= 2 and (len(azs - {None}) >= 2 or None in azs),
        f"{len(instances)} instance(s) in {sorted(a for a in azs if a)}",
    )
    for stack, logical_id, cluster in clusters:
        props = _props(cluster)
        retention = props.get("BackupRetentionPeriod", 1)
        yield Check(
            RELIABILITY,
            "db-backups",
            f"{stack}/{logical_id}: automated backups kept at least 7 days",
            retention >= 7,
            f"{retention} day(s)",
        )
        yield Check(
            RELIABILITY,
            "db-deletion",
            f"{stack}/{logical_id}: deletion protection and a final snapshot",
            props.get("DeletionProtection") is True
            and cluster.get("DeletionPolicy") in ("Snapshot", "Retain"),
            f"DeletionProtection={props.get('DeletionProtection')}, "
            f"DeletionPolicy={cluster.get('DeletionPolicy')}",
        )
        yield Check(
            SECURITY,
            "db-encryption",
            f"{stack}/{logical_id}: storage encrypted with a customer-managed key",
            props.get("StorageEncrypted") is True and "KmsKeyId" in props,
            "StorageEncrypted with KmsKeyId" if "KmsKeyId" in props else "no KmsKeyId",
        )
    plans = _all(templates, "AWS::Backup::BackupSelection")
    yield Check(
        RELIABILITY,
        "backup-plan",
        "An AWS Backup plan covers the databases",
        bool(plans),
        f"{len(plans)} backup selection(s)",
    )


@check
def _buckets(templates: Templates) -> Iterator[Check]:
    for stack, logical_id, bucket in _all(templates, "AWS::S3::Bucket"):
        props = _props(bucket)
        block = props.get("PublicAccessBlockConfiguration", {})
        yield Check(
            SECURITY,
            "s3-private",
            f"{stack}/{logical_id}: encrypted, all public access blocked",
            "BucketEncryption" in props and len(block) == 4 and all(block.values()),
            "encryption and a full public access block"
            if "BucketEncryption" in props
            else "no default encryption",
        )
        rules = props.get("LifecycleConfiguration", {}).get("Rules", [])
        yield Check(
            COST,
            "s3-lifecycle",
            f"{stack}/{logical_id}: objects move down storage tiers or expire",
            any("Transitions" in r or "ExpirationInDays" in r for r in rules),
            f"{len(rules)} lifecycle rule(s)",
        )
        yield Check(
            RELIABILITY,
            "s3-retain",
            f"{stack}/{logical_id}: kept when the stack is deleted, versioned",
            bucket.get("DeletionPolicy") == "Retain"
            and props.get("VersioningConfiguration", {}).get("Status") == "Enabled",
            f"DeletionPolicy={bucket.get('DeletionPolicy')}",
        )


@check
def _logs(templates: Templates) -> Iterator[Check]:
    for stack, logical_id, group in _all(templates, "AWS::Logs::LogGroup"):
        props = _props(group)
        yield Check(
            OPERATIONS,
            "log-retention",
            f"{stack}/{logical_id}: log retention is set",
            "RetentionInDays" in props,
            f"{props.get('RetentionInDays', 'never expires')} days",
        )
        yield Check(
            SECURITY,
            "log-encryption",
            f"{stack}/{logical_id}: encrypted with a customer-managed key",
            "KmsKeyId" in props,
            "KmsKeyId set" if "KmsKeyId" in props else "CloudWatch Logs' own key",
        )
    vpcs = _all(templates, "AWS::EC2::VPC")
    flow_logs = _all(templates, "AWS::EC2::FlowLog")
    if vpcs:
        yield Check(
            OPERATIONS,
            "flow-logs",
            "VPC flow logs are on",
            len(flow_logs) >= len(vpcs),
            f"{len(flow_logs)} flow log(s) for {len(vpcs)} VPC(s)",
        )


@check
def _compute(templates: Templates) -> Iterator[Check]:
    policies = _all(templates, "AWS::AutoScaling::ScalingPolicy")
    families = []
    for stack, logical_id, asg in _all(templates, "AWS::AutoScaling::AutoScalingGroup"):
        scaled = [
            p
            for _, _, p in policies
            if _props(p).get("AutoScalingGroupName") == {"Ref": logical_id}
        ]
        yield Check(
            PERFORMANCE,
            "asg-scaling",
            f"{stack}/{logical_id}: scales with demand (a scaling policy)",
            bool(scaled),
            f"{len(scaled)} scaling polic(ies); health check {_props(asg).get('HealthCheckType')}",
        )
    for stack, logical_id, template in _all(templates, "AWS::EC2::LaunchTemplate"):
        data = _props(template).get("LaunchTemplateData", {})
        families.append(str(data.get("InstanceType", "")))
        yield Check(
            SECURITY,
            "imdsv2",
            f"{stack}/{logical_id}: IMDSv2 required, encrypted volumes, no key pair",
            data.get("MetadataOptions", {}).get("HttpTokens") == "required"
            and all(m.get("Ebs", {}).get("Encrypted") for m in data.get("BlockDeviceMappings", []))
            and "KeyName" not in data,
            f"HttpTokens={data.get('MetadataOptions', {}).get('HttpTokens')}",
        )
    families += [
        str(_props(i).get("DBInstanceClass", "")).removeprefix("db.")
        for _, _, i in _all(templates, "AWS::RDS::DBInstance")
    ]
    families = [f for f in families if f and f != "serverless"]
    if families:
        old = sorted({f for f in families if f.split(".")[0] in _OLD_FAMILIES})
        yield Check(
            PERFORMANCE,
            "instance-generation",
            "Instances use current-generation families",
            not old,
            f"previous generation: {', '.join(old)}" if old else ", ".join(sorted(set(families))),
        )
        graviton = [f for f in families if f.split(".")[0].endswith(("g", "gd", "gn"))]
        yield Check(
            COST,
            "graviton",
            "Instances run on Graviton (about 20% cheaper for the same work)",
            len(graviton) == len(families),
            f"{len(graviton)} of {len(families)} instance(s) on Graviton",
        )


@check
def _edge(templates: Templates) -> Iterator[Check]:
    associations = _all(templates, "AWS::WAFv2::WebACLAssociation")
    for stack, logical_id, lb in _all(templates, "AWS::ElasticLoadBalancingV2::LoadBalancer"):
        attributes = {a["Key"]: a["Value"] for a in _props(lb).get("LoadBalancerAttributes", [])}
        yield Check(
            OPERATIONS,
            "alb-access-logs",
            f"{stack}/{logical_id}: access logs are kept",
            attributes.get("access_logs.s3.enabled") == "true",
            f"access_logs.s3.enabled={attributes.get('access_logs.s3.enabled', 'false')}",
        )
        if _props(lb).get("Scheme", "internet-facing") == "internet-facing":
            yield Check(
                SECURITY,
                "waf",
                f"{stack}/{logical_id}: a WAF web ACL screens internet traffic",
                bool(associations),
                f"{len(associations)} web ACL association(s)",
            )
    for _, _, group in _all(templates, "AWS::EC2::SecurityGroup"):
        for rule in _props(group).get("SecurityGroupIngress", []):
            if rule.get("FromPort", 0) <= 22 <= rule.get("ToPort", -1):
                yield Check(SECURITY, "no-ssh", "No security group opens SSH", False, str(rule))
                return
    yield Check(SECURITY, "no-ssh", "No security group opens SSH (port 22)", True, "none does")
    endpoints = _all(templates, "AWS::EC2::VPCEndpoint")
    if _all(templates, "AWS::EC2::NatGateway"):
        yield Check(
            COST,
            "gateway-endpoints",
            "S3 and DynamoDB traffic bypasses the NAT (gateway endpoints)",
            len(endpoints) >= 1,
            f"{len(endpoints)} endpoint(s)",
        )


def run_checks(templates: Templates) -> list[Check]:
    return [result for function in CHECKS for result in function(templates)]


def nag_findings(cdk_out: Path) -> list[dict[str, Any]]:
    """Unacknowledged findings from the validation report (present when a synth failed)."""
    report_file = cdk_out / "validation-report.json"
    if not report_file.exists():
        return []
    try:
        report = json.loads(report_file.read_text())
    except json.JSONDecodeError as err:
        raise AssemblyError(f"{report_file} is not valid JSON ({err})") from None
    findings = []
    for plugin in report.get("pluginReports", []):
        for violation in plugin.get("violations", []):
            findings.append(
                {
                    "rule": violation["ruleName"],
                    "pillar": rule_pillar(violation["ruleName"]) or "unmapped",
                    "description": violation.get("description", ""),
                    "where": [
                        c.get("constructPath") for c in violation.get("violatingConstructs", [])
                    ],
                    "severity": violation.get("severity", "error"),
                }
            )
    return findings


def review(cdk_out: str | Path) -> dict[str, Any]:
    out = Path(cdk_out)
    templates, _ = load_app(out)
    checks = run_checks(templates)
    findings = nag_findings(out)
    acknowledged = [
        {**row, "pillar": rule_pillar(row["rule"]) or "unmapped"}
        for row in acknowledgments_in(templates)
    ]
    pillars = {}
    for pillar in PILLARS:
        mine = [c for c in checks if c.pillar == pillar]
        pillars[pillar] = {
            "passed": [asdict(c) for c in mine if c.passed],
            "findings": [asdict(c) for c in mine if not c.passed]
            + [f for f in findings if f["pillar"] == pillar],
            "acknowledged": [a for a in acknowledged if a["pillar"] == pillar],
            "score": f"{sum(c.passed for c in mine)}/{len(mine)}",
        }
    return {
        "stacks": sorted(templates),
        "pillars": pillars,
        "unmapped": [a["rule"] for a in acknowledged if a["pillar"] == "unmapped"]
        + [f["rule"] for f in findings if f["pillar"] == "unmapped"],
    }


def row(css: str, status: str, check_html: str, detail_html: str) -> str:
    return f"<tr><td class={css}>{status}</td><td>{check_html}</td><td>{detail_html}</td></tr>"


def to_html(result: dict[str, Any]) -> str:
    """A single self-contained page (inline CSS, no scripts or external assets)."""
    e = html.escape
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        "<title>wellstack Well-Architected review</title><style>",
        "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;color:#222}",
        "h2{border-bottom:2px solid #ddd;padding-bottom:.2em}table{border-collapse:collapse;",
        "width:100%;margin:.5em 0 1.5em}td,th{border:1px solid #ddd;padding:.3em .5em;",
        "text-align:left;vertical-align:top}.pass{color:#1a7f37}.fail{color:#b42318}",
        ".ack{color:#6b4f00}code{font-size:12px}</style></head><body>",
        "<h1>Well-Architected review</h1>",
        f"<p>Stacks: {e(', '.join(result['stacks']))}</p>",
    ]
    for pillar, data in result["pillars"].items():
        parts.append(
            f"<h2>{e(pillar.title())} <small>({e(data['score'])} checks pass)</small></h2>"
        )
        parts.append("<table><tr><th>status</th><th>check</th><th>detail</th></tr>")
        for item in data["findings"]:
            title = item.get("title") or item.get("rule")
            detail = item.get("detail") or item.get("description", "")
            parts.append(row("fail", "finding", e(str(title)), e(str(detail))))
        for item in data["passed"]:
            parts.append(row("pass", "pass", e(item["title"]), e(item["detail"])))
        for item in data["acknowledged"]:
            where = f"<code>{e(item['rule'])}</code><br>{e(item['where'])}"
            parts.append(row("ack", "acknowledged", where, e(item["reason"])))
        parts.append("</table>")
    parts.append("</body></html>\n")
    return "".join(parts)
