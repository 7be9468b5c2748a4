"""Analyzers: one per concern, each collecting per-file facts and linking them project-wide."""

from __future__ import annotations

from ..rules import RuleSet
from .base import Analyzer, ParsedFile, ParseError, Project
from .blocking import BlockingAsyncAnalyzer


def default_analyzers(rules: RuleSet) -> list[Analyzer]:
    return [BlockingAsyncAnalyzer(rules)]


__all__ = ["Analyzer", "BlockingAsyncAnalyzer", "ParsedFile", "ParseError", "Project", "default_analyzers"]
