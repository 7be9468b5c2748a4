"""The per-file time budget: one crafted file must not hold up the whole scan.

A file that takes longer than the budget (config key `file-time-budget`, default 10 s) to analyze
is skipped, named in the report and marks the scan incomplete. Analyzing a real file takes
milliseconds (the slowest of 550k lines of real services and libraries: well under a second), so
10 s leaves room for a slow, shared CI machine while bounding what a pull request can cost. The budget is a SIGALRM timer: it stops Python code, not
one long call into a C or Rust extension (ast.parse, libyaml, ast-grep), whose own input is
bounded by `max-file-size` and the YAML node cap. Without SIGALRM (Windows) or off the main
thread, there is no budget.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class OverBudget(Exception):
    """Raised inside the analysis of a file that ran out of time."""


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(_signum: int, _frame: object) -> None:
        raise OverBudget

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
