"""Environments from cdk.json: parsing and its errors, dev vs prod, several environments in one
app, tags, and the ThreeTierStage."""

from __future__ import annotations

import copy
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from tests.conftest import CDK_JSON, project_context
from wellstack.analysis.template import resources, tag
from wellstack.app import build
from wellstack.compliance import apply_packs
from wellstack.settings import (
    ENVIRONMENTS_KEY,
    EnvironmentSettings,
    parse_environment,
    parse_environments,
    select_environments,
)
from wellstack.stacks import ThreeTierStage

ENVIRONMENTS: dict[str, Any] = CDK_JSON["context"][ENVIRONMENTS_KEY]
MINIMAL = {"region": "us-east-1", "availability_zones": ["us-east-1a", "us-east-1b"]}


def test_cdk_json_environments_parse():
    environments = parse_environments(ENVIRONMENTS)
    assert {"dev", "prod"} <= set(environments)
    dev = environments["dev"]
    assert isinstance(dev, EnvironmentSettings)
    with pytest.raises(AttributeError):
        dev.nat = "per_az"  # type: ignore[misc]  # frozen
    with pytest.raises(TypeError):
        dev.tags["owner"] = "x"  # type: ignore[index]  # read-only mapping


def test_profiles_are_honest():
    environments = parse_environments(ENVIRONMENTS)
    dev, prod = environments["dev"], environments["prod"]
    assert dev.nat == "single" and prod.nat == "per_az"
    assert dev.db_readers == 1 and prod.db_readers >= 2
    assert len(prod.availability_zones) >= 3
    assert not dev.production and prod.production
    assert prod.log_retention_days > dev.log_retention_days


def test_defaults_of_a_minimal_environment():
    settings = parse_environment("staging", MINIMAL)
    assert settings.cidr == "10.0.0.0/16"
    assert settings.nat == "single"
    assert settings.account is None
    assert settings.stack_prefix == "Staging"
    assert parse_environment("eu-test", MINIMAL).stack_prefix == "EuTest"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({**MINIMAL, "colour": "blue"}, r"environment 'qa', key 'colour': unknown key"),
        ({"region": "us-east-1"}, r"environment 'qa', key 'availability_zones': is required"),
        ({"availability_zones": MINIMAL["availability_zones"]}, r"key 'region': is required"),
        ({**MINIMAL, "region": "mars-1"}, r"key 'region': must be an AWS region name.*'mars-1'"),
        ({**MINIMAL, "availability_zones": ["us-east-1a"]}, r"'availability_zones': must name at"),
        (
            {**MINIMAL, "availability_zones": ["us-east-1a", "eu-west-1b"]},
            r"key 'availability_zones': must be availability zones of region 'us-east-1', got "
            r"'eu-west-1b'",
        ),
        (
            {**MINIMAL, "availability_zones": ["us-east-1a", "us-east-1a"]},
            r"key 'availability_zones': lists an AZ twice",
        ),
        ({**MINIMAL, "account": "1234"}, r"key 'account': must be a 12-digit AWS account id"),
        ({**MINIMAL, "cidr": "10.0.0.0/33"}, r"key 'cidr': must be an IPv4 CIDR block"),
        ({**MINIMAL, "nat": "double"}, r"key 'nat': must be one of 'none', 'single', 'per_az'"),
        ({**MINIMAL, "db_engine": "oracle"}, r"key 'db_engine': must be one of 'mysql', 'postgres"),
        ({**MINIMAL, "db_readers": "2"}, r"key 'db_readers': must be an integer, got '2'"),
        ({**MINIMAL, "db_readers": True}, r"key 'db_readers': must be an integer, got True"),
        ({**MINIMAL, "db_readers": 16}, r"key 'db_readers': must be between 0 and 15"),
        ({**MINIMAL, "production": 1}, r"key 'production': must be True or False, got 1"),
        ({**MINIMAL, "app_min_capacity": -1}, r"key 'app_min_capacity': must be at least 0"),
        ({**MINIMAL, "tags": {"team": 7}}, r"key 'tags'.*\['team'\] must be a string"),
        ("not an object", r"environment 'qa' must be a JSON object"),
    ],
)
def test_settings_errors_name_the_environment_and_the_key(raw, message):
    with pytest.raises(ValueError, match=message):
        parse_environment("qa", raw)


