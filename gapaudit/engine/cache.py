"""Per-file facts cached by content hash, so a re-scan only re-reads what changed."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .._version import __version__


class FactCache:
    """One JSON file per (gapaudit version, rule catalog) namespace; entries keyed by kind, path and content (facts such as module names depend on the path)."""

    def __init__(self, directory: Path | None, namespace: str) -> None:
        self._path = directory / f"facts-{__version__}-{namespace}.json" if directory else None
        self._entries: dict[str, Any] = {}
        self._dirty = False
        if self._path and self._path.is_file():
            try:
                self._entries = json.loads(self._path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self._entries = {}  # a corrupt cache is only a slower scan

    @staticmethod
    def key(kind: str, rel: str, content: bytes) -> str:
        return hashlib.sha256(f"{kind}\0{rel}\0".encode() + content).hexdigest()

    def get(self, key: str) -> Any | None:
        return self._entries.get(key)

    def put(self, key: str, value: Any) -> None:
        self._entries[key] = value
        self._dirty = True

    def save(self, live_keys: set[str]) -> None:
        """Write entries still in use; atomically, since two scans may share a cache."""
        if not self._path or not (self._dirty or live_keys != self._entries.keys()):
            return
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            (self._path.parent / ".gitignore").write_text("*\n", encoding="utf-8")
            keep = {k: v for k, v in self._entries.items() if k in live_keys}
            fd, tmp = tempfile.mkstemp(dir=self._path.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(keep, out, separators=(",", ":"))
            os.replace(tmp, self._path)
        except OSError:
            pass  # a read-only checkout still scans; it just does not cache
