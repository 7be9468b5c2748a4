"""Per-file Python facts for call-graph analyses: scopes, imports, instance types and calls.

Everything here is a pure function of one file, serialised as JSON-friendly dicts so it can be
cached and computed in worker processes. Names are resolved through the file's own scopes and
imports; resolution across files happens in `resolve.py` at link time.

Reference forms (what a name or call target means):
  {"imp": binding, "rest": [...]}   through an import: binding {"abs": "a.b"} or {"rel": dir, "name": "a.b"}
  {"mod": ["name", ...]}             a module-level def, class or variable of this file
  {"ext": "builtins.open"}           a builtin
  {"fn": "outer.inner"}              a function nested in this file
  {"self": "m"} / {"super": "m"}     a method of the enclosing class
  {"inst": T, "m": "name"}           method `name` of an instance of type T
  {"any": "name"}                    method `name` of a receiver of unknown type
Type forms (T): {"new": ref} an instance made by calling ref, {"val": ref} the value of a
module-level name, {"attr": "x"} the type of `self.x`, {"of": T, "field": f} attribute f of a T,
{"of": T, "via": m} what method m of a T returns.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass, field
from typing import Any, Iterator

from .astutil import module_statements

_BUILTINS = frozenset(dir(builtins))
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_OPTIONAL = frozenset({"Optional", "Union", "Annotated", "Final", "ClassVar"})
_MEMOIZERS = frozenset({"cache", "lru_cache", "cached_property", "cached", "memoize", "alru_cache"})


def _dotted(node: ast.AST) -> list[str] | None:
    """`a.b.c` as ['a', 'b', 'c']; None for anything that is not a plain dotted name."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return parts[::-1]
    return None


def _package_dir(rel: str) -> str:
    return rel.rsplit("/", 1)[0] if "/" in rel else ""


def _binding_for_from(rel: str, module: str | None, level: int, name: str) -> dict[str, str]:
    target = f"{module}.{name}" if module else name
    if level == 0:
        return {"abs": target}
    base = _package_dir(rel)
    for _ in range(level - 1):
        base = _package_dir(base) if base else ""
    return {"rel": base, "name": target}


@dataclass
class _Scope:
    kind: str  # module | function | class
    imports: dict[str, dict[str, str]] = field(default_factory=dict)
    types: dict[str, dict[str, Any]] = field(default_factory=dict)
    defs: dict[str, str] = field(default_factory=dict)  # nested function name -> qualname
    locals: set[str] = field(default_factory=set)


