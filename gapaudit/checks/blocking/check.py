"""GA101-GA111: blocking calls reachable from an `async def`, directly or through sync helpers.

Per file: the module's code model (`python/model.py`, shared with any analyzer that reads it).
At link time: a whole-program call graph where every `async def` is a root and sync functions
are followed until an offloading boundary (`asyncio.to_thread`, `run_in_executor`, ...) or a
blocking call from the catalog (`rules/blocking-calls.yml`). One gap per call site in the async
function that starts a chain, naming the most severe blocking call it reaches by the shortest path.
"""

from __future__ import annotations

import dataclasses
import re
from collections import deque
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable, Iterator, Mapping, TypeVar

from ...context.deployed import Deployed, ModuleEdges, deployed, module_edges
from ...context.launch import DeployFile, deploy_file
from ...model import CI, CONFIG, DEPLOY, PYTHON, Finding, priority_rank
from ...python import codec
from ...python.build import COLLECTOR_KEY, ModelBuilder
from ...python.imports import Import
from ...python.model import (
    MODULE_CODE,
    SCHEMA,
    AnyMethod,
    BuiltinRef,
    Call,
    FieldOf,
    Function,
    ImportRef,
    LocalFunctionRef,
    MethodOf,
    Module,
    ModuleRef,
    NewOf,
    PathOf,
    Ref,
    ReturnOf,
    SelfMethod,
    SuperMethod,
    Target,
    TypeExpr,
    ValueOf,
)
from ...python.resolve import (
    ClassSymbol,
    External,
    Family,
    FunctionSymbol,
    Instance,
    Owner,
    PythonProject,
    Symbol,
    state_index,
)
from ...rules import RuleSet
from ..base import Analyzer, ParsedFile, Project
from .catalog import CATALOGS, BlockingCatalog, CallNames


@codec.register
@dataclass(frozen=True, slots=True)
class Sink:
    """A blocking call: its kind, its qualified name (evidence) and how the source writes it."""

    kind: str
    name: str
    display: str  # `self._client.db()`


@codec.register
@dataclass(frozen=True, slots=True)
class Callee:
    """A sync project function a call runs (`path`, `qualname`)."""

    path: str
    qualname: str


@codec.register
@dataclass(frozen=True, slots=True)
class CallLink:
    """A call that may block, resolved: it blocks (`to` a Sink), runs a sync project function, or
    neither (None)."""

    line: int
    text: str
    once: bool
    to: Sink | Callee | None
    #: runs only sometimes: (when, why), behind an opt-in switch (`when MULTI_TENANT is set`, `an
    #: opt-in switch, off by default (configs.py)`) or on one operating system (`on Windows`)
    switch: tuple[str, str] | None = None
    #: the caller's parameters it hands to the sync function it calls (Call.passes)
    passes: tuple[str, ...] = ()


@codec.register
@dataclass(frozen=True, slots=True)
class Run:
    """A call of one of the project's async functions: awaited, or started (`create_task(f())`)."""

    callee: Callee
    awaited: bool
    switch: tuple[str, str] | None = None  # as CallLink.switch
    #: the call that runs it on an event loop of its own (`asyncio.run`), when one does
    runner: str | None = None
    #: the sync project function the coroutine is handed to (`run_in_new_loop(lambda: job())`),
    #: which runs it on a loop of its own if it hands that argument to one (decided project-wide)
    via: Callee | None = None
    #: handed by name to what runs it per request (`app.add_api_route(path, job)`, `Depends(job)`:
    #: catalog `request-handlers`)
    handler: bool = False


@codec.register
@dataclass(frozen=True, slots=True)
class Made:
    """A call that makes an instance of one of the project's classes (`path`, `name`), and the
    test of the branch among alternatives it is made in, if it is (Call.choice)."""

    path: str
    name: str
    line: int
    choice: str | None = None
    switch: tuple[str, str] | None = None  # as CallLink.switch: made only behind an opt-in switch


@codec.register
@dataclass(frozen=True, slots=True)
class FunctionLinks:
    """A function's resolved calls: what reachability needs of it, with no syntax left."""

    qualname: str
    is_async: bool
    startup: bool  # a lifespan or an on-startup/shutdown handler
    calls: tuple[CallLink, ...]
    runs: tuple[Run, ...]  # the project's async functions it awaits or starts
    decorated: bool = False  # a route, a task, a handler: something may run it besides its callers
    #: the call that starts an event loop of its own when the function hands it a parameter
    #: (`loop.run_until_complete() in run_task()` for `loop.run_until_complete(factory())`)
    loop_runner: str | None = None
    #: the methods of base classes it overrides: a call of those may run it
    overrides: tuple[Callee, ...] = ()
    fixture: bool = False  # a test fixture (`@pytest.fixture`): it runs in the test suite
    makes: tuple[Made, ...] = ()  # the project's classes it makes instances of
    #: the last name of everything it calls or hands on by name (`run_x` of `await svc.run_x()`,
    #: `add_task(run_x)`), resolved or not: what nothing names is called by nothing
    names: tuple[str, ...] = ()
    #: a library may call it without the project naming it: a dunder method (`__init__` when the
    #: class is made, `__aenter__`), or a method of a class with a base outside the project
    #: (fastapi-users' `on_after_register`, httpx's `handle_async_request`)
    callback: bool = False
    #: it handles requests: a route or event handler's decorator, or a class-based view's method
    #: (catalog `request-handlers`)
    handler: bool = False
    #: methods it awaits on a receiver whose type the project does not tell (`await
    #: data_layer.get_user()` after `data_layer = get_data_layer()`): which method runs is decided
    #: project-wide, when one base method and its overrides are the only ones of that name
    awaits_unknown: tuple[str, ...] = ()


@codec.register
@dataclass(frozen=True, slots=True)
class ModuleLinks:
    """A module's functions with their calls resolved, and the other modules resolving them read:
    an edit to a module re-resolves it and the modules that read it, nothing else. `edges`: what
    importing it imports."""

    path: str
    reads: tuple[str, ...]
    functions: tuple[FunctionLinks, ...]
    edges: ModuleEdges
    mentions: tuple[str, ...] = ()  # Module.mentions
    state: tuple[str, ...] = ()  # the application-state attributes it assigns (Module.state)


