"""One walk of the target: honour .gitignore and excludes, classify what is worth reading."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pathspec

from ..settings import Config
from ..model import Skipped

PYTHON = "python"
PYTHON_TEST = "python-test"
ENV = "env"
CONFIG = "config"
CI = "ci"
FRONTEND = "frontend"

_SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", "__pycache__", "venv", ".venv", ".tox", ".nox",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".gapaudit_cache", "site-packages",
    "build", "dist", ".eggs", ".next", ".nuxt", ".svelte-kit", "coverage", "htmlcov", ".idea",
    ".vscode",
})
_FRONTEND_SUFFIXES = frozenset({".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs"})
_CONFIG_SUFFIXES = frozenset({".yaml", ".yml", ".toml", ".json", ".ini", ".cfg"})
_NOT_CONFIG = frozenset({"package-lock.json", "tsconfig.json", "jsconfig.json", ".eslintrc.json", "composer.lock"})
_GROUP = re.compile(r"\(\?P<[^>]*>")  # named groups would clash once patterns are joined
_ANY_DEPTH = "^(?:.+/)?"  # how pathspec starts a pattern without a slash
# a virtualenv, or a cache directory (gapaudit's own, pytest's, ...): no source of the project below
_NOT_SOURCE_MARKS = ("pyvenv.cfg", "CACHEDIR.TAG")


class _Spec:
    """A gitignore spec with a pre-check: most paths match none of its patterns, and one regex of
    all of them costs far less than pathspec's search per pattern. Patterns that match at any depth
    share their `(?:.+/)?` prefix, so it is tried once, not once per pattern."""

    def __init__(self, lines: list[str] | tuple[str, ...]) -> None:
        self._spec = pathspec.GitIgnoreSpec.from_lines(lines)
        regexes = [p.regex for p in self._spec.patterns if p.include is not None and p.regex is not None]
        any_depth = [r.pattern[len(_ANY_DEPTH):] for r in regexes if r.pattern.startswith(_ANY_DEPTH)]
        anchored = [r.pattern[1:] for r in regexes if r.pattern.startswith("^") and not r.pattern.startswith(_ANY_DEPTH)]
        branches = [f"(?:.+/)?(?:{'|'.join(any_depth)})"] if any_depth else []
        branches += [f"(?:{'|'.join(anchored)})"] if anchored else []
        self._check: re.Pattern[str] | None = None  # None: ask pathspec every time
        if len(any_depth) + len(anchored) == len(regexes) and not any(r.flags & ~re.UNICODE for r in regexes):
            try:
                self._check = re.compile(_GROUP.sub("(?:", f"^(?:{'|'.join(branches)})" if branches else "(?!)"))
            except re.error:
                pass

    def match_file(self, path: str) -> bool:
        if self._check is not None and self._check.match(path) is None:
            return False
        return self._spec.match_file(path)


_CI_PATTERNS = _Spec([
    ".github/workflows/*.yml", ".github/workflows/*.yaml", ".gitlab-ci.yml", ".circleci/config.yml",
    "azure-pipelines.yml", "bitbucket-pipelines.yml", "Jenkinsfile", "tox.ini", "noxfile.py",
    "docker-compose*.yml", "docker-compose*.yaml", "compose*.yml", "compose*.yaml",
    "Dockerfile", "Dockerfile.*", "*.Dockerfile",
])
_TEST_NAME = re.compile(r"^(test_.*|.*_test|conftest)\.py$")
_TEST_DIRS = frozenset({"tests", "test", "testing"})


@dataclass(frozen=True)
class SourceFile:
    location: str  # absolute; a string, since a Path per file of a big tree costs as much as the walk
    rel: str  # posix, relative to the scanned root
    kind: str
    mtime_ns: int = 0  # with size: whether the cache may skip reading it again
    size: int = 0

    @property
    def path(self) -> Path:
        return Path(self.location)


@dataclass(frozen=True)
class Discovery:
    root: Path
    files: tuple[SourceFile, ...]
    skipped: tuple[Skipped, ...]

    @property
    def package_dirs(self) -> set[str]:
        """Folders with an `__init__.py`: where Python module names start and stop."""
        return {f.rel.rsplit("/", 1)[0] for f in self.files if f.rel.endswith("/__init__.py")}


def classify(rel: str, test_spec: _Spec | None = None) -> str | None:
    """The kind of a file from its relative path, or None when no analyzer reads it."""
    name = rel.rsplit("/", 1)[-1]
    suffix = os.path.splitext(name)[1]
    if _CI_PATTERNS.match_file(rel):
        return CI
    if suffix == ".py":
        parts = rel.split("/")[:-1]
        if _TEST_NAME.match(name) or _TEST_DIRS.intersection(parts) or (test_spec and test_spec.match_file(rel)):
            return PYTHON_TEST
        return PYTHON
    if name == ".env" or name.startswith(".env.") or suffix == ".env":
        return ENV
    if suffix in _FRONTEND_SUFFIXES and not name.endswith((".min.js", ".d.ts")):
        return FRONTEND
    if suffix in _CONFIG_SUFFIXES and name not in _NOT_CONFIG:
        return CONFIG
    return None


def _spec(patterns: tuple[str, ...]) -> _Spec | None:
    return _Spec(patterns) if patterns else None


def _gitignore(directory: Path) -> _Spec | None:
    try:
        lines = (directory / ".gitignore").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return _Spec(lines)


def discover(root: Path, config: Config) -> Discovery:
    """Walk `root` once; return the files analyzers read and the ones that could not be read."""
    include = _spec(config.include)
    exclude = _spec((*config.exclude, f"{config.output_dir.strip('/')}/"))
    tests = _spec(config.test_paths)
    ignores: dict[str, _Spec] = {}  # directory rel ("" for root) -> its .gitignore
    test_dirs: list[str] = []  # below a conftest.py every module is test code (`t/`, `qa/` layouts)
    files: list[SourceFile] = []
    skipped: list[Skipped] = []

    def ignored(rel: str, is_dir: bool) -> bool:
        probe = rel + "/" if is_dir else rel
        if exclude and exclude.match_file(probe):
            return True
        for base, spec in ignores.items():
            if (not base or rel.startswith(base + "/")) and spec.match_file(probe[len(base) + 1 if base else 0:]):
                return True
        return False

    top = os.path.join(str(root), "")  # strings, not Paths: this loop runs for every file of the tree
    for dirpath, dirnames, filenames in os.walk(root):
        base = dirpath[len(top):].replace(os.sep, "/") if dirpath != str(root) else ""
        if base and any(name in filenames and os.path.exists(os.path.join(dirpath, name)) for name in _NOT_SOURCE_MARKS):
            dirnames[:] = []
            continue
        if ".gitignore" in filenames:
            spec = _gitignore(Path(dirpath))
            if spec is not None:
                ignores[base] = spec
        dirnames[:] = sorted(
            d for d in dirnames
            if d not in _SKIP_DIRS
            and not d.endswith(".egg-info")
            and not ignored(f"{base}/{d}" if base else d, is_dir=True)
        )
        if base and "conftest.py" in filenames:
            test_dirs.append(base + "/")
        for name in sorted(filenames):
            rel = f"{base}/{name}" if base else name
            kind = classify(rel, tests)
            if kind == PYTHON and any(rel.startswith(d) for d in test_dirs):
                kind = PYTHON_TEST
            if kind is None or ignored(rel, is_dir=False) or (include and not include.match_file(rel)):
                continue
            path = os.path.join(dirpath, name)
            try:
                info = os.stat(path)
            except OSError:
                skipped.append(Skipped(rel, "broken symlink" if os.path.islink(path) else "cannot stat file"))
                continue
            if info.st_size > config.max_file_size:
                skipped.append(Skipped(rel, f"file too large ({info.st_size:,} bytes > max-file-size {config.max_file_size:,})"))
                continue
            files.append(SourceFile(location=path, rel=rel, kind=kind, mtime_ns=info.st_mtime_ns, size=info.st_size))
    return Discovery(root=root, files=tuple(files), skipped=tuple(skipped))
