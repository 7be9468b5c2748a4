"""Markdown for a pull-request comment: a summary table, then each gap with evidence and fix."""

from __future__ import annotations

import html

from ..model import PRIORITIES, Report
from ._evidence import evidence_lines
from ._renderer import renderer
from .terminal import summary_line

_BADGE = {"P0": "🔴 P0", "P1": "🟠 P1", "P2": "🔵 P2"}
_OPEN_GAPS = 10  # per priority; the rest fold into <details> so a PR comment stays readable


def _cell(text: str) -> str:
    return html.escape(text, quote=False).replace("|", "\\|").replace("\n", " ")


def _gap(gap) -> list[str]:
    lines = [
        f"- **`{gap.file}:{gap.line}`** · `{gap.rule}` · {_cell(gap.title)}  ",
        f"  {_cell(gap.message)}",
        "  <details><summary>evidence and fix</summary>",
        "",
    ]
    lines += [f"  - {_cell(line)}" for line in evidence_lines(gap.evidence)]
    lines += [f"  - **fix:** {_cell(gap.fix)}", "", "  </details>", ""]
    return lines


@renderer("markdown", file_name="gapaudit.md", order=20)
def render(report: Report) -> str:
    s = report.summary
    out = [f"## gapaudit: `{report.target}`", "", summary_line(report), ""]
    out += ["| Priority | Gaps |", "|---|---:|"]
    out += [f"| {_BADGE[p]} | {s[p]} |" for p in PRIORITIES]
    out += [f"| suppressed | {s['suppressed']} |", ""]
    categories = sorted({g.category for g in report.gaps})
    if categories:
        out += ["| Category | P0 | P1 | P2 |", "|---|---:|---:|---:|"]
        for category in categories:
            counts = [sum(1 for g in report.gaps if g.category == category and g.priority == p) for p in PRIORITIES]
            out.append(f"| `{category}` | " + " | ".join(str(c) for c in counts) + " |")
        out.append("")
    for priority in PRIORITIES:
        gaps = [g for g in report.gaps if g.priority == priority]
        if not gaps:
            continue
        out += [f"### {_BADGE[priority]} ({len(gaps)})", ""]
        for gap in gaps[:_OPEN_GAPS]:
            out += _gap(gap)
        if len(gaps) > _OPEN_GAPS:
            out += [f"<details><summary>{len(gaps) - _OPEN_GAPS} more {priority} gaps</summary>", ""]
            for gap in gaps[_OPEN_GAPS:]:
                out += _gap(gap)
            out += ["</details>", ""]
    if report.skipped:
        out += [f"<details><summary>{len(report.skipped)} skipped files</summary>", ""]
        out += [f"- `{s.file}`: {_cell(s.reason)}" for s in report.skipped]
        out += ["", "</details>", ""]
    return "\n".join(out)
