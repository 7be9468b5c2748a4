"""Which file a module name means: the one module-to-file resolver every analyzer uses."""

from __future__ import annotations

import sys
from functools import cached_property
from typing import Iterable

_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ()))


def package_dir(rel: str) -> str:
    """The folder of a file (`""` at the root)."""
    return rel.rsplit("/", 1)[0] if "/" in rel else ""


def module_names(rel: str, package_dirs: set[str]) -> list[str]:
    """Dotted names a file can be imported as: from the scan root, and from every directory
    that is not itself a package (a plausible sys.path entry such as `src/` or `backend/`)."""
    parts = rel[:-3].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    names = []
    for start in range(len(parts)):
        parent = "/".join(parts[:start])
        if start == 0 or parent not in package_dirs:
            if parts[start:] and parts[start] not in _STDLIB:
                names.append(".".join(parts[start:]))
    return names


def module_path(rel: str, dotted: str) -> str:
    """`.users` imported in `app/api/main.py` -> `app/api/users`; `app.models` -> `app/models`
    (file path without `.py`; absolute names are returned as paths for the caller to look up)."""
    level = len(dotted) - len(dotted.lstrip("."))
    path = dotted.lstrip(".").replace(".", "/")
    if not level:
        return path
    base = package_dir(rel)
    for _ in range(level - 1):
        base = package_dir(base)
    return f"{base}/{path}".strip("/")


class ModuleIndex:
    """Module names of a set of Python files, and the file a (relative or absolute) name means.

    A name that several files could be imported as (two `utils.py` under different source roots)
    maps to none of them: a wrong guess would link code that never calls each other."""

    def __init__(self, files: Iterable[str], package_dirs: set[str]) -> None:
        self.files = frozenset(files)
        #: `pkg/mod.py` beside a package `pkg/mod/`: Python imports the package, never the file
        #: (its finder looks for a package first), so no import reaches it -> the package folder
        self.shadowed = {rel: rel[:-3] + "/" for rel in self.files
                         if not rel.endswith("/__init__.py") and f"{rel[:-3]}/__init__.py" in self.files}
        index: dict[str, set[str]] = {}
        for rel in self.files - self.shadowed.keys():
            for name in module_names(rel, package_dirs):
                index.setdefault(name, set()).add(rel)
        self.by_name = {name: next(iter(rels)) for name, rels in index.items() if len(rels) == 1}

    def file_at(self, path: str) -> str | None:
        """`app/models` -> `app/models/__init__.py` or `app/models.py`, if scanned (a package
        first, as Python's finder looks)."""
        for candidate in (f"{path}/__init__.py" if path else "__init__.py", f"{path}.py"):
            if candidate in self.files:
                return candidate
        return None

    def file_of(self, name: str) -> str | None:
        """The file an absolute module name means, if exactly one scanned file has that name."""
        return self.by_name.get(name)

    def resolve(self, rel: str, dotted: str) -> str | None:
        """The file `dotted` means when imported from `rel`: relative names by path, absolute by name."""
        if dotted.startswith("."):
            return self.file_at(module_path(rel, dotted))
        return self.file_of(dotted)

    def files_ending(self, path: str) -> list[str]:
        """Scanned files that are module `path` below some folder: `tests/helpers` is
        `tests/helpers.py` or `backend/tests/helpers.py`, then `.../helpers/__init__.py` (each sorted).

        For names imported through a sys.path entry the scan cannot see (pytest's rootdir
        insertion, the folder a test runner starts in, a test helper imported as
        `utils.api_routes` from `tests/`), where `resolve` knows no such name."""
        found = self._by_suffix.get(path, []) if path else []
        return [rel for rel in found if not rel.endswith("/__init__.py")] + [
            rel for rel in found if rel.endswith("/__init__.py")]

    @cached_property
    def _by_suffix(self) -> dict[str, list[str]]:
        """Every tail of every file's module path (`api_routes`, `utils/api_routes`, ...) -> the files."""
        found: dict[str, list[str]] = {}
        for rel in sorted(self.files - self.shadowed.keys()):
            parts = rel[:-3].removesuffix("/__init__").split("/")
            for start in range(len(parts)):
                found.setdefault("/".join(parts[start:]), []).append(rel)
        return found
