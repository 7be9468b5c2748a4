"""The cache: small JSON shards addressed by key, written atomically, never trusted blindly.

Layout: `<cache>/v1/<2 hex>/<key>.json`. A key is a hash of everything its shard depends on
(see `keys.py`), so a shard never needs invalidating: a change makes a new key. A shard that is
missing, unreadable, a symlink, not JSON or of the wrong shape is a miss, never an error.
Concurrent scans may share a cache: every write is a temporary file renamed over the shard, so a
lost race only means one of two identical shards wins.

Many shards written at once (a cold scan's one per file) go into one *pack* instead,
`<cache>/v1/<2 hex>/<name>.pack`: one file created costs what ~300 appended shards do (on the
benchmark machine ~1 ms against ~3 µs), most of a cold scan's system time. A pack is never
changed once written; whoever wrote it keeps its id (the manifest does, per file) and asks for
shards in it by id, and drops it when nothing it keeps names it.

A shard's file name is an HMAC of its key under a secret of this user (`secret` in the user's
cache directory, made on first use, readable by the user alone). Keys are computable from
gapaudit's public code, so without it a pull request could commit a cache (for a CI job that
passes `--cache-dir` inside the checkout) holding "no facts" for its own files; with it, shards
nobody on this machine wrote are never found. A cache restored into a fresh CI machine is
reused only if the secret comes with it (cache the whole user cache directory).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

from ..output import create_new, replace_file

LAYOUT = "v1"  # bump when the shard layout changes
# a file or folder modified this close to a scan could change again within the same mtime tick,
# so the cache does not take its mtime as proof that it did not change
RACY_NS = 2_000_000_000
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # POSIX; Windows has no symlinks to speak of here
_BINARY = getattr(os, "O_BINARY", 0)
_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"  # https://bford.info/cachedir/: backup tools skip it
        "# This directory is a cache of gapaudit.\n")


def default_cache_dir() -> Path | None:
    """The user's cache directory, outside any checkout; None when there is no home to put it in."""
    explicit = os.environ.get("GAPAUDIT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    try:
        home = Path.home()
    except RuntimeError:
        return None
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA")
        return (Path(local) if local else home / "AppData" / "Local") / "gapaudit" / "Cache"
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "gapaudit"
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    return (Path(xdg) if os.path.isabs(xdg) else home / ".cache") / "gapaudit"


class ShardStore:
    """Get and put JSON shards by key under one cache directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._secret = _secret(root)
        self._base = os.path.join(root, LAYOUT)  # strings, not Paths: thousands of shards per scan
        self._dirs: set[str] = set()  # shard folders checked to be real directories, not symlinks
        self._packs: dict[str, tuple[bytes, dict[str, Any]]] = {}  # id -> (its bytes, name -> [start, end])

    def get(self, key: str) -> Any | None:
        """The shard's data, or None (absent, unreadable, a symlink, not JSON)."""
        text = self.get_text(key)
        return None if text is None else loads(text)

    def get_text(self, key: str, pack: str = "") -> str | None:
        """The shard's text, or None (absent, unreadable, a symlink, not UTF-8); looked for first in
        the pack `pack` (an id `put_pack` returned), then as a file of its own."""
        name = self._name(key)
        data = self._packed(pack, name) if pack else None
        if data is None:
            data = self._read(name, "json")
        if data is None:
            return None
        try:
            return data.decode("utf-8")
        except ValueError:
            return None

    def put_pack(self, shards: dict[str, str]) -> str | None:
        """Write these shards (key -> text) as one pack; its id, or None when it could not be written.
        The pack: one line of JSON, shard name -> [start, end] of its bytes after that line, then
        the shards one after the other."""
        pack = os.urandom(16).hex()
        offsets: dict[str, list[int]] = {}
        parts: list[bytes] = []
        at = 0
        for key, text in shards.items():
            data = text.encode("utf-8")
            offsets[self._name(key)] = [at, at + len(data)]
            parts.append(data)
            at += len(data)
        path = self._path(self._pack_name(pack), "pack", create=True)
        if path is None:
            return None
        try:
            create_new(path, json.dumps(offsets, separators=(",", ":")).encode() + b"\n" + b"".join(parts))
        except OSError:
            return None
        return pack

    def drop_pack(self, pack: str) -> None:
        """Remove a pack nothing needs any more (a missing one is no error)."""
        path = self._path(self._pack_name(pack), "pack", create=False)
        if path is not None:
            try:
                os.unlink(path)
            except OSError:
                pass

    def _packed(self, pack: str, name: str) -> bytes | None:
        if pack not in self._packs:
            self._packs[pack] = _unpack(self._read(self._pack_name(pack), "pack"))
        data, offsets = self._packs[pack]
        span = offsets.get(name)
        if not (isinstance(span, list) and len(span) == 2 and all(isinstance(n, int) for n in span)):
            return None
        return data[span[0]:span[1]]

    def _read(self, name: str, suffix: str) -> bytes | None:
        path = self._path(name, suffix, create=False)
        if path is None:
            return None
        try:
            fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _BINARY)
        except OSError:
            return None
        try:
            with os.fdopen(fd, "rb") as shard:
                return shard.read()
        except OSError:
            return None

    def put(self, key: str, data: Any) -> None:
        self.put_text(key, json.dumps(data, separators=(",", ":")))

    def put_text(self, key: str, text: str) -> None:
        """Write a shard atomically; a cache that cannot be written only makes the next scan slower."""
        path = self._path(self._name(key), "json", create=True)
        if path is None:
            return
        try:
            replace_file(path, text.encode("utf-8"))
        except OSError:
            pass

    def _name(self, key: str) -> str:
        return hmac.new(self._secret, key.encode(), hashlib.sha256).hexdigest()

    def _pack_name(self, pack: str) -> str:
        return self._name(f"pack\0{pack}")

    def _path(self, name: str, suffix: str, create: bool) -> str | None:
        """`<cache>/v1/<2 hex>/<name>.<suffix>`, when its folder is (or could be made) a real directory."""
        folder = self._folder(name, create)
        return None if folder is None else os.path.join(folder, f"{name}.{suffix}")

    def _folder(self, key: str, create: bool) -> str | None:
        """`<cache>/v1/<2 hex>`, if it is (or, with `create`, could be made) a real directory."""
        name = key[:2]
        folder = os.path.join(self._base, name)
        if name in self._dirs:
            return folder
        if create:
            self._create()
        if not _real_dir(self._base):  # checked before anything is made in it
            return None
        if create:
            try:
                os.mkdir(folder)
            except FileExistsError:
                pass
            except OSError:
                return None
        if not _real_dir(folder):
            return None
        self._dirs.add(name)
        return folder

    def _create(self) -> None:
        if os.path.isdir(self._base):
            return
        try:
            os.makedirs(self._base, exist_ok=True)
            # if the cache sits in a checkout after all (an explicit --cache-dir), git and backup tools skip it
            for name, text in ((".gitignore", "*\n"), ("CACHEDIR.TAG", _TAG)):
                try:  # never into a file or through a symlink already there
                    create_new(self.root / name, text.encode("utf-8"))
                except OSError:
                    continue
        except OSError:
            pass


