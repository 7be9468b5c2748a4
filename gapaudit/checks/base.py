"""What an analyzer is: per-file facts (pure, cached, parallel) and a whole-program link step."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar, TypeVar

from ..python.walk import Collector, walk

if TYPE_CHECKING:
    from ..engine.discover import Discovery
    from ..model import Finding
    from ..rules import RuleSet
    from ..settings import Config

C = TypeVar("C", bound=Collector)


class ParseError(Exception):
    """The file is not valid for its kind; its reason goes to the report's `skipped` list. With
    `limit`, it was too big to analyze safely (YAML nodes, ...): the scan is then incomplete."""

    def __init__(self, reason: str, *, limit: bool = False) -> None:
        super().__init__(reason)
        self.limit = limit


@dataclass
class ParsedFile:
    """One file's text, parsed at most once and walked at most once however many analyzers read it.

    Analyzers register collectors in `Analyzer.prepare` (`file.collector(key, factory)`); the
    engine then walks the tree once for all of them (`walk_collectors`), and each analyzer reads
    its collectors back in `file_facts`. Two analyzers asking for the same key share one collector.
    """

    rel: str
    kind: str
    text: str
    _tree: ast.Module | None = field(default=None, repr=False)
    _shared: dict[str, Any] = field(default_factory=dict, repr=False)
    _collectors: dict[str, Collector] = field(default_factory=dict, repr=False)
    _pending: list[Collector] = field(default_factory=list, repr=False)
    _walked: bool = field(default=False, repr=False)

    def shared(self, key: str, compute: Callable[[], Any]) -> Any:
        """Facts two analyzers both need, computed once per file."""
        if key not in self._shared:
            self._shared[key] = compute()
        return self._shared[key]

    def collector(self, key: str, factory: Callable[[], C]) -> C:
        """The collector registered under `key`, made by `factory` the first time.

        Registered before the walk, it joins it; registered after (an analyzer that did not
        prepare), it gets a walk of its own, so the result is right either way, only slower."""
        found = self._collectors.get(key)
        if found is None:
            found = self._collectors[key] = factory()
            if self._walked:
                walk(self.tree, [found])
            else:
                self._pending.append(found)
        return found  # type: ignore[return-value]

    def walk_collectors(self) -> None:
        """One walk of the tree for every collector registered so far."""
        if self._pending:
            pending, self._pending = self._pending, []
            walk(self.tree, pending)
        self._walked = True

    @property
    def tree(self) -> ast.Module:
        if self._tree is None:
            try:
                self._tree = ast.parse(self.text, filename=self.rel)
            except SyntaxError as exc:
                raise ParseError(f"syntax error at line {exc.lineno}: {exc.msg}") from None
            except ValueError as exc:  # null bytes
                raise ParseError(f"cannot parse: {exc}") from None
        return self._tree


@dataclass(frozen=True)
class Project:
    """Everything the link step sees: the tree, the configuration and every file's facts."""

    root: Path
    discovery: Discovery
    config: Config
    rules: RuleSet
    #: analyzer name -> file rel -> that analyzer's facts (the engine's mapping decodes a file's
    #: facts when first read: facts a link never reads are never decoded)
    facts: dict[str, Mapping[str, Any]]
    kinds: dict[str, str]  # file rel -> kind

    def facts_of(self, analyzer: str) -> Mapping[str, Any]:
        return self.facts.get(analyzer, {})


class Analyzer:
    """One check family's analyzer. Subclasses set `name`, `kinds` and `order` and implement
    `file_facts` and `link`; `encode`/`decode` turn facts into JSON for the cache and back.
    A family package lists its analyzers in `ANALYZERS` (its `__init__.py`); `default_analyzers` finds them."""

    name: ClassVar[str]
    kinds: ClassVar[frozenset[str]]  # the file kinds whose facts it collects
    order: ClassVar[int]  # place among all analyzers: the order they run and report in
    #: catalogs (rules/*.yml) it reads, so its facts depend on them; a rule file may name no other catalog
    catalogs: ClassVar[tuple[str, ...]] = ()

    def __init__(self, rules: RuleSet) -> None:
        """Every analyzer is built from the rule set alone (one that reads no catalog ignores it)."""

    def prepare(self, file: ParsedFile) -> None:
        """Register the collectors `file_facts` will read, before the engine's one walk of the tree."""

    def file_facts(self, file: ParsedFile) -> Any:
        """Facts of one file; pure, so they can be cached and computed in parallel."""
        raise NotImplementedError

    def link(self, project: Project) -> list[Finding]:
        """Whole-program findings from every file's facts."""
        raise NotImplementedError

    def relink(self, project: Project, previous: Any, changed: frozenset[str]) -> tuple[list[Finding], Any]:
        """Findings, and a state (JSON data) the next scan's relink starts from, or None for none.

        `previous` is the state this returned on the previous scan of the same tree and settings,
        `changed` the files whose facts differ since; only their facts are decoded for this call
        (`decode` the others when read). With `previous` None, every file's facts are decoded
        and the findings linked from scratch, which is all an analyzer that keeps no state does."""
        return self.link(project), None

    def encode(self, facts: Any) -> Any:
        """Facts as JSON-compatible data (the cache stores this)."""
        return facts

    def decode(self, data: Any) -> Any:
        """The inverse of `encode`."""
        return data

    def decoded_facts(self, project: Project) -> dict[str, Any]:
        """Its facts of every file, decoded: file rel -> facts. (`decode` is a no-op on facts
        that are decoded already, so this holds whether the engine decodes them or not.)"""
        return {rel: self.decode(data) for rel, data in project.facts_of(self.name).items()}
