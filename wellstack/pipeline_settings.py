"""The delivery pipeline's settings: cdk.json's ``wellstack:pipeline`` object (pure Python, no
CDK import), checked like every environment key.

```json
"wellstack:pipeline": {
  "repository": "my-org/my-app",
  "branch": "main",
  "connection_arn": "arn:aws:codeconnections:ap-northeast-2:111122223333:connection/...",
  "account": "111122223333",
  "region": "ap-northeast-2",
  "environments": ["dev", "prod"]
}
```
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wellstack.errors import WellstackError
from wellstack.settings import EnvironmentSettings
from wellstack.validation import REGION, Problems

PIPELINE_KEY = "wellstack:pipeline"
#: The pipeline stack's name (one per app).
PIPELINE_STACK = "WellstackPipeline"

_REPOSITORY = r"[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}"
#: A git branch name (refname rules, simplified: no spaces, no '..', no leading '-').
_BRANCH = r"(?!-)(?!.*\.\.)[A-Za-z0-9._/-]{1,200}(?<![./])"
#: AWS CodeConnections (formerly CodeStar Connections) connection ARN.
_CONNECTION = (
    r"arn:aws(-[a-z]+)*:(codeconnections|codestar-connections):[a-z]{2}(-[a-z]+)+-[0-9]:"
    r"[0-9]{12}:connection/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)
_PIPELINE_KEYS = ("repository", "branch", "connection_arn", "account", "region", "environments")


class PipelineSettingsError(WellstackError):
    """Bad ``wellstack:pipeline`` settings; every message starts ``wellstack:pipeline: key ...``."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("", problems)
        self.path: str = f"cdk.json {PIPELINE_KEY}"


@dataclass(frozen=True)
class PipelineSettings:
    """Where the pipeline lives, what it watches, and the environments it promotes through."""

    #: ``owner/name`` of the repository behind the connection (GitHub, GitLab, Bitbucket).
    repository: str
    #: The branch every push of which runs the pipeline.
    branch: str
    #: The CodeConnections connection (created and authorized once in the console).
    connection_arn: str
    #: The pipeline's own account (tooling account) and region.
    account: str
    region: str
    #: The environments, in promotion order (each with an ``account``).
    environments: tuple[EnvironmentSettings, ...]

    @property
    def cross_account(self) -> bool:
        """Whether any stage deploys to another account than the pipeline's."""
        return any(e.account != self.account for e in self.environments)


def parse_pipeline(raw: Any, environments: Mapping[str, EnvironmentSettings]) -> PipelineSettings:
    """Parse ``wellstack:pipeline``; raise a :class:`PipelineSettingsError` (a ``ValueError``)
    naming every bad key."""
    problems = Problems("")
    where = f"{PIPELINE_KEY}:"
    if not isinstance(raw, Mapping):
        raise PipelineSettingsError(
            [f"{where} must be a JSON object of settings, got {type(raw).__name__}"]
        )
    for key in sorted(set(raw) - set(_PIPELINE_KEYS), key=str):
        problems.add(
            f"{where} key {key!r}: unknown key; allowed keys are {', '.join(_PIPELINE_KEYS)}"
        )
    for key in _PIPELINE_KEYS:
        if key not in raw:
            problems.add(f"{where} key {key!r}: is required")

    def label(key: str) -> str:
        return f"{where} key {key!r}:"

    checks = {
        "repository": (_REPOSITORY, "a repository as owner/name, e.g. 'my-org/my-app'"),
        "branch": (_BRANCH, "a branch name such as 'main'"),
        "connection_arn": (
            _CONNECTION,
            "a CodeConnections connection ARN, arn:aws:codeconnections:<region>:<account>:"
            "connection/<id>",
        ),
        "account": (r"[0-9]{12}", "a 12-digit AWS account id such as '111122223333'"),
        "region": (REGION, "an AWS region name such as 'ap-northeast-2'"),
    }
    for key, (pattern, what) in checks.items():
        if key in raw:
            problems.text(label(key), raw[key], pattern, what)
    stages = _stages(problems, label("environments"), raw.get("environments"), environments)
    if problems:
        raise PipelineSettingsError(problems.problems)
    return PipelineSettings(
        repository=raw["repository"],
        branch=raw["branch"],
        connection_arn=raw["connection_arn"],
        account=raw["account"],
        region=raw["region"],
        environments=stages,
    )


def _stages(
    problems: Problems, label: str, value: Any, environments: Mapping[str, EnvironmentSettings]
) -> tuple[EnvironmentSettings, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        problems.add(f"{label} must be a non-empty list of environment names, got {value!r}")
        return ()
    known = ", ".join(sorted(environments))
    stages = []
    for name in value:
        if name not in environments:
            problems.add(f"{label} unknown environment {name!r}; cdk.json defines {known}")
            continue
        settings = environments[name]
        if settings.account is None:
            problems.add(
                f"{label} environment {name!r} has no 'account': a pipeline stage deploys to a "
                f"named account (bootstrapped with `cdk bootstrap --trust <pipeline account>`)"
            )
        stages.append(settings)
    repeated = sorted({n for n in value if value.count(n) > 1})
    if repeated:
        problems.add(f"{label} lists {', '.join(map(repr, repeated))} more than once")
    return tuple(stages)


__all__ = [
    "PIPELINE_KEY",
    "PIPELINE_STACK",
    "PipelineSettings",
    "PipelineSettingsError",
    "parse_pipeline",
]
