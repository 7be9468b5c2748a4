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
    table: dict[type[ast.AST], list[Collector]] = {}
    for collector in collectors:
        for node_type in collector.wants:
            for concrete in _concrete(node_type):
                table.setdefault(concrete, []).append(collector)
    # `ctx`, `op` and `ops` hold childless tokens (Load, Add, Eq, ...): not visited unless wanted
    wants_tokens = any(issubclass(node_type, _TOKENS) for node_type in table)
    fields_of = _CHILD_FIELDS[wants_tokens]
    context = Context()
    ancestors = context.ancestors
    # iterative, so a deeply nested file costs memory, not the interpreter's recursion limit;
    # None on the stack means: leave the innermost ancestor
    stack: list[ast.AST | None] = [tree]
    pop, push, interested_in, node_class = stack.pop, stack.append, table.get, ast.AST
    while stack:
        node = pop()
        if node is None:
            node = ancestors.pop()
            interested = interested_in(node.__class__)
            if interested:
                for collector in interested:
                    collector.leave(node, context)
            continue
        node_type = node.__class__
        interested = interested_in(node_type)
        if interested:
            for collector in interested:
                collector.enter(node, context)
        fields = fields_of.get(node_type)
        if fields is None:
            fields = fields_of[node_type] = _child_fields(node_type, wants_tokens)
        mark = len(stack)
        push(None)
        for name in fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                for item in reversed(value):
                    if isinstance(item, node_class):
                        push(item)
            elif isinstance(value, node_class):
                push(value)
        if len(stack) > mark + 1:
            ancestors.append(node)
        else:  # no children: leave at once
            pop()
            if interested:
                for collector in interested:
                    collector.leave(node, context)


_TOKENS = (ast.expr_context, ast.operator, ast.boolop, ast.unaryop, ast.cmpop)
_TOKEN_FIELDS = frozenset({"ctx", "op", "ops"})
#: per node type, the fields that may hold children, last first (the stack pops them in field
#: order); one table for walks that visit tokens, one for those that do not
_CHILD_FIELDS: dict[bool, dict[type[ast.AST], tuple[str, ...]]] = {True: {}, False: {}}


def _child_fields(node_type: type[ast.AST], with_tokens: bool) -> tuple[str, ...]:
    return tuple(reversed([name for name in node_type._fields if with_tokens or name not in _TOKEN_FIELDS]))


def _concrete(node_type: type[ast.AST]) -> list[type[ast.AST]]:
    """`ast.stmt` means every statement class: dispatch is by exact type, so expand abstract ones."""
    found = [node_type]
    for sub in node_type.__subclasses__():
        found.extend(_concrete(sub))
    return found


def is_scope(node: ast.AST) -> bool:
    return isinstance(node, _SCOPES)
