"""GA203: the application declares startup work that no test ever runs.

Production: `FastAPI(lifespan=...)`, `Starlette(on_startup=[...])`, `@app.on_event("startup")`,
`app.add_event_handler("startup", ...)`, aiohttp `app.on_startup.append(...)` / `cleanup_ctx`.
Tests run it with `with TestClient(app)`, `LifespanManager(app)` (asgi-lifespan), or the
aiohttp test client/server; `TestClient(app)` outside a `with` and httpx's `ASGITransport` do not.
The names are the `startup-*` catalogs of rules/infra.yml.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any, ClassVar

from ...model import PYTHON, PYTHON_TEST, Finding
from ...python import codec
from ...python.astutil import last_name, source_text
from ...python.imports import ImportCollector
from ...python.modules import ModuleIndex, module_path
from ...python.ordering import ShallowFirst
from ...python.walk import Context
from ...rules import RuleSet
from ..base import Analyzer, ParsedFile, Project
from ..catalogs import Entry


@codec.register
@dataclass(frozen=True, slots=True)
class StartupDeclaration:
    line: int
    form: str  # `FastAPI(lifespan/on_startup=...)`, `app.on_event('startup')`, ...


@codec.register
@dataclass(frozen=True, slots=True)
class StartupFacts:
    """A production file's startup declarations, shallowest first."""

    declarations: tuple[StartupDeclaration, ...]


@codec.register
@dataclass(frozen=True, slots=True)
class StartupTestFacts:
    runs: tuple[int, ...]  # lines where a test runs the startup
    plain: tuple[int, ...]  # lines of a test client made outside `with`
    imports: tuple[str, ...]  # modules imported, relative ones without their dots


@dataclass(frozen=True)
class StartupVocabulary:
    app_factories: frozenset[str]
    keywords: frozenset[str]
    events: frozenset[str]
    hook_lists: tuple[str, ...]
    lifespan_attributes: tuple[str, ...]
    test_clients: frozenset[str]
    runners: frozenset[str]
    runner_bases: frozenset[str]

    catalogs: ClassVar[tuple[str, ...]] = (
        "startup-app-factories", "startup-keywords", "startup-events", "startup-hook-lists",
        "startup-lifespan-attributes", "startup-test-clients", "startup-runners", "startup-runner-bases")

    @classmethod
    def from_rules(cls, rules: RuleSet) -> StartupVocabulary:
        def names(catalog: str) -> tuple[str, ...]:
            return Entry.of(rules, catalog).strings()

        return cls(
            app_factories=frozenset(names("startup-app-factories")),
            keywords=frozenset(names("startup-keywords")),
            events=frozenset(names("startup-events")),
            hook_lists=tuple(f".{name}.append" for name in names("startup-hook-lists")),
            lifespan_attributes=names("startup-lifespan-attributes"),
            test_clients=frozenset(names("startup-test-clients")),
            runners=frozenset(names("startup-runners")),
            runner_bases=frozenset(names("startup-runner-bases")),
        )


class DeclarationCollector:
    """A production file's startup declarations, during the one walk (see walk.py)."""

    wants = (ast.Call, ast.Assign)

    def __init__(self, vocabulary: StartupVocabulary) -> None:
        self.vocabulary = vocabulary
        self.declarations: ShallowFirst[StartupDeclaration] = ShallowFirst()

    def enter(self, node: ast.AST, context: Context) -> None:
        if isinstance(node, (ast.Call, ast.Assign)):
            form = self._form(node)
            if form is not None:
                self.declarations.add(StartupDeclaration(node.lineno, form), len(context.ancestors))

    def leave(self, node: ast.AST, context: Context) -> None:
        pass

    def _form(self, node: ast.Call | ast.Assign) -> str | None:
        words = self.vocabulary
        if isinstance(node, ast.Assign):
            texts = [source_text(t) for t in node.targets]
            attribute = next((a for a in words.lifespan_attributes for text in texts if text.endswith(a)), None)
            return f"{attribute} = ..." if attribute else None
        name = last_name(node.func)
        if name in words.app_factories:
            if any(k.arg in words.keywords and not (isinstance(k.value, ast.Constant) and k.value.value is None)
                   for k in node.keywords):
                return f"{name}(lifespan/on_startup=...)"
        elif name in words.events:
            if node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value == "startup":
                return f"{source_text(node.func)}('startup')"
        elif name == "append":
            func = source_text(node.func)
            if func.endswith(words.hook_lists):
                return func
        return None


