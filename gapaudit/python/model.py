"""The code model of one Python module: its names, classes, functions and the calls they make.

A `Module` is a pure function of one file and its path, built in the one walk of its tree
(`build.ModelBuilder`), immutable, and turned into JSON and back by `codec`, so it is computed
in worker processes and cached. Names are resolved through the module's own scopes; what an
import denotes in another module is decided project-wide by `resolve.PythonProject`.

What a module-level name is bound to (`Binding`, the values of `Module.names`), in the order
resolution prefers them when a name is bound several ways:

  FunctionDefinition   `def name(...)`
  ClassDefinition      `class name: ...`
  Imported             `import a.b` (binds `a`), `from ..m import x as name`
  Assignment           `name = ...`, with the type of the value when the module tells it

References (`Ref`): what a dotted name denotes before cross-module resolution.

  ImportRef(imported, rest)    through an import: `np.linalg.norm` after `import numpy as np`
  ModuleRef(parts)             a module-level name of this module, and attributes of it
  BuiltinRef(name)             a builtin (`open`, `str.join`)
  LocalFunctionRef(qualname)   a function nested in one of this module's functions

Call targets (`Target`) are references or methods:

  SelfMethod(name)             `self.name(...)` in a method
  SuperMethod(name)            `super().name(...)`
  MethodOf(receiver, method)   a method of an object whose type is known (`receiver`, a TypeExpr)
  AnyMethod(name)              a method of a receiver of unknown type

Types (`TypeExpr`): what object an expression holds, as far as the module tells.

  NewOf(ref)                   an instance made by calling `ref`, or annotated as one
  ValueOf(ref)                 the value a module-level name or an import holds
  SelfAttr(name)               whatever `self.name` holds
  StateAttr(name)              whatever `<app or request>.state.name` holds, project-wide
  FieldOf(base, name)          attribute `name` of a `base`
  ReturnOf(base, method)       what `method` of a `base` returns (`__call__`: calling the base)
  PathOf(base)                 an object reached from a `base` through several attributes
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import codec
from .imports import Import

#: the version of this model's shape; an analyzer rejects cached facts of another version
SCHEMA = 9

#: the qualname of a module's own code (outside every def and class) as a `Function`
MODULE_CODE = "<module>"


# --- types ---------------------------------------------------------------------------------


class TypeExpr:
    """What object an expression holds (see the module docstring for the forms)."""

    __slots__ = ()


@codec.register
@dataclass(frozen=True, slots=True)
class NewOf(TypeExpr):
    """An instance made by calling `ref` (`Client(...)`), or a value annotated as one (`c: Client`)."""

    ref: Ref


@codec.register
@dataclass(frozen=True, slots=True)
class ValueOf(TypeExpr):
    """The value a module-level name or an imported name holds (`client` after `from .db import client`)."""

    ref: Ref


@codec.register
@dataclass(frozen=True, slots=True)
class SelfAttr(TypeExpr):
    """What `self.name` holds, decided by the class's attributes."""

    name: str


@codec.register
@dataclass(frozen=True, slots=True)
class StateAttr(TypeExpr):
    """What `request.app.state.name` (any `x.state.name` but `self.state.name`) holds: what the
    project assigns to `state.name` anywhere (`app.state.db = Database()` in a lifespan), the
    application state of Starlette, FastAPI and Flask-style apps that requests read."""

    name: str


@codec.register
@dataclass(frozen=True, slots=True)
class FieldOf(TypeExpr):
    """Attribute `name` of a `base` (`conn.cursor` for a typed `conn`)."""

    base: TypeExpr
    name: str


@codec.register
@dataclass(frozen=True, slots=True)
class ReturnOf(TypeExpr):
    """What `method` of a `base` returns (`engine.connect()`); `__call__` for calling the base itself."""

    base: TypeExpr
    method: str


@codec.register
@dataclass(frozen=True, slots=True)
class PathOf(TypeExpr):
    """An object reached from a `base` through several attributes (`alias.a.b` where `alias` names a value)."""

    base: TypeExpr


# --- call targets and references -----------------------------------------------------------


class Target:
    """What a call calls, as far as the module tells."""

    __slots__ = ()

    @property
    def qualified(self) -> str | None:
        """The absolute dotted name the target denotes when the module alone tells (an absolute
        import or a builtin): what catalogs of well-known calls are matched against."""
        return None


class Ref(Target):
    """A dotted name: a reference to something defined here, imported, or a builtin."""

    __slots__ = ()


