"""Inline suppressions, the baseline and --diff: how teams adopt gapaudit on an existing codebase."""

from __future__ import annotations

import json
import subprocess

from conftest import run_cli, scan_json

SOURCE = """import time
import requests

@bot.event
async def poll():
    time.sleep(1)
    requests.get("https://api/x", timeout=5)  # gapaudit: ignore[GA101]

@bot.event
async def legacy():
    time.sleep(2)  # noqa: GA103
"""


def test_inline_suppressions_are_counted_not_reported(tmp_path):
    (tmp_path / "svc.py").write_text(SOURCE)
    code, report = scan_json(tmp_path)
    assert [(g["rule"], g["line"]) for g in report["gaps"]] == [("GA103", 6)]
    assert report["summary"]["suppressed"] == 2


def test_a_suppression_for_another_rule_does_not_hide(tmp_path):
    (tmp_path / "svc.py").write_text("import time\n@bot.event\nasync def f():\n    time.sleep(1)  # gapaudit: ignore[GA101]\n")
    assert [g["rule"] for g in scan_json(tmp_path)[1]["gaps"]] == ["GA103"]


def test_baseline_accepts_todays_gaps_and_reports_new_ones(tmp_path):
    (tmp_path / "svc.py").write_text(SOURCE)
    done = run_cli("baseline", str(tmp_path))
    assert done.returncode == 0 and "Wrote 1 gap" in done.stdout
    baseline = json.loads((tmp_path / ".gapaudit-baseline.json").read_text())
    assert len(baseline["fingerprints"]) == 1
    code, report = scan_json(tmp_path)
    assert code == 0 and report["gaps"] == [] and report["summary"]["suppressed"] == 3
    (tmp_path / "svc.py").write_text("# moved\n" + SOURCE + "\n@bot.event\nasync def new():\n    time.sleep(3)\n")
    code, report = scan_json(tmp_path)
    assert code == 1 and [g["message"].split(" in async ")[1] for g in report["gaps"]] == ["new()"]
    assert scan_json(tmp_path, "--no-baseline")[1]["summary"]["P0"] == 2


def test_missing_baseline_file_is_an_error(tmp_path):
    done = run_cli("scan", str(tmp_path), "--baseline", str(tmp_path / "nope.json"))
    assert done.returncode == 2 and "does not exist" in done.stderr


def _git(root, *args):
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t", "PATH": "/usr/bin:/bin"})


def test_diff_reports_only_gaps_on_changed_lines(tmp_path):
    (tmp_path / "old.py").write_text("import time\n@bot.event\nasync def old():\n    time.sleep(1)\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "base")
    with (tmp_path / "old.py").open("a") as f:
        f.write("@bot.event\nasync def changed():\n    time.sleep(2)\n")
    (tmp_path / "new.py").write_text("import time\n@bot.event\nasync def brand_new():\n    time.sleep(3)\n")
    code, report = scan_json(tmp_path, "--diff", "HEAD")
    assert sorted((g["file"], g["line"]) for g in report["gaps"]) == [("new.py", 4), ("old.py", 7)]
    assert scan_json(tmp_path)[1]["summary"]["P0"] == 3


def test_diff_outside_git_is_a_one_line_error(tmp_path):
    done = run_cli("scan", str(tmp_path), "--diff", "HEAD", "--no-cache")
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
