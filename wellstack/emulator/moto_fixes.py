"""Fixes applied to moto (5.2.5) inside the sandbox's emulator process, each for a moto gap that
would otherwise break the sandbox's lifecycle (create, update, destroy, create again). They run
only in ``python -m wellstack.emulator.moto_server``; moto itself is not modified on disk. moto's
internals are reached through ``Any``: they are not a typed API.

Every fix is listed in :data:`MOTO_FIXES` (generated into the docs) with the moto behaviour
behind it and a minimal reproduction.
"""

from __future__ import annotations

import contextlib
from typing import Any, NamedTuple


class MotoFix(NamedTuple):
    """One fix: a short key (the test that reproduces it has the same name), what it fixes,
    moto's behaviour behind it, and a minimal reproduction."""

    key: str
    what: str
    behaviour: str
    reproduction: str


#: Every fix, in the order :func:`apply` installs them. tests/integration/test_moto_fixes.py runs
#: each reproduction against plain moto (it must still show the gap) and the fixed server.
MOTO_FIXES: tuple[MotoFix, ...] = (
    MotoFix(
        "elb-full-names",
        "Fn::GetAtt of a load balancer's LoadBalancerFullName and a target group's "
        "TargetGroupFullName (the dimensions of ELB metrics, used by the alarms)",
        "moto raises NotImplementedError for LoadBalancerFullName and has no "
        "get_cfn_attribute at all on FakeTargetGroup (AttributeError), failing the stack",
        'a template with an AWS::ElasticLoadBalancingV2::TargetGroup "TG" and an output '
        '{"Fn::GetAtt": ["TG", "TargetGroupFullName"]} -> create_stack fails',
    ),
    MotoFix(
        "exports-follow-updates",
        "A stack update publishes the exports of the new template",
        "moto's update_stack keeps the exports of the stack's creation, so a stack that imports "
        "a value exported by an update fails ('No export named ...')",
        "create stack A exporting X; update A to also export Y; create stack B importing Y -> "
        "'No export named Y found'",
    ),
    MotoFix(
        "replace-or-modify",
        "A resource moto cannot update in place is replaced (a route whose target changed, a "
        "DB subnet group whose subnets changed ...); a gateway endpoint's route tables and a "
        "load balancer's subnets and security groups are modified in place, as CloudFormation "
        "does",
        "moto's stack update stores None for such a resource: the old one stays as it was (a "
        "private route keeps pointing at the old NAT gateway), the stack forgets it, and a later "
        "delete leaves it behind and cannot delete the VPC ('has dependencies')",
        "create a stack with an AWS::EC2::Route to NAT gateway A; update it to NAT gateway B -> "
        "DescribeRouteTables still shows A, ListStackResources no longer lists the route",
    ),
    MotoFix(
        "delete-what-moto-cannot",
        "Deleting a stack deletes its NAT gateways, Elastic IPs, internet gateway and its "
        "attachment, route tables, their routes and subnet associations, gateway endpoints, "
        "flow logs and managed policies, and detaches a role's managed policies before deleting "
        "the role",
        "moto has no CloudFormation delete for these types: they survive a stack delete, the VPC "
        "then 'has dependencies', the delete fails half-way and the stack's exports stay "
        "('Export names must be unique' on the next create)",
        "create a stack with an AWS::EC2::VPC, an AWS::EC2::RouteTable in it and a subnet; "
        "delete_stack -> 'The vpc ... has dependencies and cannot be deleted'; a role with "
        "an attached managed policy -> 'Cannot delete entity, must detach all policies first'",
    ),
    MotoFix(
        "real-associations",
        "A subnet's route table association made by CloudFormation is a real EC2 association: "
        "DescribeRouteTables lists it and the subnet uses that table",
        "moto records an AWS::EC2::SubnetRouteTableAssociation aside: DescribeRouteTables shows "
        "no association, so through the API every subnet seems to use the main route table "
        "(no internet or NAT route)",
        "create a stack with a route table, a subnet and an AWS::EC2::SubnetRouteTableAssociation "
        "-> describe_route_tables(Filters=[association.subnet-id=<subnet>]) is empty",
    ),
    MotoFix(
        "dependents-follow",
        "A resource whose template is unchanged is updated when a value it references changed "
        "(an Auto Scaling group follows its launch template's LatestVersionNumber, so a new "
        "instance type reaches the group)",
        "moto's update_stack updates only resources whose template text changed; a Ref or "
        "Fn::GetAtt whose value changed is not re-resolved, so the group keeps launch template "
        "version 1 after the instance type changed",
        "create a stack with an AWS::EC2::LaunchTemplate and an AWS::AutoScaling::AutoScalingGroup "
        "on its LatestVersionNumber; change the InstanceType -> the group still names version 1",
    ),
    MotoFix(
        "deleted-stays-deleted",
        "A deleted stack stays deleted: reading it back (DescribeStacks by stack id, as the CDK "
        "CLI does while it waits) shows no outputs, exports or resources",
        "moto evaluates a stack's exports afresh on every read, and a Ref to a resource the "
        "delete removed creates that resource again: after a delete a new VPC and NAT gateway "
        "appear, and the next create finds two VPCs",
        "create a stack with an AWS::EC2::VPC and an output exporting its Ref; delete_stack; "
        "describe_stacks(StackName=<stack id>) -> describe_vpcs lists a new VPC",
    ),
    MotoFix(
        "failed-delete-keeps-stack",
        "A delete that fails leaves the stack DELETE_FAILED with its exports, as CloudFormation "
        "does, so the next destroy can try again",
        "moto removes the stack from its list before deleting its resources: when a resource "
        "cannot be deleted the stack disappears but its exports and resources stay, and the "
        "next create fails ('Export names must be unique')",
        "create a stack whose resource cannot be deleted; delete_stack -> list_stacks no longer "
        "shows it, list_exports still does",
    ),
    MotoFix(
        "adopt-kept-log-groups",
        "Creating a stack adopts a kept log group of the same (explicit) name, as a real deploy "
        "does with `cdk deploy --import-existing-resources` (which the direct deploy method the "
        "sandbox uses cannot pass)",
        "moto's create fails with ResourceAlreadyExistsException when a log group a destroy kept "
        "(DeletionPolicy Retain) is created again, so destroy -> create never works",
        "create a stack with a Retain AWS::Logs::LogGroup named /x; delete it; create it again "
        "-> 'The specified log group already exists'",
    ),
)


