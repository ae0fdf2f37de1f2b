"""``wellstack review``: a Well-Architected review of a synthesized app, offline, from ``cdk.out``.

For each of the six pillars: wellstack's own checks of the templates — passed, a finding (a
risk), advice (an opportunity that is not a risk, such as Graviton) or unknown (not readable from
the templates) —, cdk-nag's unacknowledged findings (from the validation report), and the
acknowledged findings with their reasons (from the templates' ``cdk_nag`` metadata). Every
cdk-nag rule is mapped to a pillar in :data:`RULE_PILLARS`.

One module per pillar holds its checks (:mod:`.reliability`, :mod:`.security`,
:mod:`.cost_optimization`, :mod:`.operational_excellence`, :mod:`.performance_efficiency`,
:mod:`.sustainability`), each registering its functions with :func:`.base.check`;
:mod:`.report` assembles the typed :class:`ReviewReport` and :mod:`.page` renders it as HTML.
"""

from __future__ import annotations

# The pillar modules register their checks when imported, in this order.
from wellstack.analysis.review import (  # noqa: F401
    cost_optimization,
    operational_excellence,
    performance_efficiency,
    reliability,
    security,
    sustainability,
)
from wellstack.analysis.review.base import REVIEW_CHECKS, Check, Status, run_checks
from wellstack.analysis.review.page import to_html
from wellstack.analysis.review.report import (
    Acknowledgment,
    NagFinding,
    PillarReport,
    ReviewReport,
    nag_findings,
    review,
    review_assembly,
)
from wellstack.analysis.review.rules import RULE_PILLARS, rule_pillar

__all__ = [
    "REVIEW_CHECKS",
    "RULE_PILLARS",
    "Acknowledgment",
    "Check",
    "NagFinding",
    "PillarReport",
    "ReviewReport",
    "Status",
    "nag_findings",
    "review",
    "review_assembly",
    "rule_pillar",
    "run_checks",
    "to_html",
]
