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
from dataclasses import dataclass
from typing import ClassVar

from ...model import Finding
from ...python import codec
from ...python.astutil import last_name, source_text
from ...python.imports import Import
from ...python.ordering import ShallowFirst
from ...python.walk import Context
from ...rules import RuleSet
from ..base import ParsedFile, Project
from ..catalogs import Entry
from .ci import ci_provided_kinds
from .production import ProductionFacts, project_packages
from .shared import InfraAnalyzer, InfraFiles


@codec.register
@dataclass(frozen=True, slots=True)
class MockSite:
    line: int
    target: str  # what it stands in for, as written: "app.adapters.GCSAdapter", "GCSAdapter", "storage"
    form: str  # `mock.patch(...)`, `class MockGCSAdapter`, ...


@codec.register
@dataclass(frozen=True, slots=True)
class MockFileFacts:
    mocks: tuple[MockSite, ...]
    constructed: tuple[str, ...]  # last names of what tests call outside mock sites
    imports: tuple[Import, ...]  # those naming a module, in source order


class MockCollector:
    """Builds a test file's mock sites and constructed names during the one walk (see walk.py)."""

    wants = (ast.ClassDef, ast.Call)

    def __init__(self, fake_class: re.Pattern[str], spec_factories: frozenset[str]) -> None:
        self.fake_class = fake_class
        self.spec_factories = spec_factories
        self.mocks: ShallowFirst[MockSite] = ShallowFirst()
        self.constructed: set[str] = set()
        self._mock_calls: set[int] = set()  # id() of the mock calls the walk is inside of

    def enter(self, node: ast.AST, context: Context) -> None:
        depth = len(context.ancestors)
        if isinstance(node, ast.ClassDef):
            match = self.fake_class.match(node.name)
            if match:  # MockGCSAdapter stands in for GCSAdapter, and for whatever it subclasses
                for target in [match.group(1), *(source_text(b).rsplit(".", 1)[-1] for b in node.bases)]:
                    self.mocks.add(MockSite(node.lineno, target, f"class {node.name}"), depth)
        elif isinstance(node, ast.Call):
            func = source_text(node.func)
            target = self._target(node, func)
            if target is not None:
                self.mocks.add(MockSite(node.lineno, target, f"{func}(...)"), depth)
                self._mock_calls.add(id(node))
            elif not self._mock_calls and isinstance(node.func, (ast.Name, ast.Attribute)):
                self.constructed.add(last_name(node.func))

    def leave(self, node: ast.AST, context: Context) -> None:
        self._mock_calls.discard(id(node))

    def _target(self, node: ast.Call, func: str) -> str | None:
        """What a mock call stands in for, or None if `node` is no mock call."""
        last = func.rsplit(".", 1)[-1]
        if last == "patch" and node.args:
            return source_text(node.args[0]).strip("'\"")
        if func.endswith(("patch.object", "patch.multiple")) and node.args:
            return source_text(node.args[0])
        if last == "setattr" and "monkeypatch" in func and node.args:
            return source_text(node.args[0]).strip("'\"")
        if last == "create_autospec" and node.args:
            return source_text(node.args[0])
        if last in self.spec_factories:
            specs = [k.value for k in node.keywords if k.arg in ("spec", "spec_set")]
            if specs:
                return source_text(specs[-1])
            if node.args:
                return source_text(node.args[0])
        return None


