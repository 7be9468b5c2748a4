"""GA201: tests that skip when infrastructure is missing, linked to production use and CI.

Per file: skip sites (imperative skips under a condition or in an `except`, skip/xfail markers,
`pytestmark`, marker aliases such as `requires_redis = pytest.mark.skipif(...)`, `importorskip`),
module-level flags (`HAS_REDIS = ...`, probe functions), tests and fixtures. At link time a
site's signals are completed through the flags it names (also when imported from another test
module), classified into infrastructure kinds (`rules/infra.yml`), and ranked: P0 when production
imports that infrastructure's client and CI provides no such service.
"""

from __future__ import annotations

from typing import Any

from ...model import Finding
from .catalog import InfraFacts, ci_provided_kinds, merge, production_uses
from ...python.modules import module_path
from .testfacts import TestFileFacts
from ..base import ParsedFile, Project


class TestSuite:
    """Tests, fixtures and flags of every test file, for questions across files."""

    def __init__(self, facts: dict[str, dict[str, Any]]) -> None:
        self.facts = facts
        self.tests = [t for f in facts.values() for t in f["tests"]]
        self.fixtures: dict[str, dict[str, Any]] = {}
        for rel, f in sorted(facts.items()):
            for name, fixture in f["fixtures"].items():
                self.fixtures.setdefault(name, {**fixture, "file": rel})

    def flag_signals(self, rel: str, names: list[str], depth: int = 0) -> dict[str, list]:
        """Signals of the module-level flags and helpers a condition names, followed through imports."""
        merged: dict[str, list] = {}
        if depth > 3:
            return merged
        f = self.facts.get(rel, {})
        for name in names:
            if name in f.get("flags", {}):
                signals = f["flags"][name]
                merged = merge(merged, signals, self.flag_signals(rel, [w for w in signals.get("idents", [])], depth + 1))
            elif name in f.get("imports", {}):
                source, _, imported = f["imports"][name].rpartition(".")
                other = self._test_module(rel, source)
                if other is not None:
                    merged = merge(merged, self.flag_signals(other, [imported], depth + 1))
        return merged

    def _test_module(self, rel: str, dotted: str) -> str | None:
        path = module_path(rel, dotted)
        for candidate in (f"{path}.py", f"{path}/__init__.py"):
            for known in self.facts:
                if known == candidate or known.endswith("/" + candidate):
                    return known
        return None

    def users_of_fixture(self, name: str) -> list[str]:
        """Tests that request a fixture directly or through other fixtures (autouse: every test)."""
        wanted = {name}
        changed = True
        while changed:
            changed = False
            for fixture_name, fixture in self.fixtures.items():
                if fixture_name not in wanted and wanted & set(fixture["params"]):
                    wanted.add(fixture_name)
                    changed = True
        if any(self.fixtures.get(n, {}).get("autouse") for n in wanted):
            return [t["id"] for t in self.tests]
        return [t["id"] for t in self.tests if wanted & set(t["params"])]

    def silenced(self, rel: str, scope: dict[str, str]) -> list[str]:
        if "test" in scope:
            return [scope["test"]]
        if "fixture" in scope:
            return self.users_of_fixture(scope["fixture"])
        if "class" in scope:
            return [t["id"] for t in self.facts[rel]["tests"] if t["cls"] == scope["class"]]
        if "module" in scope:
            if rel.endswith("conftest.py"):  # a conftest covers its whole directory
                folder = rel[: -len("conftest.py")]
                return [t["id"] for r, f in self.facts.items() if r.startswith(folder) for t in f["tests"]]
            return [t["id"] for t in self.facts[rel]["tests"]]
        if "alias" in scope:
            return [t["id"] for t in self.tests if scope["alias"] in t["aliases"]] + [
                t for name, fx in self.fixtures.items() if scope["alias"] in fx.get("aliases", [])
                for t in self.users_of_fixture(name)]
        if "helper" in scope:  # a helper that skips silences whoever calls it
            callers = [(r, fn) for r, f in self.facts.items() for fn, called in f["calls"].items() if scope["helper"] in called]
            found: list[str] = []
            for r, fn in callers:
                found.extend(t["id"] for t in self.facts[r]["tests"] if t["name"] == fn)
                if fn in self.fixtures:
                    found.extend(self.users_of_fixture(fn))
            return found
        return []


class InfraSkipAnalyzer(InfraFacts):
    name = "infra-skip"
    order = 20

    def test_facts(self, file: ParsedFile) -> dict[str, Any]:
        return TestFileFacts(file.rel, file.tree).collect()

    def link(self, project: Project) -> list[Finding]:
        facts = project.facts_of(self.name)
        tests = {rel: f["test"] for rel, f in facts.items() if "test" in f}
        prod = {rel: f["prod"] for rel, f in facts.items() if "prod" in f}
        ci_files = {rel: f["ci"] for rel, f in facts.items() if "ci" in f}
        suite = TestSuite(tests)
        test_modules = {m for f in tests.values() for m in f["modules"]}
        provided = ci_provided_kinds(self.catalog, ci_files, test_modules)
        findings = []
        for rel, f in sorted(tests.items()):
            for site in f["skips"]:
                finding = self._finding(rel, site, suite, prod, provided)
                if finding is not None:
                    findings.append(finding)
        return findings

    def _finding(self, rel: str, site: dict[str, Any], suite: TestSuite, prod: dict[str, Any],
                 provided: dict[str, str]) -> Finding | None:
        if site["platform"]:
            return None
        signals = merge(site["signals"], suite.flag_signals(rel, site["signals"].get("idents", [])))
        kinds = self.catalog.classify(signals)
        if not kinds:
            return None
        in_ci = self.catalog.runs_in_ci_only(signals)
        priority, notes = "P2", []
        usage: dict[str, str] = {}
        for kind in kinds:
            uses = production_uses(self.catalog, kind, prod, signals.get("env", []))
            where_ci = provided.get(kind) or ("the test runs when CI is set" if in_ci else None)
            if uses:
                usage[kind] = uses[1]
            if uses and uses[0] == "direct" and not where_ci:
                priority = "P0"
            elif uses and priority != "P0":
                priority = "P1"
            notes.append(f"{kind}: production {'uses it (' + uses[1] + ')' if uses else 'does not use it'}; "
                         f"CI {'provides it: ' + where_ci if where_ci else 'provides none'}")
        if site["form"] == "importorskip":
            # a missing client *library*: often unit tests of optional extras, not a missing service
            priority = "P2"
        silenced = suite.silenced(rel, site["scope"])
        names = "/".join(kinds)
        if site["form"] == "importorskip":
            verdict = "skipped wherever the client library is not installed"
        else:
            verdict = {"P0": "the integration is never verified where CI runs",
                       "P1": "verified only where that service exists",
                       "P2": "production does not use it"}[priority]
        count = {0: "tests skip", 1: "1 test skips"}.get(len(silenced), f"{len(silenced)} tests skip")
        return Finding(
            rule="GA201",
            file=rel,
            line=site["line"],
            message=f"{count} when {names} is unavailable ({site['form']}): {verdict}",
            symbol=f"{site['form']}|{sorted(site['scope'].items())}|{names}|{site['reason']}",
            evidence={
                "infra": kinds,
                "skip": site["form"],
                "condition": site["condition"],
                "reason": site["reason"],
                "linking": notes,
                "silenced_tests": silenced[:50],
            },
            priority=priority,
        )
