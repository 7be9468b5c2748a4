"""Markdown for a pull-request comment: a summary table, then each gap with evidence and fix."""

from __future__ import annotations

import html
import re

from ..escape import printable
from ..model import PRIORITIES, Report
from ._evidence import evidence_lines
from ._renderer import renderer
from .terminal import summary_line

_BADGE = {"P0": "🔴 P0", "P1": "🟠 P1", "P2": "🔵 P2"}
_OPEN_GAPS = 10  # per priority; the rest fold into <details> so a PR comment stays readable


# Markdown is built from escaped fragments only: text from the repository (file names included)
# can hold backticks, brackets, HTML or newlines that would open raw HTML, links or new lines.
_MARKDOWN = re.compile(r"([\\`*_\[\]{}()#+\-.!|~])")  # and <, >, & as HTML entities


def _cell(text: str) -> str:
    """Repository text as plain Markdown text: on one line, every Markdown and HTML character inert."""
    return _MARKDOWN.sub(r"\\\1", html.escape(printable(text), quote=False))


def _code(text: str) -> str:
    """Repository text shown as code: a code span (nothing is markup inside one, and `printable`
    keeps it on one line), or, when the text holds a backtick that would close it, <code> with the
    text HTML-escaped."""
    text = printable(text)
    if "`" not in text:
        return f"`{text}`"
    return f"<code>{html.escape(text, quote=True)}</code>"


def _gap(gap) -> list[str]:
    lines = [
        f"- **{_code(f'{gap.file}:{gap.line}')}** · `{gap.rule}` · {_cell(gap.title)}  ",
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
    out = [f"## gapaudit: {_code(report.target)}", "", summary_line(report), ""]
    out += ["| Priority | Gaps |", "|---|---:|"]
    out += [f"| {_BADGE[p]} | {s[p]} |" for p in PRIORITIES]
    out += [f"| suppressed | {s['suppressed']} |", f"| not served, not reported: unserved | {s['unserved']} |", ""]
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
        out += [f"- {_code(s.file)}: {_cell(s.reason)}" for s in report.skipped]
        out += ["", "</details>", ""]
    return "\n".join(out)