class _Facts:
    """Builds one file's facts; see the module docstring for the shapes."""

    def __init__(self, rel: str, offload_functions: frozenset[str], offload_methods: frozenset[str],
                 builtins_kept: frozenset[str] = frozenset(), methods_kept: frozenset[str] | None = None) -> None:
        self.rel = rel
        self.offload_functions = offload_functions
        self.offload_methods = offload_methods
        # calls no link step can use are not recorded: `len(x)`, `items.append(y)` on untyped receivers
        self.builtins_kept = builtins_kept
        self.methods_kept = methods_kept
        self.module = _Scope("module")
        self.module_names: set[str] = set()
        self.module_defs: dict[str, str] = {}  # name -> "function" | "class"
        self.star_imports: list[dict[str, str]] = []
        self.classes: dict[str, dict[str, Any]] = {}
        self.functions: list[dict[str, Any]] = []

    # --- scopes --------------------------------------------------------------------------

    def _bind_import(self, scope: _Scope, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    scope.imports[alias.asname] = {"abs": alias.name}
                else:
                    head = alias.name.split(".")[0]
                    scope.imports[head] = {"abs": head}
        else:
            for alias in node.names:
                if alias.name != "*":
                    binding = _binding_for_from(self.rel, node.module, node.level, alias.name)
                    scope.imports[alias.asname or alias.name] = binding
                elif scope is self.module and node.module:
                    # `from .base import *`: names are looked up there at link time
                    module, _, name = node.module.rpartition(".")
                    self.star_imports.append(_binding_for_from(self.rel, module or None, node.level, name))

    def lookup(self, name: str, scopes: list[_Scope]) -> dict[str, Any] | None:
        """What a bare name refers to, innermost scope first (class bodies do not enclose methods)."""
        for scope in reversed(scopes):
            if scope.kind == "class":
                continue
            if name in scope.defs:
                return {"fn": scope.defs[name]}
            if name in scope.types:
                return {"type": scope.types[name]}
            if name in scope.imports:
                return {"imp": scope.imports[name], "rest": []}
            if name in scope.locals:
                return None
        if name in self.module_names:
            return {"mod": [name]}
        if name in _BUILTINS:
            return {"ext": f"builtins.{name}"}
        return None

    def ref(self, parts: list[str], scopes: list[_Scope]) -> dict[str, Any] | None:
        """A dotted name as a reference, or None when its head is an untyped local."""
        found = self.lookup(parts[0], scopes)
        if found is None:
            return None
        rest = parts[1:]
        if "imp" in found:
            return {"imp": found["imp"], "rest": rest}
        if "mod" in found:
            return {"mod": parts}
        if "ext" in found:
            return {"ext": ".".join([found["ext"], *rest])}
        if "fn" in found:
            return found if not rest else None
        return {"of_type": found["type"], "rest": rest}

    def qualified(self, ref: dict[str, Any] | None) -> str | None:
        """The absolute dotted name of an import-based reference (for catalog matching)."""
        if ref and "imp" in ref and "abs" in ref["imp"]:
            return ".".join([ref["imp"]["abs"], *ref["rest"]])
        if ref and "ext" in ref:
            return ref["ext"]
        return None

    # --- types ---------------------------------------------------------------------------

    def type_of(self, node: ast.AST, scopes: list[_Scope], self_name: str | None) -> dict[str, Any] | None:
        if isinstance(node, ast.Name):
            found = self.lookup(node.id, scopes)
            if not found:
                return None
            if "type" in found:
                return found["type"]
            if "mod" in found or "imp" in found:
                return {"val": self.ref([node.id], scopes)}
            return None
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id == self_name:
                return {"attr": node.attr}
            base = self.type_of(node.value, scopes, self_name)
            if base is not None and "val" not in base:
                return {"of": base, "field": node.attr}
            parts = _dotted(node)
            ref = self.ref(parts, scopes) if parts else None
            return {"val": ref} if ref and ("imp" in ref or "mod" in ref) else None
        if isinstance(node, ast.Call):
            func = node.func.value if isinstance(node.func, ast.Subscript) else node.func  # Repo[T](...)
            if isinstance(func, ast.Attribute):
                base = self.type_of(func.value, scopes, self_name)
                if base is not None and "val" not in base:
                    return {"of": base, "via": func.attr}
            parts = _dotted(func)
            if parts:
                if parts[0] == self_name:
                    return None
                ref = self.ref(parts, scopes)
                if ref is None:
                    return None
                if "of_type" in ref:
                    return {"of": ref["of_type"], "via": "__call__"}
                if "fn" not in ref:
                    return {"new": ref}
            return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            return self.type_of(node.left, scopes, self_name)
        if isinstance(node, ast.Await):
            return None
        return None

    def annotation_type(self, node: ast.AST | None, scopes: list[_Scope]) -> dict[str, Any] | None:
        """`x: Client`, `Optional[Client]`, `Client | None` -> an instance of Client."""
        if node is None:
            return None
        if isinstance(node, ast.Subscript):
            head = _dotted(node.value)
            if head and head[-1] in _OPTIONAL:
                inner = node.slice.elts[0] if isinstance(node.slice, ast.Tuple) else node.slice
                return self.annotation_type(inner, scopes)
            return self.annotation_type(node.value, scopes)  # a generic class: HttpRepo[Create, Read]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return self.annotation_type(node.left, scopes) or self.annotation_type(node.right, scopes)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                return self.annotation_type(ast.parse(node.value, mode="eval").body, scopes)
            except SyntaxError:
                return None
        parts = _dotted(node)
        if parts:
            ref = self.ref(parts, scopes)
            if ref and ("imp" in ref or "mod" in ref):
                return {"new": ref}
        return None

    # --- walking -------------------------------------------------------------------------

    def collect(self, tree: ast.Module) -> dict[str, Any]:
        statements = [stmt for node in tree.body for stmt in module_statements(node)]
        for node in statements:
            self._declare_module_level(node)
        scopes = [self.module]
        for node in statements:
            self._module_statement(node, scopes)
        return {
            "imports": self.module.imports,
            "star_imports": self.star_imports,
            "names": sorted(self.module_names),
            "defs": self.module_defs,
            "vars": {name: t for name, t in self.module.types.items()},
            "classes": self.classes,
            "functions": self.functions,
        }

    def _declare_module_level(self, node: ast.stmt) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            self._bind_import(self.module, node)
        elif isinstance(node, _FUNCTIONS):
            self.module_defs[node.name] = "function"
            self.module_names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            self.module_defs[node.name] = "class"
            self.module_names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    self.module_names.add(target.id)

    def _module_statement(self, node: ast.stmt, scopes: list[_Scope]) -> None:
        if isinstance(node, _FUNCTIONS):
            self._function(node, scopes, cls=None, prefix="")
        elif isinstance(node, ast.ClassDef):
            self._class(node, scopes)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            value_type = self.type_of(node.value, scopes, None)
            if value_type is None and isinstance(node, ast.AnnAssign):
                value_type = self.annotation_type(node.annotation, scopes)
            for target in targets:
                if isinstance(target, ast.Name) and value_type is not None and "val" not in value_type:
                    self.module.types[target.id] = value_type

    def _class(self, node: ast.ClassDef, scopes: list[_Scope]) -> None:
        bases = []
        for base in node.bases:
            if isinstance(base, ast.Subscript):  # class Repo(RepositoryGeneric[User, Model])
                base = base.value
            parts = _dotted(base)
            ref = self.ref(parts, scopes) if parts else None
            if ref and ("imp" in ref or "mod" in ref):
                bases.append(ref)
        info: dict[str, Any] = {"bases": bases, "attrs": {}, "methods": [], "line": node.lineno}
        self.classes[node.name] = info
        class_scope = _Scope("class")
        for stmt in node.body:
            if isinstance(stmt, _FUNCTIONS):
                info["methods"].append(stmt.name)
                self._function(stmt, [*scopes, class_scope], cls=node.name, prefix=f"{node.name}.")
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                t = (self.type_of(stmt.value, scopes, None) if stmt.value else None) or self.annotation_type(stmt.annotation, scopes)
                if t is not None:
                    info["attrs"].setdefault(stmt.target.id, []).append(t)
            elif isinstance(stmt, ast.Assign) and stmt.value is not None:
                t = self.type_of(stmt.value, scopes, None)
                for target in stmt.targets:
                    if isinstance(target, ast.Name) and t is not None:
                        info["attrs"].setdefault(target.id, []).append(t)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scopes: list[_Scope], cls: str | None, prefix: str) -> None:
        qualname = prefix + node.name
        scope = _Scope("function")
        args = node.args
        params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        decorators = {(_dotted(d) or [""])[-1] for d in node.decorator_list}
        self_name = params[0].arg if cls and params and "staticmethod" not in decorators else None
        for param in [*params, args.vararg, args.kwarg]:
            if param is None:
                continue
            scope.locals.add(param.arg)
            if param.arg != self_name:
                t = self.annotation_type(param.annotation, scopes)
                if t is not None:
                    scope.types[param.arg] = t
        inner = [*scopes, scope]
        # source order, so `a = Path(x)` is typed before `b = (a / "y").resolve()` reads it
        body_nodes = sorted(self._own_nodes(node), key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0)))
        # Pass 1: what names mean in this function (flow-insensitive, like a reader would).
        for child in body_nodes:
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                self._bind_import(scope, child)
            elif isinstance(child, _FUNCTIONS) and child is not node:
                scope.defs[child.name] = f"{qualname}.{child.name}"
            elif isinstance(child, ast.ClassDef):
                scope.locals.add(child.name)
        for child in body_nodes:
            if isinstance(child, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = child.targets if isinstance(child, ast.Assign) else [child.target]
                value = child.value
                t = self.type_of(value, inner, self_name) if value is not None else None
                if t is None and isinstance(child, ast.AnnAssign):
                    t = self.annotation_type(child.annotation, inner)
                for target in targets:
                    self._assign(target, t, scope, cls, self_name)
            elif isinstance(child, (ast.For, ast.AsyncFor, ast.comprehension)):
                for name in ast.walk(child.target):
                    if isinstance(name, ast.Name):
                        scope.locals.add(name.id)
            elif isinstance(child, (ast.With, ast.AsyncWith)):
                for item in child.items:
                    if item.optional_vars is not None:
                        t = self.type_of(item.context_expr, inner, self_name) if isinstance(child, ast.With) else None
                        self._assign(item.optional_vars, t, scope, cls, self_name)
            elif isinstance(child, ast.NamedExpr):
                self._assign(child.target, self.type_of(child.value, inner, self_name), scope, cls, self_name)
            elif isinstance(child, ast.ExceptHandler) and child.name:
                scope.locals.add(child.name)
        # Pass 2: the calls this function makes itself.
        skip: set[int] = set()
        for child in body_nodes:
            if isinstance(child, ast.Await):
                skip.add(id(child.value))
            elif isinstance(child, ast.AsyncWith):
                skip.update(id(item.context_expr) for item in child.items)
            elif isinstance(child, ast.AsyncFor):
                skip.add(id(child.iter))
        once = self._run_once(body_nodes, self_name, memoized=bool(decorators & _MEMOIZERS))
        calls = []
        offloaded: set[int] = set()
        for child in body_nodes:
            if not isinstance(child, ast.Call) or id(child) in offloaded:
                continue
            target = self._call_target(child, inner, self_name)
            if self._is_offload(child, target):
                offloaded.update(id(n) for arg in [*child.args, *child.keywords] for n in ast.walk(arg))
                continue
            if id(child) in skip or target is None or not self._relevant(target):
                continue
            calls.append({
                "t": target,
                "line": child.lineno,
                "col": child.col_offset,
                "args": bool(child.args or child.keywords),
                "text": _short(ast.unparse(child.func)),
                "once": id(child) in once,
            })
        calls.sort(key=lambda c: (c["line"], c["col"]))
        self.functions.append({
            "polled": sorted(_polled_receivers(body_nodes)),
            "qualname": qualname,
            "name": node.name,
            "cls": cls,
            "async": isinstance(node, ast.AsyncFunctionDef),
            "line": node.lineno,
            "calls": calls,
            "returns": self._return_type(node, body_nodes, inner, self_name),
            "property": bool(decorators & {"property", "cached_property"}),
        })
        for child in body_nodes:
            if isinstance(child, _FUNCTIONS) and child is not node:
                self._function(child, inner, cls=None, prefix=f"{qualname}.")

    def _return_type(self, node: ast.AST, body_nodes: list[ast.AST], scopes: list[_Scope], self_name: str | None) -> dict[str, Any] | None:
        """`-> Client` or the first `return Client(...)`: what callers get (for repository patterns)."""
        declared = self.annotation_type(node.returns, scopes)
        if declared is not None:
            return declared
        for child in sorted((n for n in body_nodes if isinstance(n, ast.Return) and n.value is not None),
                            key=lambda n: n.lineno):
            found = self.type_of(child.value, scopes, self_name)
            if found is not None:
                return found
        return None

    @staticmethod
    def _run_once(body_nodes: list[ast.AST], self_name: str | None, memoized: bool) -> set[int]:
        """Calls that run once per process: in a memoized function (`@lru_cache`, ...) or under a
        lazy-initialisation guard (`if _conf is None: _conf = load()`)."""
        if memoized:
            return {id(n) for n in body_nodes if isinstance(n, ast.Call)}
        once: set[int] = set()
        for node in body_nodes:
            if not isinstance(node, ast.If):
                continue
            test = node.test
            if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
                guarded = test.operand
            elif (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Is)
                  and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None):
                guarded = test.left
            else:
                continue
            key = _guard_key(guarded, self_name)
            if key is None:
                continue
            assigned = {
                _guard_key(target, self_name)
                for stmt in node.body for sub in ast.walk(stmt) if isinstance(sub, (ast.Assign, ast.AnnAssign))
                for target in (sub.targets if isinstance(sub, ast.Assign) else [sub.target])
            }
            if key in assigned:
                once.update(id(sub) for stmt in node.body for sub in ast.walk(stmt) if isinstance(sub, ast.Call))
        return once

    def _assign(self, target: ast.AST, t: dict[str, Any] | None, scope: _Scope, cls: str | None, self_name: str | None) -> None:
        if isinstance(target, ast.Name):
            if t is not None:
                scope.types.setdefault(target.id, t)
            else:
                scope.locals.add(target.id)
        elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == self_name:
            if t is not None and cls is not None and cls in self.classes:
                # every candidate: `self.client = client or boto3.client(...)` branches differ
                candidates = self.classes[cls]["attrs"].setdefault(target.attr, [])
                if t not in candidates:
                    candidates.append(t)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._assign(element, None, scope, cls, self_name)
        elif isinstance(target, ast.Starred):
            self._assign(target.value, None, scope, cls, self_name)

    def _own_nodes(self, func: ast.AST) -> Iterator[ast.AST]:
        """Nodes of a function body, not descending into nested functions or classes (lambdas: yes)."""
        stack = list(ast.iter_child_nodes(func))
        stack = [n for n in stack if n not in getattr(func, "decorator_list", [])]
        while stack:
            node = stack.pop()
            yield node
            if isinstance(node, (*_FUNCTIONS, ast.ClassDef)):
                continue
            stack.extend(ast.iter_child_nodes(node))

    def _call_target(self, call: ast.Call, scopes: list[_Scope], self_name: str | None) -> dict[str, Any] | None:
        func = call.func.value if isinstance(call.func, ast.Subscript) else call.func  # Repo[T](...)
        if isinstance(func, ast.Name):
            found = self.ref([func.id], scopes)
            if found is None or "of_type" in found:
                return None
            return found
        if not isinstance(func, ast.Attribute):
            return None
        method = func.attr
        receiver = func.value
        if isinstance(receiver, ast.Name) and receiver.id == self_name:
            return {"self": method}
        if (isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Name)
                and receiver.func.id == "super"):
            return {"super": method}
        receiver_type = self.type_of(receiver, scopes, self_name)
        if receiver_type is not None and "val" not in receiver_type:
            return {"inst": receiver_type, "m": method}
        parts = _dotted(func)
        if parts and parts[0] != self_name:
            ref = self.ref(parts, scopes)
            if ref is not None and "of_type" not in ref:
                return ref
            if ref is not None:
                return {"inst": ref["of_type"] if not ref["rest"][:-1] else {"of": ref["of_type"]}, "m": method}
        return {"any": method}

    def _relevant(self, target: dict[str, Any]) -> bool:
        if "ext" in target:
            return target["ext"] in self.builtins_kept
        if "any" in target and self.methods_kept is not None:
            return target["any"] in self.methods_kept
        return True

    def _is_offload(self, call: ast.Call, target: dict[str, Any] | None) -> bool:
        """`asyncio.to_thread(...)`, `loop.run_in_executor(...)`: what they receive runs off the loop."""
        if target is None:
            return False
        name = self.qualified(target)
        return (name is not None and name in self.offload_functions) or _method_name(target) in self.offload_methods


