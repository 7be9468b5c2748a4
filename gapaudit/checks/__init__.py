"""Checks: one package per family (blocking, infra, config, routes), each beside its rules/*.yml."""

from __future__ import annotations

from ..rules import RuleSet
from .base import Analyzer, ParsedFile, ParseError, Project
from .blocking import BlockingAsyncAnalyzer
from .config import ConfigDriftAnalyzer
from .infra import InfraSkipAnalyzer, MockedInfraAnalyzer, StartupUntestedAnalyzer
from .routes import RoutesAnalyzer


def default_analyzers(rules: RuleSet) -> list[Analyzer]:
    return [BlockingAsyncAnalyzer(rules), InfraSkipAnalyzer(rules), MockedInfraAnalyzer(rules), StartupUntestedAnalyzer(),
            ConfigDriftAnalyzer(rules), RoutesAnalyzer(rules)]


__all__ = ["Analyzer", "BlockingAsyncAnalyzer", "ConfigDriftAnalyzer", "InfraSkipAnalyzer", "MockedInfraAnalyzer",
           "ParseError", "ParsedFile", "Project", "RoutesAnalyzer", "StartupUntestedAnalyzer", "default_analyzers"]
