"""``wellstack reach``: who can reach whom, statically, from the synthesized templates.

A model of the network as the templates declare it — subnets and their tier, route tables (a
default route to an internet gateway, a NAT gateway, something else, or none), network ACLs,
security groups with their inline and standalone rules (ingress and egress, cross-stack
references resolved) — and of where the load balancer (``web``), the instances (``app``) and the
database sit. From it, for every pair of the internet and those components, the TCP ports on
which a connection can be opened: a security group must admit it on both ends (the source's
egress, the destination's ingress), the network ACLs of both subnets must pass it (and its
return traffic on ephemeral ports: ACLs are stateless), and from or to the internet the subnet
needs a route to an internet gateway (and, inbound, an internet-facing load balancer or a public
address). Then the design's intents, each violation naming source, destination, ports and the
rules that open them.

Only TCP is modelled (``-1`` rules count as every port). It reads what CloudFormation would
create, not what is deployed: for a deployed network, see the Reachability Analyzer paths
``Network(reachability_paths=True)`` adds.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from wellstack.analysis.template import Assembly, Resource
from wellstack.limits import VPC_ORIGIN_LOOKUP

Ports = tuple[tuple[int, int], ...]
ALL: Ports = ((0, 65535),)
NONE: Ports = ()
EPHEMERAL: Ports = ((1024, 65535),)
INTERNET = "internet"
Role = Literal["edge", "web", "app", "proxy", "database"]
_PRIVATE = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                             "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
                                             "fc00::/7", "fe80::/10")]  # fmt: skip


# --- port ranges --------------------------------------------------------------------------------


def union(*parts: Iterable[tuple[int, int]]) -> Ports:
    spans = sorted(span for part in parts for span in part)
    merged: list[tuple[int, int]] = []
    for low, high in spans:
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return tuple(merged)


def intersect(a: Ports, b: Ports) -> Ports:
    return union(
        (max(x[0], y[0]), min(x[1], y[1]))
        for x in a
        for y in b
        if max(x[0], y[0]) <= min(x[1], y[1])
    )


def subtract(a: Ports, b: Ports) -> Ports:
    result = list(a)
    for low, high in b:
        cut = []
        for x, y in result:
            if y < low or x > high:
                cut.append((x, y))
                continue
            if x < low:
                cut.append((x, low - 1))
            if y > high:
                cut.append((high + 1, y))
        result = cut
    return union(result)


def show(ports: Ports) -> str:
    if not ports:
        return "-"
    if ports == ALL:
        return "all"
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in ports)


def contains(ports: Ports, port: int) -> bool:
    return any(a <= port <= b for a, b in ports)


# --- the model --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One security-group rule: TCP ports it opens to/from a peer (a group key or a CIDR)."""

    group: str
    direction: Literal["ingress", "egress"]
    ports: Ports
    peer_group: str | None
    peer_cidr: str | None
    origin: str

    def describe(self) -> str:
        peer = self.peer_group or self.peer_cidr or "?"
        way = "from" if self.direction == "ingress" else "to"
        return f"{self.origin}: {self.direction} tcp {show(self.ports)} {way} {peer}"


@dataclass
class Subnet:
    key: str
    vpc: str
    tier: str
    cidr: str
    default_route: str | None  # "igw", "nat", "other" or None
    route_origin: str = ""
    acl: list[dict[str, Any]] | None = None  # None: the VPC's default ACL (allows all)
    #: Where ``::/0`` goes: "igw", "eigw" (egress-only), "other" or None (no IPv6 route out).
    default_route6: str | None = None
    route6_origin: str = ""


@dataclass
class Component:
    role: Role
    name: str
    groups: list[str]
    subnets: list[Subnet]
    ports: Ports  # what it serves: listener ports, the target port, the database port
    public: bool = False  # reachable from the internet if routing allows (internet-facing ALB)


@dataclass
class Model:
    components: list[Component]
    rules: list[Rule]
    subnets: dict[str, Subnet]
    default_egress: set[str] = field(default_factory=set)  # groups without egress rules
    #: Groups by tier: those of the tier's components, and TierSecurityGroups' Web/App/Database
    #: (a DR region's groups, before an app tier runs there).
    tier_groups: dict[str, set[str]] = field(default_factory=dict)
    #: Groups of Secrets Manager rotation functions (a RotationSchedule's hosted rotation):
    #: the database admits them on its port, as it admits the app tier.
    rotation_groups: set[str] = field(default_factory=set)
    #: Database component -> the RDS Proxy component in front of it (the app's way in).
    fronts: dict[str, str] = field(default_factory=dict)


def _key(resource: Resource | None) -> str | None:
    return f"{resource.stack}/{resource.logical_id}" if resource else None


