"""The progress bar: on a terminal only, not in CI, not for short scans, and cleared at the end."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import FIXTURES, run_cli

pty = pytest.importorskip("pty")
CLEAR = "\x1b[2K"


def _on_terminal(args: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], str]:
    """Run with stderr on a pseudo-terminal; returns the process and what reached the terminal."""
    master, slave = pty.openpty()
    try:
        done = subprocess.run(args, stdout=subprocess.PIPE, stderr=slave, env=env, text=True, timeout=120)
    finally:
        os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the terminal is closed and drained
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return done, b"".join(chunks).decode()


def _env(ci: bool) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    return {**env, "CI": "true"} if ci else env


def test_nothing_is_drawn_when_stderr_is_not_a_terminal(project):
    done = run_cli("scan", str(project("blocking")), "--format", "json", "-o", "-", "--no-cache", env=_env(ci=False))
    assert done.returncode == 1 and CLEAR not in done.stderr and "analyzing" not in done.stderr


def test_nothing_is_drawn_for_a_short_scan_on_a_terminal(tmp_path):
    done, terminal = _on_terminal([sys.executable, "-m", "gapaudit", "scan", str(FIXTURES / "blocking"), "--no-cache",
                                   "--format", "json", "-o", str(tmp_path / "report.json")], _env(ci=False))
    assert done.returncode == 1 and "Found" in terminal  # the summary line reached the terminal
    assert CLEAR not in terminal and "analyzing" not in terminal


@pytest.mark.parametrize("ci", [False, True])
def test_a_terminal_gets_a_bar_unless_in_ci(ci):
    check = "import sys; from gapaudit.engine.progress import Progress; print(Progress.for_stderr() is not None)"
    done, _ = _on_terminal([sys.executable, "-c", check], _env(ci))
    assert done.stdout.strip() == str(not ci)


def test_the_bar_counts_files_and_is_cleared_at_the_end():
    script = ("import sys\nfrom gapaudit.engine.progress import Progress\n"
              "bar = Progress(sys.stderr, delay=0)\nbar.stage('analyzing', 3)\n"
              "for _ in range(3):\n    bar.advance()\nbar.stage('linking')\nbar.close()\n")
    _, terminal = _on_terminal([sys.executable, "-c", script], _env(ci=False))
    assert "gapaudit: analyzing 3/3 files [" in terminal and "gapaudit: linking" in terminal
    assert terminal.endswith("\r" + CLEAR) and "\n" not in terminal  # drawn in place, then erased


def test_the_bar_waits_before_showing():
    script = ("import sys\nfrom gapaudit.engine.progress import Progress\n"
              "bar = Progress(sys.stderr)\nbar.stage('analyzing', 1)\nbar.advance()\nbar.close()\n")
    _, terminal = _on_terminal([sys.executable, "-c", script], _env(ci=False))
    assert terminal == ""
