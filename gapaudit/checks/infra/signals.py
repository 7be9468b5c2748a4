"""What a piece of test code says about infrastructure: the words, environment variable names,
modules, ports and caught exceptions in a skip condition, an `except` around a skip, a flag's
definition — `Signals`, gathered node by node.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, fields
from typing import Iterable

from ...python import codec
from ...python.astutil import source_text
from ...python.imports import Import

_WORD = re.compile(r"[A-Za-z][a-z]+|[A-Z]+(?![a-z])|\d+")
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]{2,}$")
_NAME = re.compile(r"[A-Za-z_][\w.]*")


def words(text: str) -> set[str]:
    """Lower-case words of identifiers and prose: `HAS_REDIS`, `redisAvailable`, "Redis down"."""
    found = {w.lower() for w in _WORD.findall(text)}
    found.update(part.lower() for part in re.split(r"[^A-Za-z0-9]+", text) if part)
    return found


@codec.register
@dataclass(frozen=True, slots=True)
class Signals:
    words: tuple[str, ...] = ()
    env: tuple[str, ...] = ()  # environment variable names (string constants in their shape)
    modules: tuple[str, ...] = ()  # absolute modules imported
    ports: tuple[int, ...] = ()
    exceptions: tuple[str, ...] = ()  # class names of caught exceptions
    idents: tuple[str, ...] = ()  # names to follow to their definitions (flags, probe helpers)

    def merge(self, *others: Signals) -> Signals:
        every = (self, *others)
        return Signals(*(tuple(sorted({value for signals in every for value in getattr(signals, field.name)}))
                         for field in fields(Signals)))


class SignalText:
    """Signals being gathered from the nodes of one expression or statement.

    Words come from identifiers, attribute names and string constants (cheaper than unparsing a
    whole helper function, and the same words). A statement's imports come from the module's
    `Import` records on its lines, once the walk has found them all.
    """

    __slots__ = ("pieces", "env", "modules", "ports", "exceptions", "idents", "lines")

    def __init__(self, extra_text: str = "", node: ast.AST | None = None) -> None:
        self.pieces: list[str] = [extra_text]
        self.env: set[str] = set()
        self.modules: set[str] = set()
        self.ports: set[int] = set()
        self.exceptions: set[str] = set()
        self.idents: set[str] = set()
        # imports are statements: only a statement's signals name modules
        self.lines = (node.lineno, node.end_lineno or node.lineno) if isinstance(node, ast.stmt) else None

    def add(self, node: ast.AST) -> None:
        """One node's own share (not its children's)."""
        if isinstance(node, ast.Name):
            self.idents.add(node.id)
            self.pieces.append(node.id)
        elif isinstance(node, ast.Attribute):
            self.pieces.append(node.attr)
            if isinstance(node.ctx, ast.Load):
                self.idents.add(node.attr)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.pieces.append(node.name)
        elif isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, str):
                self.pieces.append(value)
                if _ENV_NAME.match(value):
                    self.env.add(value)
            elif type(value) is int and 1 <= value <= 65535:  # not a bool: `skipif(True)` names no port
                self.ports.add(value)
        elif isinstance(node, ast.ExceptHandler) and node.type is not None:
            self.exceptions.update(name.split(".")[-1] for name in _NAME.findall(source_text(node.type)))

    def signals(self, imports: Iterable[Import]) -> Signals:
        pieces = list(self.pieces)
        modules = set(self.modules)
        if self.lines is not None:
            first, last = self.lines
            for imp in imports:
                if first <= imp.line <= last:
                    pieces.append(imp.name or imp.module or "")  # the imported name, as written
                    if imp.level == 0 and imp.module:
                        modules.add(imp.module)
        return Signals(words=tuple(sorted(words(" ".join(pieces)))), env=tuple(sorted(self.env)),
                       modules=tuple(sorted(modules)), ports=tuple(sorted(self.ports)),
                       exceptions=tuple(sorted(self.exceptions)), idents=tuple(sorted(self.idents)))


def signals_of(node: ast.AST, extra_text: str = "") -> SignalText:
    """The signals of one expression or statement, by a walk of that node alone."""
    text = SignalText(extra_text, node)
    for sub in ast.walk(node):
        text.add(sub)
    return text
