"""`--diff BASE`: which lines changed since a git revision, so CI can report only new gaps."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import GapauditError, one_line

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
ALL_LINES = frozenset({0})  # marker: the whole file is new


def _git(root: Path, *args: str) -> str:
    import subprocess  # here: every scan imports this module (rank uses in_diff), few run git

    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GapauditError(f"--diff needs git: {exc}") from None
    if done.returncode != 0:
        raise GapauditError(f"git {' '.join(args[:2])} failed: {one_line(done.stderr)}")
    return done.stdout


def changed_lines(root: Path, base: str) -> dict[str, frozenset[int]]:
    """File (relative to root) -> changed line numbers since `base`, new files -> ALL_LINES."""
    top = Path(_git(root, "rev-parse", "--show-toplevel").strip()).resolve()
    prefix = root.resolve().relative_to(top).as_posix()
    prefix = "" if prefix == "." else prefix + "/"
    changed: dict[str, set[int]] = {}
    current: str | None = None
    for line in _git(root, "diff", "--unified=0", "--no-color", "--no-ext-diff", base, "--", ".").splitlines():
        if line.startswith("+++ "):
            name = line[4:]
            current = name[2:] if name.startswith("b/") else None
            if current is not None:
                changed.setdefault(current, set())
        elif current is not None and (hunk := _HUNK.match(line)):
            start, count = int(hunk.group(1)), int(hunk.group(2) or 1)
            changed[current].update(range(start, start + count))
    result = {name: frozenset(lines) for name, lines in changed.items()}
    for name in _git(root, "ls-files", "--others", "--exclude-standard", "--full-name", ".").splitlines():
        result[name] = ALL_LINES
    return {name[len(prefix):]: lines for name, lines in result.items() if name.startswith(prefix)}


def in_diff(changed: dict[str, frozenset[int]], file: str, line: int) -> bool:
    lines = changed.get(file)
    return lines is not None and (lines is ALL_LINES or line in lines)
