"""What an analyzer is: per-file facts (pure, cached, parallel) and a whole-program link step."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Protocol

if TYPE_CHECKING:
    from ..settings import Config
    from ..engine.discover import Discovery
    from ..model import Finding
    from ..rules import RuleSet


class ParseError(Exception):
    """The file is not valid for its kind; its reason goes to the report's `skipped` list."""


@dataclass
class ParsedFile:
    """One file's text, parsed at most once however many analyzers read it."""

    rel: str
    kind: str
    text: str
    _tree: ast.Module | None = field(default=None, repr=False)
    _shared: dict[str, Any] = field(default_factory=dict, repr=False)

    def shared(self, key: str, compute: Callable[[], Any]) -> Any:
        """Facts two analyzers both need, computed once per file."""
        if key not in self._shared:
            self._shared[key] = compute()
        return self._shared[key]

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
    facts: dict[str, dict[str, Any]]  # analyzer name -> file rel -> that analyzer's facts
    kinds: dict[str, str]  # file rel -> kind

    def facts_of(self, analyzer: str) -> dict[str, Any]:
        return self.facts.get(analyzer, {})


class Analyzer(Protocol):
    name: str
    kinds: frozenset[str]  # the file kinds whose facts it collects

    def file_facts(self, file: ParsedFile) -> Any:
        """JSON-serialisable facts of one file; pure, so it can be cached and run in parallel."""

    def link(self, project: Project) -> list[Finding]:
        """Whole-program findings from every file's facts."""
