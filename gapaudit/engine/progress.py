"""A progress bar on stderr for long scans: only on a terminal, never in CI logs or pipes."""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

_DELAY_S = 2.0  # a scan shorter than this shows nothing
_REDRAW_S = 0.1
_CLEAR = "\r\x1b[2K"


class Progress:
    """`analyzing 120/903 files [####......]`, drawn in place from `delay` seconds after the start
    of the scan, and cleared when the scan ends."""

    def __init__(self, stream: TextIO, delay: float = _DELAY_S) -> None:
        self._stream = stream
        self._start = time.monotonic()
        self._delay = delay
        self._drawn_at = 0.0
        self._shown = False
        self._label = ""
        self._done = 0
        self._total = 0

    @classmethod
    def for_stderr(cls) -> Progress | None:
        """A bar on stderr if it is a terminal and this is not a CI job, else None."""
        if os.environ.get("CI") or not sys.stderr.isatty():
            return None
        return cls(sys.stderr)

    def stage(self, label: str, total: int = 0) -> None:
        """A new stage: `total` > 0 counts files, 0 shows only the label."""
        self._label, self._done, self._total = label, 0, total
        self._draw(force=True)

    def advance(self) -> None:
        """One more file done."""
        self._done += 1
        self._draw(force=self._done == self._total)

    def close(self) -> None:
        if self._shown:
            self._write(_CLEAR)
            self._shown = False

    def _draw(self, force: bool) -> None:
        now = time.monotonic()
        if now - self._start < self._delay or (not force and now - self._drawn_at < _REDRAW_S):
            return
        self._drawn_at = now
        try:
            columns = os.get_terminal_size(self._stream.fileno()).columns or 80  # 0: size unknown
        except (OSError, ValueError, AttributeError):
            columns = 80
        line = f"gapaudit: {self._label}"
        if self._total:
            line += f" {self._done}/{self._total} files"
            width = min(40, columns - len(line) - 4)  # " [", "]", and the last column left free
            if width >= 10:
                filled = width * self._done // self._total
                line += f" [{'#' * filled}{'.' * (width - filled)}]"
        self._write(_CLEAR + line[:columns - 1])  # a line that wrapped could not be cleared
        self._shown = True

    def _write(self, text: str) -> None:
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):
            pass  # a closed or broken terminal must not fail the scan
