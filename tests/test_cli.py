"""Exit codes and errors of the real command line: 0, 1 on gaps at the threshold, 2 on bad input."""

from __future__ import annotations

import json

import pytest
from conftest import one_line_error, run_cli, scan_json


def test_example_exits_1_on_p0(example):
    done = run_cli("scan", str(example), "--no-cache")
    assert done.returncode == 1
    assert done.stdout.strip().splitlines()[-1].startswith("Found ")


def test_clean_project_exits_0_with_no_gaps(project):
    code, report = scan_json(project("clean"))
    assert code == 0
    assert report["gaps"] == [] and report["summary"] == {"P0": 0, "P1": 0, "P2": 0, "suppressed": 0,
                                                                   "unserved": 0}


@pytest.mark.parametrize("fail_on, expected", [("P0", 1), ("P1", 1), ("P2", 1), ("never", 0)])
def test_fail_on_threshold(project, fail_on, expected):
    root = project("blocking")
    (root / "gapaudit.yml").write_text("ignore: [GA101, GA102, GA103, GA104, GA107, GA108, GA109]\n")
    code, report = scan_json(root, "--fail-on", fail_on)
    assert {g["priority"] for g in report["gaps"]} == {"P1", "P2"}
    assert code == (0 if fail_on == "P0" else expected)


def test_fail_on_from_config(project):
    root = project("blocking")
    (root / "gapaudit.yml").write_text("fail-on: never\n")
    assert scan_json(root)[0] == 0


def test_missing_path_is_aone_line_error(tmp_path):
    assert "is not a directory" in one_line_error(run_cli("scan", str(tmp_path / "nope")))


def test_bad_option_value_is_aone_line_error(tmp_path):
    assert "--fail-on" in one_line_error(run_cli("scan", str(tmp_path), "--fail-on", "P9"))


def test_output_with_two_formats_is_a_usage_error(tmp_path):
    line = one_line_error(run_cli("scan", str(tmp_path), "--format", "json", "--format", "sarif", "-o", "-"))
    assert "exactly one --format" in line


@pytest.mark.parametrize("name, text, expected", [
    ("pyproject.toml", "[tool.gapaudit]\nexclud = ['x']\n", "unknown key 'exclud'"),
    ("pyproject.toml", "[tool.gapaudit\n", "is not valid TOML"),
    ("gapaudit.yml", "fail-on: P7\n", "fail-on"),
    ("gapaudit.yml", "exclude: [unclosed\n", "is not valid YAML"),
    ("gapaudit.yml", "priority:\n  GA999: P1\n", "config key 'priority' names unknown rule GA999"),
    ("gapaudit.yml", "priority:\n  GA1: P2\n", "config key 'priority' names unknown rule GA1"),  # ids, not prefixes
    ("gapaudit.yml", "ignore: [GA102, GA999]\n", "config key 'ignore' names unknown rule GA999"),
    ("gapaudit.yml", "ignore: [GA9]\n", "config key 'ignore' names unknown rule GA9"),
    ("gapaudit.yml", "ignore: ['']\n", "config key 'ignore' names unknown rule ''"),
    ("pyproject.toml", "[tool.gapaudit]\nignore = ['E501']\n", "config key 'ignore' names unknown rule E501"),
    ("gapaudit.yml", "- just\n- a list\n", "must be a mapping"),
])
def test_config_errors_exit_2_naming_the_problem(tmp_path, name, text, expected):
    (tmp_path / name).write_text(text)
    line = one_line_error(run_cli("scan", str(tmp_path), "--no-cache"))
    assert expected in line and name in line


def test_ignore_takes_prefixes_and_the_project_s_own_rules(project):
    root = project("blocking")
    (root / "todo.yml").write_text(
        "rules:\n  - {id: GA901, name: todo, title: A TODO, category: hygiene, priority: P2, why: w, fix: f, example: {}}\n")
    (root / "gapaudit.yml").write_text("rule-paths: [todo.yml]\nignore: [GA1, GA901]\npriority: {GA901: P1}\n")
    _, report = scan_json(root, "--fail-on", "never")
    assert report["gaps"] and not [g for g in report["gaps"] if g["rule"].startswith("GA1")]


def test_output_file_and_stdout(tmp_path, project):
    root = project("blocking")
    target = tmp_path / "out" / "report.json"
    done = run_cli("scan", str(root), "--no-cache", "--format", "json", "-o", str(target))
    assert done.returncode == 1
    assert json.loads(target.read_text())["schema"] == "gapaudit/1"
    assert done.stderr.startswith("Found ")
    assert not (root / "reports").exists()


def test_output_dir_from_option_and_config(tmp_path, project):
    root = project("clean")
    assert run_cli("scan", str(root), "--output-dir", str(tmp_path / "elsewhere"), "--no-cache").returncode == 0
    assert (tmp_path / "elsewhere" / "gapaudit.sarif").is_file()
    (root / "gapaudit.yml").write_text("output-dir: audit\nformat: [json, markdown]\n")
    assert run_cli("scan", str(root), "--no-cache").returncode == 0
    assert sorted(p.name for p in (root / "audit").iterdir()) == ["gapaudit.json", "gapaudit.md"]


def test_version_and_help():
    assert run_cli("--version").stdout.startswith("gapaudit, version ")
    assert "scan" in run_cli("--help").stdout


def test_cache_gives_identical_reports(project, user_cache):
    root = project("blocking")
    first = run_cli("scan", str(root), "--format", "json", "-o", "-")
    assert any(user_cache.rglob("*.json")) and not (root / ".gapaudit_cache").exists()
    second = run_cli("scan", str(root), "--format", "json", "-o", "-")
    assert json.loads(first.stdout)["gaps"] == json.loads(second.stdout)["gaps"]


def test_parallel_jobs_give_the_same_report(project):
    root = project("blocking")
    for i in range(70):  # enough files to take the worker-process path
        (root / "svc" / f"filler_{i}.py").write_text(f"def f{i}():\n    return {i}\n")
    serial = scan_json(root, "--jobs", "1")[1]
    parallel = scan_json(root, "--jobs", "2")[1]
    assert serial["gaps"] == parallel["gaps"] and serial["gaps"]


def test_every_command_that_analyzes_takes_the_engine_options(project, tmp_path):
    root = project("blocking")
    cache = tmp_path / "cache"
    assert run_cli("baseline", str(root), "--no-cache", "-j", "1").returncode == 0
    assert run_cli("routes", str(root), "--cache-dir", str(cache), "--jobs", "1").returncode == 0
    assert not (root / ".gapaudit_cache").exists() and any(cache.iterdir())


def test_baseline_that_cannot_be_written_is_a_one_line_error(project, tmp_path):
    line = one_line_error(run_cli("baseline", str(project("clean")), "-o", str(tmp_path / "missing" / "b.json")))
    assert "cannot write baseline" in line