@codec.register
@dataclass(frozen=True, slots=True)
class ImportRef(Ref):
    """A name bound by an import, and attributes of it: `imported` then `rest`."""

    imported: Imported
    rest: tuple[str, ...] = ()

    @property
    def qualified(self) -> str | None:
        if self.imported.level:
            return None
        return ".".join([self.imported.name, *self.rest])


@codec.register
@dataclass(frozen=True, slots=True)
class ModuleRef(Ref):
    """A module-level name of this module (`parts[0]`), and attributes of it."""

    parts: tuple[str, ...]


@codec.register
@dataclass(frozen=True, slots=True)
class BuiltinRef(Ref):
    """A builtin, and attributes of it: `open`, `str.join`."""

    name: str

    @property
    def qualified(self) -> str | None:
        return f"builtins.{self.name}"


@codec.register
@dataclass(frozen=True, slots=True)
class LocalFunctionRef(Ref):
    """A function nested in a function of this module (`outer.inner`)."""

    qualname: str


@codec.register
@dataclass(frozen=True, slots=True)
class SelfMethod(Target):
    """`self.name(...)`: a method of the enclosing class or its bases."""

    name: str


@codec.register
@dataclass(frozen=True, slots=True)
class SuperMethod(Target):
    """`super().name(...)`: a method of the enclosing class's bases."""

    name: str


@codec.register
@dataclass(frozen=True, slots=True)
class MethodOf(Target):
    """Method `method` of an object of type `receiver`."""

    receiver: TypeExpr
    method: str


@codec.register
@dataclass(frozen=True, slots=True)
class AnyMethod(Target):
    """Method `name` of a receiver whose type the module does not tell."""

    name: str


# --- module-level bindings -----------------------------------------------------------------


class Binding:
    """What a module-level name is bound to (`Imported` is one too)."""

    __slots__ = ()


@codec.register
@dataclass(frozen=True, slots=True)
class Imported(Binding):
    """What an import binds a name to: the module or attribute `name`, absolute (`level` 0) or
    relative to the importing file's package (`level` = the number of leading dots)."""

    name: str
    level: int = 0


@codec.register
@dataclass(frozen=True, slots=True)
class FunctionDefinition(Binding):
    """The name of a module-level function."""


@codec.register
@dataclass(frozen=True, slots=True)
class ClassDefinition(Binding):
    """The name of a module-level class."""


@codec.register
@dataclass(frozen=True, slots=True)
class Assignment(Binding):
    """A module-level variable, with the type of its value when the module tells it. `switch`: the
    environment variable that turns it on, when it is an opt-in switch, false unless that variable
    is set (`MULTI_TENANT = os.environ.get("MULTI_TENANT", "").lower() == "true"`)."""

    type: TypeExpr | None = None
    switch: str | None = None


# --- calls, functions, classes, modules ----------------------------------------------------


@codec.register
@dataclass(frozen=True, slots=True)
class Call:
    """One call a function makes itself (not its nested functions); positions are 1-based lines
    and 0-based columns of the whole call, `text` is the callee as written (shortened to 80)."""

    target: Target
    line: int
    col: int
    end_line: int
    end_col: int
    text: str
    has_args: bool
    #: runs once per process: in a memoized function, or under `if _x is None: _x = ...`
    once: bool = False
    #: its result is awaited (`await f()`, `async with f()`, `async for _ in f()`): an async call
    awaited: bool = False
    #: index (in the function's calls) of the innermost call this one is part of an argument of:
    #: `to_thread(partial(fetch))` makes `partial(...)` an argument of `to_thread(...)`
    argument_of: int | None = None
    #: written in a lambda: it runs when the lambda is called (by whoever it is handed to), not here
    deferred: bool = False
    #: runs only when this name is true: under `if NAME:`, or after `if not NAME: return` (or raise)
    #: at the top of the function; what the name is (an opt-in switch?) is decided project-wide
    switch: Ref | None = None
    #: runs only when no event loop is running in its thread: in the `except RuntimeError:` of a
    #: `try` that calls `asyncio.get_running_loop()`
    off_loop: bool = False
    #: runs only on this operating system ("Windows", "macOS"): in a branch only it takes
    #: (`if sys.platform == "win32":`, `if IS_WINDOWS:`, the `else:` of `if os.name != "nt":`)
    platform: str | None = None
    #: runs only when a configured value picks this branch among alternatives: the test, as
    #: written, of the `if`/`elif` whose body it is in, in a chain comparing one value to two or
    #: more strings (`auth_config.provider == "supabase"` beside `== "r2r"`, `== "jwt"`), or to
    #: one and ending in an `else:`; or of a `match` case among two or more of strings; not the
    #: `else:` (or `case _:`), which is the fallback
    choice: str | None = None
    #: the function's parameters among its arguments, passed (`run(factory)`) or called there
    #: (`run_until_complete(factory())`): what a helper hands on to the call it makes
    passes: tuple[str, ...] = ()
    #: functions passed by name among its arguments, not called here (`run(job)`, `run(self.job)`):
    #: the call may run them
    values: tuple[Target, ...] = ()


