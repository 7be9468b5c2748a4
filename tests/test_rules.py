"""The rule registry: rules as data, `gapaudit rules`, and docs/rules.md generated from the same data."""

from __future__ import annotations

import json

from conftest import ROOT, run_cli
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
