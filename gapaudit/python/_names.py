"""What names and expressions mean inside one module, while the builder reads it (build.py).

A chain of `Scope`s (the module's, then each enclosing function's, innermost last; class
bodies never enclose the functions in them) answers what a bare name is: a nested function, a
local of a known type, an import, an untyped local, a module-level name, or a builtin. `Names`
turns dotted names into references (model.Ref), expressions into types (model.TypeExpr) and
calls into targets (model.Target).
"""

from __future__ import annotations

import ast
import builtins

from .env import env_switch
from .model import (
    AnyMethod,
    Assignment,
    Binding,
    BuiltinRef,
    ClassDefinition,
    FieldOf,
    FunctionDefinition,
    Imported,
    ImportRef,
    LocalFunctionRef,
    MethodOf,
    ModuleRef,
    NewOf,
    PathOf,
    Ref,
    ReturnOf,
    SelfAttr,
    SelfMethod,
    StateAttr,
    SuperMethod,
    Target,
    TypeExpr,
    ValueOf,
)

_BUILTINS = frozenset(dir(builtins))
_OPTIONAL = frozenset({"Optional", "Union", "Annotated", "Final", "ClassVar"})


def dotted(node: ast.AST) -> tuple[str, ...] | None:
    """`a.b.c` as ('a', 'b', 'c'); None for anything that is not a plain dotted name."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return tuple(reversed(parts))
    return None


def state_name(node: ast.AST, self_name: str | None) -> str | None:
    """`name` of `x.state.name` (`request.app.state.db`, `app.state.db`): application or request
    state (StateAttr); not `self.state.name`, an attribute of the class's own."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) and node.value.attr == "state":
        inner = node.value.value
        if not (isinstance(inner, ast.Name) and inner.id == self_name):
            return node.attr
    return None


def source(node: ast.expr) -> str:
    """The expression as `ast.unparse` writes it; dotted names without unparsing."""
    parts = dotted(node)
    return ".".join(parts) if parts is not None else ast.unparse(node)


def _imported(module: str | None, level: int, name: str) -> Imported:
    """What `from <level dots><module> import name` binds."""
    return Imported(f"{module}.{name}" if module else name, level)


class Scope:
    """What names mean in one function, or at module level, while the builder reads it."""

    __slots__ = ("imports", "types", "defs", "locals")

    def __init__(self) -> None:
        self.imports: dict[str, Imported] = {}
        self.types: dict[str, TypeExpr] = {}
        self.defs: dict[str, str] = {}  # nested function name -> qualname
        self.locals: set[str] = set()  # names bound to something the builder cannot type


class TypedPath:
    """`x.a.b` where `x` is a local of a known type: not a reference, a path from a typed value."""

    __slots__ = ("type", "rest")

    def __init__(self, type_: TypeExpr, rest: tuple[str, ...]) -> None:
        self.type = type_
        self.rest = rest


Found = Ref | TypeExpr | None  # what a bare name means: a reference, a local's type, or unknown
Scopes = list[Scope]  # innermost last; class bodies never enclose the functions in them