def tcp_ports(protocol: Any, low: Any, high: Any) -> Ports:
    protocol = str(protocol).lower()
    if protocol in ("-1", "all"):
        return ALL
    if protocol not in ("tcp", "6"):
        return NONE
    if not isinstance(low, int | str) or not isinstance(high, int | str):
        return ALL  # a port known only at deploy: assume the worst
    try:
        return ((max(0, int(low)), min(65535, int(high))),)
    except ValueError:
        return ALL


def _rules(assembly: Assembly) -> tuple[list[Rule], set[str]]:
    rules: list[Rule] = []
    default_egress: set[str] = set()
    replaced_default: set[str] = set()

    def add(group: str, direction: Any, raw: dict[str, Any], owner: Resource, where: str) -> None:
        ports = tcp_ports(raw.get("IpProtocol"), raw.get("FromPort"), raw.get("ToPort"))
        if not ports:
            return
        peer_key = (
            "SourceSecurityGroupId" if direction == "ingress" else "DestinationSecurityGroupId"
        )
        peer = _key(assembly.target(owner.stack, raw.get(peer_key)))
        if peer is None and raw.get(peer_key) is not None:
            peer = f"unresolved {raw.get(peer_key)!r}"
        cidr = raw.get("CidrIp") or raw.get("CidrIpv6")
        cidr = cidr if isinstance(cidr, str) else None
        if peer is None and cidr is None and raw.get("SourcePrefixListId") is None:
            return
        rules.append(Rule(group, direction, ports, peer, cidr, where))

    for group in assembly.resources("AWS::EC2::SecurityGroup"):
        key = _key(group) or ""
        for index, raw in enumerate(group.items("SecurityGroupIngress")):
            if isinstance(raw, dict):
                add(key, "ingress", raw, group, f"{key} inline ingress #{index}")
        egress = group.prop("SecurityGroupEgress")
        if egress is None:
            default_egress.add(key)
        for index, raw in enumerate(group.items("SecurityGroupEgress")):
            if isinstance(raw, dict):
                add(key, "egress", raw, group, f"{key} inline egress #{index}")
    for kind, direction in (
        ("AWS::EC2::SecurityGroupIngress", "ingress"),
        ("AWS::EC2::SecurityGroupEgress", "egress"),
    ):
        for standalone in assembly.resources(kind):
            group = _key(assembly.target(standalone.stack, standalone.prop("GroupId")))
            if group and direction == "egress":
                replaced_default.add(group)
            if group:
                add(group, direction, dict(standalone.properties), standalone,
                    f"{_key(standalone)} ({kind.split('::')[-1]})")  # fmt: skip
    # A group created without egress rules gets EC2's allow-all egress rule, and a standalone
    # AWS::EC2::SecurityGroupEgress replaces it when CloudFormation adds it (the behaviour CDK
    # relies on for allow_all_outbound=False: aws-cdk PR 998, issues 3355 and 15297).
    default_egress -= replaced_default
    return rules, default_egress


def subnets_of(assembly: Assembly) -> dict[str, Subnet]:
    """Every subnet of the assembly by ``stack/logical id``: tier, VPC, CIDR, where ``0.0.0.0/0``
    and ``::/0`` go, and its network ACL."""
    return _subnets(assembly)


def _route_kind(assembly: Assembly, route: Any) -> str:
    gateway = assembly.target(route.stack, route.prop("GatewayId"))
    if gateway is not None and gateway.type == "AWS::EC2::InternetGateway":
        return "igw"
    if route.prop("NatGatewayId") is not None:
        return "nat"
    if route.prop("EgressOnlyInternetGatewayId") is not None:
        return "eigw"
    return "other"


def _subnets(assembly: Assembly) -> dict[str, Subnet]:
    routes: dict[str, tuple[str, str]] = {}
    routes6: dict[str, tuple[str, str]] = {}
    for route in assembly.resources("AWS::EC2::Route"):
        if route.prop("DestinationCidrBlock") == "0.0.0.0/0":
            by_table = routes
        elif route.prop("DestinationIpv6CidrBlock") == "::/0":
            by_table = routes6
        else:
            continue
        table = _key(assembly.target(route.stack, route.prop("RouteTableId")))
        kind = _route_kind(assembly, route)
        if table and (table not in by_table or kind == "igw"):
            by_table[table] = (kind, f"{_key(route)} ({kind})")
    tables: dict[str, str] = {}
    for association in assembly.resources("AWS::EC2::SubnetRouteTableAssociation"):
        subnet = _key(assembly.target(association.stack, association.prop("SubnetId")))
        table = _key(assembly.target(association.stack, association.prop("RouteTableId")))
        if subnet and table:
            tables[subnet] = table
    acls: dict[str, list[dict[str, Any]]] = {}
    for entry in assembly.resources("AWS::EC2::NetworkAclEntry"):
        acl = _key(assembly.target(entry.stack, entry.prop("NetworkAclId")))
        if acl:
            acls.setdefault(acl, []).append({**entry.properties, "origin": _key(entry)})
    subnet_acl: dict[str, str] = {}
    for association in assembly.resources("AWS::EC2::SubnetNetworkAclAssociation"):
        subnet = _key(assembly.target(association.stack, association.prop("SubnetId")))
        acl = _key(assembly.target(association.stack, association.prop("NetworkAclId")))
        if subnet and acl:
            subnet_acl[subnet] = acl
    found = {}
    for subnet in assembly.resources("AWS::EC2::Subnet"):
        key = _key(subnet) or ""
        tier = next(
            (str(t.get("Value", "")).lower() for t in subnet.items("Tags")
             if isinstance(t, dict) and t.get("Key") == "aws-cdk:subnet-name"),
            "",
        )  # fmt: skip
        kind, origin = routes.get(tables.get(key, ""), (None, ""))
        kind6, origin6 = routes6.get(tables.get(key, ""), (None, ""))
        acl = subnet_acl.get(key)
        vpc = _key(assembly.target(subnet.stack, subnet.prop("VpcId"))) or ""
        found[key] = Subnet(
            key, vpc, tier, str(subnet.prop("CidrBlock", "")), kind, origin,
            acls.get(acl, []) if acl else None, kind6, origin6,
        )  # fmt: skip
    return found


