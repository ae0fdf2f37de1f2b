"""wellstack as another team gets it: built into a wheel, installed into a fresh virtualenv,
used by a separate CDK app (examples/consumer) through the real cdk CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
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
        "import importlib.metadata as m, json, pathlib, wellstack, wellstack.constructs as c, "
        "wellstack.stacks as s\n"
        "print(json.dumps({'file': wellstack.__file__, 'requires': m.requires('wellstack'), "
        "'typed': (pathlib.Path(wellstack.__file__).parent / 'py.typed').exists(), "
        "'constructs': sorted(c.__all__), 'stacks': sorted(s.__all__)}))"
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
    assert info["typed"] is True
    requires = " ".join(info["requires"])
    for dependency in ("aws-cdk-lib", "constructs", "cdk-nag"):
        assert dependency in requires
    assert {"Network", "TierSecurityGroups", "TieredBucket", "AuroraCluster", "AppTier"} <= set(
        info["constructs"]
    )
    assert {"NetworkStack", "DataStack", "AppStack", "ThreeTierStage"} <= set(info["stacks"])


@pytest.mark.cli
def test_consumer_app_synthesizes_from_the_wheel(fresh_python, tmp_path):
    result = run_cdk(
        "synth", "--quiet", "--app", f"{fresh_python} app.py", "-o", str(tmp_path), cwd=CONSUMER
    )
    assert result.returncode == 0, result.stdout + result.stderr
    template = json.loads((tmp_path / "TeamArchive.template.json").read_text())
    types = {r["Type"] for r in template["Resources"].values()}
    assert {"AWS::EC2::VPC", "AWS::S3::Bucket", "AWS::EC2::SecurityGroup"} <= types
    assert "AWS::EC2::NatGateway" not in types
