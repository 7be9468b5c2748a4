"""gapaudit: what will break in production that your green test suite does not show."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .engine.pipeline import scan
    from .errors import GapauditError
    from .model import Finding, Gap, Report, ScanOptions, Skipped
    from .rules import Rule, RuleSet, load_rules
    from .settings import Config, load_config

# the public API, imported on first use (PEP 562): `import gapaudit.cli` for `gapaudit --version`
# or a warm scan does not pay for the engine's and analyzers' imports it does not run
_EXPORTS = {
    "scan": ".engine.pipeline", "GapauditError": ".errors",
    "Finding": ".model", "Gap": ".model", "Report": ".model", "ScanOptions": ".model", "Skipped": ".model",
    "Rule": ".rules", "RuleSet": ".rules", "load_rules": ".rules",
    "Config": ".settings", "load_config": ".settings",
}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "Config", "Finding", "Gap", "GapauditError", "Report", "Rule", "RuleSet", "ScanOptions", "Skipped",
    "__version__", "load_config", "load_rules", "scan",
]
