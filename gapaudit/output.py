"""Writing files next to a scanned repository, which is hostile input.

A repository can commit `reports/gapaudit.txt -> ~/.local/lib/python3/site-packages/x.pth` or
set `output-dir: ../../elsewhere` in its own config. So a path that comes from the repository (the
default `reports/`, the config's `output-dir`) must resolve inside the scanned root, and every
file is written as a new temporary file renamed over the name: a symlink at that name is
replaced, never followed. Paths given on the command line are the user's own choice and may point
anywhere; files inside the scanned root are still written by rename.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import GapauditError

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)


def output_dir(root: Path, given: Path | None, configured: str) -> Path:
    """Where report files go: `given` (--output-dir) as is; else the configured folder, which must
    stay inside the scanned root once every symlink on the way is followed."""
    if given is not None:
        return given
    resolved = (root.resolve() / configured).resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise GapauditError(f"config key 'output-dir' ({configured!r}) leads outside the scanned directory; "
                            "pass --output-dir to write there")
    return resolved


def write_text(path: Path, text: str, root: Path, *, make_parents: bool = True, what: str = "") -> None:
    """Write `text` to `path` as a new file renamed over the name, so a symlink planted there is
    replaced rather than written through. A path under the scanned root must not leave it through a
    symlinked folder; one outside it may be a special file such as /dev/stdout (written to)."""
    absolute = Path(os.path.abspath(path))
    real_root = root.resolve()
    inside = absolute.is_relative_to(Path(os.path.abspath(root))) or absolute.is_relative_to(real_root)
    try:
        if make_parents:
            absolute.parent.mkdir(parents=True, exist_ok=True)
        if inside and not absolute.parent.resolve().is_relative_to(real_root):
            raise GapauditError(f"cannot write {path}: a symlink in the scanned directory leads outside it")
        if not inside and _special(absolute):
            with open(absolute, "w", encoding="utf-8") as out:  # -o /dev/stdout, a FIFO: the user's own choice
                out.write(text)
            return
        replace_file(absolute, text.encode("utf-8"))
    except OSError as exc:
        raise GapauditError(f"cannot write {what + ' ' if what else ''}{path}: {exc.strerror or exc}") from None


def create_new(path: str | os.PathLike[str], data: bytes, mode: int = 0o644) -> None:
    """Write a file that must not exist yet (O_EXCL), never through a symlink planted under its
    name (O_NOFOLLOW). Raises OSError; a partly written file is removed."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY, mode)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
    except BaseException:
        _remove(path)
        raise


def replace_file(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to a new temporary file beside `path` and rename it over `path`: atomic for
    readers, and a symlink at `path` is replaced itself, never written through. Raises OSError."""
    folder, name = os.path.split(os.fspath(path))
    temporary = os.path.join(folder, f".{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    create_new(temporary, data)
    try:
        os.replace(temporary, path)
    except BaseException:
        _remove(temporary)
        raise


def _remove(path: str | os.PathLike[str]) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _special(path: Path) -> bool:
    """A character device, FIFO or socket (where /dev/stdout leads): it cannot be replaced by rename."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)
