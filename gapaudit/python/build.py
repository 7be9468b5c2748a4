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
* The module's own code, outside every def and class (`asyncio.run(main())`, an
  `if __name__ == "__main__":` block), is read last, as a function named `<module>`
  (`MODULE_CODE`): its calls, with the module's names (not bound again as locals).

The walk collects each function's nodes of interest as it leaves them; sorting them by
(line, column, reverse postorder) gives the order of a position sort over a depth-first
listing of the function: a call comes before the calls inside its callee expression.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from typing import Any, Callable, Iterable

from ._names import Names, Scope, Scopes, dotted, source, state_name
from .astutil import last_name, module_statements
from .imports import ImportCollector
from .model import (
    MODULE_CODE,
    SCHEMA,
    Call,
    Class,
    Function,
    ImportRef,
    LocalFunctionRef,
    MethodOf,
    Module,
    ModuleRef,
    Ref,
    SelfMethod,
    Target,
    TypeExpr,
    ValueOf,
)
from .walk import Context, walk

#: the key under which analyzers share the builder of a file (`ParsedFile.collector`)
COLLECTOR_KEY = "python-model"

_MEMOIZERS = frozenset({"cache", "lru_cache", "cached_property", "cached", "memoize", "alru_cache"})
_PROPERTIES = frozenset({"property", "cached_property"})
_NON_BLOCKING = ("setblocking", "settimeout")
# a string naming a module the way frameworks load code by name: `app.main:app`, `app.views`
# (a dot or a colon, so plain words are not names)
_MODULE_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*(?::[A-Za-z_][\w.]*(?:\(\))?)?")
_CONSOLE_SCRIPT = re.compile(r"\s*([A-Za-z0-9_.-]+)\s*=\s*([A-Za-z_][\w.]*)\s*:\s*[A-Za-z_][\w.]*\s*")
_MAX_REFERENCES = 2000  # per file: a generated file of dotted strings costs no more than this
_MAX_VALUES = 4  # functions named among one call's arguments: `run(job)`, `gather(a, b)`
# calls that import a module by name (`importlib.import_module`, Django's `import_string`), and
# those that load code the project declares elsewhere (entry points): any name at all
_IMPORTERS = frozenset({"import_module", "__import__", "import_string"})
_PLUGIN_LOADERS = frozenset({"entry_points", "iter_entry_points", "load_entry_point"})


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


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


_LOOP_GETTERS = frozenset({"get_running_loop", "get_event_loop"})


def _no_loop_branch(node: ast.If, names: set[str]) -> list[ast.stmt] | None:
    """The branch of `if loop is None:` / `if not loop:` (its body) or `if loop:` / `if loop is not
    None:` (its `else`) that runs when `loop` is one of `names`, set to None where no loop runs."""
    test = node.test
    negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
    if negated:
        test = test.operand  # type: ignore[attr-defined]
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.comparators[0], ast.Constant) \
            and test.comparators[0].value is None and isinstance(test.ops[0], (ast.Is, ast.IsNot)):
        negated ^= isinstance(test.ops[0], ast.Is)
        test = test.left
    if not (isinstance(test, ast.Name) and test.id in names):
        return None
    return node.body if negated else node.orelse


def _asks_for_loop(statement: ast.stmt) -> bool:
    """`loop = asyncio.get_running_loop()` (or a call of it anywhere in one simple statement)."""
    return isinstance(statement, (ast.Assign, ast.AnnAssign, ast.Expr)) and any(
        isinstance(node, ast.Call) and (node.func.attr if isinstance(node.func, ast.Attribute) else
                                        node.func.id if isinstance(node.func, ast.Name) else None) in _LOOP_GETTERS
        for node in ast.walk(statement))


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


# --- what the walk collects ----------------------------------------------------------------

_Key = tuple[int, int, int]  # (line, column, -postorder): see the module docstring


class _RawCall:
    """A call met by the walk, before its function is read."""

    __slots__ = ("node", "depth", "parent", "in_arguments", "index", "deferred")

    def __init__(self, node: ast.Call, depth: int, parent: _RawCall | None, in_arguments: bool,
                 deferred: bool) -> None:
        self.node = node
        self.depth = depth
        self.parent = parent  # the innermost call around it (in the same function)
        self.in_arguments = in_arguments  # inside the parent's arguments, not its callee
        self.index: int | None = None  # its place among the function's calls, once read
        self.deferred = deferred  # inside a lambda


