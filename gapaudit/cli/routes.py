"""`gapaudit routes`: declared routes, who requests them, and whether tests do."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..engine.pipeline import project_facts
from ..errors import GapauditError
from ..escape import printable
from ..probe import imported_routes
from ._common import (
    config_opt,
    echo_table,
    engine_opts,
    path_arg,
    project_config,
    scan_options,
)


@click.command("routes")
@path_arg
@config_opt
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--app", "app_target", metavar="MODULE:ATTR",
              help="Also import the application and compare its own route table with the static one.")
@click.option("--python", "python", metavar="PATH", help="Interpreter for --app (one that has the app's dependencies).")
@engine_opts
def routes_command(path: Path, config_file: Path | None, fmt: str, app_target: str | None, python: str | None,
                   cache_dir: Path | None, no_cache: bool, jobs: int) -> int:
    """Declared routes with where they are declared, who requests them and whether tests do."""
    # imported on use, like every family's code (checks/ discovers them when a scan starts): faster --help
    from ..checks.routes import RoutesAnalyzer, compare_with_import

    options = scan_options(path, cache_dir=cache_dir, no_cache=no_cache, jobs=jobs)
    project = project_facts(path, project_config(path, config_file), options)
    analyzer = RoutesAnalyzer(project.rules)
    table, refs = analyzer.table(project)
    routes = sorted(table.routes, key=lambda r: (r.path, r.method))
    comparison = None
    if app_target:
        try:
            comparison = compare_with_import(table, imported_routes(path.resolve(), app_target, python),
                                             analyzer.catalog.framework_routes)
        except GapauditError as exc:
            click.echo(f"gapaudit: note: {exc}; showing the static route table only", err=True)
    if fmt == "json":
        payload = [r.to_dict() for r in routes]
        click.echo(json.dumps(payload if comparison is None else {"routes": payload, "import": comparison}, indent=2))
        return 0
    header = ("METHOD", "PATH", "KIND", "DECLARED AT", "TESTED", "REFERENCED BY")
    echo_table(header, [
        (r.method, r.raw + ("" if r.mounted else "  (router never included)"), r.kind, f"{r.file}:{r.line}",
         "yes" if r.tested else "no", ", ".join(r.referenced_by[:3]) + (" ..." if len(r.referenced_by) > 3 else ""))
        for r in routes])
    click.echo(f"\n{len(routes)} routes, {sum(r.tested for r in routes)} tested; {len(refs)} requests found in tests and frontend.")
    for where in table.dynamic[:5]:
        click.echo(f"note: routes registered with a computed path at {printable(where)} are not listed; "
                   "requests under that router are not reported as undeclared")
    if comparison is not None:
        click.echo(f"import-based table: {comparison['imported']} routes; the static table has "
                   f"{comparison['found']} of them ({comparison['recall']:.1%}).")
        for label in ("only_imported", "only_static"):
            for route in comparison[label]:
                click.echo(f"  {label.replace('_', ' ')}: {printable(str(route))}")
    return 0
