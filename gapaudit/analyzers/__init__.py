"""Analyzers: one per concern, each collecting per-file facts and linking them project-wide."""

from __future__ import annotations

from ..rules import RuleSet
from .base import Analyzer, ParsedFile, ParseError, Project
from .blocking import BlockingAsyncAnalyzer
from .mocks import MockedInfraAnalyzer
from .skips import InfraSkipAnalyzer
from .startup import StartupUntestedAnalyzer


def default_analyzers(rules: RuleSet) -> list[Analyzer]:
    return [BlockingAsyncAnalyzer(rules), InfraSkipAnalyzer(rules), MockedInfraAnalyzer(rules), StartupUntestedAnalyzer()]


__all__ = ["Analyzer", "BlockingAsyncAnalyzer", "InfraSkipAnalyzer", "MockedInfraAnalyzer", "StartupUntestedAnalyzer", "ParsedFile", "ParseError", "Project", "default_analyzers"]
