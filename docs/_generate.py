"""The generated blocks of the docs: ``<!-- name -->`` ... ``<!-- /name -->`` in README.md and
docs/*.md, rebuilt from the code so they cannot go stale (``make docs`` rewrites them; the test
suite fails when one differs).

Blocks: ``props:CLASS`` and ``attributes:CLASS`` (a construct's keyword arguments and attributes,
from its signature and docstring), ``settings-keys`` (every cdk.json key with its default),
``subnet-plan:ENV``, ``emulator-differences``, ``read-back-gaps``, ``moto-fixes``,
``cli-commands``, ``alarm-thresholds``, ``constraint-rules``, ``reach-intents``. The
``acknowledgments`` block needs a synthesized app and is rebuilt by
``wellstack acks cdk.out --update docs/compliance.md``.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(
    r"<!-- (?P<name>[a-z-]+(?::[A-Za-z0-9-]+)?) -->\n(?P<body>.*?)<!-- /(?P=name) -->", re.S
)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _param_docs(cls: type) -> dict[str, str]:
    """``:param name: text`` entries of a class docstring (continuation lines joined)."""
    doc = inspect.cleandoc(cls.__doc__ or "")
    found: dict[str, str] = {}
    current = None
    for line in doc.splitlines():
        match = re.match(r":param (\w+): ?(.*)", line)
        if match:
            current = match.group(1)
            found[current] = match.group(2)
        elif current and line.startswith(" ") and line.strip():
            found[current] += " " + line.strip()
        else:
            current = None
    return found


def props_table(cls: type) -> str:
    """| prop | type | default | what |, in signature order (keyword-only arguments)."""
    docs = _param_docs(cls)
    rows = ["| prop | type | default | what |", "|---|---|---|---|"]
    for parameter in inspect.signature(cls.__init__).parameters.values():  # type: ignore[misc]
        if parameter.kind is not inspect.Parameter.KEYWORD_ONLY:
            continue
        annotation = parameter.annotation if isinstance(parameter.annotation, str) else ""
        default = (
            "required" if parameter.default is inspect.Parameter.empty else repr(parameter.default)
        )
        rows.append(
            f"| `{parameter.name}` | `{_cell(annotation)}` | `{_cell(default)}` "
            f"| {_cell(docs.get(parameter.name, ''))} |"
        )
    return "\n".join(rows) + "\n"


def attributes_table(cls: type) -> str:
    """| attribute | type | what |: the annotated ``self.x: T = ...`` of the constructor (and the
    ``#:`` comment above each), plus documented properties."""
    source = textwrap.dedent(inspect.getsource(cls))
    lines = source.splitlines()
    tree = ast.parse(source)
    rows = ["| attribute | type | what |", "|---|---|---|"]
    seen = set()
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Attribute)
            and isinstance(node.target.value, ast.Name)
            and node.target.value.id == "self"
            and not node.target.attr.startswith("_")
            and node.target.attr not in seen
        ):
            continue
        seen.add(node.target.attr)
        comments = []
        index = node.lineno - 2
        while index >= 0 and lines[index].strip().startswith("#:"):
            comments.insert(0, lines[index].strip().removeprefix("#:").strip())
            index -= 1
        rows.append(
            f"| `{node.target.attr}` | `{_cell(ast.unparse(node.annotation))}` "
            f"| {_cell(' '.join(comments))} |"
        )
    for name, member in inspect.getmembers(cls, lambda m: isinstance(m, property)):
        owner = next((k for k in cls.__mro__ if name in k.__dict__), cls)
        if name.startswith("_") or name in seen or not owner.__module__.startswith("wellstack"):
            continue
        hint = inspect.signature(member.fget).return_annotation if member.fget else ""
        summary = (inspect.getdoc(member) or "").split("\n\n")[0]
        rows.append(f"| `{name}` | `{_cell(str(hint))}` | {_cell(summary)} |")
    return "\n".join(rows) + "\n"


def settings_keys() -> str:
    from dataclasses import MISSING, fields

    from wellstack.settings import EnvironmentSettings

    doc = _field_docs()
    rows = ["| key | type | default | what |", "|---|---|---|---|"]
    for field in fields(EnvironmentSettings):
        if field.name == "name":
            continue
        if field.default is not MISSING:
            default = repr(field.default)
        elif field.default_factory is not MISSING:
            default = "{}"
        else:
            default = "required"
        rows.append(
            f"| `{field.name}` | `{_cell(str(field.type))}` | `{_cell(default)}` "
            f"| {_cell(doc.get(field.name, ''))} |"
        )
    return "\n".join(rows) + "\n"


def _field_docs() -> dict[str, str]:
    """The ``#:`` comment above each field of EnvironmentSettings."""
    from wellstack import settings

    lines = inspect.getsource(settings.EnvironmentSettings).splitlines()
    found, comment = {}, []
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("#:"):
            comment.append(stripped.removeprefix("#:").strip())
            continue
        match = re.match(r"(\w+): ", stripped)
        if match and comment:
            found[match.group(1)] = " ".join(comment)
        comment = []
    return found


