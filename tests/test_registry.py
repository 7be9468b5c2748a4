"""Formats and analyzers register by declaring themselves: adding one is one new module.

Each test copies the gapaudit package, adds a module to the copy and drives the copy's CLI.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, run_cli


@pytest.fixture
def package(tmp_path: Path):
    """A copy of the gapaudit package (with its rules) and a runner of its CLI."""
    copy = tmp_path / "site"
    shutil.copytree(ROOT / "gapaudit", copy / "gapaudit", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "rules", copy / "rules")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        # cwd too: `python -m` puts the working directory first on sys.path
        return subprocess.run([sys.executable, "-m", "gapaudit", *args], cwd=copy, env={**os.environ, "PYTHONPATH": str(copy)},
                              capture_output=True, text=True, timeout=120, check=False)

    return copy / "gapaudit", run


def test_formats_come_in_their_declared_order():
    help_text = " ".join(run_cli("scan", "--help").stdout.split())
    assert "--format [terminal|markdown|html|json|sarif]" in help_text


def test_a_new_format_is_one_new_module(package, project):
    gapaudit, run = package
    (gapaudit / "report" / "csv_report.py").write_text(
        "from ..model import Report\n"
        "from ._renderer import renderer\n\n\n"
        "@renderer('csv', file_name='gapaudit.csv', order=60)\n"
        "def render(report: Report) -> str:\n"
        "    return ''.join(f'{g.rule},{g.file},{g.line}\\n' for g in report.gaps)\n")
    assert "html|json|sarif|csv]" in " ".join(run("scan", "--help").stdout.split())
    root = project("blocking")
    assert run("scan", str(root), "--no-cache", "--format", "csv").returncode == 1
    assert (root / "reports" / "gapaudit.csv").read_text().startswith("GA1")
    (root / "gapaudit.yml").write_text("format: [csv]\noutput-dir: only-csv\n")  # the config key knows it too
    assert run("scan", str(root), "--no-cache").returncode == 1
    assert [p.name for p in (root / "only-csv").iterdir()] == ["gapaudit.csv"]


_TODO_FAMILY = '''
from typing import Any

from ...model import PYTHON
from ...model import Finding
from ...rules import RuleSet
from ..base import Analyzer, ParsedFile, Project


class TodoAnalyzer(Analyzer):
    name = "todo"
    kinds = frozenset({PYTHON})
    order = 70
    catalogs = ("todo-words",)

    def __init__(self, rules: RuleSet) -> None:
        self.words = rules.catalog("todo-words")

    def file_facts(self, file: ParsedFile) -> Any:
        return [n for n, line in enumerate(file.text.splitlines(), 1) if any(w in line for w in self.words)]

    def link(self, project: Project) -> list[Finding]:
        return [Finding(rule="GA901", file=rel, line=line, message="a TODO", symbol=str(line))
                for rel, lines in sorted(project.facts_of(self.name).items()) for line in lines]


ANALYZERS = (TodoAnalyzer,)
'''

_TODO_RULES = '''
rules:
  - id: GA901
    name: todo-left
    title: A TODO left in production code
    category: hygiene
    priority: P2
    why: Nobody does it later.
    fix: Do it now.
    example: {bad: "x = 1  # TODO", good: "x = 1"}
catalogs:
  todo-words: [TODO]
'''


def test_a_new_analyzer_family_is_one_new_package(package, tmp_path):
    gapaudit, run = package
    (gapaudit / "checks" / "todo").mkdir()
    (gapaudit / "checks" / "todo" / "__init__.py").write_text(_TODO_FAMILY)
    (gapaudit.parent / "rules" / "todo.yml").write_text(_TODO_RULES)
    root = tmp_path / "service"
    root.mkdir()
    (root / "app.py").write_text("import time\n\n\nasync def handler():\n    time.sleep(1)  # TODO\n")
    done = run("scan", str(root), "--no-cache", "--format", "json", "-o", "-")
    found = {(g["rule"], g["line"]) for g in json.loads(done.stdout)["gaps"]}
    assert found == {("GA103", 5), ("GA901", 5)}, done.stderr  # the built-in families still run beside it
