"""Property-based tests (hypothesis) for every public entry point: the six constructs, the
environment settings, and the command's flags and inputs.

The property: **a clear error naming the prop, or a result that is right** — a ``WellstackError``
(a ``ValueError``) whose message names the prop (or the environment and cdk.json key), or a
construct whose template has no cfn-lint error; for the command, exit 0 with valid output or
exit 2 with one line. Never a jsii stack trace, a Python error naming nothing, or exit 1.

Two kinds of input per entry point: *plausible* props (values a user could mean, valid or not,
mixed freely) and the same with one prop replaced by *junk* (any type at all); the error must
then name that prop. ``make test`` runs a fixed set of examples; ``make fuzz`` many more, random.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import re
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import jsii
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from tests import strategies as S
from tests.strategies import examples
from wellstack.constructs import (
    AppTier,
    AuroraCluster,
    AuroraSecondaryCluster,
    EdgeFirewall,
    Monitoring,
    Network,
    TieredBucket,
    TierSecurityGroups,
)
from wellstack.errors import WellstackError
from wellstack.settings import parse_environment

ENV = cdk.Environment(region=S.REGION)
AZS = ["ap-northeast-2a", "ap-northeast-2c"]


class World:
    """One app holding a shared network for the examples that need a VPC; each example gets a
    stack of its own in it (cheap), so an example costs what its construct costs."""

    def __init__(self) -> None:
        self.app = cdk.App()
        shared = cdk.Stack(self.app, "Shared", env=ENV)
        # Dual stack, so that IPv6 props (web_ingress_ipv6_cidr, ip_address_type) can build too.
        self.network = Network(shared, "Net", availability_zones=AZS, flow_logs=False, ipv6=True)
        self.groups = TierSecurityGroups(
            shared, "Groups", vpc=self.network.vpc, web_ingress_ipv6_cidr="::/0"
        )
        self.count = itertools.count()

    def stack(self, region: str = S.REGION) -> cdk.Stack:
        return cdk.Stack(self.app, f"Example{next(self.count)}", env=cdk.Environment(region=region))


@pytest.fixture(scope="module")
def world() -> World:
    return World()


Builder = Callable[[cdk.Stack, "World", dict[str, Any]], Any]

BUILDERS: dict[str, tuple[Builder, Any]] = {
    "Network": (lambda s, w, p: Network(s, "Net", **p), S.NETWORK),
    "TierSecurityGroups": (
        lambda s, w, p: TierSecurityGroups(s, "Groups", vpc=w.network.vpc, **p),
        S.SECURITY_GROUPS,
    ),
    "AppTier": (
        lambda s, w, p: AppTier(s, "App", vpc=w.network.vpc, security_groups=w.groups, **p),
        S.APP_TIER,
    ),
    "AuroraCluster": (lambda s, w, p: AuroraCluster(s, "Db", vpc=w.network.vpc, **p), S.AURORA),
    "AuroraSecondaryCluster": (
        lambda s, w, p: AuroraSecondaryCluster(
            s, "Db", vpc=w.network.vpc, **{"global_cluster_identifier": "orders-global", **p}
        ),
        S.SECONDARY,
    ),
    "TieredBucket": (lambda s, w, p: TieredBucket(s, "Bucket", **p), S.BUCKET),
    "Monitoring": (lambda s, w, p: Monitoring(s, "Monitoring", **p), S.MONITORING),
    "EdgeFirewall": (lambda s, w, p: EdgeFirewall(s, "Firewall", **p), S.EDGE_FIREWALL),
}
#: Where an entry point's stack must be (AWS WAF keeps CLOUDFRONT web ACLs in us-east-1).
REGIONS = {"EdgeFirewall": "us-east-1"}


def build(world: World, construct: str, props: dict[str, Any]) -> cdk.Stack:
    make, _ = BUILDERS[construct]
    stack = world.stack(REGIONS.get(construct, S.REGION))
    make(stack, world, S.resolve(props, stack))
    return stack


JSII_TRACE = re.compile(
    r"@jsii|jsii\.errors|jsii/kernel|JavaScriptError|Unable to deserialize|SerializationError"
)


#: Codes of problems a value has on its own, whatever the other props say.
INTRINSIC = {"type", "range", "choice", "format", "length"}


def named(error: WellstackError) -> set[str]:
    """The props the error's problems are about (``cluster_props['port']`` -> ``cluster_props``)."""
    return {re.split(r"[\[.]", prop)[0] for problem in error.details for prop in problem.props}


def assert_names(error: WellstackError, names: list[str]) -> None:
    """Some problem is about one of ``names`` (its structured prop, not a word of a sentence),
    and no jsii machinery shows."""
    assert named(error) & set(names), f"{error.codes()} name none of {names}: {error}"
    # No jsii machinery in the message (a junk value may itself spell "jsii": not that).
    assert not JSII_TRACE.search(str(error)), str(error)


