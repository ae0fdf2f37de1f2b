"""Where a deploy goes: real AWS (the caller's credentials) or the local sandbox (moto's server).
Every deploy-side command takes its target explicitly, so a sandbox run never falls through to
whatever ``AWS_PROFILE`` is set, and a real deploy never goes to the emulator."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Literal

TargetName = Literal["aws", "sandbox"]


@dataclass(frozen=True)
class Target:
    """A place to deploy to, with the environment the CDK CLI and boto3 need to reach it."""

    name: TargetName
    #: Environment variables for the CDK CLI (credentials, endpoint) on top of the process's.
    environment: dict[str, str] = field(default_factory=dict)
    endpoint: str | None = None
    #: The account the target is (moto's fixed one for the sandbox).
    account: str | None = None

    def describe(self) -> str:
        return f"the local sandbox at {self.endpoint}" if self.name == "sandbox" else "AWS"

    def cli_environment(self) -> dict[str, str]:
        if self.name == "aws":
            return dict(os.environ)
        base = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("AWS_") or key == "AWS_CA_BUNDLE"
        }
        return {**base, **self.environment}

    def client(self, service: str, region: str) -> Any:
        import boto3

        if self.endpoint is None:
            return boto3.Session(region_name=region).client(service)
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id=self.environment["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.environment["AWS_SECRET_ACCESS_KEY"],
        )


def aws() -> Target:
    """Real AWS with the caller's credentials (``AWS_PROFILE``, environment, SSO ...)."""
    return Target("aws")


#: moto's account id.
SANDBOX_ACCOUNT = "123456789012"


def sandbox(port: int, region: str) -> Target:
    """The local emulator on ``localhost:port`` ("localhost", not 127.0.0.1: moto treats a
    template URL as path-style S3 only then)."""
    endpoint = f"http://localhost:{port}"
    return Target(
        "sandbox",
        environment={
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
        },
        endpoint=endpoint,
        account=SANDBOX_ACCOUNT,
    )
