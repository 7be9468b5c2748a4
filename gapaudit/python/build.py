"""Builds a module's `Module` (model.py) during the one walk of its tree (walk.py).

The builder reads a module the way a reviewer would, flow-insensitively inside a function:

* First, the module-level statements (also those under `if`/`try`/`with`) declare the module's
  names — imports, functions, classes, assigned variables — so a function may use what is
  defined below it.
* Module-level assignments and classes are typed in source order, as the walk reaches them.
* A function is read once the walk has left it, in two passes over its own nodes (not those of
  nested functions or classes; lambdas included; decorators excluded), sorted by position:
  first what names mean (imports, nested defs, assignments, `with ... as`, loop targets, ...),
  then the calls. Its nested functions are read right after it, with its names in scope.

The walk collects each function's nodes of interest as it leaves them; sorting them by
(line, column, reverse postorder) gives the order of a position sort over a depth-first
listing of the function: a call comes before the calls inside its callee expression.
"""

from __future__ import annotations

import ast
import builtins
from typing import Any, Callable, Iterable

from .astutil import module_statements
from .imports import ImportCollector
from .model import (
    SCHEMA,
    AnyMethod,
    Assignment,
    Binding,
    BuiltinRef,
    Call,
    Class,
    ClassDefinition,
    FieldOf,
    Function,
    FunctionDefinition,
    Imported,
    ImportRef,
    LocalFunctionRef,
    MethodOf,
    Module,
    ModuleRef,
    NewOf,
    PathOf,
    Ref,
    ReturnOf,
    SelfAttr,
    SelfMethod,
    SuperMethod,
    Target,
    TypeExpr,
    ValueOf,
)
from .walk import Context, walk

#: the key under which analyzers share the builder of a file (`ParsedFile.collector`)
COLLECTOR_KEY = "python-model"

_BUILTINS = frozenset(dir(builtins))
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_OPTIONAL = frozenset({"Optional", "Union", "Annotated", "Final", "ClassVar"})
_MEMOIZERS = frozenset({"cache", "lru_cache", "cached_property", "cached", "memoize", "alru_cache"})
_PROPERTIES = frozenset({"property", "cached_property"})
_NON_BLOCKING = ("setblocking", "settimeout")


def _dotted(node: ast.AST) -> tuple[str, ...] | None:
    """`a.b.c` as ('a', 'b', 'c'); None for anything that is not a plain dotted name."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return tuple(reversed(parts))
    return None


def _source(node: ast.expr) -> str:
    """The expression as `ast.unparse` writes it; dotted names without unparsing."""
    parts = _dotted(node)
    return ".".join(parts) if parts is not None else ast.unparse(node)


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _imported(module: str | None, level: int, name: str) -> Imported:
    """What `from <level dots><module> import name` binds."""
    return Imported(f"{module}.{name}" if module else name, level)


def _guard_key(node: ast.AST, self_name: str | None) -> str | None:
    """`_conf` or `self._client`: the names a lazy-initialisation guard tests and assigns."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == self_name:
        return f"self.{node.attr}"
    return None


def _guarded(test: ast.expr) -> ast.expr | None:
    """What `if not x:` or `if x is None:` tests."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return test.operand
    if (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Is)
            and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None):
        return test.left
    return None


def _mentions(node: ast.expr, name: str) -> bool:
    """Does the expression's source text contain `name` (`except (BlockingIOError, OSError)`)?"""
    if isinstance(node, ast.Name):
        return name in node.id
    if isinstance(node, ast.Tuple):
        return any(_mentions(element, name) for element in node.elts)
    return name in ast.unparse(node)


def _names_in(target: ast.expr) -> Iterable[str]:
    """Every name in an assignment target (`for k, (a, b) in ...`)."""
    if isinstance(target, ast.Name):
        return (target.id,)
    return [node.id for node in ast.walk(target) if isinstance(node, ast.Name)]


def _child_on_path(ancestors: list[ast.AST], depth: int, node: ast.AST) -> ast.AST:
    """The child of `ancestors[depth]` on the way down to `node`."""
    return ancestors[depth + 1] if len(ancestors) > depth + 1 else node


