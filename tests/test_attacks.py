"""The scanned repository is hostile input: one crafted repository per attack, each also holding a
real blocking call in an `async def` that must still be reported.

Attacks on writes, the cache, odd inputs, encodings and output injection; bounded work (YAML
bombs, huge files) is in test_bounded_work.py, secrets in test_secrets.py."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from conftest import one_line_error, run_cli

BLOCKING = "import time\n\n@bot.event\nasync def handler():\n    time.sleep(1)\n"
REAL = ("GA103", "app/main.py")  # the real finding every crafted repository holds


def _repo(root: Path, files: dict[str, str | bytes] | None = None) -> Path:
    for rel, content in {"app/main.py": BLOCKING, **(files or {})}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return root


def _scan(root: Path, *extra: str, env: dict[str, str] | None = None, code: int = 1) -> dict:
    done = run_cli("scan", str(root), "--format", "json", "-o", "-", *extra, env=env)
    assert done.returncode == code, done.stdout[-500:] + done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    return json.loads(done.stdout)


def _found(report: dict) -> set[tuple[str, str]]:
    return {(g["rule"], g["file"]) for g in report["gaps"]}


# --- no write through anything the repository controls --------------------------------------

def test_a_report_file_symlinked_by_the_repository_is_replaced_not_written_through(tmp_path):
    victim = tmp_path / "site-packages" / "x.pth"
    victim.parent.mkdir()
    victim.write_text("untouched\n")
    root = _repo(tmp_path / "repo")
    (root / "reports").mkdir()
    for name in ("gapaudit.txt", "gapaudit.md", "gapaudit.json"):
        os.symlink(victim, root / "reports" / name)
    done = run_cli("scan", str(root))
    assert done.returncode == 1 and "GA103" in done.stdout, done.stderr
    assert victim.read_text() == "untouched\n"
    assert not (root / "reports" / "gapaudit.txt").is_symlink()
    assert "GA103" in (root / "reports" / "gapaudit.txt").read_text()


def test_a_reports_folder_symlinked_outside_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    root = _repo(tmp_path / "repo")
    os.symlink(elsewhere, root / "reports")
    line = one_line_error(run_cli("scan", str(root)))
    assert "leads outside the scanned directory" in line and not any(elsewhere.iterdir())
    # the user's own --output-dir is theirs to choose
    done = run_cli("scan", str(root), "--output-dir", str(tmp_path / "out"))
    assert done.returncode == 1 and (tmp_path / "out" / "gapaudit.json").is_file()


def test_the_repository_config_cannot_send_reports_outside(tmp_path):
    root = _repo(tmp_path / "repo", {"gapaudit.yml": "output-dir: ../../outside\n"})
    line = one_line_error(run_cli("scan", str(root)))
    assert "output-dir" in line and not (tmp_path / "outside").exists() and not (tmp_path.parent / "outside").exists()


def test_the_repository_config_cannot_read_rule_files_outside(tmp_path):
    secret = tmp_path / "secret.yml"
    secret.write_text("rules: [SECRET-CONTENT-12345\n")
    root = _repo(tmp_path / "repo", {"gapaudit.yml": f"rule-paths: [{secret}, ../secret.yml]\n"})
    line = one_line_error(run_cli("scan", str(root)))
    assert "rule-paths" in line and "SECRET-CONTENT" not in line
    os.symlink(secret, root / "rules.yml")  # nor through a symlink inside the tree
    (root / "gapaudit.yml").write_text("rule-paths: [rules.yml]\n")
    line = one_line_error(run_cli("scan", str(root)))
    assert "rule-paths" in line and "SECRET-CONTENT" not in line


def test_the_cache_never_writes_through_a_planted_symlink(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("untouched\n")
    root = _repo(tmp_path / "repo")
    cache = root / ".gapaudit-cache"
    cache.mkdir()
    for name in (".gitignore", "CACHEDIR.TAG", "secret"):
        os.symlink(victim, cache / name)
    assert _found(_scan(root, "--cache-dir", str(cache))) == {REAL}
    assert victim.read_text() == "untouched\n"


# --- a cache the repository cannot forge ----------------------------------------------------

def test_a_cache_committed_into_the_repository_cannot_hide_a_finding(tmp_path):
    root = _repo(tmp_path / "repo")
    a_day_ago = time.time() - 86_400
    os.utime(root / "app" / "main.py", (a_day_ago, a_day_ago))  # old enough for the manifest to vouch for it
    committed = root / ".cache" / "gapaudit"
    # the attacker's machine: a real cache of this very tree, then every finding removed from it
    attacker = {**os.environ, "GAPAUDIT_CACHE_DIR": str(tmp_path / "attacker-home")}
    _scan(root, "--cache-dir", str(committed), env=attacker)
    for shard in committed.rglob("*.json"):
        data = json.loads(shard.read_text())
        if isinstance(data, dict) and "findings" in data:
            shard.write_text(json.dumps({**data, "findings": []}))
    assert _scan(root, "--cache-dir", str(committed), env=attacker, code=0)["gaps"] == []  # it works for them
    # the victim's CI: the same committed cache, but not this user's secret
    assert _found(_scan(root, "--cache-dir", str(committed))) == {REAL}
    # and by default a cache inside the scanned tree is not used at all
    inside = {**os.environ, "GAPAUDIT_CACHE_DIR": str(committed)}
    done = run_cli("scan", str(root), "--format", "json", "-o", "-", env=inside)
    assert done.returncode == 1 and "not using the cache" in done.stderr


@pytest.mark.parametrize("garbage", ["null", "[]", '{"x": 1}', "{", '"text"', "[[[[[[[[[["])
def test_a_cache_full_of_garbage_is_a_miss_not_an_error(tmp_path, garbage):
    root, cache = _repo(tmp_path / "repo"), tmp_path / "cache"
    _scan(root, "--cache-dir", str(cache))
    for shard in cache.rglob("*.json"):
        shard.write_text(garbage)
    assert _found(_scan(root, "--cache-dir", str(cache))) == {REAL}


# --- every odd input is a skipped entry, never an abort -------------------------------------

def test_names_that_are_not_utf8_are_skipped_and_named(tmp_path):
    root = _repo(tmp_path / "repo")
    os.makedirs(os.path.join(os.fsencode(root / "app"), b"pkg\xff"))
    with open(os.path.join(os.fsencode(root / "app"), b"bad\xfe.py"), "w") as bad:
        bad.write(BLOCKING)
    report = _scan(root, "--no-cache")
    assert _found(report) == {REAL}
    assert {s["file"] for s in report["skipped"]} == {"app/pkg\\xff/", "app/bad\\xfe.py"}


@pytest.mark.parametrize("line", ["!", "[z-a]", "\\", "!!", "**/[", "\x00"])
def test_a_gitignore_line_git_would_ignore_is_ignored(tmp_path, line):
    root = _repo(tmp_path / "repo", {".gitignore": f"*.log\n{line}\nlegacy/\n", "legacy/old.py": BLOCKING})
    assert _found(_scan(root, "--no-cache")) == {REAL}


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("pyproject.toml", "tool = 3\n", "'tool' must be a table"),
    ("pyproject.toml", "[tool]\ngapaudit = [1]\n", "must be a mapping"),
    ("gapaudit.yml", "exclude: ['[z-a]']\n", "not a valid gitignore-style pattern"),
    ("gapaudit.yml", "file-time-budget: 100000\n", "file-time-budget"),
])
def test_config_of_the_wrong_type_is_a_one_line_error(tmp_path, name, content, expected):
    root = _repo(tmp_path / "repo", {name: content})
    assert expected in one_line_error(run_cli("scan", str(root)))


# --- valid Python in any declared encoding is analyzed ---------------------------------------

@pytest.mark.parametrize("content", [
    b"\xef\xbb\xbf" + BLOCKING.encode(),
    b"\xef\xbb\xbf" + BLOCKING.replace("\n", "\r\n").encode(),
    ("# -*- coding: latin-1 -*-\n# caf\xe9\n" + BLOCKING).encode("latin-1"),
    ("#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\nNAME = '\u20ac'\n" + BLOCKING).encode("cp1252"),
])
def test_python_with_a_bom_or_a_coding_line_is_analyzed(tmp_path, content):
    root = _repo(tmp_path / "repo", {"app/main.py": content})
    report = _scan(root, "--no-cache")
    assert _found(report) == {REAL} and report["skipped"] == []


# --- bounded work: the per-file time budget --------------------------------------------------

def test_a_file_over_the_time_budget_is_skipped_and_the_scan_is_incomplete(tmp_path):
    root = _repo(tmp_path / "repo", {"gapaudit.yml": "file-time-budget: 0.000001\n"})
    report = _scan(root, "--no-cache", code=3)
    assert report["complete"] is False
    assert report["skipped"] and all(s["limit"] and "file-time-budget" in s["reason"] for s in report["skipped"])
    (root / "gapaudit.yml").write_text("file-time-budget: 10\n")
    assert _found(_scan(root, "--no-cache")) == {REAL}


# --- injection into terminals, logs and Markdown ----------------------------------------------

HOSTILE_NAMES = [
    "evil\x1b[2J\x1b[31m.py",  # clear the screen, colour
    "link\x1b]8;;https:evil.example\x07click\x1b]8;;\x07.py",  # OSC 8 hyperlink
    "two\nlines.py",  # a newline splitting report lines
    "tick`</code><img src=x onerror=alert(1)>.py",  # out of a Markdown code span
    "rtl\u202egnp.py",  # a bidi override
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_file_names_reach_no_output_raw(tmp_path, name):
    root = _repo(tmp_path / "repo", {f"app/{name}": BLOCKING})
    out = tmp_path / "out"
    done = run_cli("scan", str(root), "--output-dir", str(out))
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    terminal, text, markdown = done.stdout, (out / "gapaudit.txt").read_text(), (out / "gapaudit.md").read_text()
    for shown in (terminal, text, markdown):
        assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
        assert "two\nlines" not in shown
    # one line per finding: both findings, each on its own `path:line:` line
    assert sum(line.startswith("app/") for line in text.splitlines()) == 2
    assert "<img" not in markdown and "</code><" not in markdown
    report = json.loads((out / "gapaudit.json").read_text())
    assert {g["file"] for g in report["gaps"]} == {"app/main.py", f"app/{name}"}  # JSON keeps the real name, escaped by JSON


def test_hostile_text_in_an_error_line_is_escaped(tmp_path):
    root = _repo(tmp_path / "repo", {"gapaudit.yml": "unknown-\x1b]8;;x\x07key: 1\n"})
    line = one_line_error(run_cli("scan", str(root)))
    assert "\x1b" not in line and "\x07" not in line


def test_the_stdlib_scans_without_a_crash(tmp_path):
    """The standard library: thousands of real files, BOMs, coding lines, odd syntax, test data."""
    import sysconfig

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    if not (stdlib / "asyncio").is_dir():
        pytest.skip("no standard library sources here")
    tree = tmp_path / "stdlib"
    shutil.copytree(stdlib, tree, ignore=shutil.ignore_patterns("site-packages", "__pycache__", "*.pyc"), symlinks=True)
    done = run_cli("scan", str(tree), "--format", "json", "-o", "-", "--fail-on", "never", "--no-cache")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    report = json.loads(done.stdout)
    assert report["complete"] is True
    # what is skipped is what Python itself refuses (test data with bad syntax or encodings)
    assert all(s["reason"].startswith(("syntax error", "not UTF-8", "not valid")) for s in report["skipped"])
