"""One self-contained HTML file: chart, filters, every gap with evidence, code and fix."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .._version import __version__
from ..model import PRIORITIES, Report
from ._evidence import evidence_lines
from ._renderer import renderer
from .terminal import summary_line

if TYPE_CHECKING:
    import jinja2
    from markupsafe import Markup

_CODE = re.compile(r"`([^`]+)`")


def _inline_code(text: str) -> Markup:
    """`backticks` as <code>; everything else escaped."""
    from markupsafe import Markup, escape

    return Markup(_CODE.sub(lambda m: f"<code>{m.group(1)}</code>", str(escape(text))))


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    """Built on first use: every format module is imported to register itself, and a scan that
    writes no HTML should not pay for importing jinja2."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("gapaudit.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["inline_code"] = _inline_code
    return env
_BAR_HEIGHT, _BAR_GAP, _LABEL_WIDTH, _CHART_WIDTH = 22, 8, 170, 560


def _chart(report: Report) -> dict[str, Any]:
    """Stacked horizontal bars, one per category, segments by priority; geometry computed here."""
    categories = sorted({g.category for g in report.gaps})
    counts = {c: {p: sum(1 for g in report.gaps if g.category == c and g.priority == p) for p in PRIORITIES} for c in categories}
    widest = max((sum(v.values()) for v in counts.values()), default=1)
    scale = (_CHART_WIDTH - _LABEL_WIDTH - 40) / widest
    bars = []
    for row, category in enumerate(categories):
        x = _LABEL_WIDTH
        segments = []
        for priority in PRIORITIES:
            n = counts[category][priority]
            if n:
                segments.append({"x": x, "width": n * scale, "priority": priority, "count": n})
                x += n * scale
        bars.append({"y": row * (_BAR_HEIGHT + _BAR_GAP), "category": category, "segments": segments,
                     "total": sum(counts[category].values()), "end": x})
    return {"bars": bars, "height": max(1, len(bars)) * (_BAR_HEIGHT + _BAR_GAP), "width": _CHART_WIDTH,
            "bar_height": _BAR_HEIGHT, "label_width": _LABEL_WIDTH}


@renderer("html", file_name="gapaudit.html", order=30)
def render(report: Report) -> str:
    gaps = [
        {
            "gap": gap,
            "chain": gap.evidence.get("chain", []),
            "evidence": evidence_lines({k: v for k, v in gap.evidence.items() if k != "chain"}),
            "context": report.context.get(gap.fingerprint, []),
        }
        for gap in report.gaps
    ]
    return _environment().get_template("report.html.j2").render(
        report=report,
        gaps=gaps,
        summary=report.summary,
        summary_line=summary_line(report),
        priorities=PRIORITIES,
        categories=sorted({g.category for g in report.gaps}),
        chart=_chart(report),
        version=__version__,
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    )