# --- names and types -----------------------------------------------------------------------


class _Scope:
    """What names mean in one function, or at module level, while the builder reads it."""

    __slots__ = ("imports", "types", "defs", "locals")

    def __init__(self) -> None:
        self.imports: dict[str, Imported] = {}
        self.types: dict[str, TypeExpr] = {}
        self.defs: dict[str, str] = {}  # nested function name -> qualname
        self.locals: set[str] = set()  # names bound to something the builder cannot type


class _TypedPath:
    """`x.a.b` where `x` is a local of a known type: not a reference, a path from a typed value."""

    __slots__ = ("type", "rest")

    def __init__(self, type_: TypeExpr, rest: tuple[str, ...]) -> None:
        self.type = type_
        self.rest = rest


_Found = Ref | TypeExpr | None  # what a bare name means: a reference, a local's type, or unknown
_Scopes = list[_Scope]  # innermost last; class bodies never enclose the functions in them


class _Names:
    """The module's names, and what names and expressions mean in a chain of scopes."""

    def __init__(self) -> None:
        self.module = _Scope()  # its `types` grow as the walk reaches module-level assignments
        self.module_names: set[str] = set()
        self.defined: dict[str, Binding] = {}  # module-level defs and classes, the last one winning
        self.star_imports: list[Imported] = []

    def bind_import(self, scope: _Scope, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    scope.imports[alias.asname] = Imported(alias.name)
                else:
                    head = alias.name.split(".")[0]
                    scope.imports[head] = Imported(head)
            return
        for alias in node.names:
            if alias.name != "*":
                scope.imports[alias.asname or alias.name] = _imported(node.module, node.level, alias.name)
            elif scope is self.module and node.module:
                # `from .base import *`: names are looked up there at link time
                module, _, name = node.module.rpartition(".")
                self.star_imports.append(_imported(module or None, node.level, name))

    def lookup(self, name: str, scopes: _Scopes) -> _Found:
        """What a bare name refers to, innermost scope first."""
        for scope in reversed(scopes):
            if name in scope.defs:
                return LocalFunctionRef(scope.defs[name])
            if name in scope.types:
                return scope.types[name]
            if name in scope.imports:
                return ImportRef(scope.imports[name])
            if name in scope.locals:
                return None
        if name in self.module_names:
            return ModuleRef((name,))
        if name in _BUILTINS:
            return BuiltinRef(name)
        return None

    def ref(self, parts: tuple[str, ...], scopes: _Scopes) -> Ref | _TypedPath | None:
        """A dotted name as a reference, or None when its head is an untyped local."""
        found = self.lookup(parts[0], scopes)
        if found is None:
            return None
        rest = parts[1:]
        if isinstance(found, ImportRef):
            return ImportRef(found.imported, rest) if rest else found
        if isinstance(found, ModuleRef):
            return ModuleRef(parts) if rest else found
        if isinstance(found, BuiltinRef):
            return BuiltinRef(".".join(parts)) if rest else found
        if isinstance(found, LocalFunctionRef):
            return None if rest else found
        return _TypedPath(found, rest)

    def type_of(self, node: ast.AST, scopes: _Scopes, self_name: str | None) -> TypeExpr | None:
        if isinstance(node, ast.Name):
            found = self.lookup(node.id, scopes)
            if isinstance(found, TypeExpr):
                return found
            if isinstance(found, (ModuleRef, ImportRef)):
                return ValueOf(found)
            return None
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id == self_name:
                return SelfAttr(node.attr)
            base = self.type_of(node.value, scopes, self_name)
            if base is not None and not isinstance(base, ValueOf):
                return FieldOf(base, node.attr)
            parts = _dotted(node)
            ref = self.ref(parts, scopes) if parts else None
            return ValueOf(ref) if isinstance(ref, (ImportRef, ModuleRef)) else None
        if isinstance(node, ast.Call):
            func = node.func.value if isinstance(node.func, ast.Subscript) else node.func  # Repo[T](...)
            if isinstance(func, ast.Attribute):
                base = self.type_of(func.value, scopes, self_name)
                if base is not None and not isinstance(base, ValueOf):
                    return ReturnOf(base, func.attr)
            parts = _dotted(func)
            if parts:
                if parts[0] == self_name:
                    return None
                ref = self.ref(parts, scopes)
                if isinstance(ref, _TypedPath):
                    return ReturnOf(ref.type, "__call__")
                if ref is not None and not isinstance(ref, LocalFunctionRef):
                    return NewOf(ref)
            return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):  # Path(x) / "name"
            return self.type_of(node.left, scopes, self_name)
        return None

    def annotation_type(self, node: ast.AST | None, scopes: _Scopes) -> TypeExpr | None:
        """`x: Client`, `Optional[Client]`, `Client | None`, `"Client"` -> an instance of Client."""
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
            except (SyntaxError, ValueError):
                return None
        parts = _dotted(node)
        if parts:
            ref = self.ref(parts, scopes)
            if isinstance(ref, (ImportRef, ModuleRef)):
                return NewOf(ref)
        return None

    def call_target(self, call: ast.Call, scopes: _Scopes, self_name: str | None) -> Target | None:
        func = call.func.value if isinstance(call.func, ast.Subscript) else call.func  # Repo[T](...)
        if isinstance(func, ast.Name):
            found = self.ref((func.id,), scopes)
            return None if isinstance(found, _TypedPath) else found
        if not isinstance(func, ast.Attribute):
            return None
        method = func.attr
        receiver = func.value
        if isinstance(receiver, ast.Name) and receiver.id == self_name:
            return SelfMethod(method)
        if isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Name) and receiver.func.id == "super":
            return SuperMethod(method)
        receiver_type = self.type_of(receiver, scopes, self_name)
        if receiver_type is not None and not isinstance(receiver_type, ValueOf):
            return MethodOf(receiver_type, method)
        parts = _dotted(func)
        if parts and parts[0] != self_name:
            ref = self.ref(parts, scopes)
            if isinstance(ref, _TypedPath):  # a local alias of a value: `c = client; c.get(...)`
                return MethodOf(PathOf(ref.type) if ref.rest[:-1] else ref.type, method)
            if ref is not None:
                return ref
        return AnyMethod(method)