_SECRET_BYTES = 32


def _secret(cache: Path) -> bytes:
    """This user's cache secret, made on first use (O_EXCL, O_NOFOLLOW, mode 0600); kept in the
    user's cache directory, else in `cache` itself. Without one that can be read or made, a
    random one for this run: nothing cached is found, nothing forged either."""
    home = default_cache_dir()
    for folder in (home, cache) if home is not None else (cache,):
        path = os.path.join(folder, "secret")
        try:
            fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _BINARY)
            with os.fdopen(fd, "rb") as existing:
                value = existing.read(_SECRET_BYTES + 1)
            if len(value) == _SECRET_BYTES and os.stat(path).st_uid == _uid():
                return value
            continue  # not ours, or not a secret: never trusted
        except FileNotFoundError:
            pass
        except OSError:
            continue
        value = os.urandom(_SECRET_BYTES)
        try:
            os.makedirs(folder, exist_ok=True)
            create_new(path, value, 0o600)
            return value
        except OSError:  # another scan made it first (that run finds no shard), or no room for one
            continue
    return os.urandom(_SECRET_BYTES)


def _uid() -> int:
    return os.getuid() if hasattr(os, "getuid") else 0


def loads(text: str) -> Any | None:
    """A shard's data, or None when it is not JSON."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _unpack(data: bytes | None) -> tuple[bytes, dict[str, Any]]:
    """A pack's shards (after its first line) and where each one is; nothing when it is not a pack."""
    if data is None:
        return b"", {}
    line, _, body = data.partition(b"\n")
    offsets = loads(line.decode("utf-8", "replace"))
    return (body, offsets) if isinstance(offsets, dict) else (b"", {})


def _real_dir(path: str) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False
