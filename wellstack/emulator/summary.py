"""What the sandbox holds, read back through the AWS API (never through our own templates):
stacks and outputs, the VPC, subnets per tier and AZ, default routes per tier, security groups,
the load balancer and the Auto Scaling group."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from wellstack.emulator.server import Emulator


def detach_role_policies(emulator: Emulator, region: str) -> int:
    """moto deletes a stack's roles without detaching their managed policies first and then
    refuses ("must detach all policies first"); CloudFormation does detach them. Detach them
    through the IAM API before a destroy. Returns how many were detached."""
    cloudformation = emulator.target(region).client("cloudformation", region)
    iam = emulator.target(region).client("iam", region)
    detached = 0
    for stack in cloudformation.describe_stacks()["Stacks"]:
        if stack["StackName"] == "CDKToolkit":
            continue
        for page in cloudformation.get_paginator("list_stack_resources").paginate(
            StackName=stack["StackName"]
        ):
            for resource in page["StackResourceSummaries"]:
                if resource.get("ResourceType") != "AWS::IAM::Role":
                    continue
                role = resource["PhysicalResourceId"]
                for policy in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
                    iam.detach_role_policy(RoleName=role, PolicyArn=policy["PolicyArn"])
                    detached += 1
    return detached


def summary(emulator: Emulator, region: str) -> dict[str, Any]:
    """What the emulator holds, read back through the AWS API."""
    cloudformation = emulator.target(region).client("cloudformation", region)
    ec2 = emulator.target(region).client("ec2", region)
    stacks = {
        stack["StackName"]: {
            "status": stack["StackStatus"],
            "outputs": {
                o["OutputKey"]: o["OutputValue"]
                for o in stack.get("Outputs") or []
                if not o["OutputKey"].startswith("ExportsOutput")
            },
        }
        for stack in cloudformation.describe_stacks()["Stacks"]
        if stack["StackName"] != "CDKToolkit"
    }
    associated = _cloudformation_associations(cloudformation)
    vpcs = []
    for vpc in ec2.describe_vpcs()["Vpcs"]:
        if vpc.get("IsDefault"):
            continue
        vpc_filter = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
        subnets = ec2.describe_subnets(Filters=vpc_filter)["Subnets"]
        tiers = {
            s["SubnetId"]: {t["Key"]: t["Value"] for t in s.get("Tags", [])}.get(
                "aws-cdk:subnet-name", "?"
            ).lower()
            for s in subnets
        }
        routes: dict[str, set[str]] = {}
        for table in ec2.describe_route_tables(Filters=vpc_filter)["RouteTables"]:
            associations = [a for a in table.get("Associations", []) if a.get("SubnetId")] or [
                {"SubnetId": subnet}
                for subnet, table_id in associated.items()
                if table_id == table["RouteTableId"]
            ]
            targets = {
                "igw"
                if r.get("GatewayId", "").startswith("igw-")
                else "nat"
                if r.get("NatGatewayId")
                else "other"
                for r in table["Routes"]
                if r.get("DestinationCidrBlock") == "0.0.0.0/0"
            } or {"none"}
            for association in associations:
                if association.get("SubnetId") in tiers:
                    routes.setdefault(tiers[association["SubnetId"]], set()).update(targets)
        groups = {}
        for group in ec2.describe_security_groups(Filters=vpc_filter)["SecurityGroups"]:
            rules = []
            for permission in group["IpPermissions"]:
                sources = [r["CidrIp"] for r in permission.get("IpRanges", [])] + [
                    p["GroupId"] for p in permission.get("UserIdGroupPairs", [])
                ]
                rules.append(
                    {
                        "port": permission.get("FromPort"),
                        "protocol": permission.get("IpProtocol"),
                        "from": sources,
                    }
                )
            groups[group["GroupId"]] = {"name": group["GroupName"], "ingress": rules}
        vpcs.append(
            {
                "id": vpc["VpcId"],
                "cidr": vpc["CidrBlock"],
                "subnets": sorted(
                    (
                        {
                            "tier": tiers[s["SubnetId"]],
                            "az": s["AvailabilityZone"],
                            "cidr": s["CidrBlock"],
                        }
                        for s in subnets
                    ),
                    key=lambda s: (s["tier"], s["az"]),
                ),
                "default_routes": {tier: sorted(t) for tier, t in sorted(routes.items())},
                "nat_gateways": len(ec2.describe_nat_gateways(Filters=vpc_filter)["NatGateways"]),
                "security_groups": groups,
            }
        )
    elbv2 = emulator.target(region).client("elbv2", region)
    autoscaling = emulator.target(region).client("autoscaling", region)
    return {
        "stacks": stacks,
        "vpcs": vpcs,
        "load_balancers": [
            {"name": lb["LoadBalancerName"], "scheme": lb["Scheme"], "dns": lb["DNSName"]}
            for lb in elbv2.describe_load_balancers()["LoadBalancers"]
        ],
        "auto_scaling_groups": [
            {
                "name": group["AutoScalingGroupName"],
                "min": group["MinSize"],
                "max": group["MaxSize"],
                "subnets": group["VPCZoneIdentifier"].split(","),
            }
            for group in autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]
        ],
    }


def _cloudformation_associations(cloudformation: Any) -> dict[str, str]:
    """subnet id -> route table id, from the stacks' AWS::EC2::SubnetRouteTableAssociation
    resources. moto creates these associations but does not show them in
    DescribeRouteTables; AWS does, and the EC2 answer is used first."""
    result = {}
    for stack in cloudformation.describe_stacks()["Stacks"]:
        name = stack["StackName"]
        if name == "CDKToolkit":  # the bootstrap stack (YAML, no subnets)
            continue
        template = cloudformation.get_template(StackName=name)["TemplateBody"]
        template = template if isinstance(template, dict) else json.loads(template)
        physical = {
            r["LogicalResourceId"]: r.get("PhysicalResourceId")
            for page in cloudformation.get_paginator("list_stack_resources").paginate(
                StackName=name
            )
            for r in page["StackResourceSummaries"]
            if "LogicalResourceId" in r
        }
        for resource in template.get("Resources", {}).values():
            if resource["Type"] != "AWS::EC2::SubnetRouteTableAssociation":
                continue
            props = resource["Properties"]
            subnet = physical.get(props["SubnetId"].get("Ref", ""))
            table = physical.get(props["RouteTableId"].get("Ref", ""))
            if subnet and table:
                result[subnet] = table
    return result


def render(info: Mapping[str, Any]) -> str:
    lines = []
    for name, stack in info["stacks"].items():
        lines.append(f"stack {name}: {stack['status']}")
        for key, value in stack["outputs"].items():
            lines.append(f"  {key} = {value}")
    for vpc in info["vpcs"]:
        lines.append(f"VPC {vpc['id']} {vpc['cidr']}, {vpc['nat_gateways']} NAT gateway(s)")
        for subnet in vpc["subnets"]:
            lines.append(f"  {subnet['tier']:<9} {subnet['az']:<16} {subnet['cidr']}")
        for tier, targets in vpc["default_routes"].items():
            lines.append(f"  default route of {tier} subnets -> {', '.join(targets)}")
        for group in vpc["security_groups"].values():
            rules = "; ".join(
                f"{r['protocol']}:{r['port']} from {', '.join(r['from'])}" for r in group["ingress"]
            )
            lines.append(f"  SG {group['name'][:48]:<48} {rules or 'no ingress'}")
    for lb in info["load_balancers"]:
        lines.append(f"load balancer {lb['name']} ({lb['scheme']}): {lb['dns']}")
    for group in info["auto_scaling_groups"]:
        lines.append(
            f"auto scaling group {group['name']}: {group['min']}-{group['max']} instances in "
            f"{len(group['subnets'])} subnets"
        )
    return "\n".join(lines)
