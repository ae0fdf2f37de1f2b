"""Helpers that read synthesized CloudFormation the way a reviewer would."""

from __future__ import annotations

from typing import Any

Template = dict[str, Any]


def resources(template: Template, type_: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == type_
    }


def tag(resource: dict[str, Any], key: str) -> str | None:
    for item in resource.get("Properties", {}).get("Tags", []):
        if item["Key"] == key:
            return item["Value"]
    return None


def ref(value: Any) -> str | None:
    """The logical id behind ``{"Ref": id}`` or ``{"Fn::GetAtt": [id, attr]}``."""
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"]
        if "Fn::GetAtt" in value:
            return value["Fn::GetAtt"][0]
    return None


def subnets(template: Template) -> dict[str, dict[str, str]]:
    """logical id -> {tier, az, cidr} for every subnet (tier from CDK's subnet-name tag)."""
    return {
        logical_id: {
            "tier": (tag(subnet, "aws-cdk:subnet-name") or "").lower(),
            "az": subnet["Properties"]["AvailabilityZone"],
            "cidr": subnet["Properties"]["CidrBlock"],
        }
        for logical_id, subnet in resources(template, "AWS::EC2::Subnet").items()
    }


def default_route_targets(template: Template) -> dict[str, tuple[str, str | None] | None]:
    """subnet logical id -> ("igw", id) / ("nat", NAT's subnet id) / None for no default route."""
    tables = {
        props["SubnetId"]["Ref"]: props["RouteTableId"]["Ref"]
        for props in (
            r["Properties"]
            for r in resources(template, "AWS::EC2::SubnetRouteTableAssociation").values()
        )
    }
    nats = resources(template, "AWS::EC2::NatGateway")
    targets: dict[str, tuple[str, str | None] | None] = {}
    for subnet_id, table_id in tables.items():
        target = None
        for route in resources(template, "AWS::EC2::Route").values():
            props = route["Properties"]
            if ref(props["RouteTableId"]) != table_id:
                continue
            if props.get("DestinationCidrBlock") != "0.0.0.0/0":
                continue
            if "GatewayId" in props:
                target = ("igw", ref(props["GatewayId"]))
            elif "NatGatewayId" in props:
                nat = nats[ref(props["NatGatewayId"])]
                target = ("nat", ref(nat["Properties"]["SubnetId"]))
            else:
                target = ("other", None)
        targets[subnet_id] = target
    return targets


def _rules(template: Template, group_id: str, direction: str) -> list[dict[str, Any]]:
    """A group's ``direction`` ("Ingress"/"Egress") rules: inline ones and separate resources."""
    group = template["Resources"][group_id]
    rules = list(group["Properties"].get(f"SecurityGroup{direction}", []))
    rules += [
        r["Properties"]
        for r in resources(template, f"AWS::EC2::SecurityGroup{direction}").values()
        if ref(r["Properties"]["GroupId"]) == group_id
    ]
    return rules


def ingress_rules(template: Template, group_id: str) -> list[dict[str, Any]]:
    """Every ingress rule of a security group: inline ones and AWS::EC2::SecurityGroupIngress."""
    return _rules(template, group_id, "Ingress")


def egress_rules(template: Template, group_id: str) -> list[dict[str, Any]]:
    return _rules(template, group_id, "Egress")
