"""`gapaudit baseline`: accept today's gaps so later scans report only new ones."""

from __future__ import annotations

from pathlib import Path

import click

from ..engine.pipeline import scan
from ..engine.rank import BASELINE_NAME, write_baseline
from ._common import config_opt, load, path_arg, scan_options

@click.command("baseline")
@path_arg
@config_opt
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help=f"Baseline file to write. Default: {BASELINE_NAME} under PATH.")
def baseline_command(path: Path, config_file: Path | None, output: Path | None) -> int:
    """Accept today's gaps: later scans report only new ones."""
    config = load(path, config_file)
    report = scan(path, config, scan_options(path, None, False, 0, None, True, None))
    target = output or path / BASELINE_NAME
    count = write_baseline(report, target)
    click.echo(f"Wrote {count} gap{'s' if count != 1 else ''} to {target}.")
    return 0