def _method_name(target: dict[str, Any]) -> str | None:
    """The attribute a call ends with (`submit` in `pool.submit(...)`), if it is a method-style call."""
    if "any" in target:
        return target["any"]
    if "inst" in target:
        return target["m"]
    if "imp" in target and target["rest"]:
        return target["rest"][-1]
    if "mod" in target and len(target["mod"]) > 1:
        return target["mod"][-1]
    return None


def _polled_receivers(body_nodes: list[ast.AST]) -> set[str]:
    """Objects used the non-blocking way in this function: `sock.setblocking(False)`, passed to
    an awaited readiness wait (`await wait_readable(sock)`, `await loop.sock_recv(sock, n)`), or
    called in a `try` that handles BlockingIOError."""
    polled: set[str] = set()
    for node in body_nodes:
        if isinstance(node, ast.Try) and any(
            handler.type is not None and "BlockingIOError" in ast.unparse(handler.type) for handler in node.handlers
        ):
            polled.update(
                ast.unparse(call.func.value) for stmt in node.body for call in ast.walk(stmt)
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
            )
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("setblocking", "settimeout") and node.args
                and isinstance(node.args[0], ast.Constant) and node.args[0].value in (False, 0)):
            polled.add(ast.unparse(node.func.value))
        elif isinstance(node, ast.Await) and isinstance(node.value, ast.Call):
            polled.update(ast.unparse(arg) for arg in node.value.args)
    return polled


def _guard_key(node: ast.AST, self_name: str | None) -> str | None:
    """`_conf` or `self._client`: the names a lazy-initialisation guard tests and assigns."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == self_name:
        return f"self.{node.attr}"
    return None


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def python_facts(tree: ast.Module, rel: str, offload_functions: frozenset[str], offload_methods: frozenset[str],
                 builtins_kept: frozenset[str] = frozenset(), methods_kept: frozenset[str] | None = None) -> dict[str, Any]:
    return _Facts(rel, offload_functions, offload_methods, builtins_kept, methods_kept).collect(tree)
