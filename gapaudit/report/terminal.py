"""Terminal output: `path:line` first (clickable in editors), grouped by priority, one-line summary."""

from __future__ import annotations

import click

from ..escape import printable
from ..model import PRIORITIES, Report
from ._evidence import evidence_lines
from ._renderer import renderer

_COLOURS = {"P0": "red", "P1": "yellow", "P2": "blue"}
_HEADINGS = {
    "P0": "P0 — will break or hang production",
    "P1": "P1 — likely incident or untested real path",
    "P2": "P2 — hygiene",
}


def summary_line(report: Report) -> str:
    s = report.summary
    total = len(report.gaps)
    parts = [f"Found {total} gap{'s' if total != 1 else ''}"]
    if total:
        parts[0] += " (" + ", ".join(f"{s[p]} {p}" for p in PRIORITIES if s[p]) + ")"
    extras = [f"{report.files_scanned} file{'s' if report.files_scanned != 1 else ''} in {report.duration_s:.2f}s"]
    if report.suppressed:
        extras.append(f"{report.suppressed} suppressed")
    if report.unserved:
        extras.append(f"{report.unserved} in code production does not serve, not reported (report-unserved: true lists them)")
    if report.skipped:
        extras.append(f"{len(report.skipped)} file{'s' if len(report.skipped) != 1 else ''} skipped")
    if report.incomplete:
        extras.append("scan incomplete: a file hit a limit or could not be read")
    return f"{parts[0]}; {', '.join(extras)}."


@renderer("terminal", file_name="gapaudit.txt", order=10)
def render(report: Report) -> str:
    """ANSI-styled text; click.echo strips the styles when stdout is not a terminal."""
    out: list[str] = []
    for priority in PRIORITIES:
        gaps = [g for g in report.gaps if g.priority == priority]
        if not gaps:
            continue
        out.append(click.style(f"{_HEADINGS[priority]} ({len(gaps)})", fg=_COLOURS[priority], bold=True))
        for gap in gaps:  # every text from the repository escaped before any style is added
            label = click.style(f"{gap.rule} [{gap.priority}]", fg=_COLOURS[priority])
            out.append(f"{click.style(f'{printable(gap.file)}:{gap.line}:', bold=True)} {label} {printable(gap.message)}")
            for line in evidence_lines(gap.evidence):
                out.append(f"    {printable(line)}")
            out.append(click.style(f"    fix: {printable(gap.fix)}", dim=True))
        out.append("")
    if report.skipped:
        out.append(click.style("Skipped files", bold=True))
        out.extend(f"{printable(s.file)}: {printable(s.reason)}" for s in report.skipped)
        out.append("")
    out.append(summary_line(report))
    return "\n".join(out) + "\n"