@codec.register
@dataclass(frozen=True, slots=True)
class Function:
    """A function or method, and every call it makes itself, in source order.

    Nested functions are functions of their own (`outer.inner`); methods have `cls`. A
    function's own code includes its parameters' defaults and annotations and its lambdas,
    not its decorators. The module's own code, when it calls anything, is one more (sync)
    function, `MODULE_CODE`: what runs on import or as a script (`asyncio.run(main())`)."""

    qualname: str
    name: str
    cls: str | None
    is_async: bool
    line: int
    col: int
    end_line: int
    end_col: int
    #: dotted names of the decorators, `name()` for a call (`@lru_cache()`); others left out
    decorators: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    is_property: bool = False  # @property, @cached_property
    is_memoized: bool = False  # @cache, @lru_cache, ...: its body runs once per argument set
    #: receivers used the non-blocking way here (`sock.setblocking(False)`, passed to an awaited
    #: call, or called in a `try` that handles BlockingIOError), as written
    polled: tuple[str, ...] = ()
    #: what callers get: the return annotation, else the first `return` of a known type
    returns: TypeExpr | None = None
    calls: tuple[Call, ...] = ()


@codec.register
@dataclass(frozen=True, slots=True)
class Class:
    """A module-level class: its project-visible bases, attributes and method names.

    `attributes` maps a name to every type it may hold, in source order: class-level
    assignments and annotations, and `self.name = ...` in its methods."""

    name: str
    line: int
    col: int
    end_line: int
    end_col: int
    bases: tuple[Ref, ...] = ()
    attributes: dict[str, tuple[TypeExpr, ...]] = field(default_factory=dict)
    methods: tuple[str, ...] = ()
    #: fields of a settings class (a base named `...Settings`) off by default (`flag: bool = False`):
    #: opt-in switches the environment turns on, as `Assignment.switch` for a module's variables
    switches: tuple[str, ...] = ()


@codec.register
@dataclass(frozen=True, slots=True)
class Module:
    """Everything the model knows about one file (`path`, relative to the scanned root).

    Functions and classes are the module-level ones (also under `if`/`try`/`with`), their
    methods, and functions nested in those; not code under module-level loops, classes nested
    in functions or classes, or methods defined under an `if` in a class body."""

    path: str
    schema: int
    imports: tuple[Import, ...] = ()
    names: dict[str, Binding] = field(default_factory=dict)
    star_imports: tuple[Imported, ...] = ()  # `from .base import *`
    classes: dict[str, Class] = field(default_factory=dict)
    functions: tuple[Function, ...] = ()
    #: strings that name a module, anywhere in the file, as frameworks load code by name
    #: (`"app.main:app"`, `INSTALLED_APPS`, `ROOT_URLCONF`, `import_module("app.views")`): the
    #: module part, without `:attribute`
    references: tuple[str, ...] = ()
    #: modules imported by a computed name (`import_module(f"plugins.{name}")`): the constant
    #: start of the name (`plugins.`, `.` for relative names, `?` when nothing of it is
    #: constant); `*` for entry-point loaders
    dynamic_imports: tuple[str, ...] = ()
    #: console scripts a `setup.py` declares (`"name = module:function"`): (name, module)
    scripts: tuple[tuple[str, str], ...] = ()
    #: the last name of everything module-level and class-body code mentions, decorators and
    #: default values included (`HANDLERS = {"png": to_png}`, `user = Depends(get_user)`), and
    #: of what any code hands to a call the module cannot name (`app.get(path)(page)`): how a
    #: function is handed to what runs it without a call the model follows
    mentions: tuple[str, ...] = ()
    #: the types the module's code assigns to application or request state, by name
    #: (`app.state.db = Database()`: StateAttr)
    state: dict[str, tuple[TypeExpr, ...]] = field(default_factory=dict)
