"""EdgeStack: the CLOUDFRONT web ACL of an environment whose app tier sits behind CloudFront
(cdk.json ``"edge": "cloudfront"``), in us-east-1 — the only region where AWS WAF creates
web ACLs of that scope (AWS WAF Developer Guide). The app's stack reads the ARN with
``Fn::GetStackOutput`` and ``Region: us-east-1``: CloudFormation resolves it across regions
(Template Reference, ``Fn::GetStackOutput``: "supports cross-account and cross-region
references"), so no custom resource carries it."""

from __future__ import annotations

from typing import Unpack

from constructs import Construct

from wellstack.constructs import EdgeFirewall
from wellstack.settings import EnvironmentSettings
from wellstack.stacks._options import EnvironmentStack, StackOptions


class EdgeStack(EnvironmentStack):
    """``firewall`` (:class:`~wellstack.constructs.EdgeFirewall`): the distribution's web ACL.

    :param settings: the environment.
    :param kwargs: ``cdk.Stack``'s own keyword arguments (:class:`StackOptions`); ``env`` must
        name us-east-1.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: EnvironmentSettings,
        **kwargs: Unpack[StackOptions],
    ) -> None:
        super().__init__(scope, construct_id, settings, kwargs)
        self.firewall: EdgeFirewall = EdgeFirewall(
            self, "Firewall", log_retention_days=settings.log_retention_days
        )