def test_bad_environment_names_and_selection():
    with pytest.raises(ValueError, match=r"environment name 'Prod!'"):
        parse_environment("Prod!", MINIMAL)
    with pytest.raises(ValueError, match=r"must be a non-empty JSON object"):
        parse_environments({})
    environments = parse_environments(ENVIRONMENTS)
    with pytest.raises(ValueError, match=r"unknown environment 'qa'; known environments: dev"):
        select_environments(environments, "dev,qa")
    assert [s.name for s in select_environments(environments, None)] == ["dev"]
    assert [s.name for s in select_environments(environments, "prod, dev")] == ["prod", "dev"]


def test_settings_errors_stop_the_build_under_their_cdk_json_names():
    broken = copy.deepcopy(ENVIRONMENTS)
    broken["dev"]["db_readers"] = 16
    broken["prod"]["log_retention_days"] = 42
    app = cdk.App(context=project_context(**{ENVIRONMENTS_KEY: broken}))
    with pytest.raises(ValueError) as raised:
        build(app)
    message = str(raised.value)
    assert "environment 'dev', key 'db_readers': must be between 0 and 15" in message
    assert "environment 'prod', key 'log_retention_days': must be one of" in message


def test_context_lists_must_be_strings_or_lists():
    from wellstack.settings import split_list

    assert split_list("NIST80053R5, HIPAA", "packs") == ("NIST80053R5", "HIPAA")
    assert split_list(["PCI"], "packs") == ("PCI",)
    with pytest.raises(ValueError, match=r"context 'packs' must be a comma-separated string"):
        split_list({"NIST80053R5": True}, "packs")
    with pytest.raises(ValueError, match=r"context 'packs' has an empty entry"):
        split_list("NIST80053R5,,PCI", "packs")


def test_unknown_pack_is_a_clear_error():
    app = cdk.App(context=project_context(packs="NIST80053R5,SOC2"))
    with pytest.raises(ValueError, match=r"packs: unknown pack 'SOC2'; allowed:"):
        build(app)


# --- synthesized: dev vs prod, several environments, tags ---------------------------------------


@pytest.fixture(scope="session")
def dev_prod(built_app):
    """dev and prod in one app, as `cdk synth -c env=dev,prod` builds it."""
    return built_app(env="dev,prod")


def test_several_environments_in_one_app(dev_prod):
    names = sorted(stack.stack_name for stack in dev_prod.assembly.stacks)
    assert names == [
        "DevApp", "DevData", "DevNetwork",
        "ProdApp", "ProdData", "ProdDrApp", "ProdDrData", "ProdDrNetwork", "ProdNetwork",
    ]  # fmt: skip
    for stack in dev_prod.assembly.stacks:
        dr = stack.stack_name.startswith("ProdDr")
        assert stack.environment.region == ("ap-northeast-1" if dr else "ap-northeast-2")


