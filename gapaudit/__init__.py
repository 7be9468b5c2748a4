"""gapaudit: what will break in production that your green test suite does not show."""

from ._version import __version__
from .engine.pipeline import scan
from .errors import GapauditError
from .model import Finding, Gap, Report, ScanOptions, Skipped
from .rules import Rule, RuleSet, load_rules
from .settings import Config, load_config

__all__ = [
    "Config", "Finding", "Gap", "GapauditError", "Report", "Rule", "RuleSet", "ScanOptions", "Skipped",
    "__version__", "load_config", "load_rules", "scan",
]
