"""Per-file facts of a pytest/unittest file: skip sites, tests, fixtures, module-level flags, and
which functions each function calls — gathered on the one walk of the file.

Pure functions of one file; linking across files happens in `skips.py`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import ClassVar, Iterable

from ...python import codec
from ...python.astutil import dotted_name, last_name, source_text
from ...python.imports import Import
from ...python.ordering import ShallowFirst
from ...python.walk import Context
from ...rules import RuleSet
from ..catalogs import Entry
from .signals import Signals, SignalText, signals_of

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
# statements whose children still run at module level (as in astutil.module_statements)
_MODULE_BLOCKS = (ast.If, ast.Try, ast.With, ast.ExceptHandler)
# top-level statements that may hold module-level assignments: their signals are a flag's
_FLAG_STATEMENTS = (ast.Assign, ast.AnnAssign, ast.If, ast.Try, ast.With)


# --- what a skip silences -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scope:
    """What a skip site silences; `name` says which test, fixture, class, module, alias or helper."""

    name: str
    label: ClassVar[str]

    @property
    def symbol(self) -> str:
        # the text GA201 fingerprints have held since its first release: keep baselines valid
        return str([(self.label, self.name)])


@codec.register
@dataclass(frozen=True, slots=True)
class TestScope(Scope):
    label = "test"  # name: the test id


@codec.register
@dataclass(frozen=True, slots=True)
class FixtureScope(Scope):
    label = "fixture"


@codec.register
@dataclass(frozen=True, slots=True)
class ClassScope(Scope):
    label = "class"


@codec.register
@dataclass(frozen=True, slots=True)
class ModuleScope(Scope):
    label = "module"  # name: the file (a conftest.py: its whole folder)


@codec.register
@dataclass(frozen=True, slots=True)
class AliasScope(Scope):
    label = "alias"  # a marker alias (`requires_redis = pytest.mark.skipif(...)`) or a marker keyword


@codec.register
@dataclass(frozen=True, slots=True)
class HelperScope(Scope):
    label = "helper"  # a helper function: whoever calls it


# --- the facts ------------------------------------------------------------------------------------


@codec.register
@dataclass(frozen=True, slots=True)
class SkipSite:
    line: int
    form: str  # `pytest.skip`, `skipif`, `self.skipTest in except`, `importorskip`, ...
    reason: str
    signals: Signals
    condition: str
    scope: Scope
    platform: bool  # the condition is about the platform or the Python version, not a service


@codec.register
@dataclass(frozen=True, slots=True)
class TestCase:
    id: str  # tests/test_x.py::TestClass::test_name
    name: str
    line: int
    cls: str | None
    params: tuple[str, ...]  # fixtures it requests, `usefixtures` included
    aliases: tuple[str, ...]  # last names of its and its class's decorators


@codec.register
@dataclass(frozen=True, slots=True)
class Fixture:
    name: str
    line: int
    params: tuple[str, ...]
    autouse: bool
    aliases: tuple[str, ...]


@codec.register
@dataclass(frozen=True, slots=True)
class Flag:
    """A module-level name a skip condition may test (`HAS_REDIS = ...`, a probe function)."""

    name: str
    signals: Signals


@codec.register
@dataclass(frozen=True, slots=True)
class FunctionCalls:
    function: str
    callees: tuple[str, ...]  # last names of every call in its body, nested functions included


@codec.register
@dataclass(frozen=True, slots=True)
class TestFileFacts:
    skips: tuple[SkipSite, ...]
    tests: tuple[TestCase, ...]
    fixtures: tuple[Fixture, ...]  # one per name, the last definition
    flags: tuple[Flag, ...]
    imports: tuple[Import, ...]  # module-level `from m import name`: where a flag may come from
    calls: tuple[FunctionCalls, ...]
    modules: tuple[str, ...]  # absolute modules imported anywhere (testcontainers.*)


# --- the vocabulary -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SkipVocabulary:
    """The names that make skips, fixtures and class setup (rules/infra.yml)."""

    calls: frozenset[str]
    markers: frozenset[str]
    platform_conditions: tuple[str, ...]
    class_setup: frozenset[str]
    fixture_prefixes: tuple[str, ...]
    fixture_suffixes: tuple[str, ...]

    catalogs: ClassVar[tuple[str, ...]] = (
        "skip-calls", "skip-markers", "platform-conditions", "class-setup-methods", "fixture-decorators")

    @classmethod
    def from_rules(cls, rules: RuleSet) -> SkipVocabulary:
        fixtures = Entry.of(rules, "fixture-decorators").strings()
        return cls(
            calls=frozenset(Entry.of(rules, "skip-calls").strings()),
            markers=frozenset(Entry.of(rules, "skip-markers").strings()),
            platform_conditions=Entry.of(rules, "platform-conditions").strings(),
            class_setup=frozenset(Entry.of(rules, "class-setup-methods").strings()),
            fixture_prefixes=tuple(f for f in fixtures if not f.startswith(".")),
            fixture_suffixes=tuple(f for f in fixtures if f.startswith(".")),
        )

    def is_fixture_decorator(self, decorator: ast.expr) -> bool:
        head = _text(decorator.func if isinstance(decorator, ast.Call) else decorator)
        return head.startswith(self.fixture_prefixes) or head.split("(")[0].endswith(self.fixture_suffixes)


# --- text of nodes --------------------------------------------------------------------------------


def _text(node: ast.AST) -> str:
    try:
        return source_text(node)
    except Exception:  # noqa: BLE001 - unparse of odd nodes
        return ""


def _literal(node: ast.AST) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return _text(node)


def _reason(call: ast.Call) -> str:
    for keyword in call.keywords:
        if keyword.arg in ("reason", "msg"):
            return _literal(keyword.value)
    strings = [_literal(a) for a in call.args if isinstance(a, (ast.Constant, ast.JoinedStr))]
    return strings[-1] if strings else ""


def _innermost(ancestors: list[ast.AST], kind: type[ast.AST] | tuple[type[ast.AST], ...]) -> ast.AST | None:
    return next((node for node in reversed(ancestors) if isinstance(node, kind)), None)


def _marks(value: ast.expr) -> list[ast.Call]:
    """`pytestmark = mark` or `[mark, ...]`: the marker calls."""
    marks = value.elts if isinstance(value, (ast.List, ast.Tuple)) else [value]
    return [mark for mark in marks if isinstance(mark, ast.Call)]


# --- skip sites waiting for the end of the walk (a statement's signals need its imports) ----------


@dataclass
class _Skip:
    line: int
    form: str
    reason: str
    signals: SignalText
    condition: str
    scope: Scope

    def site(self, imports: Iterable[Import], vocabulary: SkipVocabulary) -> SkipSite:
        return SkipSite(self.line, self.form, self.reason[:200], self.signals.signals(imports), self.condition[:200],
                        self.scope, any(marker in self.condition for marker in vocabulary.platform_conditions))


@dataclass
class _MarkerSkip:
    """`pytest.mark.skip(...)` in a function: a skip only if that function adds markers to items
    (`pytest_collection_modifyitems`), which the rest of the walk decides."""

    call: ast.Call
    hook: ast.FunctionDef | ast.AsyncFunctionDef


class TestFileCollector:
    """Builds `TestFileFacts` during the one walk of a test file (see walk.py)."""

    wants = (ast.stmt, ast.ExceptHandler, ast.Call, ast.Name, ast.Attribute, ast.Constant)

    def __init__(self, rel: str, vocabulary: SkipVocabulary) -> None:
        self.rel = rel
        self.vocabulary = vocabulary
        self._skips: ShallowFirst[_Skip | _MarkerSkip] = ShallowFirst()
        self._tests: ShallowFirst[TestCase] = ShallowFirst()
        self._fixtures: ShallowFirst[Fixture] = ShallowFirst()
        self._functions: ShallowFirst[ast.FunctionDef | ast.AsyncFunctionDef] = ShallowFirst()
        self._callees: dict[int, set[str]] = {}  # id(function) -> last names of the calls in it
        self._fixture_names: dict[int, str | None] = {}  # id(function) -> its fixture name, if a fixture
        self._marker_adders: set[int] = set()  # id(function) that calls `*.add_marker(...)`
        self._open: dict[int, SignalText] = {}  # module-level statements whose signals are being gathered
        self._flags: list[tuple[str, SignalText]] = []  # in source order: the last of a name wins

    # --- the walk -------------------------------------------------------------------------------

    def enter(self, node: ast.AST, context: Context) -> None:
        ancestors = context.ancestors
        if isinstance(node, ast.stmt):
            self._open_signals(node, ancestors)
        for text in self._open.values():
            text.add(node)
        if isinstance(node, _FUNCTIONS):
            self._function(node, ancestors)
        elif isinstance(node, ast.ClassDef):
            self._class(node, ancestors)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            if node.value is not None and _module_level(ancestors):
                self._module_assignment(node, node.value, ancestors)
        elif isinstance(node, ast.Raise):
            if isinstance(node.exc, ast.Call) and dotted_name(node.exc.func).endswith("SkipTest"):
                self._imperative_skip(node.exc, [*ancestors, node], len(ancestors))
        elif isinstance(node, ast.Call):
            self._call(node, ancestors)

    def leave(self, node: ast.AST, context: Context) -> None:
        self._open.pop(id(node), None)

    def _open_signals(self, node: ast.stmt, ancestors: list[ast.AST]) -> None:
        """A flag's signals are those of its whole top-level statement (`try: import redis;
        HAS_REDIS = True` names redis), or of the module-level function it names."""
        if len(ancestors) == 1 and isinstance(node, _FLAG_STATEMENTS) or (
                isinstance(node, _FUNCTIONS) and _module_level(ancestors) and not self._is_fixture(node)):
            self._open[id(node)] = SignalText(node=node)

    def _call(self, node: ast.Call, ancestors: list[ast.AST]) -> None:
        callee = last_name(node.func)
        functions = [a for a in ancestors if isinstance(a, _FUNCTIONS)]
        for function in functions:
            self._callees[id(function)].add(callee)
            if callee.endswith("add_marker"):
                self._marker_adders.add(id(function))
        func = dotted_name(node.func)
        if func in self.vocabulary.calls:
            self._imperative_skip(node, ancestors, len(ancestors))
        elif func == "pytest.mark.skip" and functions and node not in functions[-1].decorator_list:
            self._skips.add(_MarkerSkip(node, functions[-1]), len(ancestors))
        elif func.endswith("importorskip") and node.args:
            module = _literal(node.args[0])
            signals = SignalText()
            signals.modules.add(module)
            self._skips.add(_Skip(node.lineno, "importorskip", f"import {module}", signals, f"import {module}",
                                  self._scope(ancestors)), len(ancestors))

    # --- definitions ----------------------------------------------------------------------------

    def _is_fixture(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        return self._fixture_name(fn) is not None

    def _fixture_name(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
        key = id(fn)
        if key not in self._fixture_names:
            name = None
            if any(self.vocabulary.is_fixture_decorator(d) for d in fn.decorator_list):
                name = next((str(k.value.value) for d in fn.decorator_list if isinstance(d, ast.Call)
                             for k in d.keywords if k.arg == "name" and isinstance(k.value, ast.Constant)), fn.name)
            self._fixture_names[key] = name
        return self._fixture_names[key]

    def _is_test(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, ancestors: list[ast.AST]) -> bool:
        if not fn.name.startswith("test") or _innermost(ancestors, _FUNCTIONS) is not None:
            return False
        cls = _innermost(ancestors, ast.ClassDef)
        return cls is None or cls.name.lower().startswith("test") or bool(cls.bases)

    def _test_id(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, ancestors: list[ast.AST]) -> str:
        cls = _innermost(ancestors, ast.ClassDef)
        return f"{self.rel}::{cls.name}::{fn.name}" if cls else f"{self.rel}::{fn.name}"

    def _scope(self, ancestors: list[ast.AST]) -> Scope:
        """What a skip at a node with these ancestors silences."""
        outer = next((i for i, node in enumerate(ancestors) if isinstance(node, _FUNCTIONS)), None)
        if outer is None:
            cls = _innermost(ancestors, ast.ClassDef)
            return ClassScope(cls.name) if cls else ModuleScope(self.rel)
        fn, above = ancestors[outer], ancestors[:outer]  # a nested def belongs to its outer function
        fixture = self._fixture_name(fn)
        if fixture is not None:
            return FixtureScope(fixture)
        if self._is_test(fn, above):
            return TestScope(self._test_id(fn, above))
        cls = _innermost(above, ast.ClassDef)
        if cls is not None and fn.name in self.vocabulary.class_setup:
            return ClassScope(cls.name)
        return HelperScope(fn.name)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, ancestors: list[ast.AST]) -> None:
        depth = len(ancestors)
        fixture = self._fixture_name(node)
        if fixture is not None:
            scope: Scope = FixtureScope(fixture)
        elif self._is_test(node, ancestors):
            scope = TestScope(self._test_id(node, ancestors))
        else:
            scope = HelperScope(node.name)
        aliases, usefixtures = self._decorators(node, scope, depth)
        if fixture is None and _module_level(ancestors):
            self._flags.append((node.name, self._open[id(node)]))
        self._functions.add(node, depth)
        self._callees[id(node)] = set()
        args = node.args
        params = tuple(a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs] if a.arg not in ("self", "cls"))
        cls = _innermost(ancestors, ast.ClassDef)
        if fixture is not None:
            autouse = any("autouse=True" in _text(d) for d in node.decorator_list)
            self._fixtures.add(Fixture(fixture, node.lineno, params, autouse, aliases), depth)
        elif isinstance(scope, TestScope):
            class_aliases = tuple(_decorator_name(d) for d in cls.decorator_list) if cls else ()
            self._tests.add(TestCase(scope.name, node.name, node.lineno, cls.name if cls else None,
                                     params + usefixtures, aliases + class_aliases), depth)

    def _class(self, node: ast.ClassDef, ancestors: list[ast.AST]) -> None:
        depth = len(ancestors)
        scope = ClassScope(node.name)
        self._decorators(node, scope, depth)
        for stmt in node.body:
            if isinstance(stmt, ast.Assign) and any(_text(t) == "pytestmark" for t in stmt.targets):
                for mark in _marks(stmt.value):
                    self._marker(mark, scope, depth)

    def _decorators(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, scope: Scope,
                    depth: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Skip markers among the decorators; (the decorators' last names, `usefixtures` arguments)."""
        usefixtures: list[str] = []
        for decorator in node.decorator_list:
            if isinstance(decorator, ast.Call):
                self._marker(decorator, scope, depth)
                if _text(decorator.func).endswith("usefixtures"):
                    usefixtures.extend(_literal(a) for a in decorator.args)
        return tuple(_decorator_name(d) for d in node.decorator_list), tuple(usefixtures)

    def _module_assignment(self, node: ast.Assign | ast.AnnAssign, value: ast.expr, ancestors: list[ast.AST]) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        # module-level markers come first, before any found inside definitions
        if "pytestmark" in names:
            for mark in _marks(value):
                self._marker(mark, ModuleScope(self.rel), 0)
        elif isinstance(value, ast.Call) and _decorator_name(value) in self.vocabulary.markers:
            for name in names:  # requires_redis = pytest.mark.skipif(...)
                self._marker(value, AliasScope(name), 0)
        else:
            statement = ancestors[1] if len(ancestors) > 1 else node
            self._flags.extend((name, self._open[id(statement)]) for name in names)

    # --- skip sites -----------------------------------------------------------------------------

    def _marker(self, call: ast.Call, scope: Scope, depth: int) -> None:
        """`@pytest.mark.skipif(cond, reason=...)`, `@unittest.skipUnless(cond, reason)`."""
        name = _decorator_name(call)
        if name not in self.vocabulary.markers or not call.args:
            return
        condition = call.args[0]
        if isinstance(condition, ast.Constant) and not isinstance(condition.value, str):
            return  # `skipif(True)` skips everywhere, `skipif(False)` nowhere: a decision, not a missing service
        reason = _reason(call)
        text = _literal(condition) if isinstance(condition, ast.Constant) else _text(condition)
        self._skips.add(_Skip(call.lineno, name, reason, signals_of(condition, f"{reason} {text}"), text, scope), depth)

    def _imperative_skip(self, call: ast.Call, ancestors: list[ast.AST], depth: int) -> None:
        """`pytest.skip()` / `self.skipTest()` under an `if` or in an `except`: what made it skip."""
        reason = _reason(call)
        current: ast.AST = call
        for index in range(len(ancestors) - 1, -1, -1):
            if isinstance(current, (*_FUNCTIONS, ast.Module)):
                break
            parent = ancestors[index]
            if isinstance(parent, ast.If) and current is not parent.test:
                self._skips.add(_Skip(call.lineno, _text(call.func), reason, signals_of(parent.test, reason),
                                      _text(parent.test), self._scope(ancestors)), depth)
                return
            if isinstance(parent, ast.ExceptHandler):
                condition = _text(parent.type) if parent.type else ""
                self._skips.add(_Skip(call.lineno, f"{_text(call.func)} in except", reason,
                                      signals_of(ancestors[index - 1], reason), condition, self._scope(ancestors)), depth)
                return
            current = parent
        # an unconditional skip is a decision, not a missing service

    def _collection_skip(self, pending: _MarkerSkip) -> _Skip:
        """`pytest_collection_modifyitems` adding `pytest.mark.skip(reason=...)` to items carrying a
        marker, when an environment variable or a probe says the service is missing."""
        call, hook = pending.call, pending.hook
        keywords = [
            _literal(node.left) for node in ast.walk(hook)
            if isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str)
            and any(isinstance(op, ast.In) for op in node.ops) and "keywords" in _text(node.comparators[0])
        ]
        reason = _reason(call)
        scope = AliasScope(keywords[0]) if keywords else ModuleScope(self.rel)
        return _Skip(call.lineno, "collection skip marker", reason, signals_of(hook, reason), reason, scope)

    # --- the facts ------------------------------------------------------------------------------

    def facts(self, imports: list[Import]) -> TestFileFacts:
        skips = []
        for pending in self._skips:
            if isinstance(pending, _MarkerSkip):
                if id(pending.hook) not in self._marker_adders:
                    continue
                pending = self._collection_skip(pending)
            skips.append(pending.site(imports, self.vocabulary))
        signals: dict[int, Signals] = {}
        flags: dict[str, Signals] = {}
        for name, text in self._flags:
            if id(text) not in signals:
                signals[id(text)] = text.signals(imports)
            flags[name] = signals[id(text)]
        fixtures = {fixture.name: fixture for fixture in self._fixtures}  # the first one's place, the last one's facts
        calls: dict[str, set[str]] = {}
        for function in self._functions:
            calls.setdefault(function.name, set()).update(self._callees[id(function)])
        return TestFileFacts(
            skips=tuple(skips),
            tests=tuple(self._tests),
            fixtures=tuple(fixtures.values()),
            flags=tuple(Flag(name, value) for name, value in flags.items()),
            imports=tuple(imp for imp in imports if imp.is_module_level and imp.name is not None and imp.module),
            calls=tuple(FunctionCalls(name, tuple(sorted(callees - {""}))) for name, callees in calls.items()),
            modules=tuple(sorted({imp.module for imp in imports if imp.level == 0 and imp.module})),
        )


def _module_level(ancestors: list[ast.AST]) -> bool:
    """Runs at import time: in the module's body, or under its if/try/with (not in a def or class)."""
    return all(isinstance(node, _MODULE_BLOCKS) for node in ancestors[1:])


def _decorator_name(decorator: ast.expr) -> str:
    """`skipif` for `@pytest.mark.skipif(...)`."""
    return _text(decorator.func if isinstance(decorator, ast.Call) else decorator).rsplit(".", 1)[-1]
