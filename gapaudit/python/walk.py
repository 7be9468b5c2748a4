"""One walk over a module's syntax tree, shared by every collector that reads Python.

Each collector (the code model's builder, the test-file facts, the route declarations, ...) says
which node types it wants; `walk` visits every node once, in source order, keeps the chain of
ancestors, and calls the collectors that asked for that type — like pyflakes' `handleNode`, so
six analyzers reading the same file cost one traversal instead of six.
"""

from __future__ import annotations

import ast
from typing import Iterable, Protocol

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


class Context:
    """Where the walk is: the ancestors of the current node, innermost last."""

    __slots__ = ("ancestors",)

    def __init__(self) -> None:
        self.ancestors: list[ast.AST] = []

    @property
    def parent(self) -> ast.AST | None:
        return self.ancestors[-1] if self.ancestors else None

    def enclosing(self, *types: type[ast.AST]) -> ast.AST | None:
        """The innermost ancestor of one of these types (`ast.FunctionDef`, `ast.ClassDef`, ...)."""
        for node in reversed(self.ancestors):
            if isinstance(node, types):
                return node
        return None

    def enclosing_function(self) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        return self.enclosing(ast.FunctionDef, ast.AsyncFunctionDef)  # type: ignore[return-value]

    def enclosing_class(self) -> ast.ClassDef | None:
        return self.enclosing(ast.ClassDef)  # type: ignore[return-value]


class Collector(Protocol):
    """Something that builds facts of one module from the nodes it asks for."""

    #: node types `enter` is called for; `leave` is called for the same types after their children
    wants: tuple[type[ast.AST], ...]

    def enter(self, node: ast.AST, context: Context) -> None: ...

    def leave(self, node: ast.AST, context: Context) -> None: ...


def walk(tree: ast.AST, collectors: Iterable[Collector]) -> None:
    """Visit every node of `tree` once, depth first in field order, calling each collector that wants it."""
    collectors = list(collectors)
    table: dict[type[ast.AST], list[Collector]] = {}
    for collector in collectors:
        for node_type in collector.wants:
            for concrete in _concrete(node_type):
                table.setdefault(concrete, []).append(collector)
    context = Context()
    ancestors = context.ancestors
    # iterative, so a deeply nested file costs memory, not the interpreter's recursion limit
    stack: list[tuple[ast.AST, bool]] = [(tree, False)]
    while stack:
        node, leaving = stack.pop()
        interested = table.get(type(node))
        if leaving:
            ancestors.pop()
            if interested:
                for collector in interested:
                    collector.leave(node, context)
            continue
        if interested:
            for collector in interested:
                collector.enter(node, context)
        stack.append((node, True))
        ancestors.append(node)
        children = list(ast.iter_child_nodes(node))
        stack.extend((child, False) for child in reversed(children))


def _concrete(node_type: type[ast.AST]) -> list[type[ast.AST]]:
    """`ast.stmt` means every statement class: dispatch is by exact type, so expand abstract ones."""
    found = [node_type]
    for sub in node_type.__subclasses__():
        found.extend(_concrete(sub))
    return found


def is_scope(node: ast.AST) -> bool:
    return isinstance(node, _SCOPES)
