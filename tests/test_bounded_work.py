"""Hostile input: the scanned repository may be crafted to make gapaudit work without bound (YAML
alias bombs, inputs that make a per-key or per-match step quadratic) or to make it lose findings
(malformed config files read as "every key missing"). Each test plants one attack in a small
project that also holds a real finding, and checks through the CLI that the scan finishes quickly,
still reports the finding, and lists the bad file in `skipped` with its reason."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from conftest import one_line_error, write_files

BLOCKING = "import time\n@bot.event\nasync def handler():\n    time.sleep(1)\n"
READS_DATABASE_URL = 'import os\n\nDATABASE_URL = os.environ["DATABASE_URL"]\n'

# "billion laughs": 9 levels of 9 references, ~10^9 nodes once expanded, in about 500 bytes
ALIAS_BOMB = "\n".join(
    ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
) + "\n"
MAPPING_BOMB = "\n".join(
    ["m0: &m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9}"]
    + [f"m{i}: &m{i} {{{', '.join(f'k{j}: *m{i - 1}' for j in range(9))}}}" for i in range(1, 10)]
) + "\n"


def _write(root: Path, files: dict[str, str]) -> Path:
    return write_files(root, {"app/main.py": BLOCKING, **files})


def _scan(root: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], dict, float]:
    """The real CLI on `root`: its run, its JSON report and how long it took (killed after 60 s)."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "gapaudit", "scan", str(root), "--format", "json", "-o", "-",
                           "--no-cache", *extra], check=False, capture_output=True, text=True, timeout=60)
    elapsed = time.monotonic() - started
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    assert done.returncode == 1, done.stderr  # the P0 blocking call is still found
    report = json.loads(done.stdout)
    assert ("GA103", "app/main.py") in {(g["rule"], g["file"]) for g in report["gaps"]}
    return done, report, elapsed


def _skipped(report: dict) -> dict[str, str]:
    return {s["file"]: s["reason"] for s in report["skipped"]}


def _cut_short(report: dict) -> set[str]:
    """Files skipped at a limit (a YAML bomb...): the report says the scan is incomplete."""
    cut = {s["file"] for s in report["skipped"] if s.get("limit")}
    assert report["complete"] is not bool(cut)
    return cut


def _config_gaps(report: dict) -> list[dict]:
    return [g for g in report["gaps"] if g["rule"].startswith("GA3")]


def test_yaml_alias_bomb_in_compose_file_is_skipped(tmp_path: Path) -> None:
    root = _write(tmp_path, {"docker-compose.yml": ALIAS_BOMB + "services:\n  web:\n    image: *a9\n"})
    assert len((root / "docker-compose.yml").read_bytes()) < 600

    _, report, elapsed = _scan(root)

    assert elapsed < 30
    assert "more than 1,000,000 nodes after expanding aliases" in _skipped(report)["docker-compose.yml"]
    assert _cut_short(report) == {"docker-compose.yml"}


def test_yaml_mapping_bomb_in_production_config_is_skipped_and_never_compared(tmp_path: Path) -> None:
    root = _write(tmp_path, {
        "app/settings.py": READS_DATABASE_URL,
        "config/production.yaml": MAPPING_BOMB,
        "config/testing.yaml": "database_url: postgres://db/test\n",
    })

    _, report, elapsed = _scan(root)

    assert elapsed < 30
    assert "after expanding aliases" in _skipped(report)["config/production.yaml"]
    assert _cut_short(report) == {"config/production.yaml"}
    # not "database_url set in tests but missing in config/production.yaml": that file was not read
    assert not [g for g in _config_gaps(report) if "config/production.yaml" in json.dumps(g)]


def test_deeply_nested_and_recursive_yaml_are_skipped(tmp_path: Path) -> None:
    """100,000 `[` crashed libyaml's composer (a segfault: no report at all); a recursive alias
    made every reader of the result recurse without end."""
    root = _write(tmp_path, {
        "config/production.yaml": "key: " + "[" * 100_000 + "]" * 100_000 + "\n",
        "config/staging.yaml": "",  # no role: never read
        "deploy/production.yml": "a: &a [*a]\n",
    })

    _, report, elapsed = _scan(root)

    assert elapsed < 30
    skipped = _skipped(report)
    assert "nested more than 200 levels deep" in skipped["config/production.yaml"]
    assert "recursive alias *a" in skipped["deploy/production.yml"]
    assert _cut_short(report) == {"config/production.yaml", "deploy/production.yml"}


def test_60000_key_yaml_reads_in_linear_time(tmp_path: Path) -> None:
    """Each key's line was found by a regex over every line: 60,000 keys took over 10 minutes."""
    keys = "".join(f"k{i}: v{i}\n" for i in range(60_000))
    root = _write(tmp_path, {"config/production.yaml": keys + "database_url: postgres://localhost:5432/app\n"})

    _, report, elapsed = _scan(root)

    assert elapsed < 30
    assert report["skipped"] == []
    localhost = [g for g in report["gaps"] if g["rule"] == "GA303"]
    assert [(g["file"], g["line"]) for g in localhost] == [("config/production.yaml", 60_001)]