def _subnet_list(
    assembly: Assembly, owner: Resource, values: Any, subnets: dict[str, Subnet]
) -> list[Subnet]:
    items = values if isinstance(values, list) else []
    keys = [_key(assembly.target(owner.stack, value)) for value in items]
    return [subnets[k] for k in keys if k in subnets]


def _groups(assembly: Assembly, owner: Resource, values: Any) -> list[str]:
    items = values if isinstance(values, list) else []
    return [k for k in (_key(assembly.target(owner.stack, v)) for v in items) if k]


def _components(assembly: Assembly, subnets: dict[str, Subnet]) -> list[Component]:
    found: list[Component] = []
    listeners: dict[str, list[int]] = {}
    for listener in assembly.resources("AWS::ElasticLoadBalancingV2::Listener"):
        lb = _key(assembly.target(listener.stack, listener.prop("LoadBalancerArn")))
        port = listener.prop("Port")
        if lb and isinstance(port, int):
            listeners.setdefault(lb, []).append(port)
    for lb in assembly.resources("AWS::ElasticLoadBalancingV2::LoadBalancer"):
        key = _key(lb) or ""
        found.append(Component(
            "web", key, _groups(assembly, lb, lb.prop("SecurityGroups")),
            _subnet_list(assembly, lb, lb.prop("Subnets"), subnets),
            union((p, p) for p in listeners.get(key, [])),
            public=lb.prop("Scheme", "internet-facing") == "internet-facing",
        ))  # fmt: skip
    target_ports: dict[str, int] = {}
    for group in assembly.resources("AWS::ElasticLoadBalancingV2::TargetGroup"):
        if isinstance(group.prop("Port"), int):
            target_ports[_key(group) or ""] = group.prop("Port")
    for asg in assembly.resources("AWS::AutoScaling::AutoScalingGroup"):
        template = assembly.target(
            asg.stack, asg.at("LaunchTemplate", "LaunchTemplateId", reference=True)
        )
        groups = []
        public = False
        if template is not None:
            groups = _groups(
                assembly, template, template.at("LaunchTemplateData", "SecurityGroupIds")
            )
            for index in range(len(template.at("LaunchTemplateData", "NetworkInterfaces") or [])):
                interface = ("LaunchTemplateData", "NetworkInterfaces", index)
                groups += _groups(assembly, template, template.at(*interface, "Groups"))
                public = public or template.at(*interface, "AssociatePublicIpAddress") is True
        ports = [
            target_ports.get(_key(assembly.target(asg.stack, arn)) or "", 0)
            for arn in asg.items("TargetGroupARNs")
        ]
        found.append(Component(
            "app", _key(asg) or "", groups,
            _subnet_list(assembly, asg, asg.prop("VPCZoneIdentifier"), subnets),
            union((p, p) for p in ports if p), public=public,
        ))  # fmt: skip
    for cluster in assembly.resources("AWS::RDS::DBCluster"):
        subnet_group = assembly.target(cluster.stack, cluster.prop("DBSubnetGroupName"))
        members = (
            _subnet_list(assembly, subnet_group, subnet_group.prop("SubnetIds"), subnets)
            if subnet_group
            else []
        )
        port = cluster.prop("Port")
        port = (
            port
            if isinstance(port, int)
            else (5432 if "postgres" in str(cluster.prop("Engine")) else 3306)
        )
        found.append(Component(
            "database", _key(cluster) or "",
            _groups(assembly, cluster, cluster.prop("VpcSecurityGroupIds")),
            members, ((port, port),), public=cluster.prop("PubliclyAccessible") is True,
        ))  # fmt: skip
    found += _edges(assembly, subnets)
    for proxy in assembly.resources("AWS::RDS::DBProxy"):
        # A proxy listens on the engine family's standard port (Aurora User Guide, RDS Proxy
        # limitations), whatever the cluster's.
        port = 5432 if proxy.prop("EngineFamily") == "POSTGRESQL" else 3306
        found.append(Component(
            "proxy", _key(proxy) or "",
            _groups(assembly, proxy, proxy.prop("VpcSecurityGroupIds")),
            _subnet_list(assembly, proxy, proxy.prop("VpcSubnetIds"), subnets), ((port, port),),
        ))  # fmt: skip
    return found


