"""`gapaudit config-diff A B`: two config files side by side, B checked as production."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import GapauditError
from ..rules import load_rules
from ._common import echo_table

@click.command("config-diff")
@click.argument("test_file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.argument("production_file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
def config_diff_command(test_file: Path, production_file: Path) -> int:
    """Two config files side by side (value kinds, never values); exit 1 on a P0 in the second."""
    from ..checks.config import (
        ConfigDriftAnalyzer,
        ConfigFile,
        config_diff,
        read_config_file,
    )

    analyzer = ConfigDriftAnalyzer(load_rules())
    files = []
    for path in (test_file, production_file):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise GapauditError(f"cannot read {path}: {exc}") from None
        keys = read_config_file(path.as_posix(), text, analyzer.classifier)
        if keys is None:
            raise GapauditError(f"{path} is not a .env, YAML, JSON, TOML or compose file gapaudit can read")
        files.append(ConfigFile(path.as_posix(), keys))
    rows, findings = config_diff(analyzer, files[0], files[1])
    echo_table(("key", str(test_file), str(production_file), "status"), rows)
    rules = load_rules()
    worst = "P2"
    if findings:
        click.echo("")
    for finding in findings:
        priority = finding.priority or rules.rule(finding.rule).priority
        worst = min(worst, priority)
        click.echo(f"{finding.file}:{finding.line}: {finding.rule} [{priority}] {finding.message}")
    return 1 if findings and worst == "P0" else 0