class MockedInfraAnalyzer(InfraAnalyzer):
    name = "mocked-infra"
    order = 30
    catalogs: ClassVar[tuple[str, ...]] = InfraAnalyzer.catalogs + ("fake-class-prefixes", "spec-factories",
                                                                     "framework-bases")

    def __init__(self, rules: RuleSet) -> None:
        super().__init__(rules)
        prefixes = Entry.of(rules, "fake-class-prefixes").strings()
        self.fake_class = re.compile(rf"^(?:{'|'.join(map(re.escape, prefixes))})(\w+)$") if prefixes else re.compile(r"(?!)")
        self.spec_factories = frozenset(Entry.of(rules, "spec-factories").strings())
        self.framework_bases = frozenset(Entry.of(rules, "framework-bases").strings())

    def prepare_test(self, file: ParsedFile) -> None:
        file.collector("mocked-infra-tests", self._collector)

    def test_facts(self, file: ParsedFile, imports: list[Import]) -> MockFileFacts:
        collector = file.collector("mocked-infra-tests", self._collector)
        return MockFileFacts(tuple(collector.mocks), tuple(sorted(collector.constructed)),
                             tuple(imp for imp in imports if imp.module))

    def _collector(self) -> MockCollector:
        return MockCollector(self.fake_class, self.spec_factories)

    def link(self, project: Project) -> list[Finding]:
        files = InfraFiles(self.decoded_facts(project), MockFileFacts)
        prod, tests = files.production, files.tests
        adapters: dict[str, tuple[str, int, list[str]]] = {}  # class name -> (file, line, infra kinds)
        ambiguous: set[str] = set()
        own = project_packages(prod)
        for rel, f in prod.items():
            kinds = sorted(self.catalog.kinds_of_modules(m for m in f.modules if m.split(".")[0] not in own))
            if not kinds:
                continue
            for cls in f.classes:
                if cls.name in adapters:
                    ambiguous.add(cls.name)
                adapters[cls.name] = (rel, cls.line, kinds)
        subclasses: dict[str, set[str]] = {}
        for f in prod.values():
            for cls in f.classes:
                for base in cls.bases:
                    subclasses.setdefault(base, set()).add(cls.name)
        # the application's own models and views, directly or through each other (`ParentJob(Job)`)
        framework = {name for base in self.framework_bases for sub in subclasses.get(base, ())
                     for name in _family(sub, subclasses)}
        for name in ambiguous | framework:
            adapters.pop(name, None)
        constructed = {name for f in tests.values() for name in f.constructed}
        # an abstract adapter (`CacheBackend(ABC)`) runs for real through the subclasses tests build
        sites: dict[str, list[str]] = {}
        for rel, f in sorted(tests.items()):
            for mock in f.mocks:
                for part in mock.target.split("."):
                    if part in adapters:
                        sites.setdefault(part, []).append(f"{mock.form} at {rel}:{mock.line}")
                        break
        test_modules = {imp.module for f in tests.values() for imp in f.imports if imp.module}
        provided = ci_provided_kinds(self.catalog, files.ci, test_modules)
        findings = [self._adapter_gap(name, adapters[name], where, provided) for name, where in sorted(sites.items())
                    if not _family(name, subclasses) & constructed]
        findings += self._fake_libraries(tests, prod, test_modules)
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

    def _fake_libraries(self, tests: dict[str, MockFileFacts], prod: dict[str, ProductionFacts],
                        real_modules: set[str]) -> list[Finding]:
        """fakeredis / mongomock / moto stand in for a kind production uses and no test uses for real."""
        findings = []
        own = project_packages(prod)
        prod_kinds = self.catalog.kinds_of_modules(m for f in prod.values() for m in f.modules if m.split(".")[0] not in own)
        for fake, kind in sorted(self.catalog.fakes.items()):
            users = [(rel, line) for rel, f in sorted(tests.items()) for m, line in _first_lines(f.imports).items()
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


def _family(name: str, subclasses: dict[str, set[str]]) -> set[str]:
    """A class and every subclass of it the project defines (by name)."""
    found, todo = {name}, [name]
    while todo:
        for child in subclasses.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _first_lines(imports: tuple[Import, ...]) -> dict[str, int]:
    """Imported module -> the line of its first module-level import, else of its first import."""
    first: dict[str, int] = {}
    for imp in sorted(imports, key=lambda imp: not imp.is_module_level):
        first.setdefault(imp.module or "", imp.line)
    return first