class _FunctionRecord:
    """A function the model describes (or the module's own code: `node` the module), and its
    own nodes collected by the walk."""

    def __init__(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Module, depth: int, qualname: str,
                 cls: str | None, in_function: bool) -> None:
        self.node = node
        self.depth = depth  # its index among the walk's ancestors of its nodes
        self.qualname = qualname
        self.cls = cls
        self.in_function = in_function  # nested in another function: read with it, not on its own
        self.is_module = isinstance(node, ast.Module)
        decorator_list = [] if isinstance(node, ast.Module) else node.decorator_list
        decorators = [_decorator_name(d) for d in decorator_list]
        self.decorators = tuple(d for d in decorators if d)
        last_names = {d.rpartition(".")[2] for d in self.decorators}
        self.decorator_ids = frozenset(map(id, decorator_list))
        self.is_property = bool(last_names & _PROPERTIES)
        self.is_memoized = bool(last_names & _MEMOIZERS)
        #: in signature order, `*args` and `**kwargs` included
        self.params: list[ast.arg] = []
        self.self_name: str | None = None
        if not isinstance(node, ast.Module):
            args = node.args
            named = [*args.posonlyargs, *args.args, *args.kwonlyargs]
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
        #: ids of calls under `if NAME:` -> each such NAME's dotted parts, innermost first
        self.switched: dict[int, list[tuple[str, ...]]] = {}
        #: `if not NAME: return` at the top of the body: (its last line, NAME's parts); later calls run only when NAME holds
        self.switched_after: list[tuple[int, tuple[str, ...]]] = []
        #: ids of calls in a branch only one operating system takes -> that system (`Call.platform`)
        self.platform: dict[int, str] = {}
        #: ids of calls in one branch of a choice among alternatives -> its test (`Call.choice`)
        self.choice: dict[int, str] = {}
        self.off_loop: set[int] = set()  # ids of calls that run only when no event loop is running
        #: names set to None where no loop runs (`except RuntimeError: loop = None`), tested later
        self.no_loop: set[str] = set()
        #: `if sys.platform != "win32": return` at the top of the body: (its last line, the system left)
        self.platform_after: list[tuple[int, str]] = []
        self.polled: set[str] = set()

    def owns(self, node: ast.AST, ancestors: list[ast.AST]) -> bool:
        """Is `node`, found inside this function's def, one of its own nodes (not a decorator's)?"""
        return not self.decorator_ids or id(_child_on_path(ancestors, self.depth, node)) not in self.decorator_ids


