"""Template validation in a process of its own (``wellstack.app.new_app``): the same report as
CDK's own plugin in the jsii kernel, acknowledgments honoured, a gate that still fails a synth,
and a fall-back to the kernel when the helper cannot run."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from hypothesis import given
from hypothesis import strategies as st

import tests.strategies as S
import wellstack._template_validator as template_validator
from tests.conftest import project_context
from wellstack._template_validator import cdk_lib_directory, kill, parallel_validator
from wellstack.app import AppOptions, check_app_options, new_app
from wellstack.compliance import CONTROL_TOWER, acknowledge, apply_packs, control_tower_rule_texts
from wellstack.errors import WellstackError

ENV = cdk.Environment(region="ap-northeast-2")


def broken_app(app: cdk.App) -> kms.Key:
    """Findings of every kind the validator reports: resource-schema errors (an unknown
    property), a schema warning (a number where a string belongs), Control Tower rules — one of
    them acknowledged on the key that owns it (the report then lists it as suppressed)."""
    apply_packs(app, ["ControlTower"])
    stack = cdk.Stack(app, "Loose", env=ENV)
    key = kms.Key(stack, "PlainKey", enable_key_rotation=True)  # no CT.KMS.PR.3 statement
    acknowledge(
        key, {CONTROL_TOWER + "kms_create_grant_aws_service_check": "test: owned by this key"}
    )
    cdk.CfnResource(
        stack, "Odd", type="AWS::S3::Bucket", properties={"BucketName": 123, "Nope": True}
    )
    return key


def bare_app(outdir: Path) -> cdk.App:
    """new_app with one schema error and no packs (no Control Tower engine to start)."""
    app = new_app(context=project_context(), outdir=str(outdir))
    stack = cdk.Stack(app, "Bare", env=ENV)
    cdk.CfnResource(stack, "Odd", type="AWS::S3::Bucket", properties={"Nope": True})
    return app


def report_of(app: cdk.App, outdir: Path) -> dict[str, Any]:
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    return json.loads((outdir / "validation-report.json").read_text())


def test_same_report_as_cdks_own_plugin(tmp_path):
    """Also: apps of one process share one helper, each with its own rules — an app without
    packs, built between and synthesized first, gets no Control Tower finding; an app never
    synthesized leaves the others' answers alone."""
    kernel_out, helper_out = tmp_path / "kernel", tmp_path / "helper"
    kernel_app = cdk.App(context=project_context(), outdir=str(kernel_out))
    broken_app(kernel_app)
    helper_app = new_app(context=project_context(), outdir=str(helper_out))
    broken_app(helper_app)
    new_app(context=project_context())  # never synthesized
    plain_app = bare_app(tmp_path / "plain")
    validator, plain = parallel_validator(helper_app), parallel_validator(plain_app)
    assert validator is not None and plain is not None
    helper = validator._helper
    assert helper is not None and plain._helper is helper

    plain_report = report_of(plain_app, tmp_path / "plain")
    assert [v["ruleName"] for p in plain_report["pluginReports"] for v in p["violations"]] == [
        "F3002"
    ]
    expected = report_of(kernel_app, kernel_out)
    assert report_of(helper_app, helper_out) == expected
    assert validator.running and plain.running, "validated in the kernel after all"
    (plugin,) = [
        p for p in expected["pluginReports"] if p["pluginName"] == "CloudFormation Validate"
    ]
    rules = {v["ruleName"] for v in plugin["violations"]}
    assert {"F3002", "W9003", "s3_bucket_logging_enabled_check"} <= rules, rules
    suppressed = {v["ruleName"] for v in plugin["suppressedViolations"]}
    assert "kms_create_grant_aws_service_check" in suppressed - rules, suppressed


def test_an_acknowledged_finding_no_longer_fails_the_synth(tmp_path):
    app = bare_app(tmp_path)
    (odd,) = [c for c in app.node.find_all() if c.node.id == "Odd"]
    acknowledge(odd, {CONTROL_TOWER + "F3002": "test: the property is the point of this test"})
    app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    (plugin,) = [p for p in report["pluginReports"] if p["pluginName"] == "CloudFormation Validate"]
    assert plugin["conclusion"] == "success", plugin
    assert [v["ruleName"] for v in plugin["suppressedViolations"]] == ["F3002"]


def test_an_app_without_packs_is_still_validated(tmp_path):
    """new_app switches CDK's built-in validator off: its own must stand in from the start."""
    report = report_of(bare_app(tmp_path), tmp_path)
    rules = [v["ruleName"] for p in report["pluginReports"] for v in p["violations"]]
    assert rules == ["F3002"]


def test_without_the_helper_the_kernel_validates(tmp_path, monkeypatch):
    """jsii's package cache elsewhere (or off): the helper cannot find aws-cdk-lib, and CDK's
    plugin runs in the kernel with the same result."""
    assert cdk_lib_directory() is not None
    monkeypatch.setenv("JSII_RUNTIME_PACKAGE_CACHE_ROOT", str(tmp_path / "empty"))
    assert cdk_lib_directory() is None
    kernel_out, fallback_out = tmp_path / "kernel", tmp_path / "fallback"
    kernel_app = cdk.App(context=project_context(), outdir=str(kernel_out))
    broken_app(kernel_app)
    app = new_app(context=project_context(), outdir=str(fallback_out))
    broken_app(app)
    validator = parallel_validator(app)
    assert validator is not None and not validator.running
    assert report_of(app, fallback_out) == report_of(kernel_app, kernel_out)


