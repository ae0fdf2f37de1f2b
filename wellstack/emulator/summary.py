"""What the sandbox holds, read back through the AWS API (never through our own templates):
stacks and outputs, each VPC with its subnets (tier, AZ, CIDR, where the default route goes and,
for a NAT gateway, in which AZ it is), NAT gateways, security groups, the load balancer and the
Auto Scaling group; and, after a destroy, what is left."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wellstack.emulator.server import Emulator

#: The bootstrap stack: not the environment's, never destroyed by ``sandbox down``.
BOOTSTRAP_STACK = "CDKToolkit"

#: Resource types of wellstack's templates that moto (5.2.5) accepts but does not create, and
#: what the read-back therefore cannot show. A test checks this against moto's model map and the
#: synthesized templates.
NOT_MODELLED: dict[str, str] = {
    "AWS::RDS::DBCluster": "no Aurora cluster: the writer and readers read back as standalone "
    "instances, and a destroy takes no final snapshot",
    "AWS::RDS::DBClusterParameterGroup": "no cluster parameters (TLS, log exports)",
    "AWS::EC2::SecurityGroupEgress": "no egress rules: every security group reads back with "
    "AWS's default allow-all egress (the templates' egress is checked offline)",
    "AWS::CloudWatch::Alarm": "no alarms",
    "AWS::AutoScaling::ScalingPolicy": "no scaling policies",
    "AWS::Backup::BackupVault": "no backup vault",
    "AWS::Backup::BackupPlan": "no backup plan",
    "AWS::Backup::BackupSelection": "no backup selection",
    "AWS::S3::BucketPolicy": "no bucket policies (TLS-only access, log delivery)",
    "AWS::SNS::TopicPolicy": "no topic policy",
    "AWS::WAFv2::WebACL": "no web ACL",
    "AWS::WAFv2::WebACLAssociation": "the load balancer reads back without a web ACL",
    "AWS::WAFv2::LoggingConfiguration": "no WAF logging",
    "AWS::CDK::Metadata": "CDK's version report; nothing to model",
    "AWS::RDS::GlobalCluster": "no global database: the DR region's secondary-cluster stack "
    "deploys but holds no cluster",
    "AWS::SecretsManager::Secret": "no generated master secret (a global database's primary): "
    "nothing is replicated to the DR region",
    "AWS::SecretsManager::SecretTargetAttachment": "the secret is not tied to the cluster",
    "AWS::SecretsManager::RotationSchedule": "no rotation (the hosted rotation function is made "
    "by CloudFormation's AWS::SecretsManager transform, which moto does not run)",
    "AWS::SecretsManager::ResourcePolicy": "no policy on the secret",
}
#: What else the sandbox's read-back cannot show, beyond :data:`NOT_MODELLED`.
READ_BACK_GAPS = (
    "Stopping or restarting the emulator loses everything: moto keeps its state in memory "
    "(`make sandbox-stop`; the next `make sandbox` starts from nothing).",
    "No instance refresh or rolling update: moto 5.2.5 ignores the group's UpdatePolicy (and "
    "implements no DescribeInstanceRefreshes); when the group changes (a new launch template "
    "version, new subnets) it re-creates it, with a new name and new instances, and waits for no "
    "health check, alarm or cfn-signal. A real deploy refreshes the instances — launching new "
    "ones before stopping old ones, gated by the tier's alarms — or, with update='rolling', "
    "replaces them one at a time.",
    "Nothing runs: instances have no user data executed, the load balancer answers no "
    "requests, NAT gateways route nothing; the read-back checks wiring (ids, CIDRs, routes, "
    "rules), not traffic.",
    "A destroy keeps RETAINed buckets, KMS keys and log groups, as in AWS; buckets are emptied "
    "by nobody and keys are not scheduled for deletion.",
    "No S3 replication: moto's CloudFormation bucket ignores ReplicationConfiguration, so with a "
    "DR region the replica bucket exists under the name the primary expects, but nothing is "
    "replicated into it.",
)


def summary(emulator: Emulator, region: str) -> dict[str, Any]:
    """What the emulator holds, read back through the AWS API."""
    target = emulator.target(region)
    ec2 = target.client("ec2", region)
    autoscaling = target.client("autoscaling", region)
    return {
        "stacks": _stacks(target.client("cloudformation", region)),
        "vpcs": [_vpc(ec2, vpc) for vpc in ec2.describe_vpcs()["Vpcs"] if not vpc.get("IsDefault")],
        "load_balancers": [
            {"name": lb["LoadBalancerName"], "scheme": lb["Scheme"], "dns": lb["DNSName"]}
            for lb in target.client("elbv2", region).describe_load_balancers()["LoadBalancers"]
        ],
        "auto_scaling_groups": [
            {
                "name": group["AutoScalingGroupName"],
                "min": group["MinSize"],
                "max": group["MaxSize"],
                "subnets": group["VPCZoneIdentifier"].split(","),
                "launch_template_version": (group.get("LaunchTemplate") or {}).get("Version"),
                "instance_types": sorted({i["InstanceType"] for i in group["Instances"]}),
            }
            for group in autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]
        ],
    }


def _stacks(cloudformation: Any) -> dict[str, Any]:
    return {
        stack["StackName"]: {
            "status": stack["StackStatus"],
            "outputs": {
                o["OutputKey"]: o["OutputValue"]
                for o in stack.get("Outputs") or []
                if not o["OutputKey"].startswith("ExportsOutput")
            },
        }
        for stack in cloudformation.describe_stacks()["Stacks"]
        if stack["StackName"] != BOOTSTRAP_STACK
    }


def _vpc(ec2: Any, vpc: Mapping[str, Any]) -> dict[str, Any]:
    in_vpc = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
    subnets = ec2.describe_subnets(Filters=in_vpc)["Subnets"]
    zone_of = {s["SubnetId"]: s["AvailabilityZone"] for s in subnets}
    nat_gateways = [
        {"id": n["NatGatewayId"], "subnet": n["SubnetId"], "az": zone_of.get(n["SubnetId"])}
        for n in ec2.describe_nat_gateways(Filters=in_vpc)["NatGateways"]
        if n["State"] not in ("deleted", "deleting", "failed")
    ]
    default_route = _default_routes(ec2.describe_route_tables(Filters=in_vpc)["RouteTables"])
    nat_zone = {n["id"]: n["az"] for n in nat_gateways}
    return {
        "id": vpc["VpcId"],
        "cidr": vpc["CidrBlock"],
        "subnets": sorted(
            (
                {
                    "id": s["SubnetId"],
                    "tier": _tag(s, "aws-cdk:subnet-name").lower(),
                    "az": s["AvailabilityZone"],
                    "cidr": s["CidrBlock"],
                    "default_route": default_route.get(s["SubnetId"]),
                    "default_route_az": nat_zone.get(default_route.get(s["SubnetId"]) or ""),
                }
                for s in subnets
            ),
            key=lambda s: (s["tier"], s["az"]),
        ),
        "nat_gateways": nat_gateways,
        "endpoints": sorted(
            (
                {
                    "service": e["ServiceName"].rsplit(".", 1)[-1]
                    if e["VpcEndpointType"] == "Gateway"
                    else e["ServiceName"].split(".", 3)[-1],
                    "type": e["VpcEndpointType"],
                    "subnets": sorted(e.get("SubnetIds") or []),
                    "private_dns": bool(e.get("PrivateDnsEnabled")),
                    "security_groups": sorted(g["GroupId"] for g in e.get("Groups") or []),
                }
                for e in ec2.describe_vpc_endpoints(Filters=in_vpc)["VpcEndpoints"]
            ),
            key=lambda e: (e["type"], e["service"]),
        ),
        "security_groups": {
            group["GroupId"]: {"name": group["GroupName"], "ingress": _ingress(group)}
            for group in ec2.describe_security_groups(Filters=in_vpc)["SecurityGroups"]
        },
    }


def _tag(resource: Mapping[str, Any], key: str) -> str:
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}.get(key, "?")


def _default_routes(tables: list[dict[str, Any]]) -> dict[str, str | None]:
    """subnet id -> the target of its 0.0.0.0/0 route (igw-..., nat-..., None), through the
    route table EC2 says the subnet is associated with."""
    result: dict[str, str | None] = {}
    for table in tables:
        target = next(
            (
                route.get("NatGatewayId") or route.get("GatewayId")
                for route in table["Routes"]
                if route.get("DestinationCidrBlock") == "0.0.0.0/0"
            ),
            None,
        )
        for association in table.get("Associations", []):
            if association.get("SubnetId"):
                result[association["SubnetId"]] = target
    return result


def _ingress(group: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "port": permission.get("FromPort"),
            "protocol": permission.get("IpProtocol"),
            "from": [r["CidrIp"] for r in permission.get("IpRanges", [])]
            + [p["GroupId"] for p in permission.get("UserIdGroupPairs", [])],
        }
        for permission in group["IpPermissions"]
    ]


def leftovers(emulator: Emulator, region: str) -> list[str]:
    """What a destroy should have removed but the emulator still holds, read back through the
    API: stacks (other than the bootstrap stack), exports, and every VPC but the default one with
    what is in it. Resources the templates RETAIN (buckets, keys, log groups) are not listed:
    keeping them is the point."""
    target = emulator.target(region)
    cloudformation = target.client("cloudformation", region)
    ec2 = target.client("ec2", region)
    left = [
        f"stack {s['StackName']} ({s['StackStatus']})"
        for s in cloudformation.describe_stacks()["Stacks"]
        if s["StackName"] != BOOTSTRAP_STACK
    ]
    left += [f"export {e['Name']}" for e in cloudformation.list_exports()["Exports"]]
    for vpc in ec2.describe_vpcs()["Vpcs"]:
        if vpc.get("IsDefault"):
            continue
        info = _vpc(ec2, vpc)
        left.append(
            f"VPC {info['id']} {info['cidr']} with {len(info['subnets'])} subnet(s), "
            f"{len(info['nat_gateways'])} NAT gateway(s), "
            f"{len(info['security_groups'])} security group(s)"
        )
    left += [
        f"Elastic IP {a['PublicIp']}"
        for a in ec2.describe_addresses()["Addresses"]
        if a.get("AllocationId")
    ]
    return left


def render(info: Mapping[str, Any]) -> str:
    lines = []
    for name, stack in info["stacks"].items():
        lines.append(f"stack {name}: {stack['status']}")
        for key, value in stack["outputs"].items():
            lines.append(f"  {key} = {value}")
    for vpc in info["vpcs"]:
        lines.append(f"VPC {vpc['id']} {vpc['cidr']}, {len(vpc['nat_gateways'])} NAT gateway(s)")
        for subnet in vpc["subnets"]:
            route = subnet["default_route"] or "no default route"
            if subnet["default_route_az"]:
                route += f" (in {subnet['default_route_az']})"
            lines.append(
                f"  {subnet['tier']:<9} {subnet['az']:<16} {subnet['cidr']:<15} "
                f"{subnet['id']:<25} -> {route}"
            )
        for group in vpc["security_groups"].values():
            rules = "; ".join(
                f"{r['protocol']}:{r['port']} from {', '.join(r['from'])}" for r in group["ingress"]
            )
            lines.append(f"  SG {group['name'][:48]:<48} {rules or 'no ingress'}")
    for lb in info["load_balancers"]:
        lines.append(f"load balancer {lb['name']} ({lb['scheme']}): {lb['dns']}")
    for group in info["auto_scaling_groups"]:
        types = ", ".join(group["instance_types"]) or "no instances"
        lines.append(
            f"auto scaling group {group['name']}: {group['min']}-{group['max']} instances in "
            f"{len(group['subnets'])} subnets ({types}, launch template version "
            f"{group['launch_template_version']})"
        )
    return "\n".join(lines)
