"""The one walk of a tree: every node once, in field order, with its ancestors, as ast.iter_child_nodes defines them."""

from __future__ import annotations

import ast

import pytest
from conftest import ROOT

from gapaudit.python import Context, walk


class _Recorder:
    def __init__(self, *wants: type[ast.AST]) -> None:
        self.wants = wants
        self.events: list[tuple[str, ast.AST, tuple[ast.AST, ...]]] = []

    def enter(self, node: ast.AST, context: Context) -> None:
        self.events.append(("enter", node, tuple(context.ancestors)))

    def leave(self, node: ast.AST, context: Context) -> None:
        self.events.append(("leave", node, tuple(context.ancestors)))


def _expected(tree: ast.AST, wants: tuple[type[ast.AST], ...]) -> list[tuple[str, ast.AST, tuple[ast.AST, ...]]]:
    events = []

    def visit(node: ast.AST, ancestors: tuple[ast.AST, ...]) -> None:
        if isinstance(node, wants):
            events.append(("enter", node, ancestors))
        for child in ast.iter_child_nodes(node):
            visit(child, (*ancestors, node))
        if isinstance(node, wants):
            events.append(("leave", node, ancestors))

    visit(tree, ())
    return events


@pytest.mark.parametrize("wants", [(ast.AST,), (ast.Call, ast.FunctionDef), (ast.Load, ast.Name), (ast.stmt,)],
                         ids=["everything", "calls", "tokens", "statements"])
def test_events_are_those_of_a_recursive_walk(wants):
    for path in sorted((ROOT / "gapaudit" / "python").glob("*.py")):
        tree = ast.parse(path.read_text())
        recorder = _Recorder(*wants)
        walk(tree, [recorder])
        assert recorder.events == _expected(tree, wants), path.name


def test_collectors_share_the_walk_and_only_see_what_they_want():
    tree = ast.parse("def f(x):\n    return g(x) + 1\n")
    calls, names = _Recorder(ast.Call), _Recorder(ast.Name)
    walk(tree, [calls, names])
    assert [type(node).__name__ for kind, node, _ in calls.events] == ["Call", "Call"]
    assert [node.id for kind, node, _ in names.events if kind == "enter"] == ["g", "x"]