def intrinsic_problems(world: World, construct: str, prop: str, value: Any) -> set[str]:
    """The codes of what is wrong with ``prop=value`` given on its own."""
    try:
        build(world, construct, {prop: value})
    except WellstackError as error:
        return {p.code for p in error.details if p.prop == prop and p.code in INTRINSIC}
    return set()


# --- constructs: plausible props ------------------------------------------------------------


@pytest.mark.parametrize("construct", list(BUILDERS))
def test_plausible_props_build_or_name_a_prop(world, construct):
    _, props_of = BUILDERS[construct]

    @examples(60)
    @given(props=props_of.draw)
    def check(props: dict[str, Any]) -> None:
        try:
            build(world, construct, props)
        except WellstackError as error:
            assert_names(error, list(props) or [construct])

    check()


@pytest.mark.parametrize("construct", list(BUILDERS))
def test_junk_in_one_prop_names_that_prop(world, construct):
    _, props_of = BUILDERS[construct]

    @examples(60)
    @given(drawn=props_of.with_junk())
    def check(drawn: tuple[dict[str, Any], str]) -> None:
        props, junk = drawn
        # What is wrong with the junk value itself (its type, range, shape), whatever it is:
        # the same problem, with the same code, must be reported with every other prop given.
        wrong = intrinsic_problems(world, construct, junk, props[junk])
        try:
            build(world, construct, props)
        except WellstackError as error:
            assert_names(error, list(props))
            reported = {p.code for p in error.details if junk in p.props}
            assert wrong <= reported, f"{junk}={props[junk]!r}: {wrong} not in {error.codes()}"
            return
        assert not wrong, f"{junk}={props[junk]!r} is refused alone ({wrong}) but built"

    check()


# --- constructs: what builds is cfn-lint clean --------------------------------------------------


@pytest.fixture(scope="module")
def cfn_lint() -> Callable[[dict[str, Any]], list[str]]:
    from cfnlint.api import ConfigMixIn, Runner, run_template_by_data

    config = ConfigMixIn(regions=[S.REGION])
    rules = Runner(config).rules

    def errors(template: dict[str, Any]) -> list[str]:
        return [
            f"{match.rule.id} {match.message}"
            for match in run_template_by_data(template, config, rules)
            if match.rule.id.startswith("E")
        ]

    return errors


@pytest.mark.parametrize("construct", list(BUILDERS))
def test_what_builds_is_cfn_lint_clean(construct, cfn_lint):
    """Each example in an app of its own (the shared network synthesized with it)."""
    _, props_of = BUILDERS[construct]

    @examples(4)
    @given(props=props_of.draw)
    def check(props: dict[str, Any]) -> None:
        world = World()
        try:
            stack = build(world, construct, props)
        except WellstackError:
            return
        assembly = world.app.synth()
        for name in (stack.stack_name, "Shared"):
            template = assembly.get_stack_by_name(name).template
            assert cfn_lint(template) == [], (name, props)

    check()


# --- settings ---------------------------------------------------------------------------------


@examples(300)
@given(name=S.ENVIRONMENT_NAMES, raw=S.ENVIRONMENT.draw)
def test_plausible_settings_parse_or_name_the_key(name, raw):
    try:
        settings = parse_environment(name, raw)
    except WellstackError as error:
        message = str(error)
        assert f"environment {name!r}" in message or "environment name" in message, message
        named = [*raw, "region", "availability_zones"]  # the required keys, when missing
        assert any(key in message for key in named) or "environment name" in message, message
        return
    assert settings.region == raw.get("region")
    assert list(settings.availability_zones) == raw.get("availability_zones")


@examples(300)
@given(drawn=S.ENVIRONMENT.with_junk())
def test_junk_settings_name_the_key(drawn):
    raw, junk = drawn
    wrong = set()
    try:
        parse_environment("dev", {"region": S.REGION, "availability_zones": AZS, junk: raw[junk]})
    except WellstackError as error:
        wrong = {p.code for p in error.details if p.prop == junk and p.code in INTRINSIC}
    try:
        parse_environment("dev", raw)
    except WellstackError as error:
        assert "environment 'dev'" in str(error), str(error)
        reported = {p.code for p in error.details if junk in p.props}
        assert wrong <= reported, f"{junk}={raw[junk]!r}: {wrong} not in {error.codes()}"
        return
    assert not wrong, f"{junk}={raw[junk]!r} is refused alone ({wrong}) but parsed"


@examples(100)
@given(key=st.text(min_size=1, max_size=20), value=S.JUNK)
def test_unknown_settings_keys_are_named(key, value):
    raw = {"region": S.REGION, "availability_zones": AZS, key: value}
    try:
        parse_environment("dev", raw)
    except WellstackError as error:
        assert "environment 'dev'" in str(error)
        return
    # Accepted: it was a real key with a valid value.


# --- the command ------------------------------------------------------------------------------


def run(*args: str) -> Any:
    from wellstack.cli import main

    return CliRunner().invoke(main, list(args))


def one_line_or_ok(result: Any) -> None:
    assert result.exit_code in (0, 2), (result.exit_code, result.output, result.exception)
    if result.exit_code == 2:
        assert result.stderr.startswith("wellstack: error: "), result.stderr
        assert result.stderr.count("\n") == 1, result.stderr


