"""One walk: .gitignore, excludes, default skips, classification, and bad files listed as skipped."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import scan_json

from gapaudit.engine.discover import (
    CI,
    CONFIG,
    ENV,
    FRONTEND,
    PYTHON,
    PYTHON_TEST,
    classify,
    discover,
)
from gapaudit.settings import Config

BLOCKING = "import time\n@bot.event\nasync def handler():\n    time.sleep(1)\n"


def _write(root: Path, rel: str, text: str = "") -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.mark.parametrize("rel, kind", [
    ("app/main.py", PYTHON),
    ("tests/test_api.py", PYTHON_TEST),
    ("app/api_test.py", PYTHON_TEST),
    ("conftest.py", PYTHON_TEST),
    ("backend/tests/helpers.py", PYTHON_TEST),
    (".env", ENV), (".env.production", ENV), ("config/testing.env", ENV),
    ("config/production.yaml", CONFIG), ("settings.toml", CONFIG),
    (".github/workflows/ci.yml", CI), ("docker-compose.prod.yml", CI), (".gitlab-ci.yml", CI),
    ("frontend/src/api.ts", FRONTEND), ("web/App.jsx", FRONTEND),
    ("web/vendor.min.js", None), ("types/api.d.ts", None), ("package-lock.json", None), ("README.md", None),
])
def test_classification(rel, kind):
    assert classify(rel) == kind


def test_walk_honours_gitignore_excludes_and_default_skips(tmp_path):
    for rel in ["app/main.py", "app/generated/models.py", "build/lib/app.py", "node_modules/x/index.js",
                ".venv/lib/site.py", "myenv/lib/x.py", "legacy/old.py", "web/src/api.ts", "web/dist/bundle.js"]:
        _write(tmp_path, rel, "x = 1\n")
    _write(tmp_path, "myenv/pyvenv.cfg", "home = /usr\n")
    _write(tmp_path, ".gitignore", "app/generated/\n")
    _write(tmp_path, "web/.gitignore", "dist/\n")
    found = {f.rel for f in discover(tmp_path, Config(exclude=("legacy/**",))).files}
    assert found == {"app/main.py", "web/src/api.ts"}


def test_include_limits_the_scan(tmp_path):
    _write(tmp_path, "svc/a.py", "x = 1\n")
    _write(tmp_path, "other/b.py", "x = 1\n")
    assert {f.rel for f in discover(tmp_path, Config(include=("svc/**",))).files} == {"svc/a.py"}


def test_test_paths_mark_extra_test_files(tmp_path):
    _write(tmp_path, "qa/checks.py", "x = 1\n")
    files = discover(tmp_path, Config(test_paths=("qa/**",))).files
    assert [(f.rel, f.kind) for f in files] == [("qa/checks.py", PYTHON_TEST)]


def test_bad_files_are_skipped_with_a_reason_and_the_scan_goes_on(tmp_path):
    _write(tmp_path, "app/good.py", BLOCKING)
    _write(tmp_path, "app/broken.py", "def broken(:\n    pass\n")
    (tmp_path / "app" / "latin1.py").write_bytes("name = 'caf\xe9'\n".encode("latin-1"))
    _write(tmp_path, "app/huge.py", "x = 1\n" * 300_000)
    os.symlink(tmp_path / "missing.py", tmp_path / "app" / "dangling.py")
    code, report = scan_json(tmp_path)
    assert code == 1 and [g["file"] for g in report["gaps"]] == ["app/good.py"]
    reasons = {s["file"]: s["reason"] for s in report["skipped"]}
    assert reasons["app/broken.py"].startswith("syntax error at line 1")
    assert reasons["app/latin1.py"].startswith("not UTF-8")
    assert reasons["app/huge.py"].startswith("file too large")
    assert reasons["app/dangling.py"] == "broken symlink"


def test_max_file_size_is_configurable(tmp_path):
    _write(tmp_path, "app/big.py", BLOCKING + "# padding\n" * 50)
    _write(tmp_path, "gapaudit.yml", "max-file-size: 100\n")
    code, report = scan_json(tmp_path)
    # the time.sleep in it went unseen: no gap, but exit 3, the scan is incomplete
    assert code == 3 and report["skipped"] == [{"file": "app/big.py", "reason": report["skipped"][0]["reason"], "limit": True}]
    assert report["complete"] is False and report["gaps"] == []
    code, report = scan_json(tmp_path, "--fail-on", "never")
    assert code == 0 and report["complete"] is False


GITIGNORE = ["*.pyc", "__pycache__/", "/build", "docs/_build/", "!keep.pyc", "**/generated/**", "node_modules",
             "*.egg-info/", "secret?.env", "[Tt]emp/", "logs/**/*.log", "!logs/keep/important.log", "# a comment", ""]


@pytest.mark.parametrize("path", [
    "a.pyc", "pkg/a.pyc", "pkg/keep.pyc", "keep.pyc", "__pycache__/", "pkg/__pycache__/", "build", "build/",
    "src/build/", "docs/_build/", "x/docs/_build/", "a/generated/b.py", "generated/b.py", "node_modules/",
    "web/node_modules/x.js", "pkg.egg-info/", "secret1.env", "conf/secret2.env", "Temp/", "temp/x.py",
    "logs/a/b.log", "logs/keep/important.log", "app/main.py", "README.md", "",
])
def test_gitignore_pre_check_agrees_with_pathspec(path):
    """discover's one-regex pre-check of a gitignore file only makes matching faster, never different."""
    import pathspec

    from gapaudit.engine.discover import _Spec

    assert _Spec(GITIGNORE).match_file(path) == pathspec.GitIgnoreSpec.from_lines(GITIGNORE).match_file(path)


