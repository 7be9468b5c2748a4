"""`gapaudit config-diff A B`: two config files side by side, B checked as production."""

from __future__ import annotations

from pathlib import Path

import click

from ..checks import check_catalogs
from ..engine.rank import rank
from ..errors import GapauditError
from ..escape import printable
from ..rules import project_rules
from ._common import config_opt, echo_table, project_config


@click.command("config-diff")
@click.argument("test_file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.argument("production_file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@config_opt
def config_diff_command(test_file: Path, production_file: Path, config_file: Path | None) -> int:
    """Two config files side by side, the second checked as production; exit 1 on a P0 in it.

    Each cell is a value's kind (bool, number, host, placeholder, reference, token, secret...),
    followed by the value itself, quoted and escaped, when it is not a secret. Secrets are never
    shown: a value under a secret-named key (PASSWORD, TOKEN, API_KEY...) shows only its kind, a
    token (JWT, AWS, GitHub, Slack, Stripe, Google, private key...) only its shape, a URL's
    password and any random-looking run as ***. "same" compares values within this run only.

    The project's configuration (found in the current directory, or --config) applies as in a
    scan: its rule-paths, ignore and priority keys."""
    # imported on use, like every family's code (checks/ discovers them when a scan starts): faster --help
    from ..checks.config import (
        ConfigDriftAnalyzer,
        ConfigFile,
        config_diff,
        read_config_file,
    )

    root = Path(".")
    config = project_config(root, config_file)
    rules = project_rules(root, config)
    check_catalogs(rules)  # a scan checks them when it builds its analyzers; this builds one directly
    analyzer = ConfigDriftAnalyzer(rules)
    classifier = analyzer.classifier.revealing()  # values shown and compared here, never cached
    files = []
    for path in (test_file, production_file):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise GapauditError(f"cannot read {path}: {exc}") from None
        keys = read_config_file(path.as_posix(), text, classifier)
        if keys is None:
            raise GapauditError(f"{path} is not a .env, YAML, JSON, TOML or compose file gapaudit can read")
        files.append(ConfigFile(path.as_posix(), keys))
    rows, findings = config_diff(analyzer, files[0], files[1])
    echo_table(("key", str(test_file), str(production_file), "status"), rows)  # escaped by echo_table
    # ranked as a scan ranks: the project's ignore and priority overrides apply; no baseline, no diff
    gaps, _, _ = rank(findings, rules, config, facts={}, baseline=set(), changed=None)
    if gaps:
        click.echo("")
    for gap in gaps:
        click.echo(printable(f"{gap.file}:{gap.line}: {gap.rule} [{gap.priority}] {gap.message}"))
    return 1 if any(gap.priority == "P0" for gap in gaps) else 0