class RunCollector:
    """Where a test file runs the application's startup, and its test clients made without `with`."""

    wants = (ast.With, ast.AsyncWith, ast.Call, ast.ClassDef)

    def __init__(self, vocabulary: StartupVocabulary) -> None:
        self.vocabulary = vocabulary
        self.runs: list[int] = []
        self.plain: list[int] = []
        self._with_clients: set[int] = set()

    def enter(self, node: ast.AST, context: Context) -> None:
        words = self.vocabulary
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                expr = item.context_expr
                if isinstance(expr, ast.Call) and last_name(expr.func) in words.test_clients:
                    self._with_clients.add(id(expr))
                    self.runs.append(node.lineno)
        elif isinstance(node, ast.Call):
            name = last_name(node.func)
            if name in words.runners:
                self.runs.append(node.lineno)
            if name in words.test_clients and id(node) not in self._with_clients:
                self.plain.append(node.lineno)
        elif isinstance(node, ast.ClassDef) and any(last_name(b) in words.runner_bases for b in node.bases):
            self.runs.append(node.lineno)

    def leave(self, node: ast.AST, context: Context) -> None:
        pass


class StartupUntestedAnalyzer(Analyzer):
    name = "startup-untested"
    kinds = frozenset({PYTHON, PYTHON_TEST})
    order = 40
    catalogs: ClassVar[tuple[str, ...]] = StartupVocabulary.catalogs

    def __init__(self, rules: RuleSet) -> None:
        self.vocabulary = StartupVocabulary.from_rules(rules)

    def prepare(self, file: ParsedFile) -> None:
        if file.kind == PYTHON:
            file.collector("startup-declarations", self._declarations)
        else:
            file.collector("imports", ImportCollector)
            file.collector("startup-runs", self._runs)

    def _declarations(self) -> DeclarationCollector:
        return DeclarationCollector(self.vocabulary)

    def _runs(self) -> RunCollector:
        return RunCollector(self.vocabulary)

    def file_facts(self, file: ParsedFile) -> StartupFacts | StartupTestFacts:
        if file.kind == PYTHON:
            return StartupFacts(tuple(file.collector("startup-declarations", self._declarations).declarations))
        runs = file.collector("startup-runs", self._runs)
        imports = file.collector("imports", ImportCollector).imports
        return StartupTestFacts(tuple(sorted(runs.runs)), tuple(sorted(runs.plain)),
                                tuple(sorted({imp.module for imp in imports if imp.module})))

    def encode(self, facts: Any) -> Any:
        return codec.encode(facts)

    def decode(self, data: Any) -> Any:
        return codec.decode(data)

    def link(self, project: Project) -> list[Finding]:
        facts = self.decoded_facts(project)
        declared = [(rel, d) for rel, f in sorted(facts.items()) if isinstance(f, StartupFacts) for d in f.declarations]
        tests = {rel: f for rel, f in facts.items() if isinstance(f, StartupTestFacts)}
        if not declared or any(t.runs for t in tests.values()):
            return []
        plain = [f"{rel}:{line}" for rel, t in sorted(tests.items()) for line in t.plain]
        if not plain:
            imported = self._imported({rel for rel, _ in declared}, {m for t in tests.values() for m in t.imports},
                                      project.discovery.package_dirs)
            declared = [(rel, d) for rel, d in declared if rel in imported]
        if not declared:
            return []  # an example app or a service whose tests live elsewhere: nothing to say
        rel, first = declared[0]
        how = (f"TestClient is created without `with` at {', '.join(plain[:3])}" if plain
               else "no test starts the application")
        return [Finding(
            rule="GA203",
            file=rel,
            line=first.line,
            message=f"startup declared by {first.form} never runs in tests: {how}",
            symbol=f"startup|{first.form}",
            evidence={"declared": [f"{r}:{d.line} {d.form}" for r, d in declared],
                      "test_clients_without_with": plain[:20]},
        )]

    @staticmethod
    def _imported(files: set[str], imports: set[str], package_dirs: set[str]) -> set[str]:
        """Which of these files some test imports (`app.main` for backend/app/main.py: the module
        under whatever folder the tests put on sys.path)."""
        index = ModuleIndex(files, package_dirs)
        return {rel for name in imports for rel in index.files_ending(module_path("", name))}
