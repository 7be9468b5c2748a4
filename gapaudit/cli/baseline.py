"""`gapaudit baseline`: accept today's gaps so later scans report only new ones."""

from __future__ import annotations

from pathlib import Path

import click

from ..engine.pipeline import scan
from ..engine.rank import BASELINE_NAME, write_baseline
from ._common import config_opt, engine_opts, path_arg, project_config, scan_options


@click.command("baseline")
@path_arg
@config_opt
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help=f"Baseline file to write. Default: {BASELINE_NAME} under PATH.")
@engine_opts
def baseline_command(path: Path, config_file: Path | None, output: Path | None, cache_dir: Path | None,
                     no_cache: bool, jobs: int) -> int:
    """Accept today's gaps: later scans report only new ones."""
    config = project_config(path, config_file)
    report = scan(path, config, scan_options(path, cache_dir=cache_dir, no_cache=no_cache, jobs=jobs))
    target = output or path / BASELINE_NAME
    count = write_baseline(report, target, path)
    click.echo(f"Wrote {count} gap{'s' if count != 1 else ''} to {target}.")
    return 0