def test_one_expression_js_file_is_read_in_linear_time(tmp_path: Path) -> None:
    """A 1 MB file of one expression: a promise chain (each `then`'s callee is the whole chain
    before it) and calls nested in each other's options (each options object holds the rest of
    the file). Short lines, so it is read as source, not skipped as a minified bundle."""
    chain = 'fetch("/api/missing")' + "\n.then(f)" * 105_000 + ";\n"
    nested = 'fetch("/api/x",\n' * 20_000 + "{}" + ")" * 20_000 + ";\n"
    root = _write(tmp_path, {"web/bundle.js": chain, "web/nested.js": nested,
                             "app/api.py": 'from fastapi import FastAPI\napp = FastAPI()\n\n@app.get("/api/x")\n'
                                           'def x():\n    return {}\n'})
    assert len((root / "web/bundle.js").read_bytes()) > 940_000

    _, report, elapsed = _scan(root)

    assert elapsed < 30
    assert report["skipped"] == []
    undeclared = {(g["rule"], g["file"], g["line"]) for g in report["gaps"] if g["rule"] == "GA401"}
    assert undeclared == {("GA401", "web/bundle.js", 1)}  # its request is still read; /api/x is declared


def test_minified_bundles_are_build_output_not_read(tmp_path: Path) -> None:
    """A bundler's minified chunk requests what its sources request (or what another app's
    frontend does): never read, as `.min.js` is not; the same request in source is."""
    bundle = "/*! For license information see entrypoint.601ff5d4.js.LICENSE.txt */\n" + \
        "!function(){" + "var a=1;" * 200 + 'fetch("/api/hassio/app/entrypoint.js")' + "}();\n"
    root = _write(tmp_path, {"panel/frontend/entrypoint.601ff5d4.js": bundle,
                             "web/src/api.js": 'export const ping = () => fetch("/api/ping");\n',
                             "app/api.py": 'from fastapi import FastAPI\napp = FastAPI()\n\n@app.get("/api/x")\n'
                                           'def x():\n    return {}\n'})

    _, report, _ = _scan(root)

    assert report["skipped"] == []
    assert [(g["file"], g["evidence"]["request"]) for g in report["gaps"] if g["rule"] == "GA401"] == [
        ("web/src/api.js", "GET /api/ping")]


def test_malformed_production_configs_are_skipped_not_read_as_missing_keys(tmp_path: Path) -> None:
    root = _write(tmp_path, {
        "app/settings.py": READS_DATABASE_URL,
        "config/testing.yaml": "database_url: postgres://db/test\n",
        "config/production.yaml": "database_url: [postgres://db/prod\n",
        "settings/testing.toml": 'database_url = "postgres://db/test"\n',
        "settings/production.toml": "database_url = \n",
        "deploy/testing.json": '{"database_url": "postgres://db/test"}',
        "deploy/production.json": '{"database_url": ',
    })

    _, report, elapsed = _scan(root)

    assert elapsed < 30
    skipped = _skipped(report)
    assert skipped["config/production.yaml"].startswith("not valid YAML: ")
    assert skipped["settings/production.toml"].startswith("not valid TOML: ")
    assert skipped["deploy/production.json"].startswith("not valid JSON: ")
    assert _cut_short(report) == set()  # malformed, not cut short: the scan is complete
    assert _config_gaps(report) == []  # before: DATABASE_URL "missing in production", against other files


def test_malformed_env_file_is_skipped_quietly(tmp_path: Path) -> None:
    """python-dotenv warned on stderr without naming the file, dropped the line, and the key then
    read as missing in production (GA301, P0)."""
    root = _write(tmp_path, {
        "app/settings.py": READS_DATABASE_URL,
        "config/.env.test": "DATABASE_URL=postgres://db/test\n",
        "config/.env.production": 'DEBUG=false\nDATABASE_URL="postgres://db/prod\n',
    })

    done, report, elapsed = _scan(root)

    assert elapsed < 30
    assert "python-dotenv" not in done.stderr
    assert _skipped(report)["config/.env.production"] == "line 2: not a .env statement python-dotenv can parse"
    assert _config_gaps(report) == []


def test_compose_service_whose_env_file_does_not_parse_has_no_missing_keys(tmp_path: Path) -> None:
    root = _write(tmp_path, {
        "app/settings.py": READS_DATABASE_URL,
        "docker-compose.yml": "services:\n  web:\n    image: app\n    env_file: .env.production\n",
        "docker-compose.test.yml": "services:\n  web:\n    environment:\n      DATABASE_URL: postgres://db/test\n",
        ".env.production": "DATABASE_URL: postgres://db/prod\n",  # YAML, not a .env statement
    })

    _, report, elapsed = _scan(root)

    assert elapsed < 30
    assert "line 1" in _skipped(report)[".env.production"]
    assert not [g for g in _config_gaps(report) if "missing" in g["message"]]


