"""wellstack as another team gets it: built into a wheel, installed into a fresh virtualenv,
used by a separate CDK app (examples/consumer) through the real cdk CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.test_app import run_cdk

CONSUMER = ROOT / "examples" / "consumer"


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "wheel", str(ROOT)),
            *("--no-deps", "--no-build-isolation", "-w", str(out), "-q"),
        ],
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    (built,) = out.glob("wellstack-*.whl")
    return built


@pytest.fixture(scope="session")
def fresh_python(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """A new virtualenv with the wheel installed. Its dependencies (aws-cdk-lib & co., ~300 MB)
    come from this virtualenv's site-packages through a plain path entry rather than a second
    download: a path entry does not run that directory's .pth files, so the editable install of
    the source tree stays invisible and ``import wellstack`` can only find the wheel."""
    venv = tmp_path_factory.mktemp("consumer-venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "install", "--no-deps", "-q"),
            *("--target", str(site), str(wheel)),
        ],
        check=True,
        capture_output=True,
    )
    (site / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def test_wheel_ships_the_package_and_py_typed(fresh_python, tmp_path):
    probe = (
        "import importlib.metadata as m, json, pathlib, sys\n"
        "import wellstack, wellstack.constructs as c, wellstack.stacks as s\n"
        "print(json.dumps({'file': wellstack.__file__, 'requires': m.requires('wellstack'), "
        "'typed': (pathlib.Path(wellstack.__file__).parent / 'py.typed').exists(), "
        "'prices': (pathlib.Path(wellstack.__file__).parent / 'analysis/prices.json').exists(), "
        "'constructs': sorted(c.__all__), 'stacks': sorted(s.__all__), "
        "'version': [wellstack.__version__, m.version('wellstack')], "
        "'license': m.metadata('wellstack')['License-Expression'], "
        "'license_files': [str(f) for f in m.files('wellstack') if f.name == 'LICENSE'], "
        "'tools_imported': sorted(n for n in ('click', 'rich', 'boto3', 'botocore', 'cfnlint',"
        " 'moto') if n in sys.modules)}))"
    )
    result = subprocess.run(
        [str(fresh_python), "-c", probe],
        cwd=tmp_path,  # not the source tree: '' on sys.path would import wellstack from there
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        },
    )
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout.strip().splitlines()[-1])
    assert info["file"].startswith(str(fresh_python.parents[1])), info["file"]
    assert info["typed"] is True and info["prices"] is True
    # A lean install: without extras, only the CDK packages; the tools are behind extras.
    plain = sorted(r.split(">")[0].split("<")[0] for r in info["requires"] if "extra ==" not in r)
    assert plain == ["aws-cdk-lib", "cdk-nag", "constructs"]
    extras = " ".join(r for r in info["requires"] if "extra ==" in r)
    for tool in ("click", "rich", "boto3", "cfn-lint", "moto"):
        assert tool in extras
    # Importing the library never imports the command-line tools or the AWS SDK.
    assert info["tools_imported"] == []
    assert {"Network", "TierSecurityGroups", "TieredBucket", "AuroraCluster", "AppTier"} <= set(
        info["constructs"]
    )
    assert {"NetworkStack", "DataStack", "AppStack", "ThreeTierStage"} <= set(info["stacks"])
    # One version, pyproject.toml's; the license declared and shipped.
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert info["version"] == [pyproject["version"]] * 2
    assert info["license"] == "Apache-2.0" and info["license_files"], info


def test_pip_show_names_the_license():
    """What a user runs to see a package's license (the setup's pip reads PEP 639 metadata)."""
    shown = subprocess.run(
        [sys.executable, "-m", "pip", "show", "wellstack"], capture_output=True, text=True
    )
    assert shown.returncode == 0, shown.stderr
    fields = dict(line.split(": ", 1) for line in shown.stdout.splitlines() if ": " in line)
    assert "Apache-2.0" in (fields.get("License-Expression", ""), fields.get("License", ""))


@pytest.mark.cli
def test_consumer_app_synthesizes_from_the_wheel(fresh_python, tmp_path):
    """The example app sets a bucket name, a cluster identifier, a load-balancer idle timeout
    and an extra WAF rule through the override props, and builds a dual-stack network with
    interface endpoints, from the wheel, under both nag packs."""
    result = run_cdk(
        "synth", "--quiet", "--app", f"{fresh_python} app.py", "-o", str(tmp_path), cwd=CONSUMER
    )
    assert result.returncode == 0, result.stdout + result.stderr
    template = json.loads((tmp_path / "TeamArchive.template.json").read_text())
    by_type: dict[str, list[dict]] = {}
    for resource in template["Resources"].values():
        by_type.setdefault(resource["Type"], []).append(resource.get("Properties", {}))
    bucket_names = {p.get("BucketName") for p in by_type["AWS::S3::Bucket"]}
    assert "team-archive-example-2026" in bucket_names
    (cluster,) = by_type["AWS::RDS::DBCluster"]
    assert cluster["DBClusterIdentifier"] == "team-archive-db"
    (lb,) = by_type["AWS::ElasticLoadBalancingV2::LoadBalancer"]
    attributes = {a["Key"]: a["Value"] for a in lb["LoadBalancerAttributes"]}
    assert attributes["idle_timeout.timeout_seconds"] == "300"
    (acl,) = by_type["AWS::WAFv2::WebACL"]
    assert [r["Name"] for r in acl["Rules"]][-1] == "BlockAdmin"
    # Issue 19 from the wheel: dual stack, interface endpoints, a dual-stack load balancer.
    assert lb["IpAddressType"] == "dualstack"
    assert len(by_type["AWS::EC2::VPCCidrBlock"]) == 1
    assert all("Ipv6CidrBlock" in subnet for subnet in by_type["AWS::EC2::Subnet"])
    services = sorted(e["ServiceName"] for e in by_type["AWS::EC2::VPCEndpoint"]
                      if e.get("VpcEndpointType") == "Interface")  # fmt: skip
    assert services == ["com.amazonaws.us-east-1.kms", "com.amazonaws.us-east-1.secretsmanager"]


def test_consumer_is_refused_when_a_prop_would_switch_off_encryption(fresh_python, tmp_path):
    probe = (
        "import aws_cdk as cdk\n"
        "from aws_cdk import aws_s3 as s3\n"
        "from wellstack.constructs import TieredBucket\n"
        "app = cdk.App()\n"
        "stack = cdk.Stack(app, 'S', env=cdk.Environment(region='us-east-1'))\n"
        "try:\n"
        "    TieredBucket(stack, 'B', bucket_props={'encryption': "
        "s3.BucketEncryption.UNENCRYPTED})\n"
        "except ValueError as err:\n"
        "    print('REFUSED', err)\n"
    )
    result = subprocess.run(
        [str(fresh_python), "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        },
    )
    refused = [line for line in result.stdout.splitlines() if line.startswith("REFUSED")]
    assert refused, result.stdout + result.stderr
    assert "S/B: bucket_props['encryption']" in refused[0]
    assert "would switch off encryption" in refused[0]
