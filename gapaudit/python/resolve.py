"""Project-wide name resolution over every module's model (model.py).

Resolves references through imports, re-exports, relative imports, module variables, class
hierarchies and instance attributes — never by bare name: `asyncio.sleep` is never a project
function called `sleep`. Third-party and stdlib names stay external, fully qualified.

What a reference resolves to (`Symbol`):

  ModuleSymbol(path)             a scanned module
  FunctionSymbol(path, qualname) a function or method of a scanned module
  ClassSymbol(path, name)        a module-level class of a scanned module
  Instance(owner)                an object whose type is `owner`: a ClassSymbol, or a Family
  External(name)                 anything outside the scanned project, fully qualified (`requests.get`)

`Family(name)` is a type known from a catalog rather than from code (a client family such as
`redis.Redis`): objects made by its constructors, and those derived from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, TypeVar

from .model import (
    Assignment,
    BuiltinRef,
    Class,
    ClassDefinition,
    FieldOf,
    Function,
    FunctionDefinition,
    Imported,
    ImportRef,
    LocalFunctionRef,
    Module,
    ModuleRef,
    NewOf,
    PathOf,
    Ref,
    ReturnOf,
    SelfAttr,
    StateAttr,
    TypeExpr,
    ValueOf,
)
from .modules import ModuleIndex, module_path

_MAX_DEPTH = 24  # re-exports and attribute chains deeper than this are cycles
K = TypeVar("K")
T = TypeVar("T")


class Symbol:
    """What a reference resolves to."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class ModuleSymbol(Symbol):
    """A scanned module, by its path from the scan root."""

    path: str


@dataclass(frozen=True, slots=True)
class FunctionSymbol(Symbol):
    """A function or method of a scanned module (`Class.method`, `outer.inner`)."""

    path: str
    qualname: str


@dataclass(frozen=True, slots=True)
class ClassSymbol(Symbol):
    """A module-level class of a scanned module."""

    path: str
    name: str


@dataclass(frozen=True, slots=True)
class Family:
    """A catalog's client family: its instances are typed by the catalog, not by code."""

    name: str


Owner = ClassSymbol | Family


@dataclass(frozen=True, slots=True)
class Instance(Symbol):
    """An object whose type is known: an instance of a project class or a member of a family."""

    owner: Owner


@dataclass(frozen=True, slots=True)
class External(Symbol):
    """Something outside the scanned project, by its fully qualified name (`requests.get`)."""

    name: str


