"""CloudWatch alarms: limits PutMetricAlarm enforces at deploy time, and periods the metric cannot
fill (the alarm then sits in INSUFFICIENT_DATA and never fires)."""

from __future__ import annotations

from collections.abc import Iterator

from wellstack.analysis.constraints.base import Violation, rule, violation
from wellstack.analysis.pillars import OPERATIONS
from wellstack.analysis.template import Assembly, Resource

PUT_METRIC_ALARM = (
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html"
)
MAX_ACTIONS = 5
MAX_METRICS = 10
DAY, WEEK = 86_400, 604_800


@rule(
    "CW1",
    "An alarm has at most 5 actions per state",
    pillar=OPERATIONS,
    outcome="refused",
    source="Amazon CloudWatch API Reference, PutMetricAlarm: AlarmActions, OKActions and "
    "InsufficientDataActions take at most 5 items",
    url=PUT_METRIC_ALARM,
)
def _actions(assembly: Assembly) -> Iterator[Violation]:
    for alarm in assembly.resources("AWS::CloudWatch::Alarm"):
        for key in ("AlarmActions", "OKActions", "InsufficientDataActions"):
            count = len(alarm.items(key))
            if count > MAX_ACTIONS:
                yield violation(
                    "CW1",
                    alarm,
                    f"{key} has {count} actions",
                    "notify one SNS topic and fan out from there",
                    key,
                )


def _metrics(alarm: Resource) -> list[dict]:
    return [m for m in alarm.items("Metrics") if isinstance(m, dict)]


@rule(
    "CW2",
    "A metric-math alarm uses at most 10 metrics",
    pillar=OPERATIONS,
    outcome="refused",
    source="Amazon CloudWatch User Guide, Alarming on metric math expressions: a math expression "
    "used for an alarm can include as many as 10 metrics",
    url="https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/"
    "Create-alarm-on-metric-math-expression.html",
)
def _math(assembly: Assembly) -> Iterator[Violation]:
    for alarm in assembly.resources("AWS::CloudWatch::Alarm"):
        stats = [m for m in _metrics(alarm) if "MetricStat" in m]
        if len(stats) > MAX_METRICS:
            yield violation(
                "CW2",
                alarm,
                f"the alarm's expression reads {len(stats)} metrics",
                "split it into several alarms (or a composite alarm)",
                "Metrics",
            )


def _periods(alarm: Resource) -> list[float]:
    """Every period the alarm evaluates (its own, or its metrics' in a math alarm)."""
    own = alarm.number("Period")
    if own is not None:
        return [own]
    found = []
    for index, metric in enumerate(_metrics(alarm)):
        period = (
            metric.get("MetricStat", {}).get("Period")
            if isinstance(metric.get("MetricStat"), dict)
            else None
        )
        number = alarm.as_number(period, f"Metrics[{index}].MetricStat.Period")
        if number is not None:
            found.append(number)
    return found


@rule(
    "CW3",
    "An alarm's evaluation window is at most one day (periods under an hour) or seven days",
    pillar=OPERATIONS,
    outcome="refused",
    source="Amazon CloudWatch API Reference, PutMetricAlarm: Period x EvaluationPeriods cannot be "
    "more than 604,800 seconds, and no longer than one day for periods under an hour",
    url=PUT_METRIC_ALARM,
)
def _window(assembly: Assembly) -> Iterator[Violation]:
    for alarm in assembly.resources("AWS::CloudWatch::Alarm"):
        periods = alarm.number("EvaluationPeriods")
        if periods is None:
            continue
        for period in _periods(alarm):
            limit = DAY if period < 3600 else WEEK
            if period * periods > limit:
                yield violation(
                    "CW3",
                    alarm,
                    f"{periods:g} periods of {period:g} s is {period * periods:g} s, over "
                    f"{limit} s",
                    "use fewer evaluation periods or a longer period",
                    "EvaluationPeriods",
                )
                break


#: Namespaces whose metrics AWS publishes at one-minute resolution at best.
STANDARD_RESOLUTION = ("AWS/",)


@rule(
    "CW4",
    "An alarm on an AWS service metric uses a period of at least 60 seconds",
    pillar=OPERATIONS,
    outcome="ignored",
    source="Amazon CloudWatch API Reference, PutMetricAlarm (Period): with a period of 10, 20 or "
    "30 seconds on a metric without sub-minute resolution the alarm might often lapse into "
    "INSUFFICIENT_DATA",
    url=PUT_METRIC_ALARM,
)
def _resolution(assembly: Assembly) -> Iterator[Violation]:
    for alarm in assembly.resources("AWS::CloudWatch::Alarm"):
        namespaces = [alarm.prop("Namespace")] + [
            m.get("MetricStat", {}).get("Metric", {}).get("Namespace")
            for m in _metrics(alarm)
            if isinstance(m.get("MetricStat"), dict)
            and isinstance(m["MetricStat"].get("Metric"), dict)
        ]
        service = any(isinstance(n, str) and n.startswith(STANDARD_RESOLUTION) for n in namespaces)
        short = [p for p in _periods(alarm) if p < 60]
        if service and short:
            yield violation(
                "CW4",
                alarm,
                f"a {min(short):g} s period on an AWS service metric, which is published at most "
                f"once a minute",
                "use a period of 60 seconds or a multiple of it",
                "Period",
            )