def test_a_helper_that_dies_falls_back_and_says_so(tmp_path, capfd):
    """... and the next app, built before the first one's synth, starts a helper of its own."""
    app = bare_app(tmp_path / "first")
    validator = parallel_validator(app)
    assert validator is not None and validator._helper is not None
    kill(validator._helper._process)
    validator._helper._process.wait()
    after = bare_app(tmp_path / "next")
    next_validator = parallel_validator(after)
    assert next_validator is not None and next_validator._helper is not validator._helper

    report = report_of(app, tmp_path / "first")
    assert "template validation runs in the CDK process" in capfd.readouterr().err
    assert [v["ruleName"] for p in report["pluginReports"] for v in p["violations"]] == ["F3002"]
    report = report_of(after, tmp_path / "next")
    assert "CDK process" not in capfd.readouterr().err
    assert [v["ruleName"] for p in report["pluginReports"] for v in p["violations"]] == ["F3002"]
    assert next_validator.running


def test_a_helper_that_stops_answering_falls_back(tmp_path, capfd, monkeypatch):
    monkeypatch.setattr(template_validator, "ANSWER_TIMEOUT_S", 1)
    app = bare_app(tmp_path)
    validator = parallel_validator(app)
    assert validator is not None and validator._helper is not None
    os.killpg(validator._helper._process.pid, signal.SIGSTOP)  # alive, never answers
    report = report_of(app, tmp_path)
    assert "no answer in 1 s" in capfd.readouterr().err
    assert [v["ruleName"] for p in report["pluginReports"] for v in p["violations"]] == ["F3002"]


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"outdir": 5}, ["outdir", "5"]),
        ({"stack_traces": "no"}, ["stack_traces", "'no'"]),
        ({"contxt": {}}, ["'contxt'", "allowed"]),
        ({"context": ["env"]}, ["context", "mapping"]),
        ({"context": {"env": float("nan")}}, ["context", "NaN"]),
        ({"default_stack_synthesizer": "cli"}, ["default_stack_synthesizer", "'cli'"]),
        ({"property_injectors": [1]}, ["property_injectors", "[1]"]),
    ],
)
def test_bad_app_options_are_clear_errors(options, words):
    with pytest.raises(WellstackError) as raised:
        new_app(**options)
    assert all(word in str(raised.value) for word in words), str(raised.value)


OPTION_NAMES = st.one_of(st.sampled_from(sorted(AppOptions.__annotations__)), st.text(max_size=12))
#: Anything, or a mapping of anything (what context takes: NaN in it would kill jsii's kernel).
OPTION_VALUES = st.one_of(S.JUNK, st.dictionaries(st.text(max_size=6), S.JUNK, max_size=3))


@S.examples(150)
@given(options=st.dictionaries(OPTION_NAMES, OPTION_VALUES, max_size=3))
def test_app_options_build_or_name_the_option(options):
    """What new_app's check lets through, cdk.App takes; what it refuses names the option."""
    try:
        check_app_options(options)
    except WellstackError as error:
        assert any(repr(name) in str(error) or f"{name} " in str(error) for name in options)
        return
    cdk.App(builtin_cloud_formation_validation=False, **options)


@S.examples(100)
@given(name=st.sampled_from(["context", "post_cli_context"]), value=OPTION_VALUES)
def test_context_values_jsii_cannot_carry_are_refused(name, value):
    """NaN or infinity anywhere in the context would kill jsii's kernel (invalid JSON)."""
    try:
        check_app_options({name: value})
    except WellstackError as error:
        assert name in str(error)
        return
    cdk.App(builtin_cloud_formation_validation=False, **{name: value})


def test_a_rule_set_sent_once_serves_later_validators():
    """The props of a rule set travel once per helper: a later validator's request with the key
    alone gets an engine — also when the first request for that key was superseded (the same
    validator asked for other rules before the helper read either) and so started none."""
    node, cdk_lib = template_validator.node_binary(), cdk_lib_directory()
    assert node is not None and cdk_lib is not None
    helper = template_validator._Helper(node, cdk_lib)
    try:
        default_props, default_key = template_validator._rule_set(())
        rules = control_tower_rule_texts()[:1]
        ct_props, ct_key = template_validator._rule_set(tuple(rules))
        first = helper.configure(1, default_key, default_props)  # written before Node reads
        second = helper.configure(1, ct_key, ct_props)
        later = helper.configure(2, default_key, default_props)  # the key alone this time
        assert helper.answer(first) == {"ok": True, "superseded": True}
        with_rule, plain = helper.answer(second)["ruleIds"], helper.answer(later)["ruleIds"]
        assert "F3002" in plain and set(with_rule) > set(plain), (with_rule, plain)
    finally:
        helper.close("test over")


def test_answers_written_together_are_all_read(monkeypatch):
    """Two answers in the pipe at once (Node answers requests in a batch): the second must not
    wait for bytes the first read already took."""
    monkeypatch.setattr(template_validator, "ANSWER_TIMEOUT_S", 5)
    node, cdk_lib = template_validator.node_binary(), cdk_lib_directory()
    assert node is not None and cdk_lib is not None
    helper = template_validator._Helper(node, cdk_lib)
    try:
        with pytest.raises(template_validator.HelperError, match="unknown op"):
            helper.answer(helper.submit({"op": "nothing"}))  # the helper is up
        tickets = [helper.submit({"op": f"nothing-{index}"}) for index in range(3)]
        time.sleep(0.2)  # all three answered before the first is read
        for index, ticket in enumerate(tickets):
            with pytest.raises(
                template_validator.HelperError, match=f"unknown op .nothing-{index}"
            ):
                helper.answer(ticket)
    finally:
        helper.close("test over")