def subnet_plan(env: str) -> str:
    from wellstack.limits import DEFAULT_RESERVED_AZS
    from wellstack.settings import ENVIRONMENTS_KEY, parse_environments
    from wellstack.subnets import plan_subnets, tiers_for

    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    settings = parse_environments(context[ENVIRONMENTS_KEY])[env]
    rows = plan_subnets(
        settings.cidr,
        settings.availability_zones,
        masks=settings.subnet_masks,
        reserved_azs=DEFAULT_RESERVED_AZS,
        tiers=tiers_for(settings.nat),
    )
    lines = ["| tier | AZ | CIDR | addresses | usable |", "|---|---|---|---:|---:|"]
    lines += [f"| {r.tier} | {r.az} | {r.cidr} | {r.addresses} | {r.usable_ips} |" for r in rows]
    return "\n".join(lines) + "\n"


def emulator_differences() -> str:
    from wellstack.emulator.differences import EMULATOR_DIFFERENCES

    return "".join(f"- {difference}\n" for difference in EMULATOR_DIFFERENCES)


def read_back_gaps() -> str:
    from wellstack.emulator.summary import NOT_MODELLED, READ_BACK_GAPS

    rows = ["| resource type | what the sandbox lacks |", "|---|---|"]
    rows += [f"| `{kind}` | {_cell(gap)} |" for kind, gap in sorted(NOT_MODELLED.items())]
    return "\n".join(rows) + "\n\n" + "".join(f"- {gap}\n" for gap in READ_BACK_GAPS)


def cli_commands() -> str:
    from wellstack.cli import main

    rows = ["| command | what it does |", "|---|---|"]
    for name, command in sorted(main.commands.items()):
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for sub_name, sub in sorted(subcommands.items()):
                rows.append(f"| `wellstack {name} {sub_name}` | {_cell(sub.help or '')} |")
        else:
            rows.append(f"| `wellstack {name}` | {_cell(command.help or '')} |")
    return "\n".join(rows) + "\n"


def alarm_thresholds() -> str:
    from wellstack.constructs.monitoring import THRESHOLDS

    rows = ["| alarm | threshold | for | why |", "|---|---|---|---|"]
    for name, rule in THRESHOLDS.items():
        window = f"{rule.datapoints} of {rule.periods} x {rule.period_minutes} min"
        rows.append(f"| `{name}` | {rule.value:g} {rule.unit} | {window} | {_cell(rule.why)} |")
    return "\n".join(rows) + "\n"


def constraint_rules() -> str:
    from wellstack.analysis.constraints import all_rules

    rows = ["| rule | what must hold | AWS | source |", "|---|---|---|---|"]
    for rule in all_rules().values():
        rows.append(
            f"| `AwsConstraints::{rule.id}` | {_cell(rule.title)} | {rule.outcome} "
            f"| [{_cell(rule.source)}]({rule.url}) |"
        )
    return "\n".join(rows) + "\n"


def reach_intents() -> str:
    from wellstack.analysis.reach import INTENTS

    rows = ["| intent | |", "|---|---|"]
    rows += [f"| `{name}` | {_cell(what)} |" for name, what in INTENTS.items()]
    return "\n".join(rows) + "\n"


def moto_fixes() -> str:
    from wellstack.emulator.moto_fixes import MOTO_FIXES

    return "".join(
        f"- **{_cell(what)}** — {_cell(behaviour)}. Reproduction: {_cell(repro)}.\n"
        for _, what, behaviour, repro in MOTO_FIXES
    )


def generators() -> dict[str, Callable[[], str]]:
    """Block name -> what it should hold."""
    from wellstack import constructs

    found: dict[str, Callable[[], str]] = {
        "settings-keys": settings_keys,
        "emulator-differences": emulator_differences,
        "cli-commands": cli_commands,
        "alarm-thresholds": alarm_thresholds,
        "moto-fixes": moto_fixes,
        "read-back-gaps": read_back_gaps,
        "constraint-rules": constraint_rules,
        "reach-intents": reach_intents,
    }
    for name in ("dev", "prod"):
        found[f"subnet-plan:{name}"] = lambda name=name: subnet_plan(name)
    for name in constructs.__all__:
        cls = getattr(constructs, name)
        if inspect.isclass(cls) and hasattr(cls, "node") and cls.__module__.startswith("wellstack"):
            found[f"props:{name}"] = lambda cls=cls: props_table(cls)
            found[f"attributes:{name}"] = lambda cls=cls: attributes_table(cls)
    return found


def stale_blocks() -> list[tuple[Path, str]]:
    """(document, block) pairs whose content differs from what the code generates."""
    makers = generators()
    stale = []
    for document in DOCUMENTS:
        for match in BLOCK.finditer(document.read_text()):
            name = match.group("name")
            if name in makers and match.group("body") != makers[name]():
                stale.append((document, name))
    return stale


def regenerate() -> list[str]:
    makers = generators()
    changed = []
    for document in DOCUMENTS:
        text = document.read_text()

        def replace(match: re.Match[str]) -> str:
            name = match.group("name")
            if name not in makers:
                return match.group(0)
            return f"<!-- {name} -->\n{makers[name]()}<!-- /{name} -->"

        new = BLOCK.sub(replace, text)
        if new != text:
            document.write_text(new)
            changed.append(str(document.relative_to(ROOT)))
    return changed


if __name__ == "__main__":
    changed = regenerate()
    print("regenerated: " + (", ".join(changed) if changed else "nothing changed"))
    sys.exit(0)
