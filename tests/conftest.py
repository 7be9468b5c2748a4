"""Helpers: every test drives the real CLI in a subprocess on a copy of a fixture project."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gapaudit", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )


def write_files(root: Path, files: dict[str, str]) -> Path:
    """A small project: each relative path written with its text (folders made); `root` back."""
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    """The promise for every usage, configuration or I/O error: exit 2 and one line, no traceback."""
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def scan_json(project: Path, *extra: str) -> tuple[int, dict]:
    done = run_cli("scan", str(project), "--format", "json", "-o", "-", "--no-cache", *extra)
    assert done.returncode in (0, 1, 3), done.stderr
    return done.returncode, json.loads(done.stdout)


@pytest.fixture(autouse=True)
def user_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The CLI's default cache directory: a fresh one per test, never the user's own."""
    directory = tmp_path_factory.mktemp("user-cache")
    monkeypatch.setenv("GAPAUDIT_CACHE_DIR", str(directory))
    return directory


@pytest.fixture
def project(tmp_path: Path):
    """Copy a fixture project into tmp_path (reports and caches land there, not in the repo)."""

    def make(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(FIXTURES / name, target, symlinks=True)
        return target

    return make


@pytest.fixture
def example(tmp_path: Path) -> Path:
    target = tmp_path / "upload-service"
    shutil.copytree(ROOT / "examples" / "upload-service", target)
    return target