# --- what the walk collects ----------------------------------------------------------------

_Key = tuple[int, int, int]  # (line, column, -postorder): see the module docstring


class _RawCall:
    """A call met by the walk, before its function is read."""

    __slots__ = ("node", "depth", "parent", "in_arguments", "index")

    def __init__(self, node: ast.Call, depth: int, parent: _RawCall | None, in_arguments: bool) -> None:
        self.node = node
        self.depth = depth
        self.parent = parent  # the innermost call around it (in the same function)
        self.in_arguments = in_arguments  # inside the parent's arguments, not its callee
        self.index: int | None = None  # its place among the function's calls, once read


class _FunctionRecord:
    """A function the model describes, and its own nodes collected by the walk."""

    def __init__(self, node: ast.FunctionDef | ast.AsyncFunctionDef, depth: int, qualname: str, cls: str | None,
                 nested: bool) -> None:
        self.node = node
        self.depth = depth  # its index among the walk's ancestors of its nodes
        self.qualname = qualname
        self.cls = cls
        self.is_nested = nested  # in another function: read with it, not on its own
        decorators = [_decorator_name(d) for d in node.decorator_list]
        self.decorators = tuple(d for d in decorators if d)
        last_names = {d.rpartition(".")[2] for d in self.decorators}
        self.decorator_ids = frozenset(map(id, node.decorator_list))
        self.is_property = bool(last_names & _PROPERTIES)
        self.is_memoized = bool(last_names & _MEMOIZERS)
        args = node.args
        named = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        #: in signature order, `*args` and `**kwargs` included
        self.params = [p for p in [*args.posonlyargs, *args.args, args.vararg, *args.kwonlyargs, args.kwarg] if p]
        self.self_name = named[0].arg if cls and named and "staticmethod" not in last_names else None
        self.imports: list[tuple[_Key, ast.Import | ast.ImportFrom]] = []
        self.nested: list[tuple[_Key, _FunctionRecord]] = []
        self.classes: list[str] = []
        self.binders: list[tuple[_Key, ast.AST]] = []
        self.calls: list[tuple[_Key, _RawCall]] = []
        self.returns: list[tuple[_Key, ast.expr]] = []
        self.awaited: set[int] = set()  # ids of awaited expressions
        self.awaited_calls: list[ast.Call] = []
        self.once: set[int] = set()  # ids of calls under a lazy-initialisation guard
        self.polled: set[str] = set()

    def owns(self, node: ast.AST, ancestors: list[ast.AST]) -> bool:
        """Is `node`, found inside this function's def, one of its own nodes (not a decorator's)?"""
        return not self.decorator_ids or id(_child_on_path(ancestors, self.depth, node)) not in self.decorator_ids


