"""Report writers: each turns a Report into text in one format."""

from __future__ import annotations

from typing import Callable

from ..model import Report
from . import html, json_report, markdown, sarif, terminal

RENDERERS: dict[str, Callable[[Report], str]] = {
    "terminal": terminal.render,
    "markdown": markdown.render,
    "html": html.render,
    "json": json_report.render,
    "sarif": sarif.render,
}
FILE_NAMES = {
    "terminal": "gapaudit.txt",
    "markdown": "gapaudit.md",
    "html": "gapaudit.html",
    "json": "gapaudit.json",
    "sarif": "gapaudit.sarif",
}


def render(report: Report, fmt: str) -> str:
    return RENDERERS[fmt](report)


__all__ = ["FILE_NAMES", "RENDERERS", "render"]
