"""infra-skip (GA201), mocked-infra (GA202), startup-untested (GA203); rules/infra.yml."""

from .mocks import MockedInfraAnalyzer
from .skips import InfraSkipAnalyzer
from .startup import StartupUntestedAnalyzer

__all__ = ["InfraSkipAnalyzer", "MockedInfraAnalyzer", "StartupUntestedAnalyzer"]