def _decorator_name(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        parts = dotted(node.func)
        return ".".join(parts) + "()" if parts else ""
    parts = dotted(node)
    return ".".join(parts) if parts else ""


class _ClassRecord:
    """A module-level class being read: its body's assignments and methods."""

    def __init__(self, node: ast.ClassDef, bases: tuple[Ref, ...]) -> None:
        self.node = node
        self.bases = bases
        self.attributes: dict[str, list[TypeExpr]] = {}
        self.methods: list[str] = []
        self.switches: list[str] = []

    def add_attribute(self, name: str, t: TypeExpr, unique: bool = False) -> None:
        candidates = self.attributes.setdefault(name, [])
        if not unique or t not in candidates:
            candidates.append(t)

    def freeze(self) -> Class:
        node = self.node
        return Class(node.name, node.lineno, node.col_offset, node.end_lineno or node.lineno,
                     node.end_col_offset or 0, self.bases,
                     {name: tuple(types) for name, types in self.attributes.items()}, tuple(self.methods),
                     tuple(self.switches))


_UNREAD = object()  # a def or class the model does not describe: nothing in it is anyone's own node


class _Region:
    """An `if` guard or a `try` whose body matters to a function: where its body is on the walk."""

    __slots__ = ("node", "depth", "body", "record", "key", "calls", "assigned")

    def __init__(self, node: ast.If | ast.Try, depth: int, record: _FunctionRecord, key: str | None = None,
                 body: list[ast.stmt] | None = None) -> None:
        self.node = node
        self.depth = depth
        self.body = frozenset(map(id, node.body if body is None else body))
        self.record = record
        self.key = key  # the guarded name (`if` guards)
        self.calls: list[ast.Call] = []  # the function's own calls in the body
        self.assigned = False  # the body assigns the guarded name

    def holds(self, node: ast.AST, ancestors: list[ast.AST]) -> bool:
        return id(_child_on_path(ancestors, self.depth, node)) in self.body


# --- the builder ---------------------------------------------------------------------------


class ModelBuilder:
    """A walk.py collector that builds the `Module` of one file (`module` after the walk)."""

    #: every node type with an `enter_<type>` or `leave_<type>` handler (set below the class)
    wants: tuple[type[ast.AST], ...]

    def __init__(self, path: str) -> None:
        self.path = path
        self._names = Names()
        self._imports = ImportCollector()
        self._module_level: set[int] = set()  # ids of module-level statements
        self._classes: dict[str, _ClassRecord] = {}
        self._functions: list[Function] = []
        self._stack: list[object] = []  # _FunctionRecord, _ClassRecord or _UNREAD per enclosing def/class
        self._open_calls: list[_RawCall] = []  # own calls of a function around the current node
        self._guards: list[_Region] = []
        self._switches: list[_Region] = []  # `if NAME:` blocks: their calls run only when NAME holds
        self._platforms: list[_Region] = []  # branches only one operating system takes (key: which)
        self._choices: list[_Region] = []  # branches a configured value picks (key: the test)
        #: ids of the `if`/`elif` branches of the chains entered so far that pick among
        #: alternatives -> their tests: decided once per chain, at its first `if`
        self._choice_tests: dict[int, str] = {}
        self._polling: list[_Region] = []  # `try` blocks that handle BlockingIOError
        #: `except RuntimeError:` of a `try` that asks for the running loop: runs only without one
        self._off_loop: list[_Region] = []
        self._postorder = 0
        self._module: Module | None = None
        self._module_code: _FunctionRecord | None = None  # the module's own code, once the walk enters it
        self._references: dict[str, None] = {}  # module names strings spell, in order, once each
        self._handed: set[str] = set()  # names handed to calls the module cannot name (Module.mentions)
        self._dynamic: dict[str, None] = {}  # constant starts of computed import names
        self._scripts: dict[tuple[str, str], None] = {}  # a setup.py's console scripts
        self._state: dict[str, list[TypeExpr]] = {}  # Module.state

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

    def _top(self) -> object:
        """The innermost def or class around the walk, else the module's own code."""
        return self._stack[-1] if self._stack else self._module_code

    def _owner(self, node: ast.AST, context: Context) -> _FunctionRecord | None:
        """The described function `node` is an own node of (outside every def and class: the
        module's own code), if any."""
        top = self._top()
        if type(top) is _FunctionRecord and top.owns(node, context.ancestors):
            return top
        return None

    def _key(self, node: ast.AST) -> _Key:
        self._postorder += 1
        return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0), -self._postorder)

    # --- module ----------------------------------------------------------------------------

    def enter_Module(self, node: ast.Module, context: Context) -> None:
        self._module_code = _FunctionRecord(node, len(context.ancestors), MODULE_CODE, None, False)
        for statement in (stmt for top in node.body for stmt in module_statements(top)):
            self._module_level.add(id(statement))
            self._names.declare(statement)

    def leave_Module(self, node: ast.Module, context: Context) -> None:
        if self._module_code is not None and self._module_code.calls:
            self._read(self._module_code, [self._names.module])
        self._module = Module(
            path=self.path,
            schema=SCHEMA,
            imports=tuple(self._imports.imports),
            names=self._names.bindings(),
            star_imports=tuple(self._names.star_imports),
            classes={name: record.freeze() for name, record in self._classes.items()},
            functions=tuple(self._functions),
            references=tuple(self._references),
            dynamic_imports=tuple(self._dynamic),
            scripts=tuple(self._scripts),
            mentions=tuple(sorted(self._handed.union(_outside_bodies(node.body)))),
            state={name: tuple(types) for name, types in self._state.items()},
        )

    # --- defs and classes ------------------------------------------------------------------

    def enter_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef, context: Context) -> None:
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

    enter_AsyncFunctionDef = enter_FunctionDef

    def leave_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef, context: Context) -> None:
        record = self._stack.pop()
        if type(record) is not _FunctionRecord:
            return
        if record.in_function:
            outer: _FunctionRecord = self._stack[-1]  # type: ignore[assignment]
            outer.nested.append((self._key(node), record))
        else:
            self._read(record, [self._names.module])

    leave_AsyncFunctionDef = leave_FunctionDef

    def enter_ClassDef(self, node: ast.ClassDef, context: Context) -> None:
        record: object = _UNREAD
        if not self._stack:
            if id(node) in self._module_level:
                record = self._classes[node.name] = _ClassRecord(node, self._names.bases(node))
        else:
            owner = self._owner(node, context)
            if owner is not None:
                owner.classes.append(node.name)
        self._stack.append(record)

    def leave_ClassDef(self, node: ast.ClassDef, context: Context) -> None:
        self._stack.pop()

    # --- statements ------------------------------------------------------------------------

    def enter_Import(self, node: ast.Import | ast.ImportFrom, context: Context) -> None:
        self._imports.enter(node, context)

    enter_ImportFrom = enter_Import

    def leave_Import(self, node: ast.Import | ast.ImportFrom, context: Context) -> None:
        owner = self._owner(node, context)
        if owner is not None and not owner.is_module:  # the module's names are declared already
            owner.imports.append((self._key(node), node))

    leave_ImportFrom = leave_Import

    def enter_Assign(self, node: ast.Assign | ast.AnnAssign, context: Context) -> None:
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

    enter_AnnAssign = enter_Assign

    def _type_module_variable(self, node: ast.Assign | ast.AnnAssign, targets: list[ast.expr]) -> None:
        names = self._names
        scopes = [names.module]
        value_type = names.type_of(node.value, scopes, None)
        if value_type is None and isinstance(node, ast.AnnAssign):
            value_type = names.annotation_type(node.annotation, scopes)
        if value_type is None or isinstance(value_type, ValueOf):
            return
        for target in targets:
            if isinstance(target, ast.Name):
                names.module.types[target.id] = value_type
            else:
                self._assign_state(target, value_type, None)

    def _type_class_attribute(self, record: _ClassRecord, node: ast.Assign | ast.AnnAssign) -> None:
        scopes = [self._names.module]
        if isinstance(node, ast.AnnAssign):
            if isinstance(node.target, ast.Name):
                if _off_by_default(node) and any(last_name(base).endswith("Settings") for base in record.node.bases):
                    record.switches.append(node.target.id)
                t = (self._names.type_of(node.value, scopes, None) if node.value else None) or \
                    self._names.annotation_type(node.annotation, scopes)
                if t is not None:
                    record.add_attribute(node.target.id, t)
            return
        t = self._names.type_of(node.value, scopes, None)
        if t is not None:
            for target in node.targets:
                if isinstance(target, ast.Name):
                    record.add_attribute(target.id, t)

    def _leave_binding(self, node: ast.AST, context: Context) -> None:
        owner = self._owner(node, context)
        if owner is not None and not owner.is_module:  # the module's names are declared already
            owner.binders.append((self._key(node), node))

    leave_Assign = leave_AnnAssign = leave_AugAssign = leave_For = leave_AsyncFor = leave_comprehension = \
        leave_With = leave_AsyncWith = leave_NamedExpr = leave_ExceptHandler = _leave_binding

    def leave_Return(self, node: ast.Return, context: Context) -> None:
        if node.value is not None:
            owner = self._owner(node, context)
            if owner is not None:
                owner.returns.append((self._key(node), node.value))

    def enter_Await(self, node: ast.Await, context: Context) -> None:
        owner = self._owner(node, context)
        if owner is not None:
            owner.awaited.add(id(node.value))
            if isinstance(node.value, ast.Call):
                owner.awaited_calls.append(node.value)

    def enter_AsyncWith(self, node: ast.AsyncWith, context: Context) -> None:
        owner = self._owner(node, context)
        if owner is not None:
            owner.awaited.update(id(item.context_expr) for item in node.items)

    def enter_AsyncFor(self, node: ast.AsyncFor, context: Context) -> None:
        owner = self._owner(node, context)
        if owner is not None:
            owner.awaited.add(id(node.iter))

    def enter_If(self, node: ast.If, context: Context) -> None:
        owner = self._owner(node, context)
        if owner is None:
            return
        parent = context.parent
        if not (isinstance(parent, ast.If) and parent.orelse == [node]):  # the first `if` of its chain
            self._choice_tests.update(_choices(node))
        if owner.no_loop and (branch := _no_loop_branch(node, owner.no_loop)) is not None:
            # crawl4ai: `except RuntimeError: loop = None` ... `if loop is None: return asyncio.run(coro)`
            self._off_loop.append(_Region(node, len(context.ancestors), owner, None, branch))
        guarded = _guarded(node.test)
        key = _guard_key(guarded, owner.self_name) if guarded is not None else None
        if key is not None:
            self._guards.append(_Region(node, len(context.ancestors), owner, key))
        if (test := _platform_test(node.test)) is not None:
            system, holds = test
            self._platforms.append(_Region(node, len(context.ancestors), owner, system, node.body if holds else node.orelse))
            if not holds and context.parent is owner.node and not node.orelse and isinstance(node.body[-1], (ast.Return, ast.Raise)):
                owner.platform_after.append((node.end_lineno or node.lineno, system))
        elif (choice := self._choice_tests.pop(id(node), None)) is not None:
            self._choices.append(_Region(node, len(context.ancestors), owner, choice))
        elif (parts := _switch_on(node.test)) is not None:
            self._switches.append(_Region(node, len(context.ancestors), owner, ".".join(parts)))
        elif (context.parent is owner.node and isinstance(node.test, ast.UnaryOp) and isinstance(node.test.op, ast.Not)
              and (parts := _switch_on(node.test.operand)) is not None and not node.orelse
              and isinstance(node.body[-1], (ast.Return, ast.Raise))):
            owner.switched_after.append((node.end_lineno or node.lineno, parts))

    def leave_If(self, node: ast.If, context: Context) -> None:
        while self._off_loop and self._off_loop[-1].node is node:
            region = self._off_loop.pop()
            region.record.off_loop.update(map(id, region.calls))
        if self._guards and self._guards[-1].node is node:
            guard = self._guards.pop()
            if guard.assigned:
                guard.record.once.update(map(id, guard.calls))
        if self._platforms and self._platforms[-1].node is node:
            branch = self._platforms.pop()
            for call in branch.calls:  # an inner branch's system, if any, was set first
                branch.record.platform.setdefault(id(call), str(branch.key))
        if self._choices and self._choices[-1].node is node:
            branch = self._choices.pop()
            for call in branch.calls:  # an inner choice, if any, was set first
                branch.record.choice.setdefault(id(call), str(branch.key))
        if self._switches and self._switches[-1].node is node:
            switch = self._switches.pop()
            for call in switch.calls:  # inner `if`s are left first
                switch.record.switched.setdefault(id(call), []).append(tuple(str(switch.key).split(".")))

    def enter_Match(self, node: ast.Match, context: Context) -> None:
        owner = self._owner(node, context)
        if owner is not None:  # each case's body, below the `match_case` node
            for case, test in _match_choices(node):
                self._choices.append(_Region(node, len(context.ancestors) + 1, owner, test, case.body))

    def leave_Match(self, node: ast.Match, context: Context) -> None:
        while self._choices and self._choices[-1].node is node:
            branch = self._choices.pop()
            for call in branch.calls:  # an inner choice, if any, was set first
                branch.record.choice.setdefault(id(call), str(branch.key))

    def enter_Try(self, node: ast.Try, context: Context) -> None:
        owner = self._owner(node, context)
        if owner is not None and any(h.type is not None and _mentions(h.type, "BlockingIOError") for h in node.handlers):
            self._polling.append(_Region(node, len(context.ancestors), owner))
        if owner is not None and any(_asks_for_loop(statement) for statement in node.body):
            for handler in node.handlers:
                if handler.type is not None and _mentions(handler.type, "RuntimeError"):
                    self._off_loop.append(_Region(node, len(context.ancestors) + 1, owner, body=handler.body))
                    owner.no_loop.update(
                        target.id for statement in handler.body if isinstance(statement, ast.Assign)
                        and isinstance(statement.value, ast.Constant) and statement.value.value is None
                        for target in statement.targets if isinstance(target, ast.Name))

    def leave_Try(self, node: ast.Try, context: Context) -> None:
        if self._polling and self._polling[-1].node is node:
            self._polling.pop()
        while self._off_loop and self._off_loop[-1].node is node:
            region = self._off_loop.pop()
            region.record.off_loop.update(map(id, region.calls))

    # --- calls -----------------------------------------------------------------------------

    def enter_Constant(self, node: ast.Constant, context: Context) -> None:
        value = node.value
        if (value.__class__ is str and 2 < len(value) <= 200 and ("." in value or ":" in value)
                and len(self._references) < _MAX_REFERENCES and _MODULE_NAME.fullmatch(value)):
            self._references[value.partition(":")[0]] = None
        elif (value.__class__ is str and self.path.endswith("setup.py") and len(value) <= 200
              and len(self._scripts) < _MAX_REFERENCES and (script := _CONSOLE_SCRIPT.fullmatch(value))):
            self._scripts[(script[1], script[2])] = None

    def _import_by_name(self, node: ast.Call) -> None:
        """`import_module(name)` with a computed name: the constant start of it (`plugins.`), `.`
        for a name relative to a package, `?` when no part of it is constant. Entry-point
        loaders load whatever is installed: `*`."""
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        if called in _PLUGIN_LOADERS:
            self._dynamic["*"] = None
        elif called in _IMPORTERS and node.args and not isinstance(node.args[0], ast.Constant):
            name = node.args[0]
            start = ""
            if isinstance(name, ast.JoinedStr) and name.values and isinstance(name.values[0], ast.Constant):
                start = str(name.values[0].value)
            elif isinstance(name, ast.BinOp) and isinstance(name.left, ast.Constant) and isinstance(name.left.value, str):
                start = name.left.value
            package = node.args[1] if len(node.args) > 1 else next(
                (k.value for k in node.keywords if k.arg == "package"), None)
            if package is not None and (start.startswith(".") or not start):
                if isinstance(package, ast.Constant) and isinstance(package.value, str):
                    start = f"{package.value}.{start.lstrip('.')}"  # relative to a package it names
                elif isinstance(package, ast.Name) and package.id in ("__name__", "__package__"):
                    start = "." + start.lstrip(".")  # relative to the caller's own package
            if start and _MODULE_NAME.fullmatch(start.strip(".") or "x"):
                self._dynamic[start] = None
            elif not start:
                self._dynamic["?"] = None

    def enter_Call(self, node: ast.Call, context: Context) -> None:
        if len(self._dynamic) < _MAX_REFERENCES:
            self._import_by_name(node)
        owner = self._owner(node, context)
        if owner is None:
            return
        # calls around an own call are own calls of the same function: no def can stand between
        parent = self._open_calls[-1] if self._open_calls else None
        ancestors = context.ancestors
        in_arguments = parent is not None and _child_on_path(ancestors, parent.depth, node) is not parent.node.func
        # a lambda between this call and the one around it (or the function, when none is)
        deferred = parent is not None and parent.deferred
        for position in range(len(ancestors) - 1, parent.depth if parent is not None else owner.depth, -1):
            if ancestors[position].__class__ is ast.Lambda:
                deferred = True
                break
        self._open_calls.append(_RawCall(node, len(ancestors), parent, in_arguments, deferred))

    def leave_Call(self, node: ast.Call, context: Context) -> None:
        ancestors = context.ancestors
        if self._polling and isinstance(node.func, ast.Attribute):
            for region in self._polling:
                if region.holds(node, ancestors):
                    region.record.polled.add(source(node.func.value))
        if not self._open_calls or self._open_calls[-1].node is not node:
            return
        raw = self._open_calls.pop()
        owner: _FunctionRecord = self._top()  # type: ignore[assignment]  # only own calls are open
        owner.calls.append((self._key(node), raw))
        for guard in self._guards:
            if guard.record is owner and guard.holds(node, ancestors):
                guard.calls.append(node)
        for region in (*self._switches, *self._platforms, *self._choices, *self._off_loop):
            if region.record is owner and region.holds(node, ancestors):
                region.calls.append(node)
        func = node.func
        if (isinstance(func, ast.Attribute) and func.attr in _NON_BLOCKING and node.args
                and isinstance(node.args[0], ast.Constant) and node.args[0].value in (False, 0)):
            owner.polled.add(source(func.value))

    # --- reading a function ----------------------------------------------------------------

    def _read(self, record: _FunctionRecord, scopes: Scopes) -> None:
        """Both passes over one function's own nodes, then its nested functions."""
        names = self._names
        node = record.node
        self_name = record.self_name
        scope = Scope()
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
        params = frozenset(param.arg for param in record.params) - {self_name}
        for _, raw in sorted(record.calls):
            call = raw.node
            target = names.call_target(call, inner, self_name)
            if target is None:  # what it is handed by name may run: `app.get(path)(page)` registers page
                self._handed.update(last_name(arg) for arg in call.args if isinstance(arg, (ast.Name, ast.Attribute)))
                continue
            raw.index = len(calls)
            calls.append(Call(
                target=target,
                line=call.lineno,
                col=call.col_offset,
                end_line=call.end_lineno or call.lineno,
                end_col=call.end_col_offset or 0,
                text=_short(source(call.func)),
                has_args=bool(call.args or call.keywords),
                once=record.is_memoized or id(call) in record.once,
                awaited=id(call) in record.awaited,
                argument_of=_argument_of(raw),
                deferred=raw.deferred,
                switch=self._switch_ref(record, call, inner),
                off_loop=id(call) in record.off_loop,
                platform=record.platform.get(id(call)) or next(
                    (system for end, system in record.platform_after if call.lineno > end), None),
                choice=record.choice.get(id(call)),
                passes=_passes(call, params) if params else (),
                values=self._values(call, inner, self_name),
            ))
        polled = record.polled
        for call in record.awaited_calls:
            polled.update(source(arg) for arg in call.args)
        first, last = (node.body[0], node.body[-1]) if isinstance(node, ast.Module) else (node, node)
        self._functions.append(Function(
            qualname=record.qualname,
            name=record.qualname if record.is_module else node.name,
            cls=record.cls,
            is_async=isinstance(node, ast.AsyncFunctionDef),
            line=first.lineno,
            col=first.col_offset,
            end_line=last.end_lineno or last.lineno,
            end_col=last.end_col_offset or 0,
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

    def _values(self, call: ast.Call, scopes: Scopes, self_name: str | None) -> tuple[Target, ...]:
        """The functions a call is handed by name (Call.values), as far as the module can name them."""
        found: list[Target] = []
        for arg in [*call.args, *(keyword.value for keyword in call.keywords)]:
            if isinstance(arg, (ast.Name, ast.Attribute)) and len(found) < _MAX_VALUES:
                target = self._names.call_target(ast.Call(func=arg, args=[], keywords=[]), scopes, self_name)
                if isinstance(target, (ImportRef, ModuleRef, LocalFunctionRef, SelfMethod, MethodOf)):
                    found.append(target)
        return tuple(found)

    def _switch_ref(self, record: _FunctionRecord, call: ast.Call, scopes: Scopes) -> Ref | None:
        """The module-level name (here or imported) the call runs only when it holds, if any."""
        candidates = [*record.switched.get(id(call), ()), *(p for end, p in record.switched_after if call.lineno > end)]
        for parts in candidates:  # `if tenant_id:` is a local value, not a switch: the next one may be
            ref = self._names.ref(parts, scopes)
            if isinstance(ref, (ImportRef, ModuleRef)):
                return ref
        return None

    def _bind(self, node: ast.AST, scope: Scope, scopes: Scopes, cls: _ClassRecord | None, self_name: str | None) -> None:
        names = self._names
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

    def _assign(self, target: ast.AST, t: TypeExpr | None, scope: Scope, cls: _ClassRecord | None,
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
        elif isinstance(target, ast.Attribute):
            self._assign_state(target, t, self_name)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._assign(element, None, scope, cls, self_name)
        elif isinstance(target, ast.Starred):
            self._assign(target.value, None, scope, cls, self_name)

    def _assign_state(self, target: ast.AST, t: TypeExpr | None, self_name: str | None) -> None:
        """`app.state.db = Database()`: what requests read as `request.app.state.db` (StateAttr)."""
        if t is not None and (name := state_name(target, self_name)) is not None:
            types = self._state.setdefault(name, [])
            if t not in types:
                types.append(t)

    def _return_type(self, record: _FunctionRecord, scopes: Scopes) -> TypeExpr | None:
        """`-> Client` or the first `return Client(...)`: what callers get (for repository patterns)."""
        if isinstance(record.node, ast.Module):
            return None
        declared = self._names.annotation_type(record.node.returns, scopes)
        if declared is not None:
            return declared
        for _, value in sorted(record.returns):
            found = self._names.type_of(value, scopes, record.self_name)
            if found is not None:
                return found
        return None


def _handlers(prefix: str) -> dict[type[ast.AST], Callable[[ModelBuilder, Any, Context], None]]:
    """The builder's handlers by node type, as ast.NodeVisitor names them: `enter_Call` for ast.Call.

    Looked up on the class, not the instance: bound methods kept in a builder would make it a
    reference cycle, keeping its whole tree alive until the garbage collector runs."""
    return {getattr(ast, name.removeprefix(prefix)): handler for name, handler in vars(ModelBuilder).items()
            if name.startswith(prefix)}


_ENTER = _handlers("enter_")
_LEAVE = _handlers("leave_")
ModelBuilder.wants = tuple({**_ENTER, **_LEAVE})


def _outside_bodies(body: list[ast.stmt]) -> dict[str, None]:
    """Module.mentions outside function bodies: a walk of that code, at most _MAX_REFERENCES names."""
    found: dict[str, None] = {}
    stack: list[ast.AST] = list(body)
    while stack and len(found) < _MAX_REFERENCES:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):  # its body runs when it is called
            stack.extend(node.decorator_list)
            stack.extend(node.args.defaults)
            stack.extend(default for default in node.args.kw_defaults if default is not None)
        elif isinstance(node, ast.Name):
            found[node.id] = None
        elif isinstance(node, ast.Attribute):
            found[node.attr] = None
            stack.append(node.value)
        elif not isinstance(node, (ast.Constant, ast.Lambda, ast.Import, ast.ImportFrom)):
            stack.extend(ast.iter_child_nodes(node))
    return found


def _off_by_default(node: ast.AnnAssign) -> bool:
    """`flag: bool = False` or `= Field(False, ...)` / `Field(default=False)`: a settings field
    that is off unless the environment turns it on."""
    if last_name(node.annotation) != "bool":
        return False
    value = node.value
    if isinstance(value, ast.Call) and last_name(value.func) == "Field":
        value = value.args[0] if value.args else next(
            (k.value for k in value.keywords if k.arg == "default"), None)
    return isinstance(value, ast.Constant) and value.value is False


def _switch_on(test: ast.expr) -> tuple[str, ...] | None:
    """The dotted name an `if` test needs true: `if NAME:`, `if cfg.NAME:`, `if NAME and ...:`."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return next((parts for value in test.values if (parts := _switch_on(value)) is not None), None)
    if isinstance(test, (ast.Name, ast.Attribute)):
        return dotted(test) or None
    return None


def _choices(head: ast.If) -> dict[int, str]:
    """The branches of an `if`/`elif` chain that pick one of several alternatives by a value's
    text, by id -> their tests as written: the chain compares the same expression to strings
    with `==` or `in` in two or more of its tests, or in one and ends in an `else:`, the fallback
    (morphik's `if settings.STORAGE_PROVIDER == "aws-s3": ... else:`). `__name__` and the
    platform are other things (a script's entry point, an operating system)."""
    branches: list[tuple[ast.If, str]] = []
    branch: ast.If | None = head
    fallback = False
    while branch is not None:
        if (subject := _compared(branch.test)) is not None and subject not in _NOT_CHOICES:
            branches.append((branch, subject))
        orelse = branch.orelse
        fallback = bool(orelse)
        branch = orelse[0] if len(orelse) == 1 and isinstance(orelse[0], ast.If) else None
    counts = Counter(subject for _, subject in branches)
    return {id(branch): _shown(branch.test, subject)  # type: ignore[arg-type]  # _compared: a Compare
            for branch, subject in branches if counts[subject] >= 2 or fallback}


def _match_choices(node: ast.Match) -> list[tuple[ast.match_case, str]]:
    """The cases of a `match` that pick one of several alternatives by a value's text (two or
    more cases of strings: `match settings.STORAGE_PROVIDER: case "local": ... case "aws-s3":`),
    each with its test as a choice shows it (`_shown`)."""
    subject = ".".join(parts) if (parts := dotted(node.subject)) else None
    if subject is None or subject in _NOT_CHOICES:
        return []
    found = []
    for case in node.cases:
        pattern = case.pattern
        options = pattern.patterns if isinstance(pattern, ast.MatchOr) else [pattern]
        values = [option.value.value for option in options if isinstance(option, ast.MatchValue)
                  and isinstance(option.value, ast.Constant) and isinstance(option.value.value, str)]
        if values and len(values) == len(options) and case.guard is None:
            shown = " | ".join(map(repr, values)) if _choice_names(values) else "…"
            found.append((case, f"{subject} == {shown}"))
    return found if len(found) >= 2 else []


def _shown(test: ast.Compare, subject: str) -> str:
    """A choice's test as its evidence shows it; one that compares with a string that is not a
    short name (a provider, a mode) shows no string: a token a service compares against is never
    printed."""
    strings = [node.value for node in ast.walk(test) if isinstance(node, ast.Constant) and isinstance(node.value, str)]
    if _choice_names(strings):
        return _short(ast.unparse(test))
    return f"{subject} {'in' if isinstance(test.ops[0], ast.In) else '=='} …"


def _choice_names(values: list[str]) -> bool:
    """Are these strings short names (`s3`, `aws-s3`), safe to show? Not a token, however short."""
    return all(_CHOICE_NAME.fullmatch(value) and sum(map(str.isdigit, value)) < 5 for value in values)


_CHOICE_NAME = re.compile(r"[A-Za-z][\w.+-]{0,23}")  # `s3`, `aws-s3`, `azure_openai`; digits counted apart


def _compared(test: ast.expr) -> str | None:
    """`x.provider` of `x.provider == "s3"` or `x.provider in ("s3", "minio")`, as written."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Eq, ast.In))):
        return None
    left, right = test.left, test.comparators[0]
    if isinstance(left, ast.Constant):
        left, right = right, left
    strings = right.elts if isinstance(right, (ast.Tuple, ast.List, ast.Set)) else [right]
    if not strings or not all(isinstance(item, ast.Constant) and isinstance(item.value, str) for item in strings):
        return None
    return ".".join(parts) if (parts := dotted(left)) else None


_NOT_CHOICES = frozenset({"__name__", "sys.platform", "os.name"})


#: what `sys.platform`, `os.name` and `platform.system()` say on each system a branch may be for
_PLATFORM_VALUES = {"win32": "Windows", "cygwin": "Windows", "nt": "Windows", "windows": "Windows",
                    "darwin": "macOS"}
#: words of a flag's name that say it holds on one system: `IS_WINDOWS`, `on_win`, `is_macos`
_PLATFORM_WORDS = {"windows": "Windows", "win": "Windows", "win32": "Windows", "macos": "macOS", "darwin": "macOS"}
_PLATFORM_SOURCES = frozenset({("sys", "platform"), ("os", "name"), ("platform", "system")})


def _platform_test(test: ast.expr) -> tuple[str, bool] | None:
    """(system, True) for an `if` test that holds only on that system (`sys.platform == "win32"`,
    `sys.platform.startswith("win")`, `os.name == "nt"`, `platform.system() == "Windows"`,
    `IS_WINDOWS`); (system, False) for one that holds everywhere else (`!=`, `not IS_WINDOWS`)."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        found = _platform_test(test.operand)
        return (found[0], not found[1]) if found else None
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):  # `if IS_WINDOWS and ...:` holds only there
        return next((found for value in test.values if (found := _platform_test(value)) is not None and found[1]), None)
    if isinstance(test, (ast.Name, ast.Attribute)):
        parts = dotted(test)
        words = set(re.split(r"[^a-z0-9]+", parts[-1].lower())) if parts else set()
        systems = {_PLATFORM_WORDS[word] for word in words & _PLATFORM_WORDS.keys()}
        return (systems.pop(), True) if len(systems) == 1 and words & {"is", "on", "running", "windows", "macos"} else None
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) and test.func.attr == "startswith" \
            and len(test.args) == 1 and _platform_source(test.func.value):
        prefix = test.args[0]
        if isinstance(prefix, ast.Constant) and isinstance(prefix.value, str) and prefix.value.lower() in ("win", "darwin"):
            return _PLATFORM_VALUES["win32" if prefix.value.lower() == "win" else "darwin"], True
        return None
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Eq, ast.NotEq)) \
            and _platform_source(test.left):
        value = test.comparators[0]
        if isinstance(value, ast.Constant) and isinstance(value.value, str) and value.value.lower() in _PLATFORM_VALUES:
            return _PLATFORM_VALUES[value.value.lower()], isinstance(test.ops[0], ast.Eq)
    return None


def _platform_source(node: ast.expr) -> bool:
    """`sys.platform`, `os.name`, `platform.system()` (so written, or with the module renamed)."""
    if isinstance(node, ast.Call) and not node.args:
        node = node.func
    parts = dotted(node)
    return bool(parts) and tuple(parts[-2:]) in _PLATFORM_SOURCES


def _passes(call: ast.Call, params: frozenset[str]) -> tuple[str, ...]:
    """The parameters among a call's arguments, as they are (`f(p)`) or called (`f(p())`)."""
    found: list[str] = []
    for arg in [*call.args, *(keyword.value for keyword in call.keywords)]:
        if isinstance(arg, ast.Starred):
            arg = arg.value
        if isinstance(arg, ast.Call):
            arg = arg.func
        if isinstance(arg, ast.Name) and arg.id in params and arg.id not in found:
            found.append(arg.id)
    return tuple(found)


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