def _decorator_name(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        parts = _dotted(node.func)
        return ".".join(parts) + "()" if parts else ""
    parts = _dotted(node)
    return ".".join(parts) if parts else ""


class _ClassRecord:
    """A module-level class being read: its body's assignments and methods."""

    def __init__(self, node: ast.ClassDef, bases: tuple[Ref, ...]) -> None:
        self.node = node
        self.bases = bases
        self.attributes: dict[str, list[TypeExpr]] = {}
        self.methods: list[str] = []

    def add_attribute(self, name: str, t: TypeExpr, unique: bool = False) -> None:
        candidates = self.attributes.setdefault(name, [])
        if not unique or t not in candidates:
            candidates.append(t)

    def freeze(self) -> Class:
        node = self.node
        return Class(node.name, node.lineno, node.col_offset, node.end_lineno or node.lineno,
                     node.end_col_offset or 0, self.bases,
                     {name: tuple(types) for name, types in self.attributes.items()}, tuple(self.methods))


_UNREAD = object()  # a def or class the model does not describe: nothing in it is anyone's own node


class _Region:
    """An `if` guard or a `try` whose body matters to a function: where its body is on the walk."""

    __slots__ = ("node", "depth", "body", "record", "key", "calls", "assigned")

    def __init__(self, node: ast.If | ast.Try, depth: int, record: _FunctionRecord, key: str | None = None) -> None:
        self.node = node
        self.depth = depth
        self.body = frozenset(map(id, node.body))
        self.record = record
        self.key = key  # the guarded name (`if` guards)
        self.calls: list[ast.Call] = []  # the function's own calls in the body
        self.assigned = False  # the body assigns the guarded name

    def holds(self, node: ast.AST, ancestors: list[ast.AST]) -> bool:
        return id(_child_on_path(ancestors, self.depth, node)) in self.body


# --- the builder ---------------------------------------------------------------------------


class ModelBuilder:
    """A walk.py collector that builds the `Module` of one file (`module` after the walk)."""

    wants = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom,
             ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor, ast.comprehension, ast.With,
             ast.AsyncWith, ast.NamedExpr, ast.ExceptHandler, ast.Call, ast.Await, ast.If, ast.Try, ast.Return)

    def __init__(self, path: str) -> None:
        self.path = path
        self.names = _Names()
        self._imports = ImportCollector()
        self._module_level: set[int] = set()  # ids of module-level statements
        self._classes: dict[str, _ClassRecord] = {}
        self._functions: list[Function] = []
        self._stack: list[object] = []  # _FunctionRecord, _ClassRecord or _UNREAD per enclosing def/class
        self._open_calls: list[_RawCall] = []  # own calls of a function around the current node
        self._guards: list[_Region] = []
        self._polling: list[_Region] = []  # `try` blocks that handle BlockingIOError
        self._postorder = 0
        self._module: Module | None = None

    @property
    def module(self) -> Module:
        if self._module is None:
            raise RuntimeError("the module has not been walked")
        return self._module

    def enter(self, node: ast.AST, context: Context) -> None:
        handler = _ENTER.get(node.__class__)
        if handler is not None:
            handler(self, node, context)

    def leave(self, node: ast.AST, context: Context) -> None:
        handler = _LEAVE.get(node.__class__)
        if handler is not None:
            handler(self, node, context)

    def _owner(self, node: ast.AST, context: Context) -> _FunctionRecord | None:
        """The described function `node` is an own node of, if any."""
        top = self._stack[-1] if self._stack else None
        if type(top) is _FunctionRecord and top.owns(node, context.ancestors):
            return top
        return None

    def _key(self, node: ast.AST) -> _Key:
        self._postorder += 1
        return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0), -self._postorder)

    # --- module ----------------------------------------------------------------------------

    def _enter_module(self, node: ast.Module, context: Context) -> None:
        names = self.names
        for statement in (stmt for top in node.body for stmt in module_statements(top)):
            self._module_level.add(id(statement))
            if isinstance(statement, (ast.Import, ast.ImportFrom)):
                names.bind_import(names.module, statement)
            elif isinstance(statement, _FUNCTIONS):
                names.defined[statement.name] = FunctionDefinition()
                names.module_names.add(statement.name)
            elif isinstance(statement, ast.ClassDef):
                names.defined[statement.name] = ClassDefinition()
                names.module_names.add(statement.name)
            elif isinstance(statement, (ast.Assign, ast.AnnAssign)):
                targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
                names.module_names.update(target.id for target in targets if isinstance(target, ast.Name))

    def _leave_module(self, node: ast.Module, context: Context) -> None:
        names = self.names
        bindings: dict[str, Binding] = {}
        # what resolution finds first: a definition, else an import, else the variable
        for name in {*names.module_names, *names.module.imports}:
            if name in names.defined:
                bindings[name] = names.defined[name]
            elif name in names.module.imports:
                bindings[name] = names.module.imports[name]
            else:
                bindings[name] = Assignment(names.module.types.get(name))
        self._module = Module(
            path=self.path,
            schema=SCHEMA,
            imports=tuple(self._imports.imports),
            names=bindings,
            star_imports=tuple(names.star_imports),
            classes={name: record.freeze() for name, record in self._classes.items()},
            functions=tuple(self._functions),
        )

    # --- defs and classes ------------------------------------------------------------------

    def _enter_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, context: Context) -> None:
        depth = len(context.ancestors)
        top = self._stack[-1] if self._stack else None
        record: object = _UNREAD
        if top is None:
            if id(node) in self._module_level:
                record = _FunctionRecord(node, depth, node.name, None, False)
        elif type(top) is _ClassRecord:
            if context.parent is top.node:
                top.methods.append(node.name)
                record = _FunctionRecord(node, depth, f"{top.node.name}.{node.name}", top.node.name, False)
        elif type(top) is _FunctionRecord:
            record = _FunctionRecord(node, depth, f"{top.qualname}.{node.name}", None, True)
        self._stack.append(record)

    def _leave_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, context: Context) -> None:
        record = self._stack.pop()
        if type(record) is not _FunctionRecord:
            return
        if record.is_nested:
            outer: _FunctionRecord = self._stack[-1]  # type: ignore[assignment]
            outer.nested.append((self._key(node), record))
        else:
            self._read(record, [self.names.module])

    def _enter_class(self, node: ast.ClassDef, context: Context) -> None:
        record: object = _UNREAD
        if not self._stack:
            if id(node) in self._module_level:
                record = self._classes[node.name] = _ClassRecord(node, self._bases(node))
        else:
            owner = self._owner(node, context)
            if owner is not None:
                owner.classes.append(node.name)
        self._stack.append(record)

    def _leave_class(self, node: ast.ClassDef, context: Context) -> None:
        self._stack.pop()

    def _bases(self, node: ast.ClassDef) -> tuple[Ref, ...]:
        bases = []
        for base in node.bases:
            if isinstance(base, ast.Subscript):  # class Repo(RepositoryGeneric[User, Model])
                base = base.value
            parts = _dotted(base)
            ref = self.names.ref(parts, [self.names.module]) if parts else None
            if isinstance(ref, (ImportRef, ModuleRef)):
                bases.append(ref)
        return tuple(bases)

    # --- statements ------------------------------------------------------------------------

    def _enter_import(self, node: ast.Import | ast.ImportFrom, context: Context) -> None:
        self._imports.enter(node, context)

    def _leave_import(self, node: ast.Import | ast.ImportFrom, context: Context) -> None:
        owner = self._owner(node, context)
        if owner is not None:
            owner.imports.append((self._key(node), node))

    def _enter_assign(self, node: ast.Assign | ast.AnnAssign, context: Context) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for guard in self._guards:
            if not guard.assigned and guard.holds(node, context.ancestors):
                self_name = guard.record.self_name
                guard.assigned = any(_guard_key(target, self_name) == guard.key for target in targets)
        if not self._stack:
            if id(node) in self._module_level and node.value is not None:
                self._type_module_variable(node, targets)
            return
        top = self._stack[-1]
        if type(top) is _ClassRecord and context.parent is top.node:
            self._type_class_attribute(top, node)

    def _type_module_variable(self, node: ast.Assign | ast.AnnAssign, targets: list[ast.expr]) -> None:
        names = self.names
        scopes = [names.module]
        value_type = names.type_of(node.value, scopes, None)
        if value_type is None and isinstance(node, ast.AnnAssign):
            value_type = names.annotation_type(node.annotation, scopes)
        if value_type is None or isinstance(value_type, ValueOf):
            return
        for target in targets:
            if isinstance(target, ast.Name):
                names.module.types[target.id] = value_type

    def _type_class_attribute(self, record: _ClassRecord, node: ast.Assign | ast.AnnAssign) -> None:
        scopes = [self.names.module]
        if isinstance(node, ast.AnnAssign):
            if isinstance(node.target, ast.Name):
                t = (self.names.type_of(node.value, scopes, None) if node.value else None) or \
                    self.names.annotation_type(node.annotation, scopes)
                if t is not None:
                    record.add_attribute(node.target.id, t)
            return
        t = self.names.type_of(node.value, scopes, None)
        if t is not None:
            for target in node.targets:
                if isinstance(target, ast.Name):
                    record.add_attribute(target.id, t)

    def _leave_binder(self, node: ast.AST, context: Context) -> None:
        owner = self._owner(node, context)
        if owner is not None:
            owner.binders.append((self._key(node), node))

    def _leave_return(self, node: ast.Return, context: Context) -> None:
        if node.value is not None:
            owner = self._owner(node, context)
            if owner is not None:
                owner.returns.append((self._key(node), node.value))

    def _enter_await(self, node: ast.Await, context: Context) -> None:
        owner = self._owner(node, context)
        if owner is not None:
            owner.awaited.add(id(node.value))
            if isinstance(node.value, ast.Call):
                owner.awaited_calls.append(node.value)

    def _enter_async_with(self, node: ast.AsyncWith, context: Context) -> None:
        owner = self._owner(node, context)
        if owner is not None:
            owner.awaited.update(id(item.context_expr) for item in node.items)

    def _enter_async_for(self, node: ast.AsyncFor, context: Context) -> None:
        owner = self._owner(node, context)
        if owner is not None:
            owner.awaited.add(id(node.iter))

    def _enter_if(self, node: ast.If, context: Context) -> None:
        owner = self._owner(node, context)
        if owner is None:
            return
        guarded = _guarded(node.test)
        key = _guard_key(guarded, owner.self_name) if guarded is not None else None
        if key is not None:
            self._guards.append(_Region(node, len(context.ancestors), owner, key))

    def _leave_if(self, node: ast.If, context: Context) -> None:
        if self._guards and self._guards[-1].node is node:
            guard = self._guards.pop()
            if guard.assigned:
                guard.record.once.update(map(id, guard.calls))

    def _enter_try(self, node: ast.Try, context: Context) -> None:
        owner = self._owner(node, context)
        if owner is not None and any(h.type is not None and _mentions(h.type, "BlockingIOError") for h in node.handlers):
            self._polling.append(_Region(node, len(context.ancestors), owner))

    def _leave_try(self, node: ast.Try, context: Context) -> None:
        if self._polling and self._polling[-1].node is node:
            self._polling.pop()

    # --- calls -----------------------------------------------------------------------------

    def _enter_call(self, node: ast.Call, context: Context) -> None:
        owner = self._owner(node, context)
        if owner is None:
            return
        # calls around an own call are own calls of the same function: no def can stand between
        parent = self._open_calls[-1] if self._open_calls else None
        in_arguments = parent is not None and _child_on_path(context.ancestors, parent.depth, node) is not parent.node.func
        self._open_calls.append(_RawCall(node, len(context.ancestors), parent, in_arguments))

    def _leave_call(self, node: ast.Call, context: Context) -> None:
        ancestors = context.ancestors
        if self._polling and isinstance(node.func, ast.Attribute):
            for region in self._polling:
                if region.holds(node, ancestors):
                    region.record.polled.add(_source(node.func.value))
        if not self._open_calls or self._open_calls[-1].node is not node:
            return
        raw = self._open_calls.pop()
        owner: _FunctionRecord = self._stack[-1]  # type: ignore[assignment]  # only own calls are open
        owner.calls.append((self._key(node), raw))
        for guard in self._guards:
            if guard.record is owner and guard.holds(node, ancestors):
                guard.calls.append(node)
        func = node.func
        if (isinstance(func, ast.Attribute) and func.attr in _NON_BLOCKING and node.args
                and isinstance(node.args[0], ast.Constant) and node.args[0].value in (False, 0)):
            owner.polled.add(_source(func.value))

    # --- reading a function ----------------------------------------------------------------

    def _read(self, record: _FunctionRecord, scopes: _Scopes) -> None:
        """Both passes over one function's own nodes, then its nested functions."""
        names = self.names
        node = record.node
        self_name = record.self_name
        scope = _Scope()
        for param in record.params:
            scope.locals.add(param.arg)
            if param.arg != self_name:
                t = names.annotation_type(param.annotation, scopes)
                if t is not None:
                    scope.types[param.arg] = t
        inner = [*scopes, scope]
        # Pass 1: what names mean in this function.
        for _, statement in sorted(record.imports):
            names.bind_import(scope, statement)
        record.nested.sort()
        for _, nested in record.nested:
            scope.defs[nested.node.name] = nested.qualname
        scope.locals.update(record.classes)
        cls = self._classes.get(record.cls) if record.cls else None
        for _, binder in sorted(record.binders):
            self._bind(binder, scope, inner, cls, self_name)
        # Pass 2: the calls it makes itself.
        calls: list[Call] = []
        for _, raw in sorted(record.calls):
            call = raw.node
            target = names.call_target(call, inner, self_name)
            if target is None:
                continue
            raw.index = len(calls)
            calls.append(Call(
                target=target,
                line=call.lineno,
                col=call.col_offset,
                end_line=call.end_lineno or call.lineno,
                end_col=call.end_col_offset or 0,
                text=_short(_source(call.func)),
                has_args=bool(call.args or call.keywords),
                once=record.is_memoized or id(call) in record.once,
                awaited=id(call) in record.awaited,
                argument_of=_argument_of(raw),
            ))
        polled = record.polled
        for call in record.awaited_calls:
            polled.update(_source(arg) for arg in call.args)
        self._functions.append(Function(
            qualname=record.qualname,
            name=node.name,
            cls=record.cls,
            is_async=isinstance(node, ast.AsyncFunctionDef),
            line=node.lineno,
            col=node.col_offset,
            end_line=node.end_lineno or node.lineno,
            end_col=node.end_col_offset or 0,
            decorators=record.decorators,
            params=tuple(param.arg for param in record.params),
            is_property=record.is_property,
            is_memoized=record.is_memoized,
            polled=tuple(sorted(polled)),
            returns=self._return_type(record, inner),
            calls=tuple(calls),
        ))
        for _, nested in record.nested:
            self._read(nested, inner)

    def _bind(self, node: ast.AST, scope: _Scope, scopes: _Scopes, cls: _ClassRecord | None, self_name: str | None) -> None:
        names = self.names
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            t = names.type_of(node.value, scopes, self_name) if node.value is not None else None
            if t is None and isinstance(node, ast.AnnAssign):
                t = names.annotation_type(node.annotation, scopes)
            for target in targets:
                self._assign(target, t, scope, cls, self_name)
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            scope.locals.update(_names_in(node.target))
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    t = names.type_of(item.context_expr, scopes, self_name) if isinstance(node, ast.With) else None
                    self._assign(item.optional_vars, t, scope, cls, self_name)
        elif isinstance(node, ast.NamedExpr):
            self._assign(node.target, names.type_of(node.value, scopes, self_name), scope, cls, self_name)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            scope.locals.add(node.name)

    def _assign(self, target: ast.AST, t: TypeExpr | None, scope: _Scope, cls: _ClassRecord | None,
                self_name: str | None) -> None:
        if isinstance(target, ast.Name):
            if t is not None:
                scope.types.setdefault(target.id, t)
            else:
                scope.locals.add(target.id)
        elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == self_name:
            if t is not None and cls is not None:
                # every candidate: `self.client = client or boto3.client(...)` branches differ
                cls.add_attribute(target.attr, t, unique=True)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._assign(element, None, scope, cls, self_name)
        elif isinstance(target, ast.Starred):
            self._assign(target.value, None, scope, cls, self_name)

    def _return_type(self, record: _FunctionRecord, scopes: _Scopes) -> TypeExpr | None:
        """`-> Client` or the first `return Client(...)`: what callers get (for repository patterns)."""
        declared = self.names.annotation_type(record.node.returns, scopes)
        if declared is not None:
            return declared
        for _, value in sorted(record.returns):
            found = self.names.type_of(value, scopes, record.self_name)
            if found is not None:
                return found
        return None


