"""Fixes applied to moto (5.2.5) inside the sandbox's emulator process, each for a moto gap that
would otherwise stop a deploy of unchanged wellstack templates. They run only in
``python -m wellstack.emulator.moto_server``; moto itself is not modified on disk.

Every fix is listed in :data:`MOTO_FIXES` (generated into the docs) with the moto behaviour
behind it and a minimal reproduction.
"""

from __future__ import annotations

from typing import Any

#: (what is fixed, moto's behaviour, a minimal reproduction)
MOTO_FIXES: tuple[tuple[str, str, str], ...] = (
    (
        "Fn::GetAtt of a load balancer's LoadBalancerFullName and a target group's "
        "TargetGroupFullName (the dimensions of ELB metrics, used by the alarms)",
        "moto raises NotImplementedError for LoadBalancerFullName and has no "
        "get_cfn_attribute at all on FakeTargetGroup (AttributeError), failing the stack",
        'a template with an AWS::ElasticLoadBalancingV2::TargetGroup "TG" and an output '
        '{"Fn::GetAtt": ["TG", "TargetGroupFullName"]} -> create_stack fails',
    ),
)


def _full_name(arn: str, resource: str) -> str:
    """``arn:...:loadbalancer/app/name/id`` -> ``app/name/id``; ``...:targetgroup/n/id`` ->
    ``targetgroup/n/id`` (the form CloudWatch's dimensions take)."""
    tail = arn.split(":", 5)[-1]
    return tail.removeprefix("loadbalancer/") if resource == "loadbalancer" else tail


def apply() -> None:
    """Install every fix (idempotent)."""
    from moto.elbv2 import models

    load_balancer_get = models.FakeLoadBalancer.get_cfn_attribute
    if getattr(load_balancer_get, "_wellstack", False):
        return

    def get_load_balancer_attribute(self: Any, attribute_name: str) -> Any:
        if attribute_name == "LoadBalancerFullName":
            return _full_name(self.arn, "loadbalancer")
        return load_balancer_get(self, attribute_name)

    def has_target_group_attribute(cls: Any, attribute_name: str) -> bool:
        return attribute_name in ("TargetGroupArn", "TargetGroupName", "TargetGroupFullName",
                                  "LoadBalancerArns")  # fmt: skip

    def get_target_group_attribute(self: Any, attribute_name: str) -> Any:
        values = {
            "TargetGroupArn": self.arn,
            "TargetGroupName": self.name,
            "TargetGroupFullName": _full_name(self.arn, "targetgroup"),
            "LoadBalancerArns": list(getattr(self, "load_balancer_arns", [])),
        }
        if attribute_name not in values:
            from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

            raise UnformattedGetAttTemplateException()
        return values[attribute_name]

    get_load_balancer_attribute._wellstack = True  # type: ignore[attr-defined]
    models.FakeLoadBalancer.get_cfn_attribute = get_load_balancer_attribute  # type: ignore[method-assign]
    models.FakeTargetGroup.has_cfn_attr = classmethod(has_target_group_attribute)  # type: ignore[method-assign,assignment]
    models.FakeTargetGroup.get_cfn_attribute = get_target_group_attribute  # type: ignore[attr-defined]
