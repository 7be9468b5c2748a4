"""GA101-GA109: blocking calls reachable from an `async def`, directly or through sync helpers.

Per file: scopes, imports, instance types and calls (`_pyfacts`). At link time: a whole-program
call graph where every `async def` is a root and sync functions are followed until an offloading
boundary (`asyncio.to_thread`, `run_in_executor`, ...) or a blocking call from the catalog
(`rules/blocking-calls.yml`). One gap per call site in the async function that starts a chain,
naming the most severe blocking call it reaches by the shortest path.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from ...engine.discover import PYTHON
from ...model import Finding, priority_rank
from ...rules import RuleSet
from ...python.facts import python_facts
from ...python.resolve import PythonProject, Symbol
from ..base import Analyzer, ParsedFile, Project

FnKey = tuple[str, str]  # (file rel, qualname)


@dataclass(frozen=True)
class _Family:
    name: str
    kind: str
    constructor_blocks: bool
    methods: frozenset[str] | None  # None: every method but the safe ones
    safe: frozenset[str]
    kinds: dict[str, str]
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
    """`rules/blocking-calls.yml` compiled into lookups."""

    def __init__(self, rules: RuleSet) -> None:
        self.kind_rule: dict[str, str] = dict(rules.catalog("blocking-kinds") or {})
        self.functions: dict[str, str] = {}
        for group in rules.catalog("blocking-functions"):
            for call in group["calls"]:
                self.functions[call] = group["kind"]
        self.any_methods: dict[str, str] = {}
        for group in rules.catalog("blocking-methods"):
            for method in group["methods"]:
                self.any_methods[method] = group["kind"]
        self.families: dict[str, _Family] = {}
        self.constructors: dict[str, str] = {}
        for entry in rules.catalog("blocking-clients"):
            methods = entry.get("methods", [])
            kinds = {m: kind for kind, names in (entry.get("kinds") or {}).items() for m in names}
            family = _Family(
                name=entry["family"],
                kind=entry["kind"],
                constructor_blocks=bool(entry.get("constructor_blocks", False)),
                methods=None if methods == "*" else frozenset(methods),
                safe=frozenset(entry.get("safe", [])),
                kinds=kinds,
                derive=bool(entry.get("derive", False)),
                returns_client=frozenset(entry.get("returns_client", [])),
                unless_args=bool(entry.get("unless_args", False)),
                pollable=bool(entry.get("pollable", False)),
            )
            self.families[family.name] = family
            for constructor in entry["constructors"]:
                self.constructors.setdefault(constructor, family.name)
        offload = rules.catalog("offload-calls") or {}
        self.offload_functions = frozenset(offload.get("functions", []))
        self.offload_methods = frozenset(offload.get("methods", []))
        self.once_ignored = frozenset(rules.catalog("run-once-ignored-kinds") or [])
        # builtins worth recording a call to: the catalog's (`open`, `input`), as functions or constructors
        self.builtins = frozenset(n for n in [*self.functions, *self.constructors] if n.startswith("builtins."))

    def constructor_family(self, name: str) -> str | None:
        return self.constructors.get(name)

    def family_derives(self, name: str, via: str | None) -> bool:
        return self.families[name].derives_via(via)


@dataclass(frozen=True)
class _Sink:
    kind: str
    name: str  # fully qualified, for evidence
    display: str  # as the source says it: `self._client.db()`


class BlockingAsyncAnalyzer(Analyzer):
    name = "blocking-async"
    kinds = frozenset({PYTHON})
    catalogs = ("blocking-kinds", "blocking-functions", "blocking-methods", "blocking-clients", "offload-calls",
                "run-once-ignored-kinds")

    def __init__(self, rules: RuleSet) -> None:
        self.catalog = BlockingCatalog(rules)

    def file_facts(self, file: ParsedFile) -> dict[str, Any]:
        return python_facts(file.tree, file.rel, self.catalog.offload_functions, self.catalog.offload_methods,
                            self.catalog.builtins, frozenset(self.catalog.any_methods))

    # --- link ----------------------------------------------------------------------------

    def link(self, project: Project) -> list[Finding]:
        facts = project.facts_of(self.name)
        if not facts:
            return []
        return _Linker(self.catalog, PythonProject(facts, project.discovery.package_dirs, self.catalog.constructor_family,
                                                   self.catalog.family_derives), project).findings()


class _Linker:
    def __init__(self, catalog: BlockingCatalog, python: PythonProject, project: Project) -> None:
        self.catalog = catalog
        self.python = python
        self.project = project
        self._resolved: dict[tuple[FnKey, int], tuple[str, Any] | None] = {}

    def _priority(self, kind: str) -> int:
        rule = self.catalog.kind_rule[kind]
        return priority_rank(self.project.config.priority.get(rule, self.project.rules.rule(rule).priority))

    # What one call does: ("sink", _Sink), ("call", FnKey of a sync project function) or None.
    def resolve_call(self, key: FnKey, index: int) -> tuple[str, Any] | None:
        memo_key = (key, index)
        if memo_key not in self._resolved:
            self._resolved[memo_key] = self._resolve(key, self.python.functions[key]["calls"][index])
        return self._resolved[memo_key]

    def _resolve(self, key: FnKey, call: dict[str, Any]) -> tuple[str, Any] | None:
        rel, qualname = key
        target = call["t"]
        fn = self.python.functions[key]
        cls = ("class", rel, fn["cls"]) if fn["cls"] else None
        if "any" in target:
            kind = self.catalog.any_methods.get(target["any"])
            return ("sink", _Sink(kind, target["any"], f"{call['text']}()")) if kind else None
        if "self" in target or "super" in target:
            if cls is None:
                return None
            if "self" in target:
                return self._callable(self.python.find_method(cls, target["self"]))
            bases = self.python.mro(cls)[1:]
            for base in bases:
                method = self.python.find_method(base, target["super"])
                if method:
                    return self._callable(method)
            return None
        if "inst" in target:
            owner = self.python.resolve_type(rel, target["inst"], cls)
            if owner and owner[0] == "family" and self.catalog.families[owner[1]].pollable:
                if call["text"].rpartition(".")[0] in fn["polled"]:
                    return None  # a non-blocking socket used with readiness waits
            return self._method_call(owner, target["m"], call)
        # a dotted reference: resolve the receiver, then the last name as a method of it
        parts = target.get("mod") or target.get("rest") or []
        if parts and ("mod" in target or "imp" in target) and len(parts) > (1 if "mod" in target else 0):
            head = {"mod": parts[:-1]} if "mod" in target else {"imp": target["imp"], "rest": parts[:-1]}
            receiver = self.python.resolve_ref(rel, head)
            if receiver and receiver[0] == "instance":
                return self._method_call(receiver[1], parts[-1], call)
        return self._callable(self.python.resolve_ref(rel, target), call)

    def _method_call(self, owner: Symbol | None, method: str, call: dict[str, Any]) -> tuple[str, Any] | None:
        if owner is None:
            kind = self.catalog.any_methods.get(method)
            return ("sink", _Sink(kind, method, f"{call['text']}()")) if kind else None
        if owner[0] == "class":
            return self._callable(self.python.find_method(owner, method))
        family = self.catalog.families[owner[1]]
        kind = family.method_kind(method, call["args"])
        if kind is None:
            return None
        return ("sink", _Sink(kind, f"{family.name}.{method}", f"{call['text']}()"))

    def _callable(self, symbol: Symbol | None, call: dict[str, Any] | None = None) -> tuple[str, Any] | None:
        if symbol is None:
            return None
        if symbol[0] == "class":
            symbol = self.python.find_method(symbol, "__init__")
            if symbol is None:
                return None
        if symbol[0] == "function":
            key = (symbol[1], symbol[2])
            fn = self.python.functions.get(key)
            return ("call", key) if fn is not None and not fn["async"] else None
        if symbol[0] == "external":
            name = symbol[1]
            display = f"{name.removeprefix('builtins.')}()"
            if name in self.catalog.functions:
                return ("sink", _Sink(self.catalog.functions[name], name, display))
            family_name = self.catalog.constructor_family(name)
            if family_name and self.catalog.families[family_name].constructor_blocks:
                return ("sink", _Sink(self.catalog.families[family_name].kind, name, display))
        return None

    # --- reachability --------------------------------------------------------------------

    def _best_paths(self, severe_only: bool) -> dict[FnKey, tuple[int, int, Any]]:
        """For every sync function that reaches a blocking call: (priority, call index, next).

        `next` is the _Sink when the call itself blocks, else the FnKey of the callee that leads on.
        Multi-source BFS on the reversed graph, most severe priority first, so each function keeps
        the most severe blocking call it reaches by the shortest path.

        Calls that run once per process (memoized, lazy-init guarded) are followed only for the
        kinds that can hang a service even once (`severe_only`); a one-off config-file read is not
        an incident, a one-off connect to a dead database is.
        """
        callers: dict[FnKey, list[tuple[FnKey, int]]] = {}
        direct: dict[FnKey, tuple[int, int, _Sink]] = {}
        for key, fn in self.python.functions.items():
            if fn["async"]:
                continue
            for index, call in enumerate(fn["calls"]):
                resolved = self.resolve_call(key, index)
                if resolved is None or (call["once"] and not severe_only):
                    continue
                if resolved[0] == "call":
                    callers.setdefault(resolved[1], []).append((key, index))
                elif not severe_only or resolved[1].kind not in self.catalog.once_ignored:
                    sink: _Sink = resolved[1]
                    candidate = (self._priority(sink.kind), index, sink)
                    if key not in direct or candidate[0] < direct[key][0]:
                        direct[key] = candidate
        best: dict[FnKey, tuple[int, int, Any]] = {}
        for level in sorted({entry[0] for entry in direct.values()}):
            queue = deque(k for k, v in direct.items() if v[0] == level and k not in best)
            for k in queue:
                best[k] = direct[k]
            while queue:
                callee = queue.popleft()
                for caller, index in callers.get(callee, []):
                    if caller not in best:
                        best[caller] = (level, index, callee)
                        queue.append(caller)
        return best

    def _hop(self, key: FnKey, line: int, prefix: str = "") -> dict[str, Any]:
        return {"function": f"{prefix}{key[1]}()", "file": key[0], "line": line}

    def findings(self) -> list[Finding]:
        every, severe = self._best_paths(severe_only=False), self._best_paths(severe_only=True)
        findings: list[Finding] = []
        for key, fn in self.python.functions.items():
            if not fn["async"]:
                continue
            seen_lines: set[int] = set()
            occurrences: dict[str, int] = {}
            for index, call in enumerate(fn["calls"]):
                resolved = self.resolve_call(key, index)
                if resolved is None or call["line"] in seen_lines:
                    continue
                chain = [self._hop(key, call["line"], "async ")]
                if resolved[0] == "sink":
                    sink = resolved[1]
                    if call["once"] and sink.kind in self.catalog.once_ignored:
                        continue
                else:
                    callee = resolved[1]
                    options = [table for table in ((severe,) if call["once"] else (every, severe)) if callee in table]
                    if not options:
                        continue
                    table = min(options, key=lambda t: t[callee][0])
                    sink, chain = self._follow(callee, table, chain)
                seen_lines.add(call["line"])
                # the same call twice in one function needs two fingerprints, still free of line numbers
                symbol = f"{key[1]}|{call['text']}|{sink.name}"
                occurrences[symbol] = occurrences.get(symbol, 0) + 1
                findings.append(self._finding(key, call, sink, chain, f"{symbol}|{occurrences[symbol]}"))
        return findings

    def _follow(self, start: FnKey, best: dict[FnKey, tuple[int, int, Any]], chain: list[dict[str, Any]]) -> tuple[_Sink, list[dict[str, Any]]]:
        """Walk the BFS pointers to the blocking call; they cannot cycle (each points to an earlier node)."""
        current = start
        while True:
            _, index, nxt = best[current]
            call = self.python.functions[current]["calls"][index]
            chain.append(self._hop(current, call["line"]))
            if isinstance(nxt, _Sink):
                chain.append({"function": nxt.display, "file": current[0], "line": call["line"]})
                return nxt, chain
            current = nxt

    def _finding(self, key: FnKey, call: dict[str, Any], sink: _Sink, chain: list[dict[str, Any]], symbol: str) -> Finding:
        rel, qualname = key
        what = sink.display if sink.display == f"{sink.name.removeprefix('builtins.')}()" else f"{sink.display} ({sink.name})"
        if len(chain) == 1:
            chain.append({"function": sink.display, "file": rel, "line": call["line"]})
            message = f"{what} blocks the event loop in async {qualname}()"
        else:
            via = " → ".join(hop["function"] for hop in chain[1:-1])
            message = f"{what} blocks the event loop; reached from async {qualname}() via {via}"
        last = chain[-1]
        return Finding(
            rule=self.catalog.kind_rule[sink.kind],
            file=rel,
            line=call["line"],
            message=message,
            symbol=symbol,
            evidence={
                "chain": chain,
                "blocking_call": sink.name,
                "blocking_at": f"{last['file']}:{last['line']}",
            },
        )
