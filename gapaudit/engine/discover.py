"""One walk of the target: honour .gitignore and excludes, classify what is worth reading.

With a cache, the walk's result is kept with the mtime of every folder it listed and of every
.gitignore it read: a folder's mtime changes whenever an entry is added, removed or renamed in
it, so when none changed the next scan skips the walk (and pathspec) and only stats the files.
"""

from __future__ import annotations

import os
import re
import stat
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import GapauditError
from ..model import CI, CONFIG, DEPLOY, ENV, FRONTEND, PYTHON, PYTHON_TEST, Skipped
from ..settings import Config
from .cache import RACY_NS, ShardStore
from .keys import ENVIRONMENT, code_hash, config_text, digest

if TYPE_CHECKING:
    import pathspec


_SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", "__pycache__", "venv", ".venv", ".tox", ".nox",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".gapaudit_cache", "site-packages",
    "build", "dist", ".eggs", ".next", ".nuxt", ".svelte-kit", "coverage", "htmlcov", ".idea",
    ".vscode",
})
_FRONTEND_SUFFIXES = frozenset({".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs"})
_CONFIG_SUFFIXES = frozenset({".yaml", ".yml", ".toml", ".json", ".ini", ".cfg"})
_DEPLOY_SUFFIXES = frozenset({".sh", ".service", ".conf"})
_DEPLOY_NAMES = frozenset({"entrypoint", "docker-entrypoint", "start", "run"})  # scripts without a suffix
_NOT_CONFIG = frozenset({"package-lock.json", "tsconfig.json", "jsconfig.json", ".eslintrc.json", "composer.lock"})
_GROUP = re.compile(r"\(\?P<[^>]*>")  # named groups would clash once patterns are joined
_ANY_DEPTH = "^(?:.+/)?"  # how pathspec starts a pattern without a slash
# a virtualenv, or a cache directory (gapaudit's own, pytest's, ...): no source of the project below
_NOT_SOURCE_MARKS = ("pyvenv.cfg", "CACHEDIR.TAG")


class _Spec:
    """A gitignore spec with a pre-check: most paths match none of its patterns, and one regex of
    all of them costs far less than pathspec's search per pattern. Patterns that match at any depth
    share their `(?:.+/)?` prefix, so it is tried once, not once per pattern."""

    def __init__(self, lines: list[str] | tuple[str, ...], key: str | None = None) -> None:
        """`key`: the config key the patterns come from (a bad one is a config error); None for a
        .gitignore, whose bad lines are dropped, as git does."""
        import pathspec  # here: a scan that reuses the last walk never needs it

        try:
            self._spec: pathspec.GitIgnoreSpec = pathspec.GitIgnoreSpec.from_lines(lines)
        except (ValueError, re.error):
            bad = [line for line in lines if not _valid(line)]
            if key is not None:
                raise GapauditError(f"config key '{key}': {bad[0]!r} is not a valid gitignore-style pattern") from None
            self._spec = pathspec.GitIgnoreSpec.from_lines([line for line in lines if line not in bad])
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


def _valid(line: str) -> bool:
    import pathspec

    try:
        pathspec.GitIgnoreSpec.from_lines([line])
    except (ValueError, re.error):
        return False
    return True


