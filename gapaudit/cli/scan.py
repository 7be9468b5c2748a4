"""`gapaudit scan`: every analyzer over PATH, the prioritized report in every format asked for."""

from __future__ import annotations

from pathlib import Path

import click

from ..engine.pipeline import scan
from ..engine.progress import Progress
from ..engine.rank import BASELINE_NAME
from ..errors import GapauditError
from ..model import Report
from ..output import output_dir as resolve_output_dir
from ..output import write_text
from ..report import RENDERERS, render
from ..report.terminal import summary_line
from ..settings import FAIL_ON_CHOICES, FORMATS
from ._common import config_opt, engine_opts, path_arg, project_config, scan_options


def _write(report: Report, formats: tuple[str, ...], output: str | None, output_dir: Path, root: Path) -> None:
    """`-o FILE|-` takes the one format; else every format goes to its file under `output_dir`,
    and the terminal format to stdout as well."""
    if output is not None:
        if len(formats) != 1:
            raise GapauditError("-o/--output takes exactly one --format")
        text = render(report, formats[0])
        if output == "-":
            click.echo(text, nl=False)
            return
        write_text(Path(output), text if formats[0] != "terminal" else click.unstyle(text), root)
        click.echo(summary_line(report), err=True)
        return
    for fmt in formats:
        text = render(report, fmt)
        if fmt == "terminal":
            click.echo(text, nl=False)
            text = click.unstyle(text)
        write_text(output_dir / RENDERERS[fmt].file_name, text, root)


@click.command("scan")
@path_arg
@click.option("--format", "formats", multiple=True, type=click.Choice(FORMATS),
              help="Report format; repeatable. Default: every format (config key `format`).")
@click.option("-o", "--output", help="Write the one --format to this file, or - for stdout.")
@click.option("--output-dir", type=click.Path(path_type=Path, file_okay=False),
              help="Directory for report files. Default: reports/ under PATH (config key `output-dir`).")
@click.option("--fail-on", type=click.Choice(FAIL_ON_CHOICES),
              help="Exit 1 when a gap at or above this priority remains. Default: P0.")
@config_opt
@engine_opts
@click.option("--baseline", type=click.Path(path_type=Path, dir_okay=False),
              help=f"Gaps accepted earlier. Default: {BASELINE_NAME} under PATH if present.")
@click.option("--no-baseline", is_flag=True, help="Ignore the baseline file.")
@click.option("--diff", "diff_base", metavar="BASE", help="Only gaps on lines changed since this git revision.")
def scan_command(path: Path, formats: tuple[str, ...], output: str | None, output_dir: Path | None,
                 fail_on: str | None, config_file: Path | None, cache_dir: Path | None, no_cache: bool,
                 jobs: int, baseline: Path | None, no_baseline: bool, diff_base: str | None) -> int:
    """Run every analyzer over PATH and write the prioritized gap report."""
    config = project_config(path, config_file)
    options = scan_options(path, cache_dir=cache_dir, no_cache=no_cache, jobs=jobs, baseline=baseline,
                           no_baseline=no_baseline, diff=diff_base)
    destination = resolve_output_dir(path, output_dir, config.output_dir)  # refused before any work
    report = scan(path, config, options, Progress.for_stderr())
    _write(report, formats or config.formats, output, destination, path)
    threshold = fail_on or config.fail_on
    if report.fails(threshold):
        return 1
    return 3 if report.incomplete and threshold != "never" else 0