# handlers by node type, at class level: bound methods kept in the builder would make it a
# reference cycle, and keep every walked tree alive until the garbage collector runs
_ENTER: dict[type[ast.AST], Callable[[ModelBuilder, Any, Context], None]] = {
    ast.Module: ModelBuilder._enter_module, ast.FunctionDef: ModelBuilder._enter_function,
    ast.AsyncFunctionDef: ModelBuilder._enter_function, ast.ClassDef: ModelBuilder._enter_class,
    ast.Import: ModelBuilder._enter_import, ast.ImportFrom: ModelBuilder._enter_import,
    ast.Assign: ModelBuilder._enter_assign, ast.AnnAssign: ModelBuilder._enter_assign,
    ast.Call: ModelBuilder._enter_call, ast.Await: ModelBuilder._enter_await,
    ast.AsyncWith: ModelBuilder._enter_async_with, ast.AsyncFor: ModelBuilder._enter_async_for,
    ast.If: ModelBuilder._enter_if, ast.Try: ModelBuilder._enter_try,
}
_LEAVE: dict[type[ast.AST], Callable[[ModelBuilder, Any, Context], None]] = {
    ast.Module: ModelBuilder._leave_module, ast.FunctionDef: ModelBuilder._leave_function,
    ast.AsyncFunctionDef: ModelBuilder._leave_function, ast.ClassDef: ModelBuilder._leave_class,
    ast.Call: ModelBuilder._leave_call, ast.If: ModelBuilder._leave_if, ast.Try: ModelBuilder._leave_try,
    ast.Return: ModelBuilder._leave_return, ast.Import: ModelBuilder._leave_import,
    ast.ImportFrom: ModelBuilder._leave_import,
    **{binder: ModelBuilder._leave_binder for binder in (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor,
                                                         ast.comprehension, ast.With, ast.AsyncWith, ast.NamedExpr,
                                                         ast.ExceptHandler)},
}


def _argument_of(raw: _RawCall) -> int | None:
    """The innermost call described in the model whose arguments contain this call."""
    below, parent = raw, raw.parent
    while parent is not None:
        if below.in_arguments and parent.index is not None:
            return parent.index
        below, parent = parent, parent.parent
    return None


def model_of(tree: ast.Module, path: str) -> Module:
    """The model of one parsed module on its own walk (analyzers share one walk through the collector)."""
    builder = ModelBuilder(path)
    walk(tree, [builder])
    return builder.module
