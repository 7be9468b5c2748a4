"""What every command shares: the PATH argument, --config, loading the project, printing tables."""

from __future__ import annotations

from pathlib import Path

import click

from ..engine.cache import default_cache_dir
from ..engine.rank import BASELINE_NAME
from ..errors import GapauditError
from ..model import ScanOptions
from ..settings import Config, load_config

def load(path: Path, config_file: Path | None) -> Config:
    if not path.is_dir():
        raise GapauditError(f"{path} is not a directory")
    return load_config(path, config_file)


def cache_location(path: Path, cache_dir: Path | None, no_cache: bool) -> Path | None:
    """--cache-dir as given, else the user's cache directory unless it lies inside the scanned tree:
    a cache found there could have been committed with forged facts that hide gaps."""
    if no_cache:
        return None
    if cache_dir is not None:
        return cache_dir
    default = default_cache_dir()
    if default is not None and default.resolve().is_relative_to(path.resolve()):
        click.echo(f"gapaudit: note: not using the cache in {default}: it is inside the scanned tree "
                   "(pass --cache-dir to trust it)", err=True)
        return None
    return default


def scan_options(path: Path, cache_dir: Path | None, no_cache: bool, jobs: int, baseline: Path | None,
             no_baseline: bool, diff: str | None) -> ScanOptions:
    if baseline is None and not no_baseline and (path / BASELINE_NAME).is_file():
        baseline = path / BASELINE_NAME
    if baseline is not None and not baseline.is_file():
        raise GapauditError(f"baseline file {baseline} does not exist (create it with `gapaudit baseline`)")
    return ScanOptions(
        jobs=jobs,
        cache_dir=cache_location(path, cache_dir, no_cache),
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