def test_dev_vs_prod_in_the_templates(dev_prod):
    counts = {}
    for env in ("Dev", "Prod"):
        network = dev_prod.template(f"{env}Network")
        data = dev_prod.template(f"{env}Data")
        app = dev_prod.template(f"{env}App")
        (lt,) = resources(app, "AWS::EC2::LaunchTemplate").values()
        (lb,) = resources(app, "AWS::ElasticLoadBalancingV2::LoadBalancer").values()
        attributes = {a["Key"]: a["Value"] for a in lb["Properties"]["LoadBalancerAttributes"]}
        counts[env] = {
            "nat": len(resources(network, "AWS::EC2::NatGateway")),
            "instances": len(resources(data, "AWS::RDS::DBInstance")),
            "type": lt["Properties"]["LaunchTemplateData"]["InstanceType"],
            "lb_protection": attributes["deletion_protection.enabled"],
            "retention": next(iter(resources(network, "AWS::Logs::LogGroup").values()))[
                "Properties"
            ]["RetentionInDays"],
        }
    assert counts["Dev"] == {
        "nat": 1,
        "instances": 2,
        "type": "t3.micro",
        "lb_protection": "false",
        "retention": 30,
    }
    assert counts["Prod"] == {
        "nat": 3,
        "instances": 3,
        "type": "m7g.large",
        "lb_protection": "true",
        "retention": 365,
    }
    stacks = {s.stack_name: s for s in dev_prod.assembly.stacks}
    assert all(stacks[f"Prod{n}"].termination_protection for n in ("Network", "Data", "App"))
    assert not any(stacks[f"Dev{n}"].termination_protection for n in ("Network", "Data", "App"))
    # Deletion protection on the database is on in dev too.
    for env in ("Dev", "Prod"):
        (cluster,) = resources(dev_prod.template(f"{env}Data"), "AWS::RDS::DBCluster").values()
        assert cluster["Properties"]["DeletionProtection"] is True


def test_every_taggable_resource_carries_the_cost_tags(dev_prod):
    checked = 0
    for stack in dev_prod.assembly.stacks:
        env = "dev" if stack.stack_name.startswith("Dev") else "prod"
        for logical_id, resource in stack.template["Resources"].items():
            if "Tags" not in resource.get("Properties", {}):
                continue
            tags = resource["Properties"]["Tags"]
            if isinstance(tags, dict):  # e.g. AWS::SSM::Parameter's map form
                assert tags.get("project") == "wellstack", logical_id
                continue
            assert tag(resource, "project") == "wellstack", logical_id
            assert tag(resource, "environment") == env, logical_id
            assert tag(resource, "owner") == "platform-team", logical_id
            checked += 1
    assert checked > 50


def test_a_third_environment_from_cdk_json(built_app):
    environments = copy.deepcopy(ENVIRONMENTS)
    environments["staging"] = {
        **MINIMAL,
        "cidr": "10.30.0.0/20",
        "nat": "none",
        "public_mask": 26,
        "private_mask": 26,
        "isolated_mask": 26,
        "db_engine": "postgresql",
        "db_readers": 0,
        "db_instance_type": "r7g.large",
        "app_min_capacity": 1,
        "app_max_capacity": 2,
    }
    # nat="none" has no private subnets for the app tier: a clear error naming the environment
    with pytest.raises(
        ValueError, match=r"environment 'staging': StagingApp/Web: vpc has no private subnets"
    ):
        build(cdk.App(context=project_context(env="staging", **{ENVIRONMENTS_KEY: environments})))
    environments["staging"]["nat"] = "single"
    staging = built_app(env="staging", **{ENVIRONMENTS_KEY: environments})
    names = sorted(stack.stack_name for stack in staging.assembly.stacks)
    assert names == ["StagingApp", "StagingData", "StagingNetwork"]
    data = staging.template("StagingData")
    (cluster,) = resources(data, "AWS::RDS::DBCluster").values()
    assert cluster["Properties"]["Engine"] == "aurora-postgresql"


def test_stage_synthesizes_on_its_own():
    app = cdk.App(context=project_context())
    settings = parse_environments(ENVIRONMENTS)["prod"]
    stage = ThreeTierStage(app, "Prod", settings=settings)
    apply_packs(app, ["NIST80053R5"])
    assembly = stage.synth()
    names = sorted(stack.stack_name for stack in assembly.stacks)
    assert names == [
        "Prod-App", "Prod-Data", "Prod-DrApp", "Prod-DrData", "Prod-DrNetwork", "Prod-Network",
    ]  # fmt: skip
    network = Template.from_stack(stage.three_tier.network)
    network.resource_count_is("AWS::EC2::NatGateway", 3)