def _edges(assembly: Assembly, subnets: dict[str, Subnet]) -> list[Component]:
    """A CloudFront distribution with a VPC origin: it answers viewers on 80 and 443 (an HTTP
    request is redirected) and reaches the origin from CloudFront's VPC-origin group, in the
    load balancer's subnets; that group is what the custom resource marked
    :data:`VPC_ORIGIN_LOOKUP` returns."""
    found = []
    lookups = [r for r in assembly.resources() if r.metadata.get(VPC_ORIGIN_LOOKUP) is True]
    for distribution in assembly.resources("AWS::CloudFront::Distribution"):
        origins = distribution.at("DistributionConfig", "Origins", kind=list) or []
        balancers = []
        for origin in origins:
            config = origin.get("VpcOriginConfig") if isinstance(origin, dict) else None
            vpc_origin = (
                assembly.target(distribution.stack, config.get("VpcOriginId"))
                if isinstance(config, dict)
                else None
            )
            if vpc_origin is None:
                continue
            balancer = assembly.target(
                vpc_origin.stack, vpc_origin.at("VpcOriginEndpointConfig", "Arn", reference=True)
            )
            if balancer is not None:
                balancers.append(balancer)
        if not balancers:
            continue
        members = [
            s for lb in balancers for s in _subnet_list(assembly, lb, lb.prop("Subnets"), subnets)
        ]
        groups = [k for k in (_key(r) for r in lookups if r.stack == distribution.stack) if k]
        found.append(Component(
            "edge", _key(distribution) or "", groups, members, ((80, 80), (443, 443)),
            public=True,
        ))  # fmt: skip
    return found


def _fronts(assembly: Assembly) -> dict[str, str]:
    """Cluster -> the proxy whose target group names it."""
    found = {}
    for targets in assembly.resources("AWS::RDS::DBProxyTargetGroup"):
        proxy = _key(assembly.target(targets.stack, targets.prop("DBProxyName")))
        for cluster in targets.items("DBClusterIdentifiers"):
            key = _key(assembly.target(targets.stack, cluster))
            if proxy and key:
                found[key] = proxy
    return found


def model(assembly: Assembly) -> Model:
    subnets = _subnets(assembly)
    rules, default_egress = _rules(assembly)
    components = _components(assembly, subnets)
    tiers: dict[str, set[str]] = {
        role: set() for role in ("edge", "web", "app", "proxy", "database")
    }
    for component in components:
        tiers[component.role] |= set(component.groups)
    for role, groups in _tier_security_groups(assembly).items():
        tiers[role] |= groups
    # CloudFront's VPC-origin group is AWS's: its egress is not ours to read.
    default_egress |= tiers["edge"]
    return Model(components, rules, subnets, default_egress, tiers, _rotation_groups(assembly),
                 _fronts(assembly))  # fmt: skip


def _rotation_groups(assembly: Assembly) -> set[str]:
    """The security groups of every hosted secret rotation (``HostedRotationLambda``'s
    ``VpcSecurityGroupIds``: a comma-separated list, a reference or a join)."""
    found: set[str] = set()
    for schedule in assembly.resources("AWS::SecretsManager::RotationSchedule"):
        ids = schedule.at("HostedRotationLambda", "VpcSecurityGroupIds", reference=True)
        values = (
            ids.get("Fn::Join", [None, []])[1]
            if isinstance(ids, dict) and "Fn::Join" in ids
            else [ids]
        )
        for value in values if isinstance(values, list) else []:
            key = _key(assembly.target(schedule.stack, value))
            if key:
                found.add(key)
    return found


def _tier_security_groups(assembly: Assembly) -> dict[str, set[str]]:
    """The groups of each :class:`~wellstack.constructs.TierSecurityGroups` (siblings named Web,
    App and Database in one parent construct), by tier."""
    by_parent: dict[str, dict[str, str]] = {}
    for group in assembly.resources("AWS::EC2::SecurityGroup"):
        parts = group.path.removesuffix("/Resource").rsplit("/", 1)
        if len(parts) == 2 and parts[1] in ("Web", "App", "Database"):
            by_parent.setdefault(parts[0], {})[parts[1].lower()] = _key(group) or ""
    found: dict[str, set[str]] = {"web": set(), "app": set(), "database": set()}
    for children in by_parent.values():
        if set(children) == {"web", "app", "database"}:
            for role, key in children.items():
                found[role].add(key)
    return found


