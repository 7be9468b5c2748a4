"""The route analyzer's catalogs (rules/routes.yml) through the real CLI: a project extends them
under `rule-paths`, and an entry of the wrong shape stops the scan with one line (exit 2)."""

from __future__ import annotations

import pytest
from conftest import run_cli, scan_json

from gapaudit.checks.routes.catalog import RoutesCatalog
from gapaudit.rules import load_rules


def _project(root, catalog: str) -> None:
    (root / "app.py").write_text(
        "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get('/api/items')\nasync def items():\n    return []\n")
    (root / "web.js").write_text("export const save = () => superagent.post('/api/items/save');\n")
    (root / "routes-extra.yml").write_text(catalog)
    (root / "pyproject.toml").write_text('[tool.gapaudit]\nrule-paths = ["routes-extra.yml"]\n')


def test_a_project_adds_a_client_library(tmp_path):
    _project(tmp_path, "catalogs:\n  js-client-libraries: [superagent]\n")
    _, report = scan_json(tmp_path, "--fail-on", "never")
    undeclared = [g for g in report["gaps"] if g["rule"] == "GA401"]
    assert [(g["file"], g["evidence"]["request"], g["evidence"]["via"]) for g in undeclared] == [
        ("web.js", "POST /api/items/save", "superagent.post")]


def test_without_the_entry_the_call_is_not_a_request(tmp_path):
    _project(tmp_path, "catalogs: {}\n")
    _, report = scan_json(tmp_path, "--fail-on", "never")
    assert not [g for g in report["gaps"] if g["rule"] == "GA401"]


@pytest.mark.parametrize("catalog, problem", [
    ("  http-methods: {get: true}\n", "catalog 'http-methods' (routes-extra.yml): must be a list as in routes.yml, got a mapping"),
    ("  client-factories: [TestClient, 3]\n", ("catalog 'client-factories' (routes.yml, routes-extra.yml): [", "]: expected a string, got 3")),
    ("  router-factories:\n    - {name: Sanic}\n", ("catalog 'router-factories' (routes.yml, routes-extra.yml): [",
                                                    "]: lacks framework")),
    ("  router-factories:\n    - {name: Sanic, framework: sanic}\n", "].framework: unknown framework 'sanic' (known: aiohttp, fastapi, flask"),
    ("  router-factories:\n    - {name: Sanic, framework: fastapi, app: yes please}\n", "].app: expected true or false, got 'yes please'"),
    ("  include-calls:\n    - {name: attach, prefix_first: true}\n", "unknown key 'prefix_first' (expected name, prefix-first, prefix-second)"),
    ("  include-calls:\n    - {name: attach, prefix-first: true, prefix-second: true}\n",
     "'attach' is both prefix-first and prefix-second"),
    ("  router-subclass-endings:\n    - {ending: Routes, factory: Sanic}\n", "'Routes' stands for 'Sanic', which is not in"),
    ("  js-connection-constructors:\n    - {name: Socket, method: CONNECT}\n", "'Socket' has method 'CONNECT', not WS or"),
])
@pytest.mark.parametrize("command", ["scan", "routes"])
def test_a_malformed_entry_exits_2_with_one_line(tmp_path, catalog, problem, command):
    _project(tmp_path, "catalogs:\n" + catalog)
    done = run_cli(command, str(tmp_path), *(["--no-cache"] if command == "scan" else []))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    for part in problem if isinstance(problem, tuple) else (problem,):  # the entry's position varies
        assert part in done.stderr


def test_the_builtin_catalogs_load_and_are_all_declared():
    rules = load_rules()
    catalog = RoutesCatalog.load(rules)
    assert catalog.router_factories["FastAPI"].app and not catalog.router_factories["APIRouter"].app
    assert catalog.factory("VersionedRouter") == "APIRouter"
    assert "/static/{}" in catalog.framework_routes  # normalised on load
    routes_catalogs = {name for name, files in rules.catalog_sources.items() if "routes.yml" in files}
    assert routes_catalogs == set(RoutesCatalog.names)