class PythonProject:
    """Resolves references against every scanned module's model.

    `modules` may be a lazy mapping (a module decoded when first read): the project reads a
    module only when a reference leads into it, and records which modules it read
    (`reading`), so a caller can tell which results an edit to one module could change.
    `constructor_family(name)` names the family an external constructor makes instances of;
    `family_derives(family, via)` says whether `obj.attr` (via None) or `obj.via()` of a family
    member is another member. `state` names, for each application-state attribute, the modules
    that assign it (Module.state); None: every module is read to find them."""

    def __init__(self, modules: Mapping[str, Module], package_dirs: set[str],
                 constructor_family: Callable[[str], str | None],
                 family_derives: Callable[[str, str | None], bool],
                 state: Mapping[str, tuple[str, ...]] | None = None) -> None:
        self.modules = modules
        self._state = state
        self.index = ModuleIndex(modules, package_dirs)
        self._constructor_family = constructor_family
        self._family_derives = family_derives
        self._functions: dict[str, dict[str, Function]] = {}  # path -> qualname -> function
        # resolution is pure, and the same imports and classes are met from every call site:
        # results are kept (with the depth they were asked at, which can cut a cycle short),
        # each with the modules its computation read
        self._bindings: dict[tuple[str, Imported, tuple[str, ...], int], tuple[Symbol | None, set[str]]] = {}
        self._mros: dict[tuple[ClassSymbol, int], tuple[list[ClassSymbol], set[str]]] = {}
        self._methods: dict[tuple[ClassSymbol, str], tuple[FunctionSymbol | None, set[str]]] = {}
        self._read: set[str] = set()  # modules read since `reading` last started

    def reading(self) -> set[str]:
        """Start recording the modules resolution reads; the set returned fills as it goes."""
        self._read = set()
        return self._read

    def module(self, path: str) -> Module | None:
        self._read.add(path)
        return self.modules.get(path)

    def function(self, symbol: FunctionSymbol) -> Function | None:
        """The project function a symbol names, if the module defines it."""
        self._read.add(symbol.path)
        found = self._functions.get(symbol.path)
        if found is None:
            module = self.modules.get(symbol.path)
            found = self._functions[symbol.path] = {fn.qualname: fn for fn in module.functions} if module else {}
        return found.get(symbol.qualname)

    def _kept(self, table: dict[K, tuple[T, set[str]]], key: K, compute: Callable[[], T]) -> T:
        """`compute()`, once per key; the modules it read count as read by every later asker too."""
        found = table.get(key)
        if found is not None:
            self._read |= found[1]
            return found[0]
        outer = self._read
        self._read = inner = set()
        try:
            value = compute()
        finally:
            self._read = outer
        outer |= inner
        table[key] = (value, inner)
        return value

    # --- imports -------------------------------------------------------------------------

    def binding(self, path: str, imported: Imported, rest: tuple[str, ...], depth: int = 0) -> Symbol | None:
        """What `imported` (bound in the module at `path`), then `rest`, denotes."""
        if depth > _MAX_DEPTH:
            return None
        key = (path if imported.level else "", imported, rest, depth)  # an absolute import means the same everywhere
        return self._kept(self._bindings, key, lambda: self._binding(path, imported, rest, depth))

    def _binding(self, path: str, imported: Imported, rest: tuple[str, ...], depth: int) -> Symbol | None:
        parts = [*imported.name.split("."), *rest]
        if not imported.level:
            # the longest prefix that names a scanned module, then attributes of it
            for i in range(len(parts), 0, -1):
                found = self.index.file_of(".".join(parts[:i]))
                if found is not None:
                    return self._walk(ModuleSymbol(found), parts[i:], depth + 1)
            return External(".".join(parts))
        base = module_path(path, "." * imported.level)
        for i in range(len(parts), -1, -1):
            found = self.index.file_at("/".join(p for p in [base, *parts[:i]] if p))
            if found is not None:
                return self._walk(ModuleSymbol(found), parts[i:], depth + 1)
        return None

    # --- walking dotted paths ------------------------------------------------------------

    def _walk(self, symbol: Symbol | None, parts: list[str] | tuple[str, ...], depth: int) -> Symbol | None:
        for part in parts:
            if symbol is None:
                return None
            symbol = self.step(symbol, part, depth)
        return symbol

    def step(self, symbol: Symbol, name: str, depth: int = 0) -> Symbol | None:
        """The value of `symbol.name`."""
        if isinstance(symbol, External):
            return External(f"{symbol.name}.{name}")
        if isinstance(symbol, ModuleSymbol):
            return self._module_attribute(symbol.path, name, depth)
        if isinstance(symbol, ClassSymbol):
            method = self.find_method(symbol, name)
            if method:
                return method
            attr = self.class_attr(symbol, name, depth)
            return Instance(attr) if attr else None
        if isinstance(symbol, Instance):
            owner = symbol.owner
            if isinstance(owner, Family):
                return symbol if self._family_derives(owner.name, None) else None
            attr = self.class_attr(owner, name, depth)
            return Instance(attr) if attr else None
        return None

    def _module_attribute(self, path: str, name: str, depth: int) -> Symbol | None:
        module = self.module(path)
        assert module is not None  # a ModuleSymbol names a scanned module
        binding = module.names.get(name)
        if isinstance(binding, FunctionDefinition):
            return FunctionSymbol(path, name)
        if isinstance(binding, ClassDefinition):
            return ClassSymbol(path, name)
        if isinstance(binding, Imported):
            return self.binding(path, binding, (), depth + 1)
        if isinstance(binding, Assignment) and binding.type is not None:
            owner = self.resolve_type(path, binding.type, None, depth + 1)
            return Instance(owner) if owner else None
        if path.endswith("__init__.py"):
            submodule = self.index.file_at(f"{path[: -len('__init__.py')]}{name}")
            if submodule:
                return ModuleSymbol(submodule)
        if depth < _MAX_DEPTH and not name.startswith("_"):
            for star in module.star_imports:
                source = self.binding(path, star, (), depth + 1)
                found = self.step(source, name, depth + 1) if isinstance(source, ModuleSymbol) else None
                if found is not None:
                    return found
        return None

    def resolve_ref(self, path: str, ref: Ref, depth: int = 0) -> Symbol | None:
        """The value a reference in the module at `path` denotes."""
        if isinstance(ref, ImportRef):
            return self.binding(path, ref.imported, ref.rest, depth)
        if isinstance(ref, ModuleRef):
            return self._walk(ModuleSymbol(path), ref.parts, depth)
        if isinstance(ref, BuiltinRef):
            return External(f"builtins.{ref.name}")
        if isinstance(ref, LocalFunctionRef):
            return FunctionSymbol(path, ref.qualname)
        return None

    def receiver(self, path: str, ref: Ref, depth: int = 0) -> Symbol | None:
        """For a dotted reference `a.b.m`, what `a.b` denotes; None for a bare name."""
        if isinstance(ref, ModuleRef) and len(ref.parts) > 1:
            return self.resolve_ref(path, ModuleRef(ref.parts[:-1]), depth)
        if isinstance(ref, ImportRef) and ref.rest:
            return self.resolve_ref(path, ImportRef(ref.imported, ref.rest[:-1]), depth)
        return None

    def switch(self, path: str, ref: Ref, depth: int = 0) -> tuple[str, str] | None:
        """(what is set, module) when `ref`, in the module at `path`, names an opt-in switch: a
        module-level variable that is false unless an environment variable is set, or a field of
        a settings object off by default (`settings.ff_mock_mode_enabled`, Class.switches)."""
        if depth > _MAX_DEPTH:
            return None
        owner = self.receiver(path, ref, depth + 1)
        if isinstance(owner, Instance) and isinstance(owner.owner, ClassSymbol):
            name = ref.parts[-1] if isinstance(ref, ModuleRef) else ref.rest[-1] if isinstance(ref, ImportRef) else ""
            for cls in self.mro(owner.owner, depth + 1):
                found = self.class_of(cls)
                if found is not None and name in found.switches:
                    return f"{found.name}.{name}", cls.path
            return None
        if isinstance(ref, ModuleRef):
            if len(ref.parts) != 1:
                return None
            module = self.module(path)
            binding = module.names.get(ref.parts[0]) if module is not None else None
            if isinstance(binding, Assignment):
                return (binding.switch, path) if binding.switch else None
            return self.switch(path, ImportRef(binding), depth + 1) if isinstance(binding, Imported) else None
        if not isinstance(ref, ImportRef):
            return None
        parts = [*ref.imported.name.split("."), *ref.rest]
        if ref.rest:
            holder = self.binding(path, ref.imported, ref.rest[:-1], depth + 1)
        else:
            holder = self.binding(path, Imported(".".join(parts[:-1]), ref.imported.level), (), depth + 1)
        if not isinstance(holder, ModuleSymbol):
            return None
        return self.switch(holder.path, ModuleRef((parts[-1],)), depth + 1)

    # --- classes -------------------------------------------------------------------------

    def class_of(self, cls: ClassSymbol) -> Class | None:
        module = self.module(cls.path)
        return module.classes.get(cls.name) if module is not None else None

    def mro(self, cls: ClassSymbol, depth: int = 0) -> list[ClassSymbol]:
        """The class and its project base classes, depth-first (good enough for single inheritance)."""
        return self._kept(self._mros, (cls, depth), lambda: self._mro(cls, depth))

    def _mro(self, cls: ClassSymbol, depth: int) -> list[ClassSymbol]:
        order: list[ClassSymbol] = []
        queue = [cls]
        while queue and len(order) < 32:
            current = queue.pop(0)
            if current in order:
                continue
            info = self.class_of(current)
            if info is None:
                continue
            order.append(current)
            for base in info.bases:
                resolved = self.resolve_ref(current.path, base, depth + 1)
                if isinstance(resolved, ClassSymbol):
                    queue.append(resolved)
        return order

    def find_method(self, cls: ClassSymbol, name: str) -> FunctionSymbol | None:
        return self._kept(self._methods, (cls, name), lambda: next(
            (FunctionSymbol(klass.path, f"{klass.name}.{name}") for klass in self.mro(cls)
             if name in self.class_of(klass).methods), None))  # type: ignore[union-attr]

    def class_attr(self, cls: ClassSymbol, name: str, depth: int) -> Owner | None:
        """The owner type of `instance.name`: from `self.name = Client(...)`, annotations, or a property."""
        if depth > _MAX_DEPTH:
            return None
        for klass in self.mro(cls, depth):
            for t in self.class_of(klass).attributes.get(name, ()):  # type: ignore[union-attr]
                owner = self.resolve_type(klass.path, t, klass, depth + 1)
                if owner is not None:
                    return owner
        method = self.find_method(cls, name)
        if method is not None and (found := self.function(method)) is not None and found.is_property:
            return self.return_type(method, depth + 1)
        return None

    def state_type(self, name: str, depth: int) -> Owner | None:
        """The owner type of `request.app.state.name`: of the first thing the project assigns to it."""
        if self._state is None:
            self._state = state_index(self.modules)
        for path in self._state.get(name, ()):
            module = self.module(path)
            for t in module.state.get(name, ()) if module is not None else ():
                owner = self.resolve_type(path, t, None, depth + 1)
                if owner is not None:
                    return owner
        return None

    def return_type(self, function: FunctionSymbol, depth: int) -> Owner | None:
        """The owner type of what a project function returns."""
        fn = self.function(function)
        if fn is None or fn.returns is None or depth > _MAX_DEPTH:
            return None
        cls = ClassSymbol(function.path, fn.cls) if fn.cls else None
        return self.resolve_type(function.path, fn.returns, cls, depth + 1)

    # --- types ---------------------------------------------------------------------------

    def resolve_type(self, path: str, t: TypeExpr, cls: ClassSymbol | None, depth: int = 0) -> Owner | None:
        """The owner (project class or catalog family) of a type expression in the module at
        `path`, inside class `cls` (for `self.x`)."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(t, SelfAttr):
            return self.class_attr(cls, t.name, depth + 1) if cls else None
        if isinstance(t, StateAttr):
            return self.state_type(t.name, depth + 1)
        if isinstance(t, (FieldOf, ReturnOf, PathOf)):
            inner = self.resolve_type(path, t.base, cls, depth + 1)
            if inner is None:
                return None
            via = t.method if isinstance(t, ReturnOf) else None
            if isinstance(inner, Family):
                return inner if self._family_derives(inner.name, via) else None
            if isinstance(t, FieldOf):
                return self.class_attr(inner, t.name, depth + 1)
            method = self.find_method(inner, via) if via else None
            return self.return_type(method, depth + 1) if method else None
        if isinstance(t, ValueOf):
            value = self.resolve_ref(path, t.ref, depth + 1)
            return value.owner if isinstance(value, Instance) else None
        if isinstance(t, NewOf):
            return self._new(path, t.ref, depth)
        return None

    def _new(self, path: str, ref: Ref, depth: int) -> Owner | None:
        """The owner of what calling `ref` makes."""
        parts = ref.parts if isinstance(ref, ModuleRef) else ref.rest if isinstance(ref, ImportRef) else ()
        if len(parts) > 1:
            # `client.pipeline()`: a call on something; derived when the receiver is a family
            receiver = self.receiver(path, ref, depth + 1)
            if isinstance(receiver, Instance):
                owner = receiver.owner
                if isinstance(owner, ClassSymbol):
                    method = self.find_method(owner, parts[-1])
                    return self.return_type(method, depth + 1) if method else None
                return owner if self._family_derives(owner.name, parts[-1]) else None
        value = self.resolve_ref(path, ref, depth + 1)
        if isinstance(value, ClassSymbol):
            return value
        if isinstance(value, FunctionSymbol):
            return self.return_type(value, depth + 1)
        if isinstance(value, External):
            family = self._constructor_family(value.name)
            return Family(family) if family else None
        return None


def state_index(modules: Mapping[str, Module]) -> dict[str, tuple[str, ...]]:
    """Application-state attribute -> the modules that assign it, in the modules' order."""
    found: dict[str, list[str]] = {}
    for path, module in modules.items():
        for name in module.state:
            found.setdefault(name, []).append(path)
    return {name: tuple(paths) for name, paths in found.items()}
