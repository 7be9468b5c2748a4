"""The command line: a thin layer that parses options, calls the pipeline and writes reports."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from ._version import __version__
from .config import FAIL_ON_CHOICES, FORMATS, Config, load_config
from .errors import GapauditError
from .pipeline import BASELINE_NAME, Report, ScanOptions, scan, write_baseline
from .report import FILE_NAMES, render
from .report.terminal import summary_line
from .rules import load_rules


def _load(path: Path, config_file: Path | None) -> Config:
    if not path.is_dir():
        raise GapauditError(f"{path} is not a directory")
    return load_config(path, config_file)


def _options(path: Path, cache_dir: Path | None, no_cache: bool, jobs: int, baseline: Path | None,
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


def _write(report: Report, formats: tuple[str, ...], output: str | None, output_dir: Path) -> None:
    if output is not None:
        if len(formats) != 1:
            raise GapauditError("-o/--output takes exactly one --format")
        text = render(report, formats[0])
        if output == "-":
            click.echo(text, nl=False)
            return
        _write_file(Path(output), text if formats[0] != "terminal" else click.unstyle(text))
        click.echo(summary_line(report), err=True)
        return
    for fmt in formats:
        text = render(report, fmt)
        if fmt == "terminal":
            click.echo(text, nl=False)
            text = click.unstyle(text)
        _write_file(output_dir / FILE_NAMES[fmt], text)


def _write_file(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise GapauditError(f"cannot write {path}: {exc.strerror or exc}") from None


_path_arg = click.argument("path", default=".", type=click.Path(path_type=Path, file_okay=False))
_config_opt = click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
                           help="Config file (pyproject.toml, gapaudit.yml); default: found in PATH.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gapaudit")
def cli() -> None:
    """Find what will break in production that your green test suite does not show."""


@cli.command("scan")
@_path_arg
@click.option("--format", "formats", multiple=True, type=click.Choice(FORMATS),
              help="Report format; repeatable. Default: all five (config key `format`).")
@click.option("-o", "--output", help="Write the one --format to this file, or - for stdout.")
@click.option("--output-dir", type=click.Path(path_type=Path, file_okay=False),
              help="Directory for report files. Default: reports/ under PATH (config key `output-dir`).")
@click.option("--fail-on", type=click.Choice(FAIL_ON_CHOICES),
              help="Exit 1 when a gap at or above this priority remains. Default: P0.")
@_config_opt
@click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False),
              help="Where per-file facts are cached. Default: .gapaudit_cache/ under PATH.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the cache.")
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0, help="Worker processes; 0 = one per core.")
@click.option("--baseline", type=click.Path(path_type=Path, dir_okay=False),
              help=f"Gaps accepted earlier. Default: {BASELINE_NAME} under PATH if present.")
@click.option("--no-baseline", is_flag=True, help="Ignore the baseline file.")
@click.option("--diff", "diff_base", metavar="BASE", help="Only gaps on lines changed since this git revision.")
def scan_command(path: Path, formats: tuple[str, ...], output: str | None, output_dir: Path | None,
                 fail_on: str | None, config_file: Path | None, cache_dir: Path | None, no_cache: bool,
                 jobs: int, baseline: Path | None, no_baseline: bool, diff_base: str | None) -> int:
    """Run every analyzer over PATH and write the prioritized gap report."""
    config = _load(path, config_file)
    options = _options(path, cache_dir, no_cache, jobs, baseline, no_baseline, diff_base)
    report = scan(path, config, options)
    _write(report, formats or config.formats, output, output_dir or path / config.output_dir)
    return 1 if report.fails(fail_on or config.fail_on) else 0


@cli.command("baseline")
@_path_arg
@_config_opt
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help=f"Baseline file to write. Default: {BASELINE_NAME} under PATH.")
def baseline_command(path: Path, config_file: Path | None, output: Path | None) -> int:
    """Accept today's gaps: later scans report only new ones."""
    config = _load(path, config_file)
    report = scan(path, config, _options(path, None, False, 0, None, True, None))
    target = output or path / BASELINE_NAME
    count = write_baseline(report, target)
    click.echo(f"Wrote {count} gap{'s' if count != 1 else ''} to {target}.")
    return 0


@cli.command("rules")
@click.argument("rule_id", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
              help="markdown is the source of docs/rules.md.")
def rules_command(rule_id: str | None, fmt: str) -> int:
    """List the rules, or explain one (like `ruff rule`)."""
    rules = load_rules()
    selected = [rules.rule(rule_id.upper())] if rule_id else list(rules.rules.values())
    if fmt == "json":
        click.echo(json.dumps([{
            "id": r.id, "name": r.name, "title": r.title, "category": r.category, "priority": r.priority,
            "why": r.why.strip(), "fix": r.fix.strip(), "example": {"bad": r.bad, "good": r.good},
        } for r in selected], indent=2))
    elif fmt == "markdown":
        click.echo(rules_markdown(selected), nl=False)
    elif rule_id:
        click.echo(selected[0].explain(), nl=False)
    else:
        for r in selected:
            click.echo(f"{r.id}  {r.priority}  {r.category:<16}  {r.name:<28}  {r.title}")
    return 0