_PLAIN_BASES = ("builtins.", "abc.", "typing.", "typing_extensions.", "enum.")
_MIGRATION_FILE = re.compile(r"\d{4}_")  # Django's 0001_initial.py
#: function number -> (severity, call index, next hop: the blocking call or the next function's number)
_Best = dict[int, tuple[tuple[int, str], int, Sink | int]]


class BlockingAsyncAnalyzer(Analyzer):
    """Facts: each Python module's model, and each deploy file's commands (which code the
    deployment runs at all, `context.deployed`)."""

    name = "blocking-async"
    kinds = frozenset({PYTHON, CI, CONFIG, DEPLOY})
    order = 10
    catalogs = CATALOGS

    def __init__(self, rules: RuleSet) -> None:
        self.catalog = BlockingCatalog(rules)

    def prepare(self, file: ParsedFile) -> None:
        if file.kind == PYTHON:
            _builder(file)

    def file_facts(self, file: ParsedFile) -> Module | DeployFile | None:
        if file.kind == PYTHON:
            return _builder(file).module
        return deploy_file(file.rel, file.text)

    def encode(self, facts: Module | DeployFile | None) -> Any:
        return codec.encode(facts)

    def decode(self, data: Any) -> Module | DeployFile | None:
        facts = codec.decode(data)
        if facts is None or isinstance(facts, DeployFile) or (isinstance(facts, Module) and facts.schema == SCHEMA):
            return facts
        raise codec.DecodeError(f"expected a Module of schema {SCHEMA} or a DeployFile")

    def link(self, project: Project) -> list[Finding]:
        return self.relink(project, None, frozenset())[0]

    def relink(self, project: Project, previous: Any, changed: frozenset[str]) -> tuple[list[Finding], Any]:
        """Each module's calls are resolved into ModuleLinks, which the state keeps with the
        modules their resolution read; after an edit, only the edited modules and those that read
        them are decoded and resolved again, the rest of the call graph comes from the state."""
        facts = project.facts_of(self.name)
        order = tuple(rel for rel in facts if project.kinds.get(rel) == PYTHON)
        with codec.paused_gc():  # the collector took half of the link's time
            kept = _previous_links(previous, order)
            modules = _Only(facts, order)  # the engine's facts decode (with this analyzer's `decode`) when first read
            state = _state_index(order, kept, changed, modules)
            if state is None:  # an edit changed which modules assign application state: resolve them all
                kept, state = {}, state_index(modules)
            python = PythonProject(modules, project.discovery.package_dirs,
                                   self.catalog.constructor_family, self.catalog.family_derives, state)
            resolver = _Resolver(self.catalog, python)
            links, encoded = [], []
            for rel in order:
                old, data = kept.get(rel, (None, None))
                if old is None or rel in changed or not changed.isdisjoint(old.reads):
                    old = resolver.module_links(rel, python.modules[rel])
                    data = codec.encode(old)
                links.append(old)
                encoded.append(data)
            runs = _deployed(facts, order, links, python, project.kinds)
            graph = _Graph(self.catalog, links, python.index.shadowed, runs)
            findings = _one_per_root_cause(_one_per_blocking_call(graph.findings()))
        return findings, {"order": list(order), "links": encoded}


class _Only(Mapping[str, Any]):
    """The facts of some files (the Python modules), read through as the engine decodes them."""

    def __init__(self, facts: Mapping[str, Any], keys: tuple[str, ...]) -> None:
        self._facts = facts
        self._keys = frozenset(keys)
        self._order = keys

    def __getitem__(self, rel: str) -> Any:
        if rel not in self._keys:
            raise KeyError(rel)
        return self._facts[rel]

    def __iter__(self) -> Iterator[str]:
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._order)


def _deployed(facts: Mapping[str, Any], order: tuple[str, ...], links: list[ModuleLinks],
              python: PythonProject, kinds: Mapping[str, str]) -> Deployed:
    """Which modules the deployment runs, from the deploy files' commands and the modules' imports."""
    python_files = frozenset(order)
    files = [found for rel in facts if rel not in python_files and isinstance(found := facts[rel], DeployFile)]
    scripts = [script for rel in order if rel.rsplit("/", 1)[-1] == "setup.py"
               for script in python.modules[rel].scripts]
    edges = {m.path: m.edges for m in links}
    return deployed(files, edges, python.index, scripts, frozenset(kinds) - python_files)


def _state_index(order: tuple[str, ...], kept: dict[str, tuple[ModuleLinks, Any]], changed: frozenset[str],
                 modules: Mapping[str, Module]) -> dict[str, tuple[str, ...]] | None:
    """Application-state attribute -> the modules assigning it (`app.state.db = ...`), from the
    kept links of unchanged modules and the models of the others; None when an edited module
    assigns other attributes than before (what `request.app.state.x` resolves to may change in
    modules that did not read it)."""
    found: dict[str, list[str]] = {}
    for rel in order:
        old = kept.get(rel)
        names = old[0].state if old is not None and rel not in changed else tuple(modules[rel].state)
        if old is not None and rel in changed and names != old[0].state:
            return None
        for name in names:
            found.setdefault(name, []).append(rel)
    return {name: tuple(paths) for name, paths in found.items()}


def _previous_links(state: Any, order: tuple[str, ...]) -> dict[str, tuple[ModuleLinks, Any]]:
    """The previous scan's ModuleLinks by module, each with its encoded form, if it saw the same
    modules (another set of modules can change what any import means); else nothing to reuse."""
    if not isinstance(state, dict) or state.get("order") != list(order) or not isinstance(state.get("links"), list):
        return {}
    encoded = state["links"]
    try:
        links = [codec.decode(data) for data in encoded]
    except (codec.DecodeError, TypeError, KeyError, AttributeError, IndexError):
        return {}
    if not (len(links) == len(order) and all(isinstance(m, ModuleLinks) and m.path == rel for m, rel in zip(links, order))):
        return {}
    return {rel: (links[n], encoded[n]) for n, rel in enumerate(order)}


_MAX_LISTED = 500  # other async functions listed in a gap's evidence: all of them, within bounds


