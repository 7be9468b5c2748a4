"""config-drift (GA301-GA308): test vs production configuration; rules/config-drift.yml."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .check import ConfigDriftAnalyzer, ConfigFile, config_diff, read_config_file

_CHECK = ("ConfigDriftAnalyzer", "ConfigFile", "config_diff", "read_config_file")


def __getattr__(name: str) -> Any:
    # imported on first use: the engine hides tokens with this family's `secrets` module on every
    # scan, a warm one included, without the parsers (YAML, dotenv) the analyzer needs
    if name == "ANALYZERS":
        return (importlib.import_module(".check", __name__).ConfigDriftAnalyzer,)
    if name not in _CHECK:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(".check", __name__), name)


__all__ = ["ANALYZERS", "ConfigDriftAnalyzer", "ConfigFile", "config_diff", "read_config_file"]
