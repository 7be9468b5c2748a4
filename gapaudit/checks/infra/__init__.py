"""infra-skip (GA201), mocked-infra (GA202), startup-untested (GA203); rules/infra.yml."""

from .mocks import MockedInfraAnalyzer
from .skips import InfraSkipAnalyzer
from .startup import StartupUntestedAnalyzer

ANALYZERS = (InfraSkipAnalyzer, MockedInfraAnalyzer, StartupUntestedAnalyzer)

__all__ = ["ANALYZERS", "InfraSkipAnalyzer", "MockedInfraAnalyzer", "StartupUntestedAnalyzer"]
