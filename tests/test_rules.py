"""The rule registry: rules as data, `gapaudit rules`, and docs/rules.md generated from the same data."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT, one_line_error, run_cli

from gapaudit.rules import load_rules


def test_every_rule_is_documented_completely():
    rules = load_rules()
    assert rules.rules, "the catalog is not empty"
    for rule in rules.rules.values():
        assert rule.why.strip() and rule.fix.strip() and rule.bad.strip() and rule.good.strip(), rule.id


def test_every_blocking_kind_has_a_rule_and_every_entry_a_kind():
    rules = load_rules()
    kinds = rules.catalog("blocking-kinds")
    assert all(rule in rules.rules for rule in kinds.values())
    used = {g["kind"] for g in rules.catalog("blocking-functions")} | {c["kind"] for c in rules.catalog("blocking-clients")}
    assert used <= set(kinds)


def test_rules_lists_and_explains():
    listing = run_cli("rules")
    assert listing.returncode == 0
    ids = [line.split()[0] for line in listing.stdout.splitlines()]
    assert ids == sorted(load_rules().rules)
    explained = run_cli("rules", "GA102")
    assert explained.returncode == 0
    assert explained.stdout.startswith("# blocking-db-call (GA102)")
    for heading in ("## Why is this bad?", "## Example", "Use instead:", "## Fix"):
        assert heading in explained.stdout
    as_json = json.loads(run_cli("rules", "ga102", "--format", "json").stdout)
    assert as_json[0]["id"] == "GA102" and as_json[0]["priority"] == "P0"


def test_unknown_rule_exits_2():
    done = run_cli("rules", "GA999")
    assert done.returncode == 2 and "unknown rule" in done.stderr


def test_docs_rules_md_is_current():
    generated = run_cli("rules", "--format", "markdown").stdout
    committed = (ROOT / "docs" / "rules.md").read_text()
    assert committed == generated, "docs/rules.md is stale: gapaudit rules --format markdown > docs/rules.md"


def test_every_builtin_catalog_is_read_by_an_analyzer():
    from gapaudit.checks import analyzer_classes

    assert set(load_rules().catalogs) == {name for cls in analyzer_classes() for name in cls.catalogs}


def _project_with_rule_file(root, text: str):
    (root / "app.py").write_text("async def handler():\n    pass\n")
    (root / "extra.yml").write_text(text)
    (root / "gapaudit.yml").write_text("rule-paths: [extra.yml]\n")
    return root


@pytest.mark.parametrize("text, expected", [
    ("catalogs:\n  blocking-functionz: [x]\n",
     "catalog 'blocking-functionz' (extra.yml): no analyzer reads this catalog (did you mean 'blocking-functions'?)"),
    ("catalogs:\n  route-clients: [x]\n", "catalog 'route-clients' (extra.yml): no analyzer reads this catalog"),
    ("catalogs:\n  blocking-functions: {kind: network}\n",
     "catalog 'blocking-functions' (extra.yml): must be a list as in blocking-calls.yml, got a mapping"),
    ("catalogs:\n  infra-fakes: [fakeredis]\n",
     "catalog 'infra-fakes' (extra.yml): must be a mapping as in infra.yml, got a list"),
    ("catalogs:\n  skip-calls:\n", "catalog 'skip-calls' (extra.yml): must be a list as in infra.yml, got nothing"),
    ("catalogs: [blocking-functions]\n", "extra.yml: 'rules' must be a list of rules and 'catalogs' a mapping"),
])
def test_a_catalog_no_analyzer_can_use_is_one_line_naming_file_and_catalog(tmp_path, text, expected):
    root = _project_with_rule_file(tmp_path, text)
    (root / ".env.test").write_text("A=1\n")
    (root / ".env.production").write_text("A=1\n")
    for command, cwd in ((("scan", str(root), "--no-cache"), None), (("routes", str(root)), None),
                         (("baseline", str(root)), None), (("config-diff", ".env.test", ".env.production"), root)):
        assert expected in one_line_error(run_cli(*command, cwd=cwd)), command


def test_a_catalog_entry_of_an_unknown_kind_is_one_line(tmp_path):
    root = _project_with_rule_file(tmp_path, "catalogs:\n  blocking-functions: [{kind: nosuchkind, calls: [x.y]}]\n")
    line = one_line_error(run_cli("scan", str(root), "--no-cache"))
    assert line.startswith("gapaudit: error: catalog 'blocking-functions'") and "nosuchkind" in line