def _one_per_blocking_call(findings: list[Finding]) -> list[Finding]:
    """One gap per blocking call reached through sync helpers: forty handlers that reach the same
    sync repository method are one fix, at that method, not forty gaps (issue 11's "one root
    cause"). Chains are grouped by rule, blocking call site, priority and whether production
    serves them; the first by file and symbol stays the gap, with its own fingerprint, and the
    others are listed in `also_reached_from`. A direct call is its own root cause."""
    kept = []
    for first, others in _grouped(findings, lambda f: (f.rule, f.evidence["blocking_at"], f.priority, f.unserved)
                                  if len(f.evidence["chain"]) > 2 else id(f), lambda f: (f.file, f.symbol)):
        if others:
            sites = [f"{f.evidence['chain'][0]['function']} at {f.file}:{f.line} (blocking at {f.evidence['blocking_at']})"
                     for f in others]
            more = f"{len(others)} more async function{'s' if len(others) > 1 else ''}"
            first = dataclasses.replace(first, message=f"{first.message} (and {more} reach it)",
                                        evidence={**first.evidence, "also_reached_from": sites[:_MAX_LISTED]})
        kept.append(first)
    return kept


def _one_per_root_cause(findings: list[Finding]) -> list[Finding]:
    """One gap per async function and rule: a handler that uses a sync Session at nine lines is
    one fix, not nine gaps. The first site (by line) stays the gap, with its own fingerprint (a
    baseline keeps matching it); the others are listed in its evidence."""
    kept = []
    for first, others in _grouped(findings, lambda f: (f.rule, f.file, f.evidence["chain"][0]["function"]),
                                  lambda f: (f.line, f.symbol)):
        if others:
            sites = [f"{f.evidence['blocking_call']} at {f.file}:{f.line}"
                     + (f" (blocking at {f.evidence['blocking_at']})" if len(f.evidence["chain"]) > 2 else "")
                     for f in others]
            reached = [site for f in (first, *others) for site in f.evidence.get("also_reached_from", [])]  # none is lost
            first = dataclasses.replace(first, message=f"{first.message} (and {len(others)} more in the same function)",
                                        evidence={**first.evidence, "same_function": sites[:20],
                                                  **({"also_reached_from": reached[:_MAX_LISTED]} if reached else {})})
        kept.append(first)
    return kept