def test_env_value_with_a_long_run_of_blanks_is_read_in_linear_time(tmp_path: Path) -> None:
    """python-dotenv cuts an unquoted value's comment with `re.sub(r"\\s+#.*", ...)`: quadratic on
    a run of blanks (40,000 took 4 s, 300,000 would take minutes)."""
    root = _write(tmp_path, {
        "config/.env.production": "A=x" + " " * 300_000 + "y\nAPI_URL=http://localhost:8000  # local\n",
    })

    _, report, elapsed = _scan(root)

    assert elapsed < 30
    assert report["skipped"] == []
    assert [(g["rule"], g["line"]) for g in _config_gaps(report)] == [("GA303", 2)]


def test_wrong_shape_config_has_no_keys_and_is_not_skipped(tmp_path: Path) -> None:
    root = _write(tmp_path, {
        "config/production.yaml": "- a\n- b\n",
        "config/testing.yaml": "database_url: postgres://db/test\n",
        "deploy/production.json": '"just a string"',
    })

    _, report, _ = _scan(root)

    assert report["skipped"] == []
    assert _config_gaps(report) == []


def test_ci_file_text_is_read_in_linear_time(tmp_path: Path) -> None:
    """The regexes over a CI file's text (compose files it names, `docker compose up`, tox-docker's
    `image =`) backtracked quadratically: 20,000 path characters after `compose` took 6 s."""
    root = _write(tmp_path, {
        ".github/workflows/ci.yml": "run: compose" + "a" * 300_000 + "\n" + "x: " + "docker compose " * 20_000 + "\n"
                                    + "\n" * 200_000 + "image: postgres:16\n",
    })

    _, report, elapsed = _scan(root)

    assert elapsed < 30
    assert report["skipped"] == []


def test_file_and_service_names_with_hash_signs(tmp_path: Path) -> None:
    """Compose services were told from files by a `#` in the name: a file `x#y#z.env` or a service
    `web#1` stopped the whole scan (an internal error, no report)."""
    root = _write(tmp_path, {
        "config/x#y#z.env": "A=1\n",
        "config/.env.test": "A=1\n",
        "docker-compose.yml": 'services:\n  "web#1":\n    image: web\n    environment:\n      API_URL: http://localhost:8000\n',
    })

    _, report, _ = _scan(root)

    assert report["skipped"] == []
    assert ("GA303", "docker-compose.yml") in {(g["rule"], g["file"]) for g in report["gaps"]}


def test_alias_bomb_in_gapaudit_yml_is_a_one_line_error(tmp_path: Path) -> None:
    root = _write(tmp_path, {"gapaudit.yml": ALIAS_BOMB})

    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "gapaudit", "scan", str(root), "--no-cache"],
                          check=False, capture_output=True, text=True, timeout=60)

    assert time.monotonic() - started < 30
    assert "more than 1,000,000 nodes after expanding aliases" in one_line_error(done)


def test_frontend_file_over_the_time_budget_is_cut_short_not_emptied(tmp_path: Path) -> None:
    """The frontend reader caught every BaseException (for ast-grep's PanicException), the time
    budget's too: a bundle over budget silently had no requests, and the scan said it was complete."""
    root = _write(tmp_path, {
        "gapaudit.yml": "file-time-budget: 0.2\n",
        "web/bundle.js": 'fetch("/api/missing")' + "\n.then(f)" * 105_000 + ";\n",
    })

    _, report, _ = _scan(root)

    assert "file-time-budget" in _skipped(report)["web/bundle.js"]
    assert _cut_short(report) == {"web/bundle.js"}


def test_a_urlconf_that_includes_itself_is_followed_a_bounded_number_of_times(tmp_path: Path) -> None:
    """A list of twelve patterns each including the list itself, eight deep, is 12^8 route
    prefixes; the include()s followed are capped, and what lies past the cap is a mount whose
    routes are not listed (nothing under it is reported missing; a path outside it still is)."""
    loop = ",\n".join(f'    path("a{i}/", include(loop))' for i in range(12))
    root = _write(tmp_path, {
        "web/urls.py": (f"from django.urls import include, path\n\nloop = [\n{loop},\n"
                        '    path("page/", views.page),\n]\n\nurlpatterns = [path("", include(loop))]\n'),
        "web/tests/test_pages.py": "def test_page(client):\n    client.get('/a3/a7/page/')\n    client.get('/other/')\n",
        "gapaudit.yml": "report-unserved: true\n",  # a test's undeclared requests, listed
    })

    _, report, elapsed = _scan(root)

    assert elapsed < 30
    assert [(g["rule"], g["evidence"]["request"]) for g in report["gaps"] if g["rule"] == "GA401"] == [
        ("GA401", "GET /other/")]