def _full_name(arn: str, resource: str) -> str:
    """``arn:...:loadbalancer/app/name/id`` -> ``app/name/id``; ``...:targetgroup/n/id`` ->
    ``targetgroup/n/id`` (the form CloudWatch's dimensions take)."""
    tail = arn.split(":", 5)[-1]
    return tail.removeprefix("loadbalancer/") if resource == "loadbalancer" else tail


def apply() -> None:
    """Install every fix (idempotent)."""
    from moto.elbv2 import models

    load_balancer_get = models.FakeLoadBalancer.get_cfn_attribute
    if getattr(load_balancer_get, "_wellstack", False):
        return
    _exports_follow_updates()
    _replace_what_cannot_be_updated()
    _dependents_follow_updates()
    _delete_what_moto_cannot()
    _associations_are_real()
    _deleted_stacks_stay_deleted()
    _failed_deletes_keep_the_stack()
    _adopt_kept_log_groups()

    def get_load_balancer_attribute(self: Any, attribute_name: str) -> Any:
        if attribute_name == "LoadBalancerFullName":
            return _full_name(self.arn, "loadbalancer")
        return load_balancer_get(self, attribute_name)

    def has_target_group_attribute(cls: Any, attribute_name: str) -> bool:
        return attribute_name in ("TargetGroupArn", "TargetGroupName", "TargetGroupFullName",
                                  "LoadBalancerArns")  # fmt: skip

    def get_target_group_attribute(self: Any, attribute_name: str) -> Any:
        values = {
            "TargetGroupArn": self.arn,
            "TargetGroupName": self.name,
            "TargetGroupFullName": _full_name(self.arn, "targetgroup"),
            "LoadBalancerArns": list(getattr(self, "load_balancer_arns", [])),
        }
        if attribute_name not in values:
            from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

            raise UnformattedGetAttTemplateException()
        return values[attribute_name]

    get_load_balancer_attribute._wellstack = True  # type: ignore[attr-defined]
    models.FakeLoadBalancer.get_cfn_attribute = get_load_balancer_attribute  # type: ignore[method-assign]
    models.FakeTargetGroup.has_cfn_attr = classmethod(has_target_group_attribute)  # type: ignore[method-assign,assignment]
    models.FakeTargetGroup.get_cfn_attribute = get_target_group_attribute  # type: ignore[attr-defined]


