"""Small AST helpers shared by the visitors; cheap where `ast.unparse` would be called per node."""

from __future__ import annotations

import ast
from typing import Iterator


def dotted_name(node: ast.AST) -> str:
    """`a.b.c` for a Name/Attribute chain, `a.b()` ends the chain at the call (`a.b`); else ""."""
    parts: list[str] = []
    while isinstance(node, (ast.Attribute, ast.Call)):
        if isinstance(node, ast.Call):
            node = node.func
            continue
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ".".join(reversed(parts))


def source_text(node: ast.AST) -> str:
    """`ast.unparse(node)`, without unparsing the common `a.b.c` (the form most callees take)."""
    parts: list[str] = []
    current = node
    while isinstance(current, ast.Attribute):
        parts.append(current.attr)
        current = current.value
    if isinstance(current, ast.Name):
        parts.append(current.id)
        return ".".join(reversed(parts))
    return ast.unparse(node)


def last_name(node: ast.AST) -> str:
    """The final name of a callee: `TestClient` for `fastapi.testclient.TestClient`."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def module_statements(node: ast.stmt) -> Iterator[ast.stmt]:
    """A statement and those nested in its `if`/`try`/`with` blocks (`if TYPE_CHECKING: import x`,
    `try: import redis except ImportError: ...`): what runs at module level."""
    yield node
    if isinstance(node, (ast.If, ast.Try, ast.With)):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                yield from module_statements(child)
            elif isinstance(child, ast.ExceptHandler):
                for stmt in child.body:
                    yield from module_statements(stmt)