@cli.command("routes")
@_path_arg
@_config_opt
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--app", "app_target", metavar="MODULE:ATTR",
              help="Also import the application and compare its own route table with the static one.")
@click.option("--python", "python", metavar="PATH", help="Interpreter for --app (one that has the app's dependencies).")
def routes_command(path: Path, config_file: Path | None, fmt: str, app_target: str | None, python: str | None) -> int:
    """Declared routes with where they are declared, who requests them and whether tests do."""
    from .analyzers.routes import RoutesAnalyzer, compare_with_import
    from .pipeline import project_facts

    project = project_facts(path, _load(path, config_file), _options(path, None, False, 0, None, True, None))
    table, refs = RoutesAnalyzer().table(project)
    routes = sorted(table.routes, key=lambda r: (r.path, r.method))
    comparison = None
    if app_target:
        from .analyzers._routeimport import imported_routes

        try:
            comparison = compare_with_import(table, imported_routes(path.resolve(), app_target, python))
        except GapauditError as exc:
            click.echo(f"gapaudit: note: {exc}; showing the static route table only", err=True)
    if fmt == "json":
        payload = [r.to_dict() for r in routes]
        click.echo(json.dumps(payload if comparison is None else {"routes": payload, "import": comparison}, indent=2))
        return 0
    header = ("METHOD", "PATH", "KIND", "DECLARED AT", "TESTED", "REFERENCED BY")
    _echo_table(header, [
        (r.method, r.raw + ("" if r.mounted else "  (router never included)"), r.kind, f"{r.file}:{r.line}",
         "yes" if r.tested else "no", ", ".join(r.referenced_by[:3]) + (" ..." if len(r.referenced_by) > 3 else ""))
        for r in routes])
    click.echo(f"\n{len(routes)} routes, {sum(r.tested for r in routes)} tested; {len(refs)} requests found in tests and frontend.")
    for where in table.dynamic[:5]:
        click.echo(f"note: routes registered with a computed path at {where} are not listed; "
                   "requests under that router are not reported as undeclared")
    if comparison is not None:
        click.echo(f"import-based table: {comparison['imported']} routes; the static table has "
                   f"{comparison['found']} of them ({comparison['recall']:.1%}).")
        for label in ("only_imported", "only_static"):
            for route in comparison[label]:
                click.echo(f"  {label.replace('_', ' ')}: {route}")
    return 0


@cli.command("config-diff")
@click.argument("test_file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.argument("production_file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
def config_diff_command(test_file: Path, production_file: Path) -> int:
    """Two config files side by side (value kinds, never values); exit 1 on a P0 in the second."""
    from .analyzers.config import (
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
    _echo_table(("key", str(test_file), str(production_file), "status"), rows)
    rules = load_rules()
    worst = "P2"
    if findings:
        click.echo("")
    for finding in findings:
        priority = finding.priority or rules.rule(finding.rule).priority
        worst = min(worst, priority)
        click.echo(f"{finding.file}:{finding.line}: {finding.rule} [{priority}] {finding.message}")
    return 1 if findings and worst == "P0" else 0


def _echo_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())


def rules_markdown(rules: list) -> str:
    """docs/rules.md: generated, never edited by hand (a test checks it is current)."""
    out = ["# gapaudit rules", "", "Generated by `gapaudit rules --format markdown > docs/rules.md`; "
           "edit `rules/*.yml` instead.", "", "| id | name | category | priority | title |", "|---|---|---|---|---|"]
    out += [f"| [{r.id}](#{r.id.lower()}) | `{r.name}` | `{r.category}` | {r.priority} | {r.title} |" for r in rules]
    out.append("")
    for r in rules:
        out += [f"## {r.id}", "", r.explain().split("\n", 1)[1].strip(), ""]
    return "\n".join(out)


def main() -> None:
    """Entry point: every error is one line on stderr and exit code 2, never a traceback."""
    try:
        code = cli.main(prog_name="gapaudit", standalone_mode=False)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.UsageError as exc:
        hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
        click.echo(f"gapaudit: error: {exc.format_message()}{hint}", err=True)
        code = 2
    except click.Abort:
        click.echo("gapaudit: interrupted", err=True)
        code = 130
    except GapauditError as exc:
        click.echo(f"gapaudit: error: {exc}", err=True)
        code = 2
    except Exception as exc:  # noqa: BLE001 - the promise is one line, never a traceback
        if os.environ.get("GAPAUDIT_DEBUG"):
            raise
        click.echo(f"gapaudit: internal error: {type(exc).__name__}: {exc} (GAPAUDIT_DEBUG=1 shows the traceback)", err=True)
        code = 2
    sys.exit(code if isinstance(code, int) else 0)
