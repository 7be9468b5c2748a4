"""Analyzers: one per concern, each collecting per-file facts and linking them project-wide."""

from __future__ import annotations

from ..rules import RuleSet
from .base import Analyzer, ParsedFile, ParseError, Project
from .blocking import BlockingAsyncAnalyzer
from .config import ConfigDriftAnalyzer
from .mocks import MockedInfraAnalyzer
from .routes import RoutesAnalyzer
from .skips import InfraSkipAnalyzer
from .startup import StartupUntestedAnalyzer


def default_analyzers(rules: RuleSet) -> list[Analyzer]:
    return [BlockingAsyncAnalyzer(rules), InfraSkipAnalyzer(rules), MockedInfraAnalyzer(rules), StartupUntestedAnalyzer(),
            ConfigDriftAnalyzer(rules), RoutesAnalyzer()]


__all__ = ["Analyzer", "BlockingAsyncAnalyzer", "ConfigDriftAnalyzer", "InfraSkipAnalyzer", "MockedInfraAnalyzer", "RoutesAnalyzer", "StartupUntestedAnalyzer", "ParsedFile", "ParseError", "Project", "default_analyzers"]
