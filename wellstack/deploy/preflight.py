"""Before a deploy: credentials, the right account, a bootstrapped account/region. Each failure is
one message that says what to do next."""

from __future__ import annotations

from wellstack.deploy.target import Target

BOOTSTRAP_VERSION_PARAMETER = "/cdk-bootstrap/hnb659fds/version"


class PreflightError(Exception):
    """A deploy cannot start; the message says what to do."""


def caller_account(target: Target, region: str) -> str:
    """The account the target's credentials belong to."""
    import botocore.exceptions

    try:
        return str(target.client("sts", region).get_caller_identity()["Account"])
    except (
        botocore.exceptions.NoCredentialsError,
        botocore.exceptions.PartialCredentialsError,
    ):
        raise PreflightError(
            "No AWS credentials found. Set AWS_PROFILE to a configured profile (aws configure "
            "sso / aws configure), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY."
        ) from None
    except botocore.exceptions.EndpointConnectionError:
        if target.name == "sandbox":
            raise PreflightError(
                f"The sandbox emulator does not answer at {target.endpoint}: start it with "
                f"`wellstack sandbox up` (make sandbox)."
            ) from None
        raise PreflightError(f"Could not reach AWS STS in {region}.") from None
    except botocore.exceptions.ClientError as err:
        raise PreflightError(f"The AWS credentials were rejected: {err}") from None
    except botocore.exceptions.BotoCoreError as err:
        raise PreflightError(f"Could not reach AWS STS in {region}: {err}") from None


def check_account(target: Target, region: str, account: str | None, action: str) -> str:
    caller = caller_account(target, region)
    if account and account != caller and target.name == "aws":
        raise PreflightError(
            f"The environment is for account {account}, but the credentials are for account "
            f"{caller}: refusing to {action}. Use a profile of account {account}."
        )
    return caller


def preflight(target: Target, region: str, account: str | None) -> str:
    """Check credentials, the account and the bootstrap; return the caller's account."""
    import botocore.exceptions

    caller = check_account(target, region, account, "deploy")
    try:
        target.client("ssm", region).get_parameter(Name=BOOTSTRAP_VERSION_PARAMETER)
    except botocore.exceptions.ClientError as err:
        if err.response["Error"]["Code"] == "ParameterNotFound":
            raise PreflightError(
                f"Account {caller} region {region} is not bootstrapped for the CDK: run "
                f"`wellstack bootstrap --env <env>` once per account and region."
            ) from None
        raise PreflightError(f"Could not check the CDK bootstrap: {err}") from None
    return caller
