"""The review as one self-contained HTML page (``wellstack review --html``)."""

from __future__ import annotations

import html

from wellstack.analysis.review.report import ReviewReport


def row(css: str, status: str, check_html: str, detail_html: str) -> str:
    return f"<tr><td class={css}>{status}</td><td>{check_html}</td><td>{detail_html}</td></tr>"


_CSS = (
    "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;color:#222}"
    "h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:1.6em}"
    "table{border-collapse:collapse;width:100%;margin:.5em 0 1em}"
    "td,th{border:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}"
    "th{background:#f6f8fa}.pass{color:#1a7f37}.fail{color:#b42318;font-weight:600}"
    ".advice{color:#9a6700}.unknown{color:#0550ae}.ack{color:#6b4f00}code{font-size:12px}"
    "summary{cursor:pointer;color:#555;margin:.3em 0}.meta{color:#555}"
    "td.num{text-align:right}"
)


def to_html(result: ReviewReport) -> str:
    """A single self-contained page (inline CSS, no scripts or external assets): which assembly
    and when, a summary per pillar, then each pillar with its findings first; passed checks and
    acknowledged findings are collapsed."""
    e = html.escape
    pillars = result.pillars
    total = result.findings_count
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<title>wellstack review: {total} finding(s)</title><style>{_CSS}</style></head><body>",
        "<h1>Well-Architected review</h1>",
        f"<p class=meta>Assembly <code>{e(result.assembly)}</code>, synthesized "
        f"{e(result.synthesized)}; stacks {e(', '.join(result.stacks))}.</p>",
        "<table><tr><th>pillar</th><th>score</th><th>findings</th><th>advice</th>"
        "<th>unknown</th><th>acknowledged</th></tr>",
    ]
    for pillar, data in pillars.items():
        count = len(data.findings)
        css = "fail" if count else "pass"
        parts.append(
            f"<tr><td><a href='#{e(pillar.replace(' ', '-'))}'>{e(pillar.title())}</a></td>"
            f"<td class=num>{e(data.score)}</td><td class='num {css}'>{count}</td>"
            f"<td class=num>{len(data.advice)}</td><td class=num>{len(data.unknown)}</td>"
            f"<td class=num>{len(data.acknowledged)}</td></tr>"
        )
    parts.append("</table>")
    for pillar, data in pillars.items():
        parts.append(
            f"<h2 id='{e(pillar.replace(' ', '-'))}'>{e(pillar.title())} "
            f"<small>({e(data.score)} checks pass)</small></h2>"
        )
        open_rows = []
        for item in data.findings:
            open_rows.append(row("fail", "finding", e(item.title), e(item.detail)))
        for item in data.advice:
            open_rows.append(row("advice", "advice", e(item.title), e(item.detail)))
        for item in data.unknown:
            open_rows.append(row("unknown", "unknown", e(item.title), e(item.detail)))
        if open_rows:
            parts.append("<table><tr><th>status</th><th>check</th><th>detail</th></tr>")
            parts += [*open_rows, "</table>"]
        else:
            parts.append("<p class=pass>No finding.</p>")
        passed = [row("pass", "pass", e(i.title), e(i.detail)) for i in data.passed]
        if passed:
            parts.append(f"<details><summary>{len(passed)} check(s) pass</summary><table>")
            parts += [*passed, "</table></details>"]
        acknowledged = [
            row("ack", "acknowledged", f"<code>{e(i.rule)}</code><br>{e(i.where)}", e(i.reason))
            for i in data.acknowledged
        ]  # fmt: skip
        if acknowledged:
            parts.append(
                f"<details><summary>{len(acknowledged)} acknowledged finding(s), each with its "
                f"reason</summary><table>"
            )
            parts += [*acknowledged, "</table></details>"]
    parts.append("</body></html>\n")
    return "".join(parts)