def _grouped(findings: list[Finding], key: Callable[[Finding], object], order: Callable[[Finding], Any],
             ) -> Iterator[tuple[Finding, list[Finding]]]:
    """The findings grouped by `key` (in the order groups first appear): each group's first by
    `order`, which stays the gap, and the others it stands for."""
    groups: dict[object, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(key(finding), []).append(finding)
    for group in groups.values():
        first, *others = sorted(group, key=order)
        yield first, others


def _imported(imp: Import) -> tuple[str, ...]:
    """The module names an import statement may import, relative ones with their dots:
    `from .a import b` imports `.a`, and `.a.b` when b is a module."""
    base = "." * imp.level + (imp.module or "")
    if imp.name is None or imp.name == "*":
        return (base,)
    return (base, f"{base}.{imp.name}" if imp.module else base + imp.name)


def _where(fn: Function | FunctionLinks, path: str) -> str:
    """How a gap's evidence names the code a call is written in."""
    return f"the module-level code of {path}" if fn.qualname == MODULE_CODE else f"{fn.qualname}()"


def _once_at(key: Callee, call: CallLink) -> str | None:
    """Where a call that runs once per process is (`runs_once` evidence), or None for any other."""
    return f"{key.qualname}() ({key.path}:{call.line})" if call.once else None


def _builder(file: ParsedFile) -> ModelBuilder:
    """The file's model builder, shared with every analyzer that reads the model."""
    return file.collector(COLLECTOR_KEY, lambda: ModelBuilder(file.rel))


def _method_name(target: Target) -> str | None:
    """The attribute a call ends with (`submit` in `pool.submit(...)`), if it is a method-style call."""
    if isinstance(target, AnyMethod):
        return target.name
    if isinstance(target, MethodOf):
        return target.method
    if isinstance(target, ImportRef) and target.rest:
        return target.rest[-1]
    if isinstance(target, ModuleRef) and len(target.parts) > 1:
        return target.parts[-1]
    return None


def _target_name(target: Target) -> str | None:
    """The last name of the function a call runs or is handed (`run_x` of `await svc.run_x()` or
    `run(run_x)`, `handle` of `self.handle`): from the model, not the call's text, which an alias
    (`from jobs import run_x as job`) or a long receiver cut at 80 characters would hide."""
    if isinstance(target, (SelfMethod, SuperMethod, BuiltinRef)):
        return target.name
    if isinstance(target, ImportRef) and not target.rest:
        return target.imported.name.rpartition(".")[2]
    if isinstance(target, ModuleRef):
        return target.parts[-1]
    if isinstance(target, LocalFunctionRef):
        return target.qualname.rpartition(".")[2]
    return _method_name(target)


T = TypeVar("T")
_Resolved = Sink | FunctionSymbol | None  # what one call does: blocks, calls a project function, or neither


class _Resolver:
    """Resolves the calls of one module's functions at a time into ModuleLinks."""

    def __init__(self, catalog: BlockingCatalog, python: PythonProject) -> None:
        self.catalog = catalog
        self.python = python

    def module_links(self, path: str, module: Module) -> ModuleLinks:
        read = self.python.reading()
        functions = tuple(self._function_links(FunctionSymbol(path, fn.qualname), fn) for fn in module.functions)
        edges = module_edges(path, self.python.index, (name for imp in module.imports for name in _imported(imp)),
                             module.references, module.dynamic_imports)
        return ModuleLinks(path, tuple(sorted(read - {path})), functions, edges, module.mentions, tuple(module.state))

    def _function_links(self, key: FunctionSymbol, fn: Function) -> FunctionLinks:
        calls = []
        runs = []
        first_loop: str | None = None  # the first call that starts a loop of its own
        hands = False  # some such call is handed a parameter
        for call in self._followed(fn):
            found = self._resolve(key, fn, call)
            switch = self._switch(key, call)
            if isinstance(found, FunctionSymbol):  # a coroutine function called, not awaited, runs nothing here
                callee = self.python.function(found)
                if callee is not None and callee.is_async:
                    runs.append(Run(Callee(found.path, found.qualname), False, switch, *self._made_in(key, fn, call)))
                found = None if callee is None or callee.is_async else Callee(found.path, found.qualname)
            if isinstance(found, Sink) and found.kind in self.catalog.private_loop:
                first_loop = first_loop or call.text
                hands = hands or bool(call.passes)
            if call.off_loop:  # no loop runs in this thread when it does: it blocks none
                found = None
            calls.append(CallLink(call.line, call.text, call.once, found, switch,
                                  call.passes if isinstance(found, Callee) else ()))
        for call in fn.calls:
            # a coroutine made in a lambda runs where the lambda is handed
            if call.deferred and not call.awaited and call.argument_of is not None and (
                    made := self._awaited(key, fn, call)) is not None:
                runs.append(Run(Callee(made.path, made.qualname), False, self._switch(key, call),
                                *self._made_in(key, fn, call)))
            registers = call.text.rpartition(".")[2] in self.catalog.handler_registrations
            for value in call.values:  # a coroutine function handed by name: `run_async(job)`
                if (named := self._awaited(key, fn, dataclasses.replace(call, target=value))) is not None:
                    runs.append(Run(Callee(named.path, named.qualname), False, self._switch(key, call),
                                    *self._handed_to(key, fn, call), handler=registers))
        unknown: dict[str, None] = {}
        if fn.is_async:
            for call in fn.calls:
                if call.awaited and (awaited := self._awaited(key, fn, call)) is not None:
                    runs.append(Run(Callee(awaited.path, awaited.qualname), True, self._switch(key, call)))
                elif call.awaited and (method := self._unknown_method(key, fn, call)) is not None:
                    unknown[method] = None
        words = self.catalog
        startup = fn.is_async and (any(d.endswith(words.startup_decorators) for d in fn.decorators)
                                   or (fn.name in words.lifespan_names
                                       and any(d.endswith("asynccontextmanager") for d in fn.decorators)))
        fixture = any(d.removesuffix("()") in words.fixture_decorators for d in fn.decorators)
        named = {name for call in fn.calls for target in (call.target, *call.values) if (name := _target_name(target))}
        callback = self._callback(key, fn)
        handler = fn.is_async and (
            any(d.removesuffix("()").rpartition(".")[2] in words.handler_decorators for d in fn.decorators)
            or (callback and fn.name in words.handler_methods))
        return FunctionLinks(fn.qualname, fn.is_async, startup, tuple(calls), tuple(runs), bool(fn.decorators),
                             f"{first_loop}() in {_where(fn, key.path)}" if hands else None,
                             self._overrides(key, fn), fixture, self._makes(key, fn), tuple(sorted(named)),
                             callback, handler, tuple(unknown))

    def _unknown_method(self, key: FunctionSymbol, fn: Function, call: Call) -> str | None:
        """The method a call names on a receiver of unknown type: not a library's object
        (`client.get()` on an httpx client), which no project method is."""
        target = call.target
        if isinstance(target, AnyMethod):
            return target.name
        if not isinstance(target, MethodOf):
            return None
        if self.python.resolve_type(key.path, target.receiver, ClassSymbol(key.path, fn.cls) if fn.cls else None):
            return None
        root: TypeExpr = target.receiver
        while isinstance(root, (FieldOf, ReturnOf, PathOf)):
            root = root.base
        if isinstance(root, (NewOf, ValueOf)) and isinstance(root.ref, ImportRef) and isinstance(
                self.python.resolve_ref(key.path, root.ref), External):
            return None
        return target.method

    def _callback(self, key: FunctionSymbol, fn: Function) -> bool:
        """FunctionLinks.callback. `object`, `ABC`, `Protocol`, `Generic[T]` are no library that calls back."""
        if fn.cls is None or fn.qualname != f"{fn.cls}.{fn.name}":
            return False
        if fn.name.startswith("__") and fn.name.endswith("__"):
            return True
        for cls in self.python.mro(ClassSymbol(key.path, fn.cls)):
            found = self.python.class_of(cls)
            for base in found.bases if found is not None else ():
                symbol = self.python.resolve_ref(cls.path, base)
                if not isinstance(symbol, ClassSymbol) and not (
                        isinstance(symbol, External) and symbol.name.startswith(_PLAIN_BASES)):
                    return True
        return False

    def _makes(self, key: FunctionSymbol, fn: Function) -> tuple[Made, ...]:
        """The project classes the function makes instances of, by name (`S3FileProvider(cfg)`)."""
        found = []
        for call in fn.calls:
            # classes are named in CapWords: the rest need not be resolved a second time
            if isinstance(call.target, Ref) and call.text.rpartition(".")[2][:1].isupper():
                made = self.python.resolve_ref(key.path, call.target)
                if isinstance(made, ClassSymbol):
                    found.append(Made(made.path, made.name, call.line, call.choice, self._switch(key, call)))
        return tuple(found)

    def _overrides(self, key: FunctionSymbol, fn: Function) -> tuple[Callee, ...]:
        """The base classes' methods a method overrides, nearest first."""
        if fn.cls is None or fn.qualname != f"{fn.cls}.{fn.name}":
            return ()
        found: list[Callee] = []
        for base in self.python.mro(ClassSymbol(key.path, fn.cls))[1:]:
            method = self.python.find_method(base, fn.name)
            if method is not None and (callee := Callee(method.path, method.qualname)) not in found:
                found.append(callee)
        return tuple(found)

    def _switch(self, key: FunctionSymbol, call: Call) -> tuple[str, str] | None:
        """(when, why) the call runs only sometimes: behind an opt-in switch (Call.switch resolved),
        or on one operating system (Call.platform), if either."""
        if call.platform is not None:
            return f"on {call.platform}", "services run on Linux hosts and containers"
        found = self.python.switch(key.path, call.switch) if call.switch is not None else None
        return (f"when {found[0]} is set", f"an opt-in switch, off by default ({found[1]})") if found else None

    def _made_in(self, key: FunctionSymbol, fn: Function, call: Call) -> tuple[str | None, Callee | None]:
        """Where the coroutine a call makes goes: `_handed_to` of the call whose argument it is."""
        return (None, None) if call.argument_of is None else self._handed_to(key, fn, fn.calls[call.argument_of])

    def _handed_to(self, key: FunctionSymbol, fn: Function, outer: Call) -> tuple[str | None, Callee | None]:
        """Where a coroutine handed to this call goes: (`asyncio.run() in main()` when the call
        runs it on a loop of its own (catalog `private-loop-kinds`), the sync project function
        the call is, when it is one)."""
        runner = self._resolve(key, fn, outer)
        if isinstance(runner, Sink) and runner.kind in self.catalog.private_loop:
            return f"{outer.text}() in {_where(fn, key.path)}", None
        if isinstance(runner, FunctionSymbol) and (helper := self.python.function(runner)) is not None and not helper.is_async:
            return None, Callee(runner.path, runner.qualname)
        return None, None

    def _followed(self, fn: Function) -> list[Call]:
        """The calls of `fn` that may block: not awaited, not handed to an offloading call
        (`to_thread(partial(fetch, url))` runs `partial(...)` in a thread), and not a builtin or
        an untyped method the catalog does not name."""
        followed: list[Call] = []
        offloaded: list[bool] = []  # per call: inside the arguments of an offloading call
        offloading: list[bool] = []  # per call: is one
        for call in fn.calls:
            outer = call.argument_of
            offloaded.append(outer is not None and (offloading[outer] or offloaded[outer]))
            offloading.append(self._named(call.target, self.catalog.offload))
            if offloaded[-1] or offloading[-1] or call.awaited or not self._relevant(call.target):
                continue
            if call.deferred and not (outer is not None and self._named(fn.calls[outer].target, self.catalog.inline)):
                continue  # in a lambda handed to something that calls it later, elsewhere
            followed.append(call)
        return followed

    @staticmethod
    def _named(target: Target, names: CallNames) -> bool:
        """Is the call one of these (offloading, or running a lambda at once)?"""
        return target.qualified in names.functions or _method_name(target) in names.methods

    def _relevant(self, target: Target) -> bool:
        if isinstance(target, BuiltinRef):
            return target.qualified in self.catalog.builtins
        if isinstance(target, AnyMethod):
            return target.name in self.catalog.any_methods
        return True

    def _resolve(self, key: FunctionSymbol, fn: Function, call: Call) -> _Resolved:
        python = self.python
        path = key.path
        target = call.target
        cls = ClassSymbol(path, fn.cls) if fn.cls else None
        if isinstance(target, AnyMethod):
            return self._any_method(target.name, call)
        if isinstance(target, SelfMethod):
            return self._callable(python.find_method(cls, target.name)) if cls else None
        if isinstance(target, SuperMethod):
            if cls is None:
                return None
            for base in python.mro(cls)[1:]:
                method = python.find_method(base, target.name)
                if method:
                    return self._callable(method)
            return None
        if isinstance(target, MethodOf):
            owner = python.resolve_type(path, target.receiver, cls)
            pollable = isinstance(owner, Family) and self.catalog.families[owner.name].pollable
            if pollable and call.text.rpartition(".")[0] in fn.polled:
                return None  # a non-blocking socket used with readiness waits
            return self._method_call(owner, target.method, call)
        # a dotted reference: resolve the receiver, then the last name as a method of it
        receiver = python.receiver(path, target)
        if isinstance(receiver, Instance):
            return self._method_call(receiver.owner, _method_name(target), call)
        return self._callable(python.resolve_ref(path, target))

    def _awaited(self, key: FunctionSymbol, fn: Function, call: Call) -> FunctionSymbol | None:
        """The project's async function a call makes a coroutine of (`await warm_up()`, `await self.seed()`)."""
        found = self._resolve(key, fn, call)
        if not isinstance(found, FunctionSymbol):
            return None
        callee = self.python.function(found)
        return found if callee is not None and callee.is_async else None

    def _any_method(self, method: str, call: Call) -> _Resolved:
        kind = self.catalog.any_methods.get(method)
        return Sink(kind, method, f"{call.text}()") if kind else None

    def _method_call(self, owner: Owner | None, method: str, call: Call) -> _Resolved:
        if owner is None:
            return self._any_method(method, call)
        if isinstance(owner, ClassSymbol):
            return self._callable(self.python.find_method(owner, method))
        family = self.catalog.families[owner.name]
        kind = family.method_kind(method, call.has_args)
        return Sink(kind, f"{family.name}.{method}", f"{call.text}()") if kind else None

    def _callable(self, symbol: Symbol | None) -> _Resolved:
        if isinstance(symbol, ClassSymbol):
            symbol = self.python.find_method(symbol, "__init__")
        if isinstance(symbol, FunctionSymbol):
            return symbol if self.python.function(symbol) is not None else None
        if isinstance(symbol, External):
            name = symbol.name
            display = f"{name.removeprefix('builtins.')}()"
            if name in self.catalog.functions:
                return Sink(self.catalog.functions[name], name, display)
            family_name = self.catalog.constructor_family(name)
            if family_name and self.catalog.families[family_name].constructor_blocks:
                return Sink(self.catalog.families[family_name].kind, name, display)
        return None


class _Graph:
    """The call graph of every project function, numbered in the model's order, from each
    module's resolved calls; findings are the async functions' chains to blocking calls."""

    def __init__(self, catalog: BlockingCatalog, modules: list[ModuleLinks], shadowed: Mapping[str, str],
                 runs: Deployed) -> None:
        self.catalog = catalog
        self.shadowed = shadowed  # modules no import reaches -> the package that shadows each
        self.runs = runs  # the modules the deployment runs
        self.keys = [Callee(m.path, fn.qualname) for m in modules for fn in m.functions]  # number -> function
        self.mentions = frozenset(name for m in modules for name in m.mentions)
        self.functions = [fn for m in modules for fn in m.functions]
        self.number = number = {key: n for n, key in enumerate(self.keys)}
        # what each followed call does: blocks (Sink), calls a sync project function (its number), or neither
        self.resolved: list[list[Sink | int | None]] = [
            [number.get(call.to) if isinstance(call.to, Callee) else call.to for call in fn.calls]
            for fn in self.functions]
        self.loop_helpers = self._loop_helpers()

    def _loop_helpers(self) -> dict[int, str]:
        """Sync functions that run what they are handed on an event loop of their own: they hand a
        parameter to `run_until_complete`/`asyncio.run`, or to another such function
        (`run_async_celery_task(factory)` makes a loop and runs `factory()` on it). Function
        number -> the call in it that starts the loop, as a gap's evidence names it."""
        found = {number: fn.loop_runner for number, fn in enumerate(self.functions) if fn.loop_runner}
        changed = bool(found)
        while changed:
            changed = False
            for number, fn in enumerate(self.functions):
                if number in found or fn.is_async:
                    continue
                for call, to in zip(fn.calls, self.resolved[number]):
                    if call.passes and isinstance(to, int) and to in found:
                        found[number] = f"{found[to]}, handed it by {_where(fn, self.keys[number].path)}"
                        changed = True
                        break
        return found

    def _loop_of(self, run: Run) -> str | None:
        """What runs the coroutine a call makes on a loop of its own, if anything does."""
        if run.runner is not None or run.via is None:
            return run.runner
        helper = self.number.get(run.via)
        return None if helper is None else self.loop_helpers.get(helper)

    def _startup(self) -> dict[int, str]:
        """Async functions that run once, when the application starts or stops: lifespans
        (`@asynccontextmanager async def lifespan`), `@app.on_event(...)` handlers, and the async
        functions only they await. Function number -> the handler it runs under."""
        found = {number: f"{self.keys[number].qualname}()" for number, fn in enumerate(self.functions) if fn.startup}
        if not found:
            return found
        callers: dict[int, set[int]] = {}
        for number, fn in enumerate(self.functions):
            for run in fn.runs:
                if run.awaited and (at := self.number.get(run.callee)) is not None:
                    callers.setdefault(at, set()).add(number)
        changed = True
        while changed:  # an async function all of whose awaiting callers run at startup does too
            changed = False
            for number, by in callers.items():
                if number not in found and all(c in found for c in by):
                    found[number] = found[min(by)]
                    changed = True
        return found

    def _switched(self) -> dict[int, tuple[str, str]]:
        """Async functions that run only behind an opt-in switch: every call that awaits or starts
        them is behind one, or in a function that is. A coroutine run on a loop of its own is no
        caller here. Function number -> the switch."""
        return self._only_run(lambda run: self._loop_of(run) is None, lambda run: run.switch)

    @cached_property
    def _made(self) -> dict[tuple[str, str], list[tuple[Made, Callee]]]:
        """(path, name) of each project class -> where instances of it are made, and by what."""
        made: dict[tuple[str, str], list[tuple[Made, Callee]]] = {}
        for key, fn in zip(self.keys, self.functions):
            for site in fn.makes:
                made.setdefault((site.path, site.name), []).append((site, key))
        return made

    def _chosen(self) -> dict[tuple[str, str], str]:
        """Classes every instance of which is made in one branch of a choice among alternatives:
        an implementation a configured value picks (`if cfg.provider == "s3": S3FileProvider()`
        beside `== "postgres"`). (path, name) of the class -> when its methods run (`runs_when`)."""
        found = {}
        for (path, name), sites in self._made.items():
            if all(site.switch for site, _ in sites):
                continue  # `_switched_classes`
            if all(site.choice or site.switch for site, _ in sites):
                first, where = sites[0]
                found[path, name] = (f"only when configuration picks {name}: every instance is made under "
                                     f"`{first.choice or first.switch[0]}` in {where.qualname}() "
                                     f"({where.path}:{first.line}), one of several implementations; P0 if "
                                     "production picks it")
        return found

    def _switched_classes(self) -> dict[tuple[str, str], tuple[str, str]]:
        """Classes every instance of which is made behind an opt-in switch (`if
        settings.ff_mock_mode_enabled: return MockAgentService()`): their methods run only when it
        is on. (path, name) of the class -> the switch, as CallLink.switch."""
        return {key: switch for key, sites in self._made.items()
                if (switch := sites[0][0].switch) is not None and all(site.switch for site, _ in sites)}

    def _own_loop(self) -> dict[int, str]:
        """Async functions that run only on an event loop of their own, never the one serving
        requests: every call that awaits or starts them hands the coroutine to `asyncio.run` or
        `run_until_complete` (a CLI's main, a worker thread), or is in a function that runs so.
        Function number -> what starts that loop."""
        return self._only_run(lambda run: True, self._loop_of)

    @cached_property
    def _dead(self) -> frozenset[int]:
        """Module-level async functions nothing runs: no call of the project's names one (by its
        last name, resolved or not, so `await svc.run_x()` on an unknown `svc` counts), none hands
        it on by name, no module or class body mentions it (`converters["webm"] = tgs_to_webm`),
        no decorator registers it. surfsense's `run_x_with_new_session()` that
        nothing calls any more is not a caller that keeps `run_x()` on the serving loop."""
        named = {name for fn in self.functions for name in fn.names} | self.mentions
        run = {at for fn in self.functions for r in fn.runs if (at := self.number.get(r.callee)) is not None}
        return frozenset(number for number, (key, fn) in enumerate(zip(self.keys, self.functions))
                         if fn.is_async and "." not in fn.qualname and not fn.decorated and not fn.startup
                         and number not in run and fn.qualname not in named)

    @cached_property
    def _entered(self) -> frozenset[int]:
        """Functions an entry point reaches: from what a decorator registers (a route, a handler,
        a task), what a library may call back (`FunctionLinks.callback`) and every module's own
        code (`app.add_api_route(path, handler)`, `create_task(...)`), through what each awaits,
        starts or names (by last name, resolved or not, as `_dead`). A blocking call in an async
        function outside it is P2 (`entry_point` evidence)."""
        by_name: dict[str, list[int]] = {}
        for number, key in enumerate(self.keys):
            by_name.setdefault(key.qualname.rpartition(".")[2], []).append(number)
        reached = {n for n, fn in enumerate(self.functions) if fn.decorated or fn.callback or fn.qualname == MODULE_CODE}
        reached.update(n for name in self.mentions for n in by_name.pop(name, ()))
        queue = deque(reached)
        while queue:
            fn = self.functions[queue.popleft()]
            # a name is followed once: `get` names hundreds of functions from thousands of callers
            for nxt in [*(self.number.get(run.callee) for run in fn.runs),
                        *(n for name in fn.names for n in by_name.pop(name, ()))]:
                if nxt is not None and nxt not in reached:
                    reached.add(nxt)
                    queue.append(nxt)
        return frozenset(reached)

    @cached_property
    def _requests(self) -> dict[int, int]:
        """Functions on the request path: what a request handler (catalog `request-handlers`)
        awaits, starts or calls, resolved, and the overrides of the methods among those (`await
        self.store.get()` may run any store's), but not what it runs on a loop of its own. Function
        number -> the handler it is reached from. Of 105 blocking P0s read on held-out services, 42
        had a handler at or above the head of their chain by these steps, 27 of them true; 12 of
        the other 63 were (19%)."""
        overriders: dict[int, list[int]] = {}
        for number, fn in enumerate(self.functions):
            for base in fn.overrides:
                if (at := self.number.get(base)) is not None:
                    overriders.setdefault(at, []).append(number)
        found = {number: number for number, fn in enumerate(self.functions) if fn.handler}
        families = self._method_families()
        for fn in self.functions:
            for run in fn.runs:
                if run.handler and (at := self.number.get(run.callee)) is not None:
                    found.setdefault(at, at)
        queue = deque(found)
        while queue:
            number = queue.popleft()
            fn = self.functions[number]
            for nxt in [*(self.number.get(run.callee) for run in fn.runs if self._loop_of(run) is None),
                        *(to for to in self.resolved[number] if isinstance(to, int)), *overriders.get(number, ()),
                        *(n for name in fn.awaits_unknown for n in families.get(name, ()))]:
                if nxt is not None and nxt not in found:
                    found[nxt] = found[number]
                    queue.append(nxt)
        return found

    def _method_families(self) -> dict[str, list[int]]:
        """Method name -> the project's async methods of that name, when they are one base method
        and its overrides (chainlit's `BaseDataLayer.get_user` and each data layer's): an awaited
        `x.get_user()` on a receiver of unknown type runs one of them. A name two unrelated
        classes define decides nothing."""
        by_name: dict[str, list[int]] = {}
        for number, (key, fn) in enumerate(zip(self.keys, self.functions)):
            owner, _, name = key.qualname.rpartition(".")
            if fn.is_async and owner and "." not in owner:
                by_name.setdefault(name, []).append(number)
        families = {}
        for name, members in by_name.items():
            roots = [n for n in members if not self.functions[n].overrides]
            if len(roots) == 1 and all(self.keys[roots[0]] in self.functions[n].overrides for n in members if n != roots[0]):
                families[name] = members
        return families

    def _only_run(self, counts: Callable[[Run], bool], reason: Callable[[Run], T | None]) -> dict[int, T]:
        """Async functions every counted call of which has a reason (or is in a function that has
        one), and has at least one such call; not one a decorator registers (a route, a task),
        which something else may run. Callers nothing runs (`_dead`) do not count beside one that runs. A method's callers include those of the base-class methods
        it overrides (`await self.runtime.call_tool()` may run any override). Function number ->
        the reason of one caller."""
        direct: dict[int, list[tuple[int, T | None]]] = {}
        for number, fn in enumerate(self.functions):
            for run in fn.runs:
                if counts(run) and (at := self.number.get(run.callee)) is not None:
                    direct.setdefault(at, []).append((number, reason(run)))
        dead = self._dead
        for at, by in direct.items():  # dead callers count only when every caller is dead
            if live := [c for c in by if c[0] not in dead]:
                direct[at] = live
        callers: dict[int, list[tuple[int, T | None]]] = {}
        for number, fn in enumerate(self.functions):
            by = [*direct.get(number, ()),
                  *(c for base in fn.overrides if (b := self.number.get(base)) is not None for c in direct.get(b, ()))]
            if by and not fn.decorated:
                callers[number] = by
        found: dict[int, T] = {}
        changed = True
        while changed:
            changed = False
            for number, by in callers.items():
                if number not in found and all(why is not None or caller in found for caller, why in by):
                    found[number] = next(why if why is not None else found[caller] for caller, why in by)
                    changed = True
        return found

    # --- reachability --------------------------------------------------------------------

    def _best_paths(self, severe_only: bool, switched: bool = False) -> _Best:
        """For every sync function that reaches a blocking call: (priority, call index, next).

        `next` is the Sink when the call itself blocks, else the callee that leads on.
        Multi-source BFS on the reversed graph, most severe priority first, so each function keeps
        the most severe blocking call it reaches by the shortest path. Severity is the rule's
        default priority: a project's overrides apply when gaps are ranked.

        Calls that run once per process (memoized, lazy-init guarded) are followed only for the
        kinds that can hang a service even once (`severe_only`); a one-off config-file read is not
        an incident, a one-off connect to a dead database is. Calls behind an opt-in switch are
        followed only with `switched`: a chain through one is reported only if no other exists.
        """
        callers: dict[int, list[tuple[int, int]]] = {}
        direct: _Best = {}
        for number, fn in enumerate(self.functions):
            if fn.is_async:
                continue
            for index, (call, resolved) in enumerate(zip(fn.calls, self.resolved[number])):
                if resolved is None or (call.once and not severe_only) or (call.switch and not switched):
                    continue
                if isinstance(resolved, int):
                    callers.setdefault(resolved, []).append((number, index))
                elif not severe_only or resolved.kind not in self.catalog.once_ignored:
                    priority = self.catalog.kind_severity[resolved.kind]
                    if number not in direct or priority < direct[number][0]:
                        direct[number] = (priority, index, resolved)
        best: _Best = {}
        for level in sorted({entry[0] for entry in direct.values()}):
            queue = deque(n for n, v in direct.items() if v[0] == level and n not in best)
            for n in queue:
                best[n] = direct[n]
            while queue:
                callee = queue.popleft()
                for caller, index in callers.get(callee, []):
                    if caller not in best:
                        best[caller] = (level, index, callee)
                        queue.append(caller)
        return best

    @staticmethod
    def _hop(key: Callee, line: int, prefix: str = "") -> dict[str, Any]:
        return {"function": f"{prefix}{key.qualname}()", "file": key.path, "line": line}

    def findings(self) -> list[Finding]:
        every, severe = self._best_paths(severe_only=False), self._best_paths(severe_only=True)
        if any(call.switch for fn in self.functions for call in fn.calls):
            switched = (self._best_paths(False, switched=True), self._best_paths(True, switched=True))
        else:
            switched = (every, severe)
        startup = self._startup()
        behind = self._switched()
        own_loop = self._own_loop()
        chosen = self._chosen()
        switched_classes = self._switched_classes()
        findings: list[Finding] = []
        for number, (key, fn) in enumerate(zip(self.keys, self.functions)):
            if not fn.is_async:
                continue
            seen_lines: set[int] = set()
            cls = (key.path, key.qualname.partition(".")[0])  # its class, for a method
            occurrences: dict[str, int] = {}
            for call, resolved in zip(fn.calls, self.resolved[number]):
                if resolved is None or call.line in seen_lines:
                    continue
                chain = [self._hop(key, call.line, "async ")]
                switch = call.switch or behind.get(number) or switched_classes.get(cls)
                once = _once_at(key, call)
                if isinstance(resolved, Sink):
                    sink = resolved
                    if call.once and sink.kind in self.catalog.once_ignored:
                        continue
                else:
                    options = [] if call.switch else [
                        table for table in ((severe,) if call.once else (every, severe)) if resolved in table]
                    if not options:  # only through an opt-in switch, if at all
                        options = [table for table in (switched[1:] if call.once else switched) if resolved in table]
                    if not options:
                        continue
                    table = min(options, key=lambda t: t[resolved][0])
                    sink, chain, on_the_way, once_on_the_way = self._follow(resolved, table, chain)
                    switch = switch or on_the_way
                    once = once or once_on_the_way
                seen_lines.add(call.line)
                # the same call twice in one function needs two fingerprints, still free of line numbers
                symbol = f"{key.qualname}|{call.text}|{sink.name}"
                occurrences[symbol] = occurrences.get(symbol, 0) + 1
                findings.append(self._finding(key, call, sink, chain, f"{symbol}|{occurrences[symbol]}",
                                              startup.get(number), switch, own_loop.get(number), fn.fixture,
                                              chosen.get(cls),
                                              number not in self._entered, self._handler_of(number), once))
        return findings

    def _handler_of(self, number: int) -> str | None:
        """How the function is on the request path, or None when it is not."""
        handler = self._requests.get(number)
        if handler is None:
            return None
        key = self.keys[handler]
        if handler == number:
            return f"a request handler ({key.path})"
        return f"reached from the request handler {'async ' * self.functions[handler].is_async}{key.qualname}() ({key.path})"

    def _follow(self, start: int, best: _Best, chain: list[dict[str, Any]],
                ) -> tuple[Sink, list[dict[str, Any]], tuple[str, str] | None, str | None]:
        """Walk the BFS pointers to the blocking call (they cannot cycle: each points to an earlier
        node); also the first opt-in switch on the way, and the first call that runs once per process."""
        current = start
        switch = once = None
        while True:
            _, index, nxt = best[current]
            key = self.keys[current]
            call = self.functions[current].calls[index]
            switch = switch or call.switch
            once = once or _once_at(key, call)
            chain.append(self._hop(key, call.line))
            if isinstance(nxt, Sink):
                chain.append({"function": nxt.display, "file": key.path, "line": call.line})
                return nxt, chain, switch, once
            current = nxt

    def _not_served_folder(self, path: str) -> str | None:
        """The folder that says the file does not run on a served loop (`scripts`, a folder of
        database migrations), if any."""
        *folders, name = path.lower().split("/")
        for at, part in enumerate(folders):
            if part in self.catalog.not_served:
                return part
            if part in self.catalog.migration_folders and (
                    "versions" in folders[at + 1:] or _MIGRATION_FILE.match(name) or name == "env.py"):
                return part
        return None

    def _finding(self, key: Callee, call: CallLink, sink: Sink, chain: list[dict[str, Any]], symbol: str,
                 startup: str | None, switch: tuple[str, str] | None, own_loop: str | None = None,
                 fixture: bool = False, chosen: str | None = None, unentered: bool = False,
                 request: str | None = None, once: str | None = None) -> Finding:
        what = sink.display if sink.display == f"{sink.name.removeprefix('builtins.')}()" else f"{sink.display} ({sink.name})"
        if len(chain) == 1:
            chain.append({"function": sink.display, "file": key.path, "line": call.line})
            message = f"{what} blocks the event loop in async {key.qualname}()"
        else:
            via = " → ".join(hop["function"] for hop in chain[1:-1])
            message = f"{what} blocks the event loop; reached from async {key.qualname}() via {via}"
        last = chain[-1]
        folder = self._not_served_folder(key.path)
        shadow = self.shadowed.get(key.path)
        runs_in = (f"nothing: the package {shadow} of the same name shadows this module, so no import reaches it"
                   if shadow else f"code under {folder}/: its own process, not the served event loop" if folder
                   else "the test suite: a test fixture" if fixture
                   else None if self.runs.runs(key.path)
                   else f"nothing the deployment starts: it starts {self.runs.started()}, and no import from those "
                        f"reaches any module under {self.runs.folder(key.path)}")
        # a task queue's worker: it delays the worker's other jobs, no request (at most P1, served)
        worker = None if runs_in else self.runs.worker_only(key.path)
        # not per request on the serving loop: another process, startup, an opt-in switch, a loop of its own (P2)
        apart = runs_in or startup or switch or own_loop
        # no entry point found: P2, hygiene (of the 14 such gaps read on held-out services, 2 were
        # true); still reported, as ruff reports a blocking call in any async def
        unentered = unentered and not (apart or worker or chosen)
        # on no request's path: it holds up a background job or a callback, not the requests (P1)
        off_request = request is None and not (apart or worker or chosen or unentered)
        # memoized or lazy-init guarded on the way: the first request pays, not each one (held-out
        # readings: a `git --version` cached per instance, a boto3 secret read once for the engine)
        once = None if (apart or worker or unentered) else once
        where = runs_in or (f"a task queue's worker only: {worker} imports it, no process serving requests "
                            "does; it holds up the worker's other jobs, not requests" if worker else None)
        return Finding(
            rule=self.catalog.kind_rule[sink.kind],
            file=key.path,
            line=call.line,
            message=message,
            symbol=symbol,
            evidence={
                "chain": chain,
                "blocking_call": sink.name,
                "blocking_at": f"{last['file']}:{last['line']}",
                **({"runs_in": where} if where else {}),
                **({"runs_at": f"application startup or shutdown, under {startup}: once per process, "
                               "not per request"} if startup else {}),
                **({"runs_when": f"only {switch[0]}: {switch[1]}"} if switch else {"runs_when": chosen} if chosen else {}),
                **({"runs_once": f"once per process: the call in {once} is memoized or under a lazy-initialisation "
                                 "guard (`if _x is None: _x = ...`), so the first request waits, not every one"}
                   if once else {}),
                **({"runs_on": f"an event loop of its own, not the one serving requests: started by {own_loop}"}
                   if own_loop else {}),
                **({"entry_point": f"none found: nothing a framework registers (a route, a handler, a task), no "
                                   f"library's callback and no module's own code awaits, starts or names "
                                   f"{key.qualname}() or anything that does"} if unentered else {}),
                **({"request_path": request} if request and not apart
                   else {"request_path": f"none found: no request handler (a route, a websocket or event handler, "
                                         f"catalog `request-handlers`) awaits, starts or calls {key.qualname}() or "
                                         f"anything that does; it holds up other work on the loop, not requests "
                                         f"directly"} if off_request else {}),
            },
            priority="P2" if apart or unentered
            else "P1" if (chosen or worker or off_request or once)
            and self.catalog.kind_priority[sink.kind] < priority_rank("P1")
            else None,
            unserved=bool(runs_in or switch or own_loop),
        )