class Names:
    """The module's names, and what names and expressions mean in a chain of scopes."""

    def __init__(self) -> None:
        self.module = Scope()  # its `types` grow as the walk reaches module-level assignments
        self.module_names: set[str] = set()
        self.defined: dict[str, Binding] = {}  # module-level defs and classes, the last one winning
        self.star_imports: list[Imported] = []
        #: module-level variables assigned only opt-in switches: name -> the environment variable
        #: (None once it is assigned anything else)
        self.switches: dict[str, str | None] = {}

    def declare(self, statement: ast.stmt) -> None:
        """Declare the names a module-level statement binds, before any function is read."""
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            self.bind_import(self.module, statement)
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.defined[statement.name] = FunctionDefinition()
            self.module_names.add(statement.name)
        elif isinstance(statement, ast.ClassDef):
            self.defined[statement.name] = ClassDefinition()
            self.module_names.add(statement.name)
        elif isinstance(statement, (ast.Assign, ast.AnnAssign)):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            self.module_names.update(target.id for target in targets if isinstance(target, ast.Name))
            switch = env_switch(statement.value) if statement.value is not None else None
            for target in targets:
                if isinstance(target, ast.Name):
                    self.switches[target.id] = switch if self.switches.get(target.id, switch) == switch else None

    def bindings(self) -> dict[str, Binding]:
        """What each module-level name is bound to, as resolution prefers it: a definition,
        else an import, else the variable (with its type once every assignment is read)."""
        bindings: dict[str, Binding] = {}
        for name in sorted({*self.module_names, *self.module.imports}):
            if name in self.defined:
                bindings[name] = self.defined[name]
            elif name in self.module.imports:
                bindings[name] = self.module.imports[name]
            else:
                bindings[name] = Assignment(self.module.types.get(name), self.switches.get(name))
        return bindings

    def bind_import(self, scope: Scope, node: ast.Import | ast.ImportFrom) -> None:
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

    def lookup(self, name: str, scopes: Scopes) -> Found:
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

    def ref(self, parts: tuple[str, ...], scopes: Scopes) -> Ref | TypedPath | None:
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
        return TypedPath(found, rest)

    def bases(self, node: ast.ClassDef) -> tuple[Ref, ...]:
        """The bases of a module-level class that name something (imported or defined here)."""
        bases = []
        for base in node.bases:
            if isinstance(base, ast.Subscript):  # class Repo(RepositoryGeneric[User, Model])
                base = base.value
            parts = dotted(base)
            ref = self.ref(parts, [self.module]) if parts else None
            if isinstance(ref, (ImportRef, ModuleRef)):
                bases.append(ref)
        return tuple(bases)

    def type_of(self, node: ast.AST, scopes: Scopes, self_name: str | None) -> TypeExpr | None:
        """What object the expression holds, if the module tells: `Client()`, `self.client`,
        `client.session`, `engine.connect()`, a name typed earlier; `self_name` is a method's `self`."""
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
            if (state := state_name(node, self_name)) is not None:
                return StateAttr(state)
            base = self.type_of(node.value, scopes, self_name)
            if base is not None and not isinstance(base, ValueOf):
                return FieldOf(base, node.attr)
            parts = dotted(node)
            ref = self.ref(parts, scopes) if parts else None
            return ValueOf(ref) if isinstance(ref, (ImportRef, ModuleRef)) else None
        if isinstance(node, ast.Call):
            func = node.func.value if isinstance(node.func, ast.Subscript) else node.func  # Repo[T](...)
            if isinstance(func, ast.Attribute):
                base = self.type_of(func.value, scopes, self_name)
                if base is not None and not isinstance(base, ValueOf):
                    return ReturnOf(base, func.attr)
            parts = dotted(func)
            if parts:
                if parts[0] == self_name:
                    return None
                ref = self.ref(parts, scopes)
                if isinstance(ref, TypedPath):
                    return ReturnOf(ref.type, "__call__")
                if ref is not None and not isinstance(ref, LocalFunctionRef):
                    return NewOf(ref)
            return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):  # Path(x) / "name"
            return self.type_of(node.left, scopes, self_name)
        return None

    def annotation_type(self, node: ast.AST | None, scopes: Scopes) -> TypeExpr | None:
        """`x: Client`, `Optional[Client]`, `Client | None`, `"Client"` -> an instance of Client."""
        if node is None:
            return None
        if isinstance(node, ast.Subscript):
            head = dotted(node.value)
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
        parts = dotted(node)
        if parts:
            ref = self.ref(parts, scopes)
            if isinstance(ref, (ImportRef, ModuleRef)):
                return NewOf(ref)
        return None

    def call_target(self, call: ast.Call, scopes: Scopes, self_name: str | None) -> Target | None:
        """What the call calls; None for a callee the module cannot name (`handlers[0](...)`,
        a local function value)."""
        func = call.func.value if isinstance(call.func, ast.Subscript) else call.func  # Repo[T](...)
        if isinstance(func, ast.Name):
            found = self.ref((func.id,), scopes)
            return None if isinstance(found, TypedPath) else found
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
        parts = dotted(func)
        if parts and parts[0] != self_name:
            ref = self.ref(parts, scopes)
            if isinstance(ref, TypedPath):  # a local alias of a value: `c = client; c.get(...)`
                return MethodOf(PathOf(ref.type) if ref.rest[:-1] else ref.type, method)
            if ref is not None:
                return ref
        return AnyMethod(method)