# --- reachability -----------------------------------------------------------------------------


def _network(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None


def _overlaps(cidr: str | None, others: Iterable[str]) -> bool:
    network = _network(cidr or "")
    if network is None:
        return False
    for other in others:
        peer = _network(other)
        if peer is not None and peer.version == network.version and network.overlaps(peer):
            return True
    return False


def _public(cidr: str | None) -> bool:
    """A CIDR that holds internet addresses (not only private or link-local ones)."""
    network = _network(cidr or "")
    if network is None:
        return False
    return not any(network.version == p.version and network.subnet_of(p) for p in _PRIVATE)  # type: ignore[arg-type]


def _matches(rule: Rule, peer: Component | None) -> bool:
    if peer is None:  # the internet
        return _public(rule.peer_cidr)
    if rule.peer_group:
        return rule.peer_group in peer.groups
    return _overlaps(rule.peer_cidr, [s.cidr for s in peer.subnets])


def acl_entry_ports(entry: dict[str, Any]) -> Ports:
    """The TCP ports a network ACL entry covers."""
    span = entry.get("PortRange")
    low, high = (
        (span.get("From", 0), span.get("To", 65535)) if isinstance(span, dict) else (0, 65535)
    )
    return tcp_ports(entry.get("Protocol"), low, high)


def _acl_eval(
    acl: list[dict[str, Any]] | None, egress: bool, peer_cidrs: list[str]
) -> tuple[Ports, tuple[str, ...]]:
    """TCP ports an ACL passes (in one direction) to or from any of ``peer_cidrs``, and the
    entries that allow them (entries in rule-number order, the first match wins)."""
    if acl is None:
        return ALL, ()
    allowed: Ports = NONE
    remaining: Ports = ALL
    origins: list[str] = []
    entries = [e for e in acl if bool(e.get("Egress")) is egress]
    for entry in sorted(entries, key=lambda e: int(e.get("RuleNumber", 0) or 0)):
        cidr = entry.get("CidrBlock") or entry.get("Ipv6CidrBlock")
        internet = peer_cidrs is INTERNET_CIDRS  # the internet: rules that hold public addresses
        if not (_public(str(cidr)) if internet else _overlaps(str(cidr), peer_cidrs)):
            continue
        matched = intersect(remaining, acl_entry_ports(entry))
        if matched and str(entry.get("RuleAction", "")).lower() == "allow":
            allowed = union(allowed, matched)
            origins.append(
                f"{entry.get('origin')}: ACL rule {entry.get('RuleNumber')} allows tcp "
                f"{show(matched)} {'to' if egress else 'from'} {cidr}"
            )
        remaining = subtract(remaining, matched)
    return allowed, tuple(origins)


def _acl_ports(acl: list[dict[str, Any]] | None, egress: bool, peer_cidrs: list[str]) -> Ports:
    return _acl_eval(acl, egress, peer_cidrs)[0]


INTERNET_CIDRS = ["0.0.0.0/0"]


def _path_ports(src: Component | None, dst: Component | None) -> Ports:
    """The ports the routes and ACLs let through from ``src`` to ``dst`` (None: the internet)."""
    if src is None:  # inbound from the internet: an IGW route, and something public
        if dst is None:
            raise ValueError("a path needs a source or a destination inside the VPC")
        if not dst.public:
            return NONE
        ways = [s for s in dst.subnets if s.default_route == "igw"]
        return union(*(_both_ways(s, INTERNET_CIDRS, outbound=False) for s in ways))
    if dst is None:  # outbound to the internet: NAT, or an IGW with a public address
        ways = [
            s for s in src.subnets
            if s.default_route == "nat" or (s.default_route == "igw" and src.public)
        ]  # fmt: skip
        return union(*(_both_ways(s, INTERNET_CIDRS, outbound=True) for s in ways))
    found: Ports = NONE
    for a in src.subnets:
        for b in dst.subnets:
            if a.vpc != b.vpc:  # no peering or transit gateway modelled: no path
                continue
            forward = intersect(
                _acl_ports(a.acl, True, [b.cidr]), _acl_ports(b.acl, False, [a.cidr])
            )
            if _return(b, egress=True, peers=[a.cidr]) and _return(a, egress=False, peers=[b.cidr]):
                found = union(found, forward)
    return found


def _both_ways(subnet: Subnet, peers: list[str], *, outbound: bool) -> Ports:
    """Ports a subnet's ACL passes towards (or from) ``peers``, when it also passes the return
    traffic (ACLs are stateless)."""
    ports = _acl_ports(subnet.acl, outbound, peers)
    return intersect(ports, _return(subnet, egress=not outbound, peers=peers))


def _return(subnet: Subnet, *, egress: bool, peers: list[str]) -> Ports:
    """ALL when the ACL lets some return traffic (ephemeral ports) through, else NONE."""
    return ALL if intersect(_acl_ports(subnet.acl, egress, peers), EPHEMERAL) else NONE


@dataclass(frozen=True)
class Reach:
    source: str
    destination: str
    ports: Ports
    rules: tuple[str, ...]
    #: The destination's ingress rules that admit the source (to name what opens a port).
    admitting: tuple[Rule, ...] = ()

    def opened_by(self, ports: Ports) -> tuple[str, ...]:
        return tuple(r.describe() for r in self.admitting if intersect(r.ports, ports))


def reach(model_: Model, src: Component | None, dst: Component | None) -> Reach:
    """What ``src`` (None: the internet) can open to ``dst`` (None: the internet)."""
    inbound = [r for r in model_.rules if dst is not None and r.group in dst.groups
               and r.direction == "ingress" and _matches(r, src)]  # fmt: skip
    outbound = [r for r in model_.rules if src is not None and r.group in src.groups
                and r.direction == "egress" and _matches(r, dst)]  # fmt: skip
    sg_in = ALL if dst is None else union(*(r.ports for r in inbound))
    if src is None and dst is not None and dst.role == "edge":
        # A distribution answers viewers everywhere on its ports: no VPC path to walk.
        return Reach(INTERNET, dst.name, dst.ports, ("CloudFront viewers",), ())
    if src is None or any(g in model_.default_egress for g in src.groups):
        sg_out = ALL
    else:
        sg_out = union(*(r.ports for r in outbound))
    ports = intersect(intersect(sg_in, sg_out), _path_ports(src, dst))
    opened = tuple(r.describe() for r in inbound if intersect(r.ports, ports))
    source, destination = (src.name if src else INTERNET), (dst.name if dst else INTERNET)
    return Reach(source, destination, ports, opened, tuple(inbound))


# --- intents ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    intent: str
    source: str
    destination: str
    ports: str
    rules: tuple[str, ...]

    def __str__(self) -> str:
        opened = f" (opened by {'; '.join(self.rules)})" if self.rules else ""
        return f"{self.intent}: {self.source} -> {self.destination} on tcp {self.ports}{opened}"

    def as_dict(self) -> dict[str, Any]:
        return {"intent": self.intent, "source": self.source, "destination": self.destination,
                "ports": self.ports, "rules": list(self.rules)}  # fmt: skip


INTENTS = {
    "internet-only-web": "the internet reaches only the web tier (or CloudFront in front of it), "
    "only on its listener ports",
    "edge-only-web": "CloudFront's VPC origin reaches only the web tier (the internal load "
    "balancer), only on its listener ports",
    "edge-reaches-web": "CloudFront's VPC origin can open the web tier's listener port",
    "web-only-app": "the web tier reaches only the app tier, only on the web port",
    "app-admits-only-web": "the app tier admits only the web tier, only on the web port",
    "only-app-database": "only the app tier (through the RDS Proxy when there is one; and the "
    "database secret's rotation function) reaches the database, only on its port",
    "app-reaches-database": "the app tier can open the database's port (its group's egress and "
    "the database group's ingress both allow it, and the path does)",
    "web-reaches-app": "the web tier can open the app tier's port",
    "database-reaches-nothing": "the database opens no connection anywhere",
    "isolated-no-route-out": "isolated subnets have no route out of the VPC",
    "private-egress-via-nat": "private subnets leave the VPC only through a NAT gateway (IPv6: "
    "an egress-only internet gateway) or VPC endpoints",
}


def _rule_for(src: Component | None, dst: Component | None) -> tuple[str, Ports] | None:
    """The intent governing ``src`` -> ``dst`` (None: the internet) and the ports it allows;
    None when no intent speaks about the pair."""
    if src is None:
        if dst is None:
            raise ValueError("an intent speaks about a pair with one end inside the VPC")
        return "internet-only-web", dst.ports if dst.role in ("web", "edge") else NONE
    if src.role == "edge":
        return "edge-only-web", dst.ports if dst is not None and dst.role == "web" else NONE
    if dst is not None and dst.role == "database":
        return "only-app-database", dst.ports if src.role in ("app", "proxy") else NONE
    if dst is not None and dst.role == "proxy":
        return "only-app-database", dst.ports if src.role == "app" else NONE
    if src.role == "proxy":
        return "database-reaches-nothing", NONE  # nowhere but the database behind it
    if src.role == "web":
        return "web-only-app", dst.ports if dst is not None and dst.role == "app" else NONE
    if src.role == "database":
        return "database-reaches-nothing", NONE
    return None  # the app tier's other connections (NAT egress) are its business


def check(model_: Model) -> tuple[list[Reach], list[Violation]]:
    """Every pair's reach, and the intents it violates."""
    pairs: list[Reach] = []
    violations: list[Violation] = []
    sources: list[Component | None] = [None, *model_.components]
    for src in sources:
        destinations: list[Component | None] = [*model_.components]
        if src is not None:
            destinations.append(None)
        for dst in destinations:
            if dst is src or (src and dst and src.role == dst.role):
                continue
            if (src is not None and src.role == "edge" and dst is None) or (
                dst is not None and dst.role == "edge" and src is not None
            ):
                continue  # CloudFront faces the internet; only its way in to the VPC matters
            found = reach(model_, src, dst)
            pairs.append(found)
            rule = _rule_for(src, dst)
            if rule is None:
                continue
            intent, allowed = rule
            extra = subtract(found.ports, allowed)
            if extra:
                violations.append(Violation(
                    intent, found.source, found.destination, show(extra), found.opened_by(extra)
                ))  # fmt: skip
    violations += _route_intents(model_)
    violations += _rule_intents(model_)
    violations += _acl_intents(model_)
    violations += _required_paths(model_, pairs)
    return pairs, _unique(violations)


#: Paths the design needs open: (intent, source tier, destination tier).
REQUIRED = (
    ("edge-reaches-web", "edge", "web"),
    ("web-reaches-app", "web", "app"),
    ("app-reaches-database", "app", "database"),
)


def _required_paths(model_: Model, pairs: list[Reach]) -> Iterator[Violation]:
    """In each VPC that holds both tiers, the front tier must reach the one behind it on that
    tier's port: an app group without egress to the database port passes every "only" intent
    and serves nothing. A database behind an RDS Proxy is reached through it: the app must
    reach the proxy, and the proxy the database."""
    by_pair = {(p.source, p.destination): p for p in pairs}
    by_name = {c.name: c for c in model_.components}

    def missing(src: Component, dst: Component, intent: str) -> Iterator[Violation]:
        found = by_pair.get((src.name, dst.name))
        closed = subtract(dst.ports, found.ports if found else NONE)
        if closed:
            yield Violation(
                intent, src.name, dst.name, show(closed),
                (_why_closed(model_, src, dst, closed),),
            )  # fmt: skip

    for intent, front, back in REQUIRED:
        for dst in (c for c in model_.components if c.role == back):
            vpcs = {s.vpc for s in dst.subnets}
            sources = [
                c for c in model_.components
                if c.role == front and vpcs & {s.vpc for s in c.subnets}
            ]  # fmt: skip
            proxy = by_name.get(model_.fronts.get(dst.name, ""))
            for src in sources:
                if proxy is None:
                    yield from missing(src, dst, intent)
                else:
                    yield from missing(src, proxy, intent)
            if proxy is not None and sources:
                yield from missing(proxy, dst, intent)


def _why_closed(model_: Model, src: Component, dst: Component, ports: Ports) -> str:
    """Which end keeps ``ports`` closed: the source's egress, the destination's ingress, or the
    path (routes, network ACLs)."""
    if not any(g in model_.default_egress for g in src.groups):
        out = [r for r in model_.rules if r.group in src.groups and r.direction == "egress"
               and _matches(r, dst) and intersect(r.ports, ports)]  # fmt: skip
        if not out:
            groups = ", ".join(src.groups) or "its groups"
            return f"no egress rule of {groups} allows tcp {show(ports)} to it"
    into = [r for r in model_.rules if r.group in dst.groups and r.direction == "ingress"
            and _matches(r, src) and intersect(r.ports, ports)]  # fmt: skip
    if not into:
        groups = ", ".join(dst.groups) or "its groups"
        return f"no ingress rule of {groups} admits it on tcp {show(ports)}"
    return "the routes or network ACLs between their subnets block it"


def _unique(violations: list[Violation]) -> list[Violation]:
    """One violation per intent, source, destination and ports, with every rule that opens it
    (the same hole is seen by the path and the rule checks)."""
    merged: dict[tuple[str, str, str, str], Violation] = {}
    for v in violations:
        key = (v.intent, v.source, v.destination, v.ports)
        if key in merged:
            rules = tuple(dict.fromkeys((*merged[key].rules, *v.rules)))
            merged[key] = Violation(*key, rules)
        else:
            merged[key] = v
    return list(merged.values())


def _route_intents(model_: Model) -> Iterator[Violation]:
    for subnet in model_.subnets.values():
        if subnet.tier == "isolated" and subnet.default_route is not None:
            yield Violation("isolated-no-route-out", subnet.key, INTERNET, "all",
                            (subnet.route_origin,))  # fmt: skip
        if subnet.tier == "isolated" and subnet.default_route6 is not None:
            yield Violation("isolated-no-route-out", subnet.key, INTERNET, "all (IPv6)",
                            (subnet.route6_origin,))  # fmt: skip
        if subnet.tier == "private" and subnet.default_route not in (None, "nat"):
            yield Violation("private-egress-via-nat", subnet.key, INTERNET, "all",
                            (subnet.route_origin,))  # fmt: skip
        # IPv6 has no NAT: a private subnet's ::/0 may only go to an egress-only gateway.
        if subnet.tier == "private" and subnet.default_route6 not in (None, "eigw"):
            yield Violation("private-egress-via-nat", subnet.key, INTERNET, "all (IPv6)",
                            (subnet.route6_origin,))  # fmt: skip


#: The intent that speaks about who a tier admits, by the tier.
ADMITS = {"edge": "internet-only-web", "web": "internet-only-web", "app": "app-admits-only-web",
          "database": "only-app-database", "proxy": "only-app-database"}  # fmt: skip
#: The tier each tier admits (None: the web tier admits anyone on its listener ports).
FRONT: dict[str, str | None] = {
    "edge": None, "web": None, "app": "web", "database": "app", "proxy": "app",
}  # fmt: skip


def _rule_intents(model_: Model) -> Iterator[Violation]:
    """Rules that admit more than the design, whether or not a route uses them today: the web
    group admits anyone only on the listener ports, the app and database groups only the tier
    in front of them, only on their port."""
    groups = model_.tier_groups
    for component in model_.components:
        front = FRONT[component.role]
        for rule in model_.rules:
            if rule.group not in component.groups or rule.direction != "ingress":
                continue
            intended = (
                front is None
                or rule.peer_group in groups[front]
                or (component.role == "database" and (
                    rule.peer_group in model_.rotation_groups
                    or rule.peer_group in groups["proxy"]
                ))
            )  # fmt: skip
            extra = subtract(rule.ports, component.ports) if intended else rule.ports
            if not extra:
                continue
            peer = rule.peer_group or rule.peer_cidr or "?"
            source = INTERNET if rule.peer_cidr and _public(rule.peer_cidr) else peer
            yield Violation(
                ADMITS[component.role], source, component.name, show(extra), (rule.describe(),)
            )


def _acl_intents(model_: Model) -> Iterator[Violation]:
    """A network ACL on the isolated tier admits only the database port, only from the private
    tier (the subnets' default ACL, which allows everything, is not checked: security groups
    decide there)."""
    ports = union(*(c.ports for c in model_.components if c.role == "database")) or NONE
    for subnet in model_.subnets.values():
        if subnet.tier != "isolated" or subnet.acl is None:
            continue
        peers = [s for s in model_.subnets.values() if s.vpc == subnet.vpc and s is not subnet]
        for peer in [*peers, None]:
            cidrs = INTERNET_CIDRS if peer is None else [peer.cidr]
            allowed, origins = _acl_eval(subnet.acl, False, cidrs)
            intended = ports if peer is not None and peer.tier == "private" else NONE
            if peer is not None and peer.tier == "isolated":
                continue  # the tier's own subnets (replication between AZs)
            extra = subtract(allowed, intended)
            if extra:
                yield Violation("only-app-database", peer.key if peer else INTERNET,
                                subnet.key, show(extra), origins)  # fmt: skip


@dataclass(frozen=True)
class ComponentView:
    """A tier's component as the report shows it."""

    role: str
    name: str
    #: The TCP ports it serves (``show`` form).
    serves: str
    #: The tiers of the subnets it runs in.
    subnets: list[str]


@dataclass(frozen=True)
class Cell:
    """One cell of the matrix: what ``source`` can open to ``destination``."""

    source: str
    destination: str
    #: TCP ports (``show`` form: ``"80"``, ``"1024-65535"``, ``"all"``, ``"-"``).
    tcp: str
    rules: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"from": self.source, "to": self.destination, "tcp": self.tcp,
                "rules": list(self.rules)}  # fmt: skip


@dataclass(frozen=True)
class ReachReport:
    """The matrix and the violated intents; :meth:`to_dict` is what ``--json`` prints."""

    components: list[ComponentView]
    matrix: list[Cell]
    violations: list[Violation]

    def to_dict(self) -> dict[str, Any]:
        return {
            "components": [asdict(c) for c in self.components],
            "matrix": [c.as_dict() for c in self.matrix],
            "intents": INTENTS,
            "violations": [v.as_dict() for v in self.violations],
        }


def analyse(assembly: Assembly) -> ReachReport:
    """The matrix and the violated intents of an assembly."""
    model_ = model(assembly)
    pairs, violations = check(model_)
    return ReachReport(
        components=[
            ComponentView(c.role, c.name, show(c.ports), sorted({s.tier for s in c.subnets}))
            for c in model_.components
        ],
        matrix=[Cell(p.source, p.destination, show(p.ports), tuple(p.rules)) for p in pairs],
        violations=violations,
    )
