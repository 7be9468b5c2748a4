"""`rules/blocking-calls.yml` (and a project's additions) compiled into lookups, checked entry by entry.

A catalog entry the analyzer cannot use — a kind not in `blocking-kinds`, a kind mapped to an
unknown rule, a client without `family` or `constructors`, a value of the wrong type — is a
one-line configuration error naming the catalog and its files (exit 2), never a KeyError.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...model import priority_rank
from ...rules import RuleSet
from ..catalogs import Entry

#: the catalogs this module reads (BlockingAsyncAnalyzer.catalogs)
CATALOGS = ("blocking-kinds", "not-served-folders", "blocking-functions", "blocking-methods", "blocking-clients",
            "offload-calls", "inline-callers", "startup-handlers", "request-handlers", "fixture-decorators", "run-once-ignored-kinds", "private-loop-kinds",
            "migration-folders")


@dataclass(frozen=True)
class CallNames:
    """Calls named by qualified function (`asyncio.to_thread`) or by method, whatever the receiver
    (`run_in_executor`): the `offload-calls` and `inline-callers` entries."""

    functions: frozenset[str]
    methods: frozenset[str]


@dataclass(frozen=True)
class ClientFamily:
    """One `blocking-clients` entry: objects whose methods block (see the catalog's comments)."""

    name: str
    kind: str
    constructor_blocks: bool
    methods: frozenset[str] | None  # None: every method but the safe ones
    safe: frozenset[str]
    kinds: dict[str, str]  # method -> kind, where it differs from `kind`
    derive: bool
    returns_client: frozenset[str]
    unless_args: bool
    pollable: bool

    def blocks(self, method: str) -> bool:
        if self.methods is None:
            return method not in self.safe and not method.startswith("_")
        return method in self.methods

    def method_kind(self, method: str, has_args: bool) -> str | None:
        if self.unless_args and has_args:
            return None
        return self.kinds.get(method, self.kind) if self.blocks(method) else None

    def derives_via(self, method: str | None) -> bool:
        """Is `obj.attr` (method None) or `obj.method()` another client of this family?

        Attributes and factory methods (`cursor()`, `bucket()`) yield clients; what a blocking
        call returns is data (a dict, bytes, rows) unless the catalog says it is a client.
        """
        if not self.derive:
            return False
        return method is None or method == "__call__" or method in self.returns_client or not self.blocks(method)


class BlockingCatalog:
    """What blocks, what offloads, and which rule each kind of blocking call is reported under."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        kinds = rules.catalog("blocking-kinds") or {}
        if not isinstance(kinds, dict):
            raise rules.catalog_error("blocking-kinds", "expected a mapping of kind to rule id")
        self.kind_rule: dict[str, str] = {}
        #: the rule's default priority per kind, to pick the most severe chain (projects' overrides
        #: apply when gaps are ranked, not here)
        self.kind_priority: dict[str, int] = {}
        #: how severe a kind's blocking is, most severe least: its rule's default priority; among
        #: P2 kinds, then the rule's order (a file read before a stat call). Kinds that can hang
        #: a service tie, so a chain shows the nearest of them
        self.kind_severity: dict[str, tuple[int, str]] = {}
        for kind, rule in kinds.items():
            if not isinstance(rule, str) or rule not in rules.rules:
                raise rules.catalog_error("blocking-kinds", f"kind '{kind}' maps to unknown rule {rule!r}")
            self.kind_rule[str(kind)] = rule
            self.kind_priority[str(kind)] = priority_rank(rules.rules[rule].priority)
            rank = self.kind_priority[str(kind)]
            self.kind_severity[str(kind)] = (rank, rule if rank >= priority_rank("P2") else "")
        self.functions: dict[str, str] = {}  # qualified name -> kind
        for entry in self._entries("blocking-functions", ("kind", "calls")):
            kind = self._kind(entry["kind"])
            for call in entry["calls"].names():
                self.functions[call] = kind
        self.any_methods: dict[str, str] = {}  # method name -> kind, whatever the receiver
        for entry in self._entries("blocking-methods", ("kind", "methods")):
            kind = self._kind(entry["kind"])
            for method in entry["methods"].names():
                self.any_methods[method] = kind
        self.families: dict[str, ClientFamily] = {}
        self.constructors: dict[str, str] = {}  # qualified constructor -> family name
        for entry in self._entries("blocking-clients", ("family", "kind", "constructors"), (
                "methods", "safe", "kinds", "derive", "returns_client", "unless_args", "pollable", "constructor_blocks")):
            family = self._family(entry)
            self.families[family.name] = family
            for constructor in entry["constructors"].names():
                self.constructors.setdefault(constructor, family.name)
        self.offload = self._call_names("offload-calls")
        self.inline = self._call_names("inline-callers")
        startup = Entry.of(rules, "startup-handlers").fields(optional=("decorators", "lifespans"))
        # called (`@app.on_event("startup")`) or not (Sanic's `@app.before_server_start`)
        self.startup_decorators = tuple(f".{name}{call}" for name in startup["decorators"].names() for call in ("()", ""))
        self.lifespan_names = frozenset(startup["lifespans"].names())
        handlers = Entry.of(rules, "request-handlers").fields(optional=("decorators", "methods", "registrations"))
        self.handler_decorators = frozenset(handlers["decorators"].names())
        self.handler_methods = frozenset(handlers["methods"].names())
        self.handler_registrations = frozenset(handlers["registrations"].names())
        self.fixture_decorators = frozenset(Entry.of(rules, "fixture-decorators").names())
        self.not_served = frozenset(name.lower() for name in Entry.of(rules, "not-served-folders").names())
        self.migration_folders = frozenset(name.lower() for name in Entry.of(rules, "migration-folders").names())
        self.once_ignored = frozenset(self._kind(kind) for kind in Entry.of(rules, "run-once-ignored-kinds").items())
        self.private_loop = frozenset(self._kind(kind) for kind in Entry.of(rules, "private-loop-kinds").items())
        # builtins worth following a call to: the catalog's (`open`, `input`), as functions or constructors
        self.builtins = frozenset(n for n in [*self.functions, *self.constructors] if n.startswith("builtins."))

    def _call_names(self, catalog: str) -> CallNames:
        fields = Entry.of(self.rules, catalog).fields(optional=("functions", "methods"))
        return CallNames(frozenset(fields["functions"].names()), frozenset(fields["methods"].names()))

    def _entries(self, catalog: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> list[dict[str, Entry]]:
        return [item.fields(required, optional) for item in Entry.of(self.rules, catalog).items()]

    def _kind(self, entry: Entry) -> str:
        return entry.one_of(self.kind_rule, "kind")

    def _family(self, entry: dict[str, Entry]) -> ClientFamily:
        methods = None if entry["methods"].value == "*" else frozenset(entry["methods"].names())
        kinds: dict[str, str] = {}
        for method_kind, names in entry["kinds"].mapping().items():
            kind = self._kind(Entry(self.rules, names.catalog, method_kind, names.path))
            kinds.update(dict.fromkeys(names.names(), kind))
        return ClientFamily(
            name=entry["family"].name(),
            kind=self._kind(entry["kind"]),
            constructor_blocks=entry["constructor_blocks"].flag(),
            methods=methods,
            safe=frozenset(entry["safe"].names()),
            kinds=kinds,
            derive=entry["derive"].flag(),
            returns_client=frozenset(entry["returns_client"].names()),
            unless_args=entry["unless_args"].flag(),
            pollable=entry["pollable"].flag(),
        )

    def constructor_family(self, name: str) -> str | None:
        return self.constructors.get(name)

    def family_derives(self, name: str, via: str | None) -> bool:
        return self.families[name].derives_via(via)
