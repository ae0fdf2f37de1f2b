"""The one reader of synthesized CloudFormation, used by review, cost, reach, diff, the data guard
and the tests. Pure Python (no CDK import).

A cloud assembly (``cdk.out``) is read the way the CDK CLI reads it: through its manifest, so a
stale template of a stack no longer in the app is never read; nested assemblies (a ``cdk.Stage``)
are followed. Every shape a reader relies on is checked on the way in: a malformed manifest,
template or resource is an :class:`AssemblyError` naming the file and the resource, never a
traceback.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wellstack.errors import WellstackError

Template = Mapping[str, Any]


class AssemblyError(WellstackError):
    """A cloud assembly or template that cannot be read: says which file and resource."""

    def __init__(self, message: str) -> None:
        super().__init__("", [message])


@dataclass(frozen=True)
class Resource:
    """One resource of one stack."""

    stack: str
    logical_id: str
    type: str
    raw: Mapping[str, Any]
    file: str = ""

    @property
    def properties(self) -> Mapping[str, Any]:
        return self.raw.get("Properties") or {}

    @property
    def metadata(self) -> Mapping[str, Any]:
        value = self.raw.get("Metadata")
        return value if isinstance(value, Mapping) else {}

    @property
    def path(self) -> str:
        """The construct path (``DevData/Database/Resource``), when the metadata has it."""
        return str(self.metadata.get("aws:cdk:path", ""))

    @property
    def deletion_policy(self) -> str | None:
        value = self.raw.get("DeletionPolicy")
        return value if isinstance(value, str) else None

    @property
    def where(self) -> str:
        return f"{self.file or self.stack}: resource {self.logical_id} ({self.type})"

    def prop(self, name: str, default: Any = None) -> Any:
        return self.properties.get(name, default)

    def number(self, name: str, default: float | None = None) -> float | None:
        """A numeric property (CloudFormation also accepts numbers as strings); None for an
        intrinsic function (a value known only at deploy)."""
        return self.as_number(self.properties.get(name, default), name)

    def as_number(self, value: Any, name: str) -> float | None:
        """``value`` (found at ``name`` in this resource, e.g. ``Transitions[0].TransitionInDays``)
        as a number, None for an intrinsic function, or an error naming file, resource and name."""
        if value is None or isinstance(value, Mapping):
            return None
        if isinstance(value, bool):
            raise AssemblyError(f"{self.where}: {name} must be a number, got {value!r}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise AssemblyError(f"{self.where}: {name} must be a number, got {value!r}") from None
        if not math.isfinite(number):
            raise AssemblyError(f"{self.where}: {name} must be a finite number, got {value!r}")
        return number

    def at(
        self, *path: str | int, kind: type | tuple[type, ...] | None = None, reference: bool = False
    ) -> Any:
        """The value at ``path`` under Properties (``at("LaunchTemplateData", "InstanceType",
        kind=str)``). None when something on the way is absent or an intrinsic function (known
        only at deploy) — unless ``reference``: then an intrinsic at the end is returned as it
        is (a ``Ref`` for :meth:`Assembly.target`); an error naming file, resource and path when
        something has the wrong shape (a list where an object belongs, a bool where a string
        does)."""
        value: Any = self.properties
        for index, part in enumerate(path):
            if is_intrinsic(value):
                return None
            where = ".".join(map(str, path[:index])) or "Properties"
            if isinstance(part, int):
                if not isinstance(value, list):
                    raise AssemblyError(f"{self.where}: {where} must be a list, got {value!r}")
                value = value[part] if part < len(value) else None
            else:
                if not isinstance(value, Mapping):
                    raise AssemblyError(f"{self.where}: {where} must be an object, got {value!r}")
                value = value.get(part)
            if value is None:
                return None
        if is_intrinsic(value):
            return value if reference else None
        if kind is not None and (
            not isinstance(value, kind) or (isinstance(value, bool) and bool not in _kinds(kind))
        ):
            names = " or ".join(_KIND_NAMES.get(k, k.__name__) for k in _kinds(kind))
            where = ".".join(map(str, path))
            raise AssemblyError(f"{self.where}: {where} must be {names}, got {value!r}")
        return value

    def mapping(self, name: str) -> Mapping[str, Any]:
        value = self.properties.get(name, {})
        if not isinstance(value, Mapping):
            raise AssemblyError(f"{self.where}: {name} must be an object, got {value!r}")
        return value

    def items(self, name: str) -> list[Any]:
        value = self.properties.get(name, [])
        if isinstance(value, Mapping):  # an intrinsic (Fn::If ...) we cannot read offline
            return []
        if not isinstance(value, list):
            raise AssemblyError(f"{self.where}: {name} must be a list, got {value!r}")
        return value


@dataclass
class Assembly:
    """The templates of a cloud assembly, by CloudFormation stack name."""

    templates: dict[str, dict[str, Any]]
    regions: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    directory: Path | None = None
    #: The validation report next to the manifest (cdk-nag findings), when there is one.
    report: dict[str, Any] | None = None
    #: Each stack's account (``unknown-account`` for an environment-agnostic one).
    accounts: dict[str, str] = field(default_factory=dict)
    #: Context lookups the app asked for and did not get (the manifest's ``missing``): each
    #: needs AWS credentials at ``cdk synth``.
    missing: list[dict[str, Any]] = field(default_factory=list)
    #: Acknowledged rules from the stacks' metadata: qualified rule id
    #: (``AwsConstraints::SNS1``, ``Annotation::AwsSolutions-S1`` ...) -> {construct path: reason}.
    acknowledgments: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, cdk_out: str | Path) -> Assembly:
        """Read ``cdk_out`` through its manifest (and nested assemblies)."""
        out = Path(cdk_out)
        if not out.is_dir() or not (out / "manifest.json").is_file():
            raise AssemblyError(
                f"{out} is not a synthesized cloud assembly (no manifest.json): synthesize the "
                f"app first (cdk synth)"
            )
        assembly = cls(templates={}, directory=out)
        assembly._read(out)
        if not assembly.templates:
            raise AssemblyError(f"{out} holds no stack templates")
        assembly.report = _read_report(out / "validation-report.json")
        return assembly

    @classmethod
    def from_templates(
        cls,
        templates: Mapping[str, Template],
        regions: Mapping[str, str] | None = None,
        accounts: Mapping[str, str] | None = None,
    ) -> Assembly:
        """An assembly of templates already in memory (deployed ones, tests)."""
        assembly = cls(templates={}, regions=dict(regions or {}), accounts=dict(accounts or {}))
        for name, template in templates.items():
            assembly.templates[name] = _checked_template(dict(template), name)
        return assembly

    def _read(self, out: Path) -> None:
        manifest_file = out / "manifest.json"
        manifest = _read_json(manifest_file)
        artifacts = manifest.get("artifacts", {}) if isinstance(manifest, dict) else None
        if not isinstance(artifacts, dict):
            raise AssemblyError(f"{manifest_file}: 'artifacts' must be an object")
        missing = manifest.get("missing", [])
        self.missing += (
            [m for m in missing if isinstance(m, dict)] if isinstance(missing, list) else []
        )
        for artifact_id, artifact in artifacts.items():
            if not isinstance(artifact, dict):
                raise AssemblyError(f"{manifest_file}: artifact {artifact_id} must be an object")
            properties = artifact.get("properties", {})
            if not isinstance(properties, dict):
                raise AssemblyError(f"{manifest_file}: artifact {artifact_id} has bad properties")
            if artifact.get("type") == "cdk:cloud-assembly":  # a Stage's nested assembly
                directory = properties.get("directoryName")
                if isinstance(directory, str):
                    self._read(out / directory)
                continue
            if artifact.get("type") != "aws:cloudformation:stack":
                continue
            template_name = properties.get("templateFile")
            if not isinstance(template_name, str):
                raise AssemblyError(f"{manifest_file}: artifact {artifact_id} has no templateFile")
            template_file = out / template_name
            name = str(properties.get("stackName") or artifact.get("displayName") or artifact_id)
            self.templates[name] = _checked_template(_read_json(template_file), str(template_file))
            self.files[name] = str(template_file)
            environment = str(artifact.get("environment", ""))
            self.regions[name] = environment.rsplit("/", 1)[-1]
            self.accounts[name] = environment.removeprefix("aws://").split("/", 1)[0]
            metadata_file = artifact.get("additionalMetadataFile")
            if isinstance(metadata_file, str):
                self._read_acknowledgments(out / metadata_file)

    def _read_acknowledgments(self, path: Path) -> None:
        """``aws:cdk:acknowledged-rules`` entries of a stack's metadata file (construct path ->
        entries), as CDK records ``Validations.of(construct).acknowledge(...)``."""
        if not path.is_file():
            return
        metadata = _read_json(path)
        if not isinstance(metadata, dict):
            raise AssemblyError(f"{path} must be a JSON object")
        for construct_path, entries in metadata.items():
            for entry in entries if isinstance(entries, list) else []:
                if not isinstance(entry, dict) or entry.get("type") != "aws:cdk:acknowledged-rules":
                    continue
                data = entry.get("data")
                for rule, reason in data.items() if isinstance(data, dict) else []:
                    self.acknowledgments.setdefault(str(rule), {})[
                        str(construct_path).strip("/")
                    ] = str(reason)

    # --- reading ---------------------------------------------------------------------------------

    def resources(self, *types: str) -> list[Resource]:
        """Every resource (of ``types``, when given), stack by stack in name order."""
        found = []
        for stack in sorted(self.templates):
            for logical_id, raw in self.templates[stack]["Resources"].items():
                if not types or raw["Type"] in types:
                    found.append(
                        Resource(stack, logical_id, raw["Type"], raw, self.files.get(stack, ""))
                    )
        return found

    def copying_backup_plans(self) -> list[Resource]:
        """The backup plans with a rule that copies recovery points (to another region's vault:
        what a DR region adds)."""
        return [
            plan
            for plan in self.resources("AWS::Backup::BackupPlan")
            if any(
                isinstance(rule, dict) and rule.get("CopyActions")
                for rule in plan.at("BackupPlan", "BackupPlanRule", kind=list) or []
            )
        ]

    def resource(self, stack: str, logical_id: str | None) -> Resource | None:
        raw = self.templates.get(stack, {}).get("Resources", {}).get(logical_id or "")
        if raw is None:
            return None
        return Resource(stack, str(logical_id), raw["Type"], raw, self.files.get(stack, ""))

    def target(self, stack: str, value: Any) -> Resource | None:
        """The resource ``value`` points at: ``Ref``/``Fn::GetAtt`` in ``stack``, or, across
        stacks, the output behind ``Fn::ImportValue`` (an export) or ``Fn::GetStackOutput``."""
        for _ in range(8):  # an output may point at another stack's output
            if not isinstance(value, Mapping):
                return None
            logical_id = ref(value)
            if logical_id:
                return self.resource(stack, logical_id)
            if isinstance(value.get("Fn::ImportValue"), str):
                found = self._exports().get(value["Fn::ImportValue"])
                if found is None:
                    return None
                stack, value = found
            elif isinstance(value.get("Fn::GetStackOutput"), Mapping):
                spec = value["Fn::GetStackOutput"]
                stack = str(spec.get("StackName"))
                output = self._outputs(stack).get(str(spec.get("OutputName")))
                value = output.get("Value") if isinstance(output, Mapping) else None
            else:
                return None
        return None

    def _outputs(self, stack: str) -> Mapping[str, Any]:
        outputs = self.templates.get(stack, {}).get("Outputs", {})
        return outputs if isinstance(outputs, Mapping) else {}

    def _exports(self) -> dict[str, tuple[str, Any]]:
        """export name -> (stack, the output's value)."""
        found = {}
        for stack in self.templates:
            for output in self._outputs(stack).values():
                if not isinstance(output, Mapping):
                    continue
                export = output.get("Export")
                name = export.get("Name") if isinstance(export, Mapping) else None
                if isinstance(name, str):
                    found[name] = (stack, output.get("Value"))
        return found

    def concrete_regions(self) -> set[str]:
        return {r for r in self.regions.values() if r and r != "unknown-region"}


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except OSError as err:
        raise AssemblyError(f"{path} cannot be read ({err.strerror or err})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise AssemblyError(f"{path} is not valid JSON ({err})") from None


def _read_report(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    report = _read_json(path)
    if not isinstance(report, dict):
        raise AssemblyError(f"{path} must be a JSON object")
    return report


def _checked_template(template: Any, where: str) -> dict[str, Any]:
    """The template if every resource has the shape the readers rely on."""
    if not isinstance(template, dict):
        raise AssemblyError(f"{where}: a template must be a JSON object")
    resources = template.get("Resources")
    if not isinstance(resources, dict):
        raise AssemblyError(f"{where}: the template has no Resources object")
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict):
            raise AssemblyError(
                f"{where}: resource {logical_id} must be an object, got {resource!r}"
            )
        if not isinstance(resource.get("Type"), str):
            raise AssemblyError(f"{where}: resource {logical_id} has no Type string")
        if not isinstance(resource.get("Properties", {}), dict):
            raise AssemblyError(
                f"{where}: resource {logical_id} has Properties that are not an object"
            )
        if not isinstance(resource.get("Metadata", {}), dict):
            raise AssemblyError(
                f"{where}: resource {logical_id} has Metadata that is not an object"
            )
    return template


# --- template-level helpers (one template dict) ----------------------------------------------


def resources(template: Template, type_: str) -> dict[str, dict[str, Any]]:
    """logical id -> resource, for every resource of ``type_``."""
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource.get("Type") == type_
    }


def tag(resource: Mapping[str, Any], key: str) -> str | None:
    for item in (resource.get("Properties") or {}).get("Tags", []) or []:
        if isinstance(item, Mapping) and item.get("Key") == key:
            value = item.get("Value")
            return value if isinstance(value, str) else None
    return None


def ref(value: Any) -> str | None:
    """The logical id behind ``{"Ref": id}`` or ``{"Fn::GetAtt": [id, attr]}``."""
    if isinstance(value, Mapping):
        if isinstance(value.get("Ref"), str):
            return value["Ref"]
        get_att = value.get("Fn::GetAtt")
        if isinstance(get_att, list) and get_att and isinstance(get_att[0], str):
            return get_att[0]
        if isinstance(get_att, str):
            return get_att.split(".", 1)[0]
    return None


def subnets(template: Template) -> dict[str, dict[str, str]]:
    """logical id -> {tier, az, cidr} for every subnet (tier from CDK's subnet-name tag)."""
    found = {}
    for logical_id, subnet in resources(template, "AWS::EC2::Subnet").items():
        props = subnet.get("Properties") or {}
        found[logical_id] = {
            "tier": (tag(subnet, "aws-cdk:subnet-name") or "").lower(),
            "az": str(props.get("AvailabilityZone", "")),
            "cidr": str(props.get("CidrBlock", "")),
        }
    return found


def route_tables(template: Template) -> dict[str, str]:
    """subnet logical id -> route table logical id."""
    tables = {}
    for association in resources(template, "AWS::EC2::SubnetRouteTableAssociation").values():
        props = association.get("Properties") or {}
        subnet, table = ref(props.get("SubnetId")), ref(props.get("RouteTableId"))
        if subnet and table:
            tables[subnet] = table
    return tables


def routes_of(template: Template, table_id: str) -> Iterator[dict[str, Any]]:
    for route in resources(template, "AWS::EC2::Route").values():
        props = route.get("Properties") or {}
        if ref(props.get("RouteTableId")) == table_id:
            yield props


def route_target(template: Template, route: Mapping[str, Any]) -> tuple[str, str | None]:
    """What a route points at: ("igw", id), ("nat", the NAT's subnet id), ("eigw", id),
    ("endpoint", id), ("other", None)."""
    if "NatGatewayId" in route:
        nat = template["Resources"].get(ref(route["NatGatewayId"]) or "", {})
        return "nat", ref((nat.get("Properties") or {}).get("SubnetId"))
    if "EgressOnlyInternetGatewayId" in route:
        return "eigw", ref(route["EgressOnlyInternetGatewayId"])
    if "GatewayId" in route:
        gateway = ref(route["GatewayId"])
        gateway_type = template["Resources"].get(gateway or "", {}).get("Type", "")
        return ("endpoint" if "VPCEndpoint" in gateway_type else "igw"), gateway
    if "VpcEndpointId" in route:
        return "endpoint", ref(route["VpcEndpointId"])
    return "other", None


def default_route_targets(
    template: Template, destination: str = "0.0.0.0/0"
) -> dict[str, tuple[str, str | None] | None]:
    """subnet logical id -> where its ``destination`` route goes (see :func:`route_target`),
    None for no such route."""
    key = "DestinationIpv6CidrBlock" if ":" in destination else "DestinationCidrBlock"
    targets: dict[str, tuple[str, str | None] | None] = {}
    for subnet_id, table_id in route_tables(template).items():
        target = None
        for route in routes_of(template, table_id):
            if route.get(key) == destination:
                target = route_target(template, route)
        targets[subnet_id] = target
    return targets


def _rules(template: Template, group_id: str, direction: str) -> list[dict[str, Any]]:
    group = template["Resources"].get(group_id, {})
    rules = list((group.get("Properties") or {}).get(f"SecurityGroup{direction}", []) or [])
    rules += [
        dict(r.get("Properties") or {})
        for r in resources(template, f"AWS::EC2::SecurityGroup{direction}").values()
        if ref((r.get("Properties") or {}).get("GroupId")) == group_id
    ]
    return rules


def ingress_rules(template: Template, group_id: str) -> list[dict[str, Any]]:
    """Every ingress rule of a security group: inline ones and AWS::EC2::SecurityGroupIngress."""
    return _rules(template, group_id, "Ingress")


def egress_rules(template: Template, group_id: str) -> list[dict[str, Any]]:
    """Every egress rule of a security group: inline ones and AWS::EC2::SecurityGroupEgress."""
    return _rules(template, group_id, "Egress")


def is_intrinsic(value: Any) -> bool:
    """A CloudFormation intrinsic function (``{"Ref": ...}``, ``{"Fn::GetAtt": ...}`` ...)."""
    if not isinstance(value, Mapping) or len(value) != 1:
        return False
    key = next(iter(value))
    return isinstance(key, str) and (key == "Ref" or key.startswith("Fn::") or key == "Condition")


_KIND_NAMES: dict[type, str] = {
    str: "a string", list: "a list", dict: "an object", int: "a number", float: "a number",
    bool: "true or false",
}  # fmt: skip


def _kinds(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def flat(value: Any) -> str:
    """A template value as one string: ``Ref`` as ``<Name>``, ``Fn::GetAtt`` as ``<Name.Attr>``,
    ``Fn::Join`` joined (to compare names two stacks spell the same way)."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and "Ref" in value:
        return f"<{value['Ref']}>"
    if isinstance(value, Mapping) and isinstance(value.get("Fn::GetAtt"), list):
        return "<{}>".format(".".join(map(str, value["Fn::GetAtt"])))
    if isinstance(value, Mapping) and isinstance(value.get("Fn::Join"), list):
        separator, parts = (value["Fn::Join"] + ["", []])[:2]
        if isinstance(parts, list):
            return str(separator).join(flat(part) for part in parts)
    return json.dumps(value, sort_keys=True)