@lru_cache(maxsize=1)
def _ci_patterns() -> _Spec:
    return _Spec([
        ".github/workflows/*.yml", ".github/workflows/*.yaml", ".gitlab-ci.yml", ".circleci/config.yml",
        "azure-pipelines.yml", "bitbucket-pipelines.yml", "Jenkinsfile", "tox.ini", "noxfile.py",
        "docker-compose*.yml", "docker-compose*.yaml", "compose*.yml", "compose*.yaml",
        "Dockerfile", "dockerfile", "Dockerfile.*", "*.Dockerfile",
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


def _test_folder(filenames: list[str]) -> bool:
    """Whether a folder holding a conftest.py holds tests below it (`t/`, `qa/`). A package whose
    conftest.py sits beside its code and whose tests live in `tests/` folders (xinference, pandas,
    saleor's `graphql/`) is production code: it has an `__init__.py` and no test module of its own."""
    return "__init__.py" not in filenames or any(
        _TEST_NAME.match(name) for name in filenames if name != "conftest.py")


def classify(rel: str, test_spec: _Spec | None = None) -> str | None:
    """The kind of a file from its relative path, or None when no analyzer reads it."""
    name = rel.rsplit("/", 1)[-1]
    suffix = os.path.splitext(name)[1]
    if _ci_patterns().match_file(rel):
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
    if suffix in _DEPLOY_SUFFIXES or name.startswith("Procfile") or name in _DEPLOY_NAMES:
        return DEPLOY
    return None


def _spec(patterns: tuple[str, ...], key: str) -> _Spec | None:
    return _Spec(patterns, key) if patterns else None


@dataclass
class _Walk:
    """What one walk found, and what it depended on: the folders it listed and the .gitignore
    files it read, with their mtimes (and sizes)."""

    candidates: list[tuple[str, str]] = field(default_factory=list)  # (rel, kind) of every file worth reading
    folders: dict[str, int] = field(default_factory=dict)  # rel ("" for the root) -> mtime_ns
    ignore_files: dict[str, list[int]] = field(default_factory=dict)  # rel -> [mtime_ns, size]
    unnamed: list[str] = field(default_factory=list)  # names that are not UTF-8, shown escaped: skipped
    complete: bool = True  # False when a folder or a .gitignore could not be read: not worth keeping

    def trusted(self, started_ns: int) -> bool:
        """Whether a later scan may trust this walk by mtimes: not if a folder or .gitignore it read
        changed during the walk or just before (a second change could keep the same mtime)."""
        stamps = [*self.folders.values(), *(m for m, _ in self.ignore_files.values())]
        return self.complete and all(stamp < started_ns - RACY_NS for stamp in stamps)


def _utf8(name: str) -> bool:
    """Whether a name from the file system is valid UTF-8 (else it holds surrogate escapes)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shown(base: str, name: str) -> str:
    """A name that is not UTF-8, its bad bytes as \\xNN (what the reports show)."""
    shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return f"{base}/{shown}" if base else shown


def _gitignore(path: str, walk: _Walk, rel: str) -> _Spec | None:
    try:
        info = os.stat(path)
        with open(path, encoding="utf-8", errors="replace") as file:
            lines = file.read().splitlines()
    except OSError:
        walk.complete = False
        return None
    walk.ignore_files[rel] = [info.st_mtime_ns, info.st_size]
    return _Spec(lines)


def discover(root: Path, config: Config, store: ShardStore | None = None) -> Discovery:
    """The files analyzers read and the ones that could not be read; the walk is reused from the
    cache when no folder and no .gitignore changed."""
    started_ns = time.time_ns()
    top = os.path.join(str(root), "")  # strings, not Paths: this runs for every file of the tree
    key = digest(ENVIRONMENT, "discovery", code_hash("engine/discover.py"), top, config_text(config))
    replayed = _replay(top, store.get(key)) if store else None
    if replayed is None:
        walk = _walk(root, config)
        candidates, unnamed = walk.candidates, walk.unnamed
        if store and walk.trusted(started_ns):
            store.put(key, {"candidates": walk.candidates, "folders": walk.folders, "ignore_files": walk.ignore_files,
                            "unnamed": walk.unnamed})
    else:
        candidates, unnamed = replayed
    files: list[SourceFile] = []
    real_top = os.path.join(os.path.realpath(root), "")
    # not importable, and not a name any report could show as is
    skipped = [Skipped(rel, "name is not UTF-8" + (" (folder not read)" if rel.endswith("/") else ""))
               for rel in unnamed]
    for rel, kind in candidates:
        path = top + rel.replace("/", os.sep)
        try:
            info = os.stat(path)
        except OSError:
            skipped.append(Skipped(rel, "broken symlink" if os.path.islink(path) else "cannot stat file"))
            continue
        if os.path.islink(path) and not os.path.realpath(path).startswith(real_top):
            # ~/.aws/credentials, a runner's .env: a report must not show what lies outside the tree
            skipped.append(Skipped(rel, "symlink to a file outside the scanned directory"))
            continue
        if info.st_size > config.max_file_size:
            # a bundle too big to read is routine in a frontend; Python, config and CI files may hide code
            skipped.append(Skipped(rel, f"file too large ({info.st_size:,} bytes > max-file-size {config.max_file_size:,})",
                                   limit=kind != FRONTEND))
            continue
        files.append(SourceFile(location=path, rel=rel, kind=kind, mtime_ns=info.st_mtime_ns, size=info.st_size))
    return Discovery(root=root, files=tuple(files), skipped=tuple(skipped))


def _replay(top: str, data: Any) -> tuple[list[tuple[str, str]], list[str]] | None:
    """The cached walk's files (and names it skipped) if every folder and .gitignore it depended on
    is unchanged, else None."""
    try:
        for rel, mtime in data["folders"].items():
            info = os.stat(top + rel.replace("/", os.sep))
            if info.st_mtime_ns != mtime or not stat.S_ISDIR(info.st_mode):
                return None
        for rel, (mtime, size) in data["ignore_files"].items():
            info = os.stat(top + rel.replace("/", os.sep))
            if info.st_mtime_ns != mtime or info.st_size != size:
                return None
        candidates = [(rel, kind) for rel, kind in data["candidates"]]
        unnamed = list(data["unnamed"])
    except (OSError, KeyError, TypeError, ValueError, AttributeError):
        return None
    if not all(isinstance(rel, str) and isinstance(kind, str) for rel, kind in candidates) \
            or not all(isinstance(rel, str) for rel in unnamed):
        return None
    return candidates, unnamed


def _walk(root: Path, config: Config) -> _Walk:
    """Walk `root` once: honour .gitignore files, excludes and includes, classify every file."""
    include = _spec(config.include, "include")
    exclude = _spec((*config.exclude, f"{config.output_dir.strip('/')}/"), "exclude")
    tests = _spec(config.test_paths, "test-paths")
    ignores: dict[str, _Spec] = {}  # directory rel ("" for root) -> its .gitignore
    test_dirs: list[str] = []  # below a conftest.py every module is test code (`t/`, `qa/` layouts)
    walk = _Walk()

    def ignored(rel: str, is_dir: bool) -> bool:
        probe = rel + "/" if is_dir else rel
        if exclude and exclude.match_file(probe):
            return True
        for base, spec in ignores.items():
            if (not base or rel.startswith(base + "/")) and spec.match_file(probe[len(base) + 1 if base else 0:]):
                return True
        return False

    def unreadable(_: OSError) -> None:
        walk.complete = False

    top = os.path.join(str(root), "")
    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable):
        base = dirpath[len(top):].replace(os.sep, "/") if dirpath != str(root) else ""
        try:
            walk.folders[base] = os.stat(dirpath).st_mtime_ns
        except OSError:
            walk.complete = False
        if base and any(name in filenames and os.path.exists(os.path.join(dirpath, name)) for name in _NOT_SOURCE_MARKS):
            dirnames[:] = []
            continue
        if ".gitignore" in filenames:
            spec = _gitignore(os.path.join(dirpath, ".gitignore"), walk, f"{base}/.gitignore" if base else ".gitignore")
            if spec is not None:
                ignores[base] = spec
        walk.unnamed += [f"{_shown(base, d)}/" for d in dirnames if not _utf8(d)]
        dirnames[:] = sorted(
            d for d in dirnames
            if _utf8(d) and d not in _SKIP_DIRS
            and not d.endswith(".egg-info")
            and not ignored(f"{base}/{d}" if base else d, is_dir=True)
        )
        if base and "conftest.py" in filenames and _test_folder(filenames):
            test_dirs.append(base + "/")
        for name in sorted(filenames):
            rel = f"{base}/{name}" if base else name
            if not _utf8(name):
                if classify(_shown(base, name), tests) is not None:
                    walk.unnamed.append(_shown(base, name))
                continue
            kind = classify(rel, tests)
            if kind == PYTHON and any(rel.startswith(d) for d in test_dirs):
                kind = PYTHON_TEST
            if kind is None or ignored(rel, is_dir=False) or (include and not include.match_file(rel)):
                continue
            walk.candidates.append((rel, kind))
    return walk
