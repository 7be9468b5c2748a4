"""GA202: infrastructure adapters that tests only ever exercise through mocks or fakes.

Per test file: mock sites (`mock.patch("app.adapters.GCSAdapter")`, `patch.object(GCSAdapter, ...)`,
`MagicMock(spec=GCSAdapter)`, `create_autospec`, `monkeypatch.setattr`), fake classes
(`MockGCSAdapter`, `FakeRedisClient`, or any test class subclassing an adapter), fake libraries
(fakeredis, mongomock, moto) and the names tests construct for real. Per production file: its
classes and the infrastructure clients it imports. An adapter is a production class in a file
that imports an infrastructure client; it is a gap when tests mock it and never construct it.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from ...model import Finding
from ...python.astutil import all_nodes
from .catalog import InfraFacts, ci_provided_kinds, project_packages
from ..base import ParsedFile, Project

_FAKE_CLASS = re.compile(r"^(?:Mock|Fake|Stub|Dummy|InMemory)(\w+)$")
_SPEC_FACTORIES = ("Mock", "MagicMock", "AsyncMock", "NonCallableMock", "NonCallableMagicMock")


def _text(node: ast.AST) -> str:
    return ast.unparse(node)


def _test_file_facts(tree: ast.Module) -> dict[str, Any]:
    mocks: list[dict[str, Any]] = []
    mocked_nodes: set[int] = set()
    for node in all_nodes(tree):
        if isinstance(node, ast.ClassDef):
            match = _FAKE_CLASS.match(node.name)
            if match:  # MockGCSAdapter stands in for GCSAdapter, and for whatever it subclasses
                for target in [match.group(1), *(_text(b).rsplit(".", 1)[-1] for b in node.bases)]:
                    mocks.append({"line": node.lineno, "target": target, "form": f"class {node.name}"})
        if not isinstance(node, ast.Call):
            continue
        func = _text(node.func)
        last = func.rsplit(".", 1)[-1]
        target = None
        if last == "patch" and node.args:
            target = _text(node.args[0]).strip("'\"")
        elif func.endswith(("patch.object", "patch.multiple")) and node.args:
            target = _text(node.args[0])
        elif last == "setattr" and "monkeypatch" in func and node.args:
            target = _text(node.args[0]).strip("'\"")
        elif last == "create_autospec" and node.args:
            target = _text(node.args[0])
        elif last in _SPEC_FACTORIES:
            for keyword in node.keywords:
                if keyword.arg in ("spec", "spec_set"):
                    target = _text(keyword.value)
            if target is None and node.args:
                target = _text(node.args[0])
        if target is not None:
            mocks.append({"line": node.lineno, "target": target, "form": f"{func}(...)"})
            mocked_nodes.update(id(n) for n in ast.walk(node))
    constructed = sorted({
        _text(n.func).rsplit(".", 1)[-1] for n in all_nodes(tree)
        if isinstance(n, ast.Call) and id(n) not in mocked_nodes and isinstance(n.func, (ast.Name, ast.Attribute))
    })
    modules: dict[str, int] = {}  # imported module -> first line
    for n in all_nodes(tree):
        if isinstance(n, ast.Import):
            for alias in n.names:
                modules.setdefault(alias.name, n.lineno)
        elif isinstance(n, ast.ImportFrom) and n.module:
            modules.setdefault(n.module, n.lineno)
    return {"mocks": mocks, "constructed": constructed, "modules": modules}


class MockedInfraAnalyzer(InfraFacts):
    name = "mocked-infra"
    order = 30

    def test_facts(self, file: ParsedFile) -> dict[str, Any]:
        return _test_file_facts(file.tree)

    def link(self, project: Project) -> list[Finding]:
        facts = project.facts_of(self.name)
        prod = {rel: f["prod"] for rel, f in facts.items() if "prod" in f}
        tests = {rel: f["test"] for rel, f in facts.items() if "test" in f}
        adapters: dict[str, tuple[str, int, list[str]]] = {}  # class name -> (file, line, infra kinds)
        ambiguous: set[str] = set()
        own = project_packages(prod)
        for rel, f in prod.items():
            kinds = sorted(self.catalog.kinds_of_modules(m for m in f["modules"] if m.split(".")[0] not in own))
            if not kinds:
                continue
            for name, line in f["classes"].items():
                if name in adapters:
                    ambiguous.add(name)
                adapters[name] = (rel, line, kinds)
        for name in ambiguous:
            del adapters[name]
        constructed = {name for f in tests.values() for name in f["constructed"]}
        sites: dict[str, list[str]] = {}
        for rel, f in sorted(tests.items()):
            for mock in f["mocks"]:
                for part in re.split(r"[.]", mock["target"]):
                    if part in adapters:
                        sites.setdefault(part, []).append(f"{mock['form']} at {rel}:{mock['line']}")
                        break
        provided = ci_provided_kinds(self.catalog, {rel: f["ci"] for rel, f in facts.items() if "ci" in f},
                                     {m for f in tests.values() for m in f["modules"]})
        findings = [self._adapter_gap(name, adapters[name], where, provided) for name, where in sorted(sites.items())
                    if name not in constructed]
        findings += self._fake_libraries(tests, prod)
        return findings

    def _adapter_gap(self, name: str, adapter: tuple[str, int, list[str]], where: list[str],
                     provided: dict[str, str]) -> Finding:
        rel, line, kinds = adapter
        in_ci = {kind: provided[kind] for kind in kinds if kind in provided}
        return Finding(
            rule="GA202",
            file=rel,
            line=line,
            message=f"{name} ({', '.join(kinds)}) is only ever exercised through mocks: "
                    f"{len(where)} mock site{'s' if len(where) != 1 else ''}, no test constructs it",
            symbol=f"adapter|{name}",
            evidence={"infra": kinds, "mocked_at": where[:20], "ci_provides": in_ci or "none"},
            # with the service in CI, integration tests may reach the adapter indirectly
            priority="P2" if in_ci else None,
        )

    def _fake_libraries(self, tests: dict[str, Any], prod: dict[str, Any]) -> list[Finding]:
        """fakeredis / mongomock / moto stand in for a kind production uses and no test uses for real."""
        findings = []
        real_modules = {m for f in tests.values() for m in f["modules"]}
        own = project_packages(prod)
        prod_kinds = self.catalog.kinds_of_modules(m for f in prod.values() for m in f["modules"] if m.split(".")[0] not in own)
        for fake, kind in sorted(self.catalog.fakes.items()):
            users = [(rel, line) for rel, f in sorted(tests.items()) for m, line in f["modules"].items()
                     if m == fake or m.startswith(fake + ".")]
            if not users or kind not in prod_kinds:
                continue
            infra = self.catalog.kind(kind)
            if any(infra.module_matches(m) for m in real_modules) or any(m.startswith("testcontainers") for m in real_modules):
                continue
            findings.append(Finding(
                rule="GA202",
                file=users[0][0],
                line=users[0][1],
                message=f"{kind} is only ever faked in tests ({fake}); production uses the real client",
                symbol=f"fake|{fake}",
                evidence={"infra": [kind], "faked_in": [f"{rel}:{line}" for rel, line in users[:20]]},
            ))
        return findings
