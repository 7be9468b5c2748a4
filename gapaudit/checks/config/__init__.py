"""config-drift (GA301-GA308): test vs production configuration; rules/config-drift.yml."""

from .check import ConfigDriftAnalyzer, ConfigFile, config_diff, read_config_file

ANALYZERS = (ConfigDriftAnalyzer,)

__all__ = ["ANALYZERS", "ConfigDriftAnalyzer", "ConfigFile", "config_diff", "read_config_file"]
