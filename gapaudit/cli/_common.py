"""What every command shares: the PATH argument, --config, loading the project, printing tables."""

from __future__ import annotations

from pathlib import Path

import click

from ..engine.rank import BASELINE_NAME
from ..errors import GapauditError
from ..model import ScanOptions
from ..settings import Config, load_config

def load(path: Path, config_file: Path | None) -> Config:
    if not path.is_dir():
        raise GapauditError(f"{path} is not a directory")
    return load_config(path, config_file)


def scan_options(path: Path, cache_dir: Path | None, no_cache: bool, jobs: int, baseline: Path | None,
             no_baseline: bool, diff: str | None) -> ScanOptions:
    if baseline is None and not no_baseline and (path / BASELINE_NAME).is_file():
        baseline = path / BASELINE_NAME
    if baseline is not None and not baseline.is_file():
        raise GapauditError(f"baseline file {baseline} does not exist (create it with `gapaudit baseline`)")
    return ScanOptions(
        jobs=jobs,
        cache_dir=None if no_cache else (cache_dir or path / ".gapaudit_cache"),
        baseline=None if no_baseline else baseline,
        diff_base=diff,
    )


path_arg = click.argument("path", default=".", type=click.Path(path_type=Path, file_okay=False))
config_opt = click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
                           help="Config file (pyproject.toml, gapaudit.yml); default: found in PATH.")



def echo_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())
