"""Per-file facts of a pytest/unittest file: tests, fixtures, skip sites, flags, mocks, clients.

Pure functions of one file, JSON-friendly; linking across files happens in the analyzers.
"""

from __future__ import annotations

import ast
from typing import Any

from ...python.astutil import all_nodes, dotted_name, last_name, module_statements
from .catalog import signals_of

_SKIP_CALLS = frozenset({"pytest.skip", "skip", "self.skipTest", "cls.skipTest", "unittest.SkipTest", "SkipTest",
                         "pytest.skip.Exception"})
_SKIP_DECORATORS = frozenset({"skipif", "skipIf", "skipUnless", "xfail"})
_NOT_INFRA_CONDITIONS = ("sys.platform", "platform.", "sys.version_info", "os.name", "sys.implementation",
                         "PYPY", "IS_WINDOWS", "IS_MAC")
_CLASS_SETUP = frozenset({"setUp", "setUpClass", "asyncSetUp", "setup_method", "setup_class", "setup"})
_FIXTURE_PREFIXES = ("pytest.fixture", "fixture", "pytest_asyncio.fixture")


def _dotted(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # noqa: BLE001 - unparse of odd nodes
        return ""


def _reason(call: ast.Call) -> str:
    for keyword in call.keywords:
        if keyword.arg in ("reason", "msg"):
            return _literal(keyword.value)
    strings = [_literal(a) for a in call.args if isinstance(a, (ast.Constant, ast.JoinedStr))]
    return strings[-1] if strings else ""


def _literal(node: ast.AST) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return _dotted(node)


class TestFileFacts:
    def __init__(self, rel: str, tree: ast.Module) -> None:
        self.rel = rel
        self.tree = tree
        self.parents: dict[int, ast.AST] = {}
        for node in all_nodes(tree):
            for child in ast.iter_child_nodes(node):
                self.parents[id(child)] = node
        self.skips: list[dict[str, Any]] = []

    # --- structure --------------------------------------------------------------------------

    def _enclosing_function(self, node: ast.AST) -> ast.AST | None:
        current = self.parents.get(id(node))
        while current is not None and not isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef)):
            current = self.parents.get(id(current))
        return current

    def _enclosing_class(self, node: ast.AST) -> ast.ClassDef | None:
        current = self.parents.get(id(node))
        while current is not None and not isinstance(current, ast.ClassDef):
            current = self.parents.get(id(current))
        return current

    @staticmethod
    def _is_fixture(fn: ast.AST) -> bool:
        return any(_dotted(d).startswith(_FIXTURE_PREFIXES) or _dotted(d).split("(")[0].endswith(".fixture")
                   for d in getattr(fn, "decorator_list", []))

    def _fixture_name(self, fn: ast.AST) -> str:
        for decorator in fn.decorator_list:
            if isinstance(decorator, ast.Call):
                for keyword in decorator.keywords:
                    if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                        return str(keyword.value.value)
        return fn.name

    def _is_test(self, fn: ast.AST) -> bool:
        if not fn.name.startswith("test"):
            return False
        cls = self._enclosing_class(fn)
        return self._enclosing_function(fn) is None and (cls is None or cls.name.lower().startswith("test") or bool(cls.bases))

    def _scope(self, node: ast.AST) -> dict[str, str]:
        fn = self._enclosing_function(node)
        if fn is None:
            cls = self._enclosing_class(node)
            return {"class": cls.name} if cls else {"module": self.rel}
        while self._enclosing_function(fn) is not None:  # a nested def belongs to its outer function
            fn = self._enclosing_function(fn)
        if self._is_fixture(fn):
            return {"fixture": self._fixture_name(fn)}
        if self._is_test(fn):
            return {"test": self._test_id(fn)}
        cls = self._enclosing_class(fn)
        if cls is not None and fn.name in _CLASS_SETUP:
            return {"class": cls.name}
        return {"helper": fn.name}

    def _test_id(self, fn: ast.AST) -> str:
        cls = self._enclosing_class(fn)
        return f"{self.rel}::{cls.name}::{fn.name}" if cls else f"{self.rel}::{fn.name}"

    # --- skip sites -------------------------------------------------------------------------

    def _add_skip(self, node: ast.AST, form: str, reason: str, signals: dict[str, list], condition: str,
                  scope: dict[str, str]) -> None:
        self.skips.append({"line": node.lineno, "form": form, "reason": reason[:200], "signals": signals,
                           "condition": condition[:200], "scope": scope,
                           "platform": any(marker in condition for marker in _NOT_INFRA_CONDITIONS)})

    def _imperative_skip(self, call: ast.Call) -> None:
        """`pytest.skip()` / `self.skipTest()` under an `if` or in an `except`: what made it skip."""
        reason = _reason(call)
        current: ast.AST | None = call
        while current is not None and not isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Module)):
            parent = self.parents.get(id(current))
            if isinstance(parent, ast.If) and current is not parent.test:
                self._add_skip(call, _dotted(call.func), reason, signals_of(parent.test, reason), _dotted(parent.test),
                               self._scope(call))
                return
            if isinstance(parent, ast.ExceptHandler):
                try_node = self.parents.get(id(parent))
                signals = signals_of(try_node, reason)
                self._add_skip(call, f"{_dotted(call.func)} in except", reason, signals, _dotted(parent.type) if parent.type else "",
                               self._scope(call))
                return
            current = parent
        # an unconditional skip is a decision, not a missing service

    @staticmethod
    def _adds_markers(fn: ast.AST | None, call: ast.Call) -> bool:
        """Inside a hook body that calls `item.add_marker(...)`, not a `@pytest.mark.skip` decorator."""
        if fn is None or call in fn.decorator_list:
            return False
        return any(isinstance(n, ast.Call) and _dotted(n.func).endswith("add_marker") for n in ast.walk(fn))

    def _collection_skip(self, call: ast.Call) -> None:
        """`pytest_collection_modifyitems` adding `pytest.mark.skip(reason=...)` to items carrying a
        marker, when an environment variable or a probe says the service is missing."""
        fn = self._enclosing_function(call)
        keywords = [
            _literal(node.left) for node in ast.walk(fn)
            if isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str)
            and any(isinstance(op, ast.In) for op in node.ops) and "keywords" in _dotted(node.comparators[0])
        ]
        reason = _reason(call)
        scope = {"alias": keywords[0]} if keywords else {"module": self.rel}
        self._add_skip(call, "collection skip marker", reason, signals_of(fn, reason), reason, scope)

    def _marker(self, call: ast.Call, scope: dict[str, str]) -> None:
        """`@pytest.mark.skipif(cond, reason=...)`, `@unittest.skipUnless(cond, reason)`."""
        name = _dotted(call.func).rsplit(".", 1)[-1]
        if name not in _SKIP_DECORATORS or not call.args:
            return
        condition = call.args[0]
        reason = _reason(call)
        text = _literal(condition) if isinstance(condition, ast.Constant) else _dotted(condition)
        self._add_skip(call, name, reason, signals_of(condition, f"{reason} {text}"), text, scope)

    def collect(self) -> dict[str, Any]:
        imports: dict[str, str] = {}
        flags: dict[str, dict[str, list]] = {}
        tests: list[dict[str, Any]] = []
        fixtures: dict[str, dict[str, Any]] = {}
        calls_by_function: dict[str, list[str]] = {}
        modules: set[str] = set()

        for node in self.tree.body:
            self._module_statement(node, imports, flags)
        for node in all_nodes(self.tree):
            if isinstance(node, ast.Import):
                modules.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules.add(node.module)
            if isinstance(node, ast.Call):
                func = dotted_name(node.func)
                if func in _SKIP_CALLS:
                    self._imperative_skip(node)
                elif func == "pytest.mark.skip" and self._adds_markers(self._enclosing_function(node), node):
                    self._collection_skip(node)
                elif func.endswith("importorskip") and node.args:
                    module = _literal(node.args[0])
                    self._add_skip(node, "importorskip", f"import {module}",
                                   {"modules": [module], "words": []}, f"import {module}", self._scope(node))
            elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and dotted_name(node.exc.func).endswith("SkipTest"):
                self._imperative_skip(node.exc)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                scope = self._definition_scope(node)
                used_aliases: list[str] = []
                usefixtures: list[str] = []
                for decorator in node.decorator_list:
                    if isinstance(decorator, ast.Call):
                        self._marker(decorator, scope)
                        if _dotted(decorator.func).endswith("usefixtures"):
                            usefixtures.extend(_literal(a) for a in decorator.args)
                    used_aliases.append(_dotted(decorator.func if isinstance(decorator, ast.Call) else decorator).rsplit(".", 1)[-1])
                if isinstance(node, ast.ClassDef):
                    for stmt in node.body:
                        if isinstance(stmt, ast.Assign) and any(_dotted(t) == "pytestmark" for t in stmt.targets):
                            for mark in (stmt.value.elts if isinstance(stmt.value, (ast.List, ast.Tuple)) else [stmt.value]):
                                if isinstance(mark, ast.Call):
                                    self._marker(mark, {"class": node.name})
                    continue
                args = node.args
                params = [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs] if a.arg not in ("self", "cls")]
                calls_by_function.setdefault(node.name, []).extend(
                    last_name(c.func) for c in ast.walk(node) if isinstance(c, ast.Call))
                cls = self._enclosing_class(node)
                if self._is_fixture(node):
                    autouse = any("autouse=True" in _dotted(d) for d in node.decorator_list)
                    fixtures[self._fixture_name(node)] = {"line": node.lineno, "params": params, "autouse": autouse,
                                                          "aliases": used_aliases}
                elif self._is_test(node):
                    tests.append({"id": self._test_id(node), "name": node.name, "line": node.lineno,
                                  "cls": cls.name if cls else None, "params": params + usefixtures,
                                  "aliases": used_aliases + self._class_aliases(cls)})
        return {
            "imports": imports, "flags": flags, "skips": self.skips, "tests": tests,
            "fixtures": fixtures, "calls": calls_by_function, "modules": sorted(modules),
        }

    def _class_aliases(self, cls: ast.ClassDef | None) -> list[str]:
        if cls is None:
            return []
        return [_dotted(d.func if isinstance(d, ast.Call) else d).rsplit(".", 1)[-1] for d in cls.decorator_list]

    def _definition_scope(self, node: ast.AST) -> dict[str, str]:
        if isinstance(node, ast.ClassDef):
            return {"class": node.name}
        if self._is_fixture(node):
            return {"fixture": self._fixture_name(node)}
        if self._is_test(node):
            return {"test": self._test_id(node)}
        return {"helper": node.name}

    def _module_statement(self, node: ast.stmt, imports: dict[str, str], flags: dict[str, dict[str, list]]) -> None:
        for stmt in module_statements(node):
            if isinstance(stmt, ast.ImportFrom) and stmt.module:
                for alias in stmt.names:
                    imports[alias.asname or alias.name] = f"{'.' * stmt.level}{stmt.module}.{alias.name}"
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and not self._is_fixture(stmt):
                flags[stmt.name] = signals_of(stmt)
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                names = [t.id for t in targets if isinstance(t, ast.Name)]
                if "pytestmark" in names:
                    for mark in (stmt.value.elts if isinstance(stmt.value, (ast.List, ast.Tuple)) else [stmt.value]):
                        if isinstance(mark, ast.Call):
                            self._marker(mark, {"module": self.rel})
                    continue
                value = stmt.value
                if isinstance(value, ast.Call) and _dotted(value.func).rsplit(".", 1)[-1] in _SKIP_DECORATORS:
                    for name in names:  # requires_redis = pytest.mark.skipif(...)
                        self._marker(value, {"alias": name})
                    continue
                # the whole enclosing statement: `try: import redis; HAS_REDIS = True` names redis
                for name in names:
                    flags[name] = signals_of(node)

