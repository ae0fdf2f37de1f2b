"""The six pillars of the AWS Well-Architected Framework, by the names ``wellstack review`` and
the AwsConstraints rules file their checks under."""

from __future__ import annotations

PILLARS = (
    "security",
    "reliability",
    "performance efficiency",
    "cost optimization",
    "operational excellence",
    "sustainability",
)
SECURITY, RELIABILITY, PERFORMANCE, COST, OPERATIONS, SUSTAINABILITY = PILLARS
