"""The layers stay thin: the CLI reaches no private name of another package, renderers never the engine."""

from __future__ import annotations

import ast

import pytest
from conftest import ROOT

PACKAGE = ROOT / "gapaudit"


def _imports(path) -> list[tuple[str, str]]:
    """(module as written, name) for every `from X import name` of a file."""
    tree = ast.parse(path.read_text())
    return [("." * node.level + (node.module or ""), alias.name)
            for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names]


@pytest.mark.parametrize("path", sorted((PACKAGE / "cli").glob("*.py")), ids=lambda p: p.name)
def test_the_cli_uses_only_public_names_of_other_packages(path):
    def private(name: str) -> bool:
        return name.startswith("_") and not name.startswith("__")

    imported = [(module, name) for module, name in _imports(path)
                if module.startswith("..")  # gapaudit's other packages; the cli's own _common is fine
                if private(name) or any(private(part) for part in module.strip(".").split("."))]
    assert imported == []
    attributes = [node.attr for node in ast.walk(ast.parse(path.read_text()))
                  if isinstance(node, ast.Attribute) and private(node.attr)
                  and ast.unparse(node) != "os._exit"]  # the standard library's exit without teardown
    assert attributes == []


@pytest.mark.parametrize("path", sorted((PACKAGE / "report").glob("*.py")), ids=lambda p: p.name)
def test_renderers_do_not_import_the_engine(path):
    assert [m for m, _ in _imports(path) if m.startswith(("..engine", "..cli"))] == []