def test_cache_and_virtualenv_folders_are_not_walked(tmp_path):
    _write(tmp_path, "app/main.py", "x = 1\n")
    _write(tmp_path, "cache/CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n")
    _write(tmp_path, "cache/v1/ab/facts.json", "{}\n")
    _write(tmp_path, "env/pyvenv.cfg", "home = /usr\n")
    _write(tmp_path, "env/lib/site.py", "x = 1\n")
    assert {f.rel for f in discover(tmp_path, Config()).files} == {"app/main.py"}


def test_a_cached_walk_is_reused_until_a_folder_or_a_gitignore_changes(tmp_path):
    from gapaudit.engine.cache import ShardStore

    root, store = tmp_path / "svc", ShardStore(tmp_path / "cache")
    for rel in ["app/main.py", "app/api/routes.py", "tests/test_main.py", "build.py"]:
        _write(root, rel, "x = 1\n")
    _write(root, ".gitignore", "build.py\n")
    a_day_ago = os.stat(root).st_mtime - 86_400

    def age() -> None:  # a walk of folders changed in the last seconds is not trusted (mtime ticks)
        for path in [root, *root.rglob("*")]:
            os.utime(path, (a_day_ago, a_day_ago))

    def found() -> set[str]:
        return {f.rel for f in discover(root, Config(), store).files}

    age()
    assert found() == {"app/main.py", "app/api/routes.py", "tests/test_main.py"}
    _write(root, "app/api/users.py", "x = 1\n")
    age()  # a new file, but its folder's mtime as before: the cached walk is reused, without it
    assert "app/api/users.py" not in found()
    os.utime(root / "app" / "api")  # what creating the file really does to its folder
    assert "app/api/users.py" in found()
    (root / ".gitignore").write_text("build.py\napp/api/\n")  # same folders, another .gitignore
    assert found() == {"app/main.py", "tests/test_main.py"}


def test_a_conftest_marks_its_folder_as_tests_unless_it_sits_in_a_package_beside_code(tmp_path):
    _write(tmp_path, "qa/conftest.py")  # a test folder of its own: no package
    _write(tmp_path, "qa/checks.py", "x = 1\n")
    for rel in ("t/unit/__init__.py", "t/unit/conftest.py", "t/unit/test_queue.py", "t/unit/mocks.py"):
        _write(tmp_path, rel, "x = 1\n")  # a package of tests: test modules beside the conftest
    for rel in ("svc/__init__.py", "svc/conftest.py", "svc/api.py", "svc/core/tests/test_api.py"):
        _write(tmp_path, rel, "x = 1\n")  # xinference, pandas: the package's own conftest, tests in tests/
    kinds = {f.rel: f.kind for f in discover(tmp_path, Config()).files}
    assert kinds["qa/checks.py"] == PYTHON_TEST
    assert kinds["t/unit/mocks.py"] == PYTHON_TEST
    assert kinds["svc/api.py"] == PYTHON
    assert kinds["svc/core/tests/test_api.py"] == PYTHON_TEST
