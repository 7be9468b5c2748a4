"""`rules/blocking-calls.yml` (and a project's additions) compiled into lookups, checked entry by entry.

A catalog entry the analyzer cannot use — a kind not in `blocking-kinds`, a kind mapped to an
unknown rule, a client without `family` or `constructors`, a value of the wrong type — is a
one-line configuration error naming the catalog and its files (exit 2), never a KeyError.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...errors import GapauditError
from ...model import priority_rank
from ...rules import RuleSet

#: the catalogs this module reads (BlockingAsyncAnalyzer.catalogs)
CATALOGS = ("blocking-kinds", "blocking-functions", "blocking-methods", "blocking-clients", "offload-calls",
            "run-once-ignored-kinds")


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


class _Entry:
    """One catalog entry read field by field; a problem raises the catalog's one-line error."""

    def __init__(self, rules: RuleSet, catalog: str, position: int, raw: Any, fields: frozenset[str]) -> None:
        self.rules = rules
        self.catalog = catalog
        self.label = f"entry {position}"
        if not isinstance(raw, dict):
            raise self.error(f"expected a mapping, got {type(raw).__name__}")
        self.raw = raw
        if isinstance(raw.get("family"), str):
            self.label += f" (family {raw['family']})"
        unknown = sorted(str(key) for key in raw if key not in fields)
        if unknown:
            raise self.error(f"unknown key {unknown[0]!r} (expected {', '.join(sorted(fields))})")

    def error(self, problem: str) -> GapauditError:
        return self.rules.catalog_error(self.catalog, f"{self.label}: {problem}")

    def text(self, key: str) -> str:
        if key not in self.raw:
            raise self.error(f"'{key}' is missing")
        value = self.raw[key]
        if not isinstance(value, str) or not value:
            raise self.error(f"'{key}' must be a name, got {value!r}")
        return value

    def names(self, key: str, required: bool = False) -> list[str]:
        if key not in self.raw:
            if required:
                raise self.error(f"'{key}' is missing")
            return []
        names = _names(self.raw[key])
        if names is None:
            raise self.error(f"'{key}' must be a list of names")
        return names

    def flag(self, key: str) -> bool:
        value = self.raw.get(key, False)
        if not isinstance(value, bool):
            raise self.error(f"'{key}' must be true or false, got {value!r}")
        return value


def _names(value: Any) -> list[str] | None:
    """`value` if it is a list of non-empty strings, else None."""
    if isinstance(value, list) and all(isinstance(item, str) and item for item in value):
        return value
    return None


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
        for kind, rule in kinds.items():
            if not isinstance(rule, str) or rule not in rules.rules:
                raise rules.catalog_error("blocking-kinds", f"kind '{kind}' maps to unknown rule {rule!r}")
            self.kind_rule[str(kind)] = rule
            self.kind_priority[str(kind)] = priority_rank(rules.rules[rule].priority)
        self.functions: dict[str, str] = {}  # qualified name -> kind
        for entry in self._entries("blocking-functions", {"kind", "calls"}):
            kind = self._kind(entry, entry.text("kind"))
            for call in entry.names("calls", required=True):
                self.functions[call] = kind
        self.any_methods: dict[str, str] = {}  # method name -> kind, whatever the receiver
        for entry in self._entries("blocking-methods", {"kind", "methods"}):
            kind = self._kind(entry, entry.text("kind"))
            for method in entry.names("methods", required=True):
                self.any_methods[method] = kind
        self.families: dict[str, ClientFamily] = {}
        self.constructors: dict[str, str] = {}  # qualified constructor -> family name
        for entry in self._entries("blocking-clients", {
            "family", "kind", "constructors", "methods", "safe", "kinds", "derive", "returns_client",
            "unless_args", "pollable", "constructor_blocks",
        }):
            family = self._family(entry)
            self.families[family.name] = family
            for constructor in entry.names("constructors", required=True):
                self.constructors.setdefault(constructor, family.name)
        offload = rules.catalog("offload-calls") or {}
        if not isinstance(offload, dict) or set(offload) - {"functions", "methods"}:
            raise rules.catalog_error("offload-calls", "expected a mapping with 'functions' and 'methods'")
        functions, methods = _names(offload.get("functions", [])), _names(offload.get("methods", []))
        if functions is None or methods is None:
            raise rules.catalog_error("offload-calls", "'functions' and 'methods' must be lists of names")
        self.offload_functions, self.offload_methods = frozenset(functions), frozenset(methods)
        once_ignored = _names(rules.catalog("run-once-ignored-kinds") or [])
        if once_ignored is None:
            raise rules.catalog_error("run-once-ignored-kinds", "expected a list of kinds")
        for kind in once_ignored:
            if kind not in self.kind_rule:
                raise rules.catalog_error("run-once-ignored-kinds", self._unknown_kind(kind))
        self.once_ignored = frozenset(once_ignored)
        # builtins worth following a call to: the catalog's (`open`, `input`), as functions or constructors
        self.builtins = frozenset(n for n in [*self.functions, *self.constructors] if n.startswith("builtins."))

    def _entries(self, catalog: str, fields: set[str]) -> list[_Entry]:
        raw = self.rules.catalog(catalog) or []
        if not isinstance(raw, list):
            raise self.rules.catalog_error(catalog, f"expected a list of entries, got {type(raw).__name__}")
        return [_Entry(self.rules, catalog, position, item, frozenset(fields)) for position, item in enumerate(raw, 1)]

    def _unknown_kind(self, kind: str) -> str:
        return f"unknown kind '{kind}' (blocking-kinds has {', '.join(sorted(self.kind_rule))})"

    def _kind(self, entry: _Entry, kind: str) -> str:
        if kind not in self.kind_rule:
            raise entry.error(self._unknown_kind(kind))
        return kind

    def _family(self, entry: _Entry) -> ClientFamily:
        name = entry.text("family")
        kind = self._kind(entry, entry.text("kind"))
        methods = entry.raw.get("methods", [])
        if methods != "*":
            methods = entry.names("methods")
        by_kind = entry.raw.get("kinds") or {}
        if not isinstance(by_kind, dict):
            raise entry.error("'kinds' must map a kind to a list of methods")
        kinds: dict[str, str] = {}
        for method_kind, names in by_kind.items():
            listed = _names(names)
            if listed is None:
                raise entry.error(f"'kinds.{method_kind}' must be a list of methods")
            kinds.update(dict.fromkeys(listed, self._kind(entry, str(method_kind))))
        return ClientFamily(
            name=name,
            kind=kind,
            constructor_blocks=entry.flag("constructor_blocks"),
            methods=None if methods == "*" else frozenset(methods),
            safe=frozenset(entry.names("safe")),
            kinds=kinds,
            derive=entry.flag("derive"),
            returns_client=frozenset(entry.names("returns_client")),
            unless_args=entry.flag("unless_args"),
            pollable=entry.flag("pollable"),
        )

    def constructor_family(self, name: str) -> str | None:
        return self.constructors.get(name)

    def family_derives(self, name: str, via: str | None) -> bool:
        return self.families[name].derives_via(via)
