"""What the commands share: PATH, --config, the engine options, loading the project, printing tables."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from ..engine.cache import default_cache_dir
from ..engine.rank import BASELINE_NAME
from ..errors import GapauditError
from ..escape import printable
from ..model import ScanOptions
from ..settings import Config, load_config

F = TypeVar("F", bound=Callable[..., object])

path_arg = click.argument("path", default=".", type=click.Path(path_type=Path, file_okay=False))
config_opt = click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
                          help="Config file (pyproject.toml, gapaudit.yml); default: found in PATH.")
_ENGINE_OPTIONS = (
    click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False),
                 help="Where facts are cached. Default: the user cache directory ($GAPAUDIT_CACHE_DIR, else "
                      "$XDG_CACHE_HOME/gapaudit or ~/.cache/gapaudit); never one inside PATH unless given here."),
    click.option("--no-cache", is_flag=True, help="Neither read nor write the cache."),
    click.option("--jobs", "-j", type=click.IntRange(min=0), default=0, help="Worker processes; 0 = one per core."),
)


def engine_opts(command: F) -> F:
    """--cache-dir, --no-cache and --jobs: how every command that analyzes PATH computes its facts."""
    for option in reversed(_ENGINE_OPTIONS):
        command = option(command)
    return command


def project_config(path: Path, config_file: Path | None) -> Config:
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


def scan_options(path: Path, *, cache_dir: Path | None, no_cache: bool, jobs: int, baseline: Path | None = None,
                 no_baseline: bool = True, diff: str | None = None) -> ScanOptions:
    """The engine options of a command; only `scan` reads a baseline (the default one if present)."""
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


def echo_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """Columns of text from the repository, escaped (one row is one line)."""
    rows = [tuple(printable(str(cell)) for cell in row) for row in rows]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())
