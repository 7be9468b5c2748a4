"""What cached data depends on, as hashes: gapaudit's version, the interpreter, the code that
computed it and the catalogs it read. Editing one analyzer changes only that analyzer's keys."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._version import __version__

if TYPE_CHECKING:
    from ..settings import Config

_PACKAGE = Path(__file__).resolve().parent.parent  # gapaudit/

# facts computed by another gapaudit or another interpreter (whose `ast` differs) are not ours
ENVIRONMENT = hashlib.sha256(
    f"{__version__}\0{sys.implementation.cache_tag}\0{tuple(sys.version_info)}".encode()).hexdigest()


def digest(*parts: str) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part.encode("utf-8", "surrogateescape"))
        hasher.update(b"\0")
    return hasher.hexdigest()


@lru_cache(maxsize=None)
def code_hash(*paths: str) -> str:
    """Hash of the Python sources under these package paths (`checks/blocking`, `python`, `checks/base.py`)."""
    parts: list[str] = []
    for path in paths:
        target = _PACKAGE / path
        for source in sorted(target.rglob("*.py")) if target.is_dir() else [target]:
            parts += [source.relative_to(_PACKAGE).as_posix(), _source_hash(source)]
    return digest(*parts)


@lru_cache(maxsize=None)
def _source_hash(source: Path) -> str:
    """One source's hash; the keys share sources (`python`, `context`), each read once a run."""
    try:
        return hashlib.sha256(source.read_bytes()).hexdigest()
    except OSError:
        return "unreadable"


def file_key(kind: str, rel: str, sha: str) -> str:
    """For one file's shard: its content, and its path and kind (module names depend on the path)."""
    return digest(ENVIRONMENT, "file", kind, rel, sha)


def engine_key() -> str:
    """For the engine's own entry in a file's shard (suppression comments, undecodable files)."""
    return digest(ENVIRONMENT, "engine", code_hash("engine"))


def analyzer_key(name: str, family: str, catalogs: dict[str, Any]) -> str:
    """For one analyzer's entry in a file's shard: its family package, the code every family
    uses, the catalogs it reads."""
    catalog_text = json.dumps(catalogs, sort_keys=True, separators=(",", ":"), default=repr)
    return digest(ENVIRONMENT, "analyzer", name, code_hash(f"checks/{family}", "checks/base.py", "checks/catalogs.py", "python", "context"), catalog_text)


def config_text(config: Config) -> str:
    """The settings that decide what is scanned and found; not where they were read from, which
    differs between `gapaudit scan .` and `gapaudit scan /abs/path`."""
    return repr(dataclasses.replace(config, source=""))


def link_key(rules_hash: str, config: str, files: list[tuple[str, str, str]]) -> str:
    """For the link results: every input of every per-file fact key (the files' paths, kinds and
    contents, all analyzers' code, all rules and catalogs) plus the project's configuration."""
    hasher = hashlib.sha256()
    for part in (ENVIRONMENT, "link", code_hash("checks", "python", "context", "engine", "model.py"), rules_hash, config):
        hasher.update(part.encode("utf-8", "surrogateescape") + b"\0")
    for rel, kind, sha in files:
        hasher.update(f"{rel}\0{kind}\0{sha}\0".encode("utf-8", "surrogateescape"))
    return hasher.hexdigest()