@pytest.fixture(scope="module")
def small_app(tmp_path_factory: pytest.TempPathFactory):
    from tests.test_cli import SMALL, write_app

    return write_app(tmp_path_factory.mktemp("small"), SMALL)


@examples(100)
@given(flags=st.lists(st.tuples(S.COST_FLAG, S.FLAG_VALUE), min_size=1, max_size=3))
def test_cost_flags_are_validated(small_app, flags):
    args = [part for flag, value in flags for part in (flag, value)]
    result = run("cost", str(small_app), "--json", *args)
    one_line_or_ok(result)
    if result.exit_code == 0:
        estimate = json.loads(result.stdout)  # strict JSON: NaN would not parse back equal
        assert math.isfinite(estimate["total_monthly_usd"])
        for line in estimate["lines"]:  # an unpriced line is unknown (None), never NaN
            assert (line["monthly_usd"] is None) is (not line["priced"])
            assert line["monthly_usd"] is None or math.isfinite(line["monthly_usd"])
        assert estimate["complete"] is (not estimate["unpriced"])


def _paths(template: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a template (dict keys and list indexes)."""
    found = [prefix]
    if isinstance(template, dict):
        for key, value in template.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(template, list):
        for index, value in enumerate(template):
            found += _paths(value, (*prefix, index))
    return found


def _replace(template: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    changed = copy.deepcopy(template)
    node = changed
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return changed


JSONISH = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**40), 2**40),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=8),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


#: Exit codes each command may give on a readable app (reach: 1 = a violated intent; diff: 1 =
#: a --fail-on gate; check: 1 = a violated AWS constraint).
VERDICT_CODES = {"cost": (0,), "review": (0,), "reach": (0, 1), "diff": (0, 1), "check": (0, 1)}


@pytest.mark.parametrize("command", list(VERDICT_CODES))
def test_malformed_templates_are_one_line(tmp_path_factory, command):
    from tests.test_cli import SMALL, write_app

    paths = _paths(SMALL)
    reference = write_app(tmp_path_factory.mktemp("reference"), SMALL)

    @examples(60)
    @given(path=st.sampled_from(paths), value=JSONISH)
    def check(path: tuple[Any, ...], value: Any) -> None:
        folder = tmp_path_factory.mktemp("malformed")
        write_app(folder, _replace(SMALL, path, value))
        args = [str(folder)] if command != "diff" else [str(reference), str(folder)]
        extra = ["--fail-on", "risk,findings,broadening"] if command == "diff" else []
        result = run(command, *args, "--json", *extra)
        assert result.exit_code in (*VERDICT_CODES[command], 2), (result.output, result.exception)
        if result.exit_code == 2:
            assert result.stderr.startswith("wellstack: error: "), result.stderr
            assert result.stderr.count("\n") == 1, result.stderr
        else:
            json.loads(result.stdout)

    check()


def _tokens() -> st.SearchStrategy[Any]:
    """Real CDK tokens of every encoding (string, number, list element), alone or inside text."""
    string = st.sampled_from(["a", "b"]).map(lambda v: cdk.Lazy.string(_Fixed(v)))
    number = st.integers(0, 5).map(lambda v: cdk.Lazy.number(_Fixed(v)))
    listed = st.just(0).map(lambda _: cdk.Lazy.list(_Fixed(["x"]))[0])
    embedded = st.tuples(st.text(max_size=5), string | number.map(str), st.text(max_size=5))
    return string | number | listed | embedded.map("".join)


@jsii.implements(cdk.IStableAnyProducer, cdk.IStableStringProducer, cdk.IStableNumberProducer,
                 cdk.IStableListProducer)  # fmt: skip
class _Fixed:
    def __init__(self, value: Any) -> None:
        self.value = value

    def produce(self) -> Any:
        return self.value


NEAR_TOKENS = st.sampled_from([
    "${Token[X.1]}", "${Token[]}", "${Token[a b]}", "$Token[1]}", "Token[", "#{Token[TOKEN.9]}",
    "-1.8881545897087626e+289", "x -1.888154589708e+289 Token[", "${Token[é]}", "${Token[٣]}",
    "${Token[TOKEN.1]}${Token[TOKEN.2]}", "{Token[1]}",
])  # fmt: skip
SCALARS = (
    st.text(max_size=30) | NEAR_TOKENS | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.floats(-1.9e289, -1.8e289) | st.booleans()
)  # fmt: skip


@examples(150)
@given(value=SCALARS | _tokens())
def test_is_token_answers_as_cdk_does(value):
    """wellstack decides in Python what ``cdk.Token.is_unresolved`` would (no round trip to the
    kernel per value checked): the same answer on text, numbers, CDK's token encodings and
    near-misses."""
    from wellstack.constructs.checks import is_token

    expected = False if isinstance(value, bool) else cdk.Token.is_unresolved(value)
    assert is_token(value) is expected, value
