"""Catalogs are checked when they are loaded: a project's catalog entry of the wrong shape is one
line naming the catalog and the file (exit 2), never a traceback in the middle of a scan; a
well-formed entry extends what the analyzers know."""

from __future__ import annotations

import pytest
import yaml
from conftest import run_cli, scan_json

from gapaudit.checks import default_analyzers
from gapaudit.rules import builtin_rules_dir, load_rules

RULE_FILE = "team-rules.yml"


def _project(tmp_path, catalogs: dict | str):
    (tmp_path / "gapaudit.yml").write_text(f"rule-paths: [ci/{RULE_FILE}]\n")
    (tmp_path / "ci").mkdir()
    text = catalogs if isinstance(catalogs, str) else yaml.safe_dump({"catalogs": catalogs})
    (tmp_path / "ci" / RULE_FILE).write_text(text)
    (tmp_path / "app.py").write_text("import os\n\nHOST = os.getenv('HOST')\n")
    return tmp_path


def _builtin_config_drift() -> dict:
    return yaml.safe_load((builtin_rules_dir() / "config-drift.yml").read_text())["catalogs"]["config-drift"]


def _with(**changes) -> dict:
    catalog = _builtin_config_drift()
    catalog.update(changes)
    return {"config-drift": catalog}


@pytest.mark.parametrize("catalogs, expected", [
    ({"skip-calls": "pytest.skip"},
     "catalog 'skip-calls' (team-rules.yml): must be a list as in infra.yml, got a str"),
    ({"skip-markers": ["requires_db", {"name": "x"}]},
     "catalog 'skip-markers' (infra.yml, team-rules.yml): [5]: expected a string, got a dict"),
    ({"startup-runners": [["LifespanManager"]]}, "catalog 'startup-runners'"),
    ({"fake-class-prefixes": 3}, "catalog 'fake-class-prefixes'"),
    ({"infra-fakes": {"fakeredis": "redsi"}}, "fakeredis: unknown infrastructure kind 'redsi' (known: "),
    ({"infra-kinds": {"redis": {"ports": ["six-three-seven-nine"]}}},
     "redis.ports[0]: expected an integer, got 'six-three-seven-nine'"),
    ({"infra-kinds": {"redis": {"word": ["redis"]}}}, "redis: unknown key 'word'"),
    ({"infra-kinds": ["redis"]},
     "catalog 'infra-kinds' (team-rules.yml): must be a mapping as in infra.yml, got a list"),
    ({"config-drift": {"placeholders": ["change-me"]}},
     "catalog 'config-drift' (config-drift.yml, team-rules.yml): lacks config-files"),
    (_with(placeholders=["todo.*", "(unclosed"]), "placeholders[1]: '(unclosed' is not a regular expression"),
    (_with(**{"token-shapes": {"acme-key": "acme_[A-Z"}}), "token-shapes.acme-key: 'acme_[A-Z' is not a regular expression"),
    (_with(**{"security-toggles": [{"key": "DEBUG$", "unsafe": "maybe"}]}),
     "security-toggles[0].unsafe: expected true, false or '*', got 'maybe'"),
    (_with(**{"security-toggles": [{"unsafe": True}]}), "security-toggles[0]: lacks key"),
    (_with(**{"config-files": {"test-words": ["test"]}}), "config-files: lacks production-words, example-words"),
])
def test_a_malformed_catalog_is_a_one_line_error_naming_it(tmp_path, catalogs, expected):
    done = run_cli("scan", str(_project(tmp_path, catalogs)), "--no-cache")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert expected in lines[0]
    assert RULE_FILE in lines[0]


def test_config_diff_reads_the_checked_builtin_catalog(tmp_path):
    (tmp_path / ".env.test").write_text("DEBUG=false\n")
    (tmp_path / ".env.production").write_text("DEBUG=true\n")
    done = run_cli("config-diff", str(tmp_path / ".env.test"), str(tmp_path / ".env.production"))
    assert "GA305 [P1] DEBUG=true" in done.stdout


SKIPPING_PROJECT = {
    "app/cache.py": "import redis\n\nclient = redis.Redis()\n",
    "tests/test_cache.py": (
        "from ourtesting import skip_without\n\n"
        "from app.cache import client\n\n\n"
        "def test_ping():\n"
        "    if not client.ping():\n"
        "        skip_without('redis is down')\n"
    ),
}


def test_a_project_catalog_entry_extends_what_is_found(tmp_path):
    for rel, text in SKIPPING_PROJECT.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    _, report = scan_json(tmp_path, "--fail-on", "never")
    assert not [g for g in report["gaps"] if g["rule"] == "GA201"]

    _project(tmp_path, {"skip-calls": ["skip_without"]})
    _, report = scan_json(tmp_path, "--fail-on", "never")
    found = [(g["file"], g["line"], g["priority"], g["evidence"]["infra"]) for g in report["gaps"] if g["rule"] == "GA201"]
    assert found == [("tests/test_cache.py", 8, "P1", ["redis"])]


def test_every_catalog_an_analyzer_names_is_in_the_builtin_rules():
    rules = load_rules()
    for analyzer in default_analyzers(rules):
        missing = [name for name in analyzer.catalogs if name not in rules.catalogs]
        assert not missing, f"{analyzer.name} reads catalogs no rule file defines: {missing}"
