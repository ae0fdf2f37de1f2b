"""Deploying wellstack: preflight, the data guard before every deploy, and what a destroy keeps,
against an explicit target (real AWS or the local sandbox). Needs the ``cli`` extra (boto3 and
cfn-lint)."""

from wellstack.deploy.preflight import BOOTSTRAP_VERSION_PARAMETER, PreflightError, preflight
from wellstack.deploy.target import Target, aws, sandbox

__all__ = ["BOOTSTRAP_VERSION_PARAMETER", "PreflightError", "Target", "aws", "preflight", "sandbox"]