def _exports_follow_updates() -> None:
    from moto.cloudformation import models

    update_stack = models.CloudFormationBackend.update_stack

    def update_with_exports(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        before = [export.name for export in self.get_stack(name).exports]
        stack = update_stack(self, name, *args, **kwargs)
        for export_name in before:
            self.exports.pop(export_name, None)
        for export in stack.exports:
            self.exports[export.name] = export
        return stack

    models.CloudFormationBackend.update_stack = update_with_exports  # type: ignore[method-assign]


def _replace_what_cannot_be_updated() -> None:
    from moto.cloudformation import parsing
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.route_tables import Route
    from moto.ec2.models.vpcs import VPCEndPoint
    from moto.elbv2.models import FakeLoadBalancer, elbv2_backends

    update_resource = parsing.parse_and_update_resource

    def endpoint(original: Any, properties: dict[str, Any], account: str, region: str) -> None:
        wanted = set(properties.get("RouteTableIds", []))
        current = set(original.route_table_ids or [])
        backend: Any = ec2_backends[account][region]
        backend.modify_vpc_endpoint(
            original.id, None, None, None, sorted(current - wanted), sorted(wanted - current),
            None, None,
        )  # fmt: skip

    def load_balancer(original: Any, properties: dict[str, Any], account: str, region: str) -> None:
        backend = elbv2_backends[account][region]
        backend.set_subnets(original.arn, properties.get("Subnets", []), [])
        if properties.get("SecurityGroups"):
            backend.set_security_groups(original.arn, properties["SecurityGroups"])

    #: What CloudFormation updates in place (no replacement) for the properties wellstack changes.
    in_place: dict[type, Any] = {VPCEndPoint: endpoint, FakeLoadBalancer: load_balancer}

    def update_or_replace(
        logical_id: str,
        resource_json: dict[str, Any],
        resources_map: Any,
        account_id: str,
        region_name: str,
    ) -> Any:
        resolved = parsing.parse_resource_and_generate_name(
            logical_id, resource_json, resources_map
        )
        original = resources_map._parsed_resources.get(logical_id)
        if not resolved:  # a type moto does not model: keep what it had
            return original
        resource_class, properties, _ = resolved
        if not hasattr(resource_class.update_from_cloudformation_json, "__isabstractmethod__"):
            return update_resource(
                logical_id, resource_json, resources_map, account_id, region_name
            )
        if type(original) in in_place:
            in_place[type(original)](
                original, properties.get("Properties", {}), account_id, region_name
            )
            return original
        if isinstance(original, Route):
            backend: Any = ec2_backends[account_id][region_name]
            backend.delete_route(
                original.route_table.id,
                original.destination_cidr_block,
                original.destination_ipv6_cidr_block,
            )
        elif original is not None and not isinstance(original, str):
            resources_map._delete_resource(original, resource_json)
        return parsing.parse_and_create_resource(
            logical_id, resource_json, resources_map, account_id, region_name
        )

    parsing.parse_and_update_resource = update_or_replace


def _references(template: Any) -> set[str]:
    """The logical ids a piece of template names through Ref, Fn::GetAtt or Fn::Sub."""
    import re

    if isinstance(template, list):
        return set().union(*(_references(item) for item in template)) if template else set()
    if not isinstance(template, dict):
        return set()
    found: set[str] = set()
    for key, value in template.items():
        if key == "Ref" and isinstance(value, str):
            found.add(value)
        elif key == "Fn::GetAtt":
            target = value[0] if isinstance(value, list) else str(value).split(".")[0]
            found.add(target)
        elif key == "Fn::Sub":
            text = value[0] if isinstance(value, list) else value
            found |= {name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", str(text))}
            found |= _references(value[1] if isinstance(value, list) else None)
        else:
            found |= _references(value)
    return found


def _dependents_follow_updates() -> None:
    from moto.cloudformation import parsing

    update = parsing.ResourceMap.update

    def resolved(resources: Any, logical_id: str) -> Any:
        try:
            return parsing.clean_json(
                resources._resource_json_map[logical_id].get("Properties", {}), resources
            )
        except Exception:  # an attribute moto cannot resolve: nothing to compare
            return None

    def update_with_dependents(self: Any, template: dict[str, Any], parameters: Any = None) -> None:
        diff = self.build_resource_diff(template, parameters)
        unchanged = [
            name for name in template["Resources"]
            if name in self._parsed_resources and name not in diff["Modify"]
        ]  # fmt: skip
        before = {name: resolved(self, name) for name in unchanged}
        update(self, template, parameters)
        changed = set(diff["Modify"]) | set(diff["Add"])
        while True:
            followers = [
                name for name in unchanged
                if name not in changed and _references(template["Resources"][name]) & changed
                and before[name] is not None and resolved(self, name) != before[name]
            ]  # fmt: skip
            if not followers:
                return
            for name in followers:
                self._parsed_resources[name] = parsing.parse_and_update_resource(
                    name, template["Resources"][name], self, self._account_id, self._region_name
                )
                changed.add(name)

    parsing.ResourceMap.update = update_with_dependents  # type: ignore[method-assign]


def _delete_what_moto_cannot() -> None:
    """A CloudFormation delete, through the EC2 and IAM backends, for the types moto cannot
    delete. A dependency error makes moto's delete loop try again in its next pass, as
    CloudFormation's dependency order would."""
    from moto.cloudformation import parsing
    from moto.ec2.exceptions import InvalidRouteError, InvalidRouteTableIdError
    from moto.ec2.models import ec2_backends
    from moto.iam.models import iam_backends

    def route(backend: Any, route: Any) -> None:
        with contextlib.suppress(
            InvalidRouteError, InvalidRouteTableIdError
        ):  # gone with its table
            backend.delete_route(
                route.route_table.id,
                route.destination_cidr_block,
                route.destination_ipv6_cidr_block,
            )

    def association(backend: Any, association: Any) -> None:
        backend.subnet_associations.pop(
            f"{association.route_table_id}:{association.subnet_id}", None
        )
        table = backend.route_tables.get(association.route_table_id)
        for association_id, subnet_id in list(getattr(table, "_associations", {}).items()):
            if subnet_id == association.subnet_id:
                backend.disassociate_route_table(association_id)

    def attachment(backend: Any, attachment: Any) -> None:
        if str(attachment.gateway_id).startswith("igw-"):
            igw = backend.get_internet_gateway(attachment.gateway_id)
            if igw.vpc is not None:
                backend.detach_internet_gateway(attachment.gateway_id, attachment.vpc_id)
        else:
            backend.detach_vpn_gateway(attachment.gateway_id, attachment.vpc_id)

    def address(backend: Any, eip: Any) -> None:
        in_use = [
            n for n in backend.nat_gateways.values()
            if n.state != "deleted" and getattr(n, "_eni", None) is eip.eni and eip.eni
        ]  # fmt: skip
        if in_use:
            raise RuntimeError("the Elastic IP is still used by a NAT gateway")
        backend.release_address(allocation_id=eip.allocation_id)

    def endpoint(backend: Any, endpoint: Any) -> None:
        # moto removes the endpoint's routes table by table and fails on a table that is gone.
        endpoint.route_table_ids = [
            table for table in endpoint.route_table_ids or [] if table in backend.route_tables
        ]
        backend.delete_vpc_endpoints([endpoint.id])

    def managed_policy(resources: Any, policy: Any) -> None:
        iam = iam_backends[resources._account_id]["aws"]
        for role in iam.roles.values():
            if policy.arn in role.managed_policies:
                iam.detach_role_policy(policy.arn, role.name)
        iam.delete_policy(policy.arn)

    deleters: dict[str, Any] = {
        "AWS::EC2::NatGateway": lambda b, r: b.delete_nat_gateway(r.id),
        "AWS::EC2::EIP": address,
        "AWS::EC2::InternetGateway": lambda b, r: b.delete_internet_gateway(r.id),
        "AWS::EC2::VPCGatewayAttachment": attachment,
        "AWS::EC2::VPCEndpoint": endpoint,
        "AWS::EC2::FlowLog": lambda b, r: b.delete_flow_logs([r.id]),
        "AWS::EC2::SubnetRouteTableAssociation": association,
        "AWS::EC2::RouteTable": lambda b, r: b.delete_route_table(r.id),
        "AWS::EC2::Route": route,
    }
    delete_resource = parsing.ResourceMap._delete_resource

    def role(resources: Any, role: Any) -> None:
        iam = iam_backends[resources._account_id]["aws"]
        for policy_arn in list(role.managed_policies):
            iam.detach_role_policy(policy_arn, role.name)
        delete_resource(resources, role, {"Type": "AWS::IAM::Role"})

    def delete(self: Any, parsed_resource: Any, resource_json: dict[str, Any]) -> None:
        kind = resource_json.get("Type", "")
        if kind == "AWS::IAM::ManagedPolicy" and parsed_resource is not None:
            managed_policy(self, parsed_resource)
        elif kind == "AWS::IAM::Role" and parsed_resource is not None:
            role(self, parsed_resource)
        elif kind in deleters and parsed_resource is not None:
            deleters[kind](ec2_backends[self._account_id][self._region_name], parsed_resource)
        else:
            delete_resource(self, parsed_resource, resource_json)

    parsing.ResourceMap._delete_resource = delete  # type: ignore[method-assign]


def _associations_are_real() -> None:
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.subnets import SubnetRouteTableAssociation

    def associate(
        cls: Any,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        properties = cloudformation_json["Properties"]
        backend = ec2_backends[account_id][region_name]
        backend.associate_route_table(properties["RouteTableId"], subnet_id=properties["SubnetId"])
        return backend.create_subnet_association(properties["RouteTableId"], properties["SubnetId"])

    SubnetRouteTableAssociation.create_from_cloudformation_json = classmethod(associate)  # type: ignore[method-assign,assignment]


def _deleted_stacks_stay_deleted() -> None:
    from moto.cloudformation.models import Stack as FakeStack

    def deleted(stack: Any) -> bool:
        return stack.status == "DELETE_COMPLETE"

    for name, empty in (("outputs", None), ("exports", []), ("stack_resources", [])):
        original = getattr(FakeStack, name)

        def read(self: Any, _original: Any = original, _empty: Any = empty) -> Any:
            return _empty if deleted(self) else _original.fget(self)

        setattr(FakeStack, name, property(read))


def _failed_deletes_keep_the_stack() -> None:
    from moto.cloudformation import models

    delete_stack = models.CloudFormationBackend.delete_stack

    def delete_or_keep(self: Any, name_or_stack_id: str) -> None:
        stacks = dict(self.stacks)
        try:
            delete_stack(self, name_or_stack_id)
        except Exception:
            for stack_id, stack in stacks.items():
                if stack_id not in self.stacks and stack.status != "DELETE_COMPLETE":
                    stack.status = "DELETE_FAILED"
                    self.stacks[stack_id] = stack
            raise

    models.CloudFormationBackend.delete_stack = delete_or_keep  # type: ignore[method-assign]


def _adopt_kept_log_groups() -> None:
    from moto.cloudformation.models import cloudformation_backends
    from moto.logs import models

    create = models.LogGroup.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def in_a_stack(group: Any, account_id: str, region_name: str) -> bool:
        stacks = cloudformation_backends[account_id][region_name].stacks.values()
        return any(
            parsed is group
            for stack in stacks
            for parsed in stack.resource_map._parsed_resources.values()
        )

    def create_or_adopt(
        cls: Any,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        name = cloudformation_json.get("Properties", {}).get("LogGroupName")
        kept = models.logs_backends[account_id][region_name].groups.get(name)
        if kept is not None and not in_a_stack(kept, account_id, region_name):
            return kept
        return create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    models.LogGroup.create_from_cloudformation_json = classmethod(create_or_adopt)  # type: ignore[method-assign,assignment]
