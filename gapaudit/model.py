"""The data every stage passes on: findings, gaps, skipped files, the report, the scan options."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .rules import RuleSet

PRIORITIES: tuple[str, ...] = ("P0", "P1", "P2")

# What discovery makes of a file, and what each analyzer says it reads (`Analyzer.kinds`).
PYTHON = "python"
PYTHON_TEST = "python-test"
ENV = "env"
CONFIG = "config"
CI = "ci"
FRONTEND = "frontend"
DEPLOY = "deploy"  # what starts processes: Procfiles, shell scripts, supervisord and systemd units


def priority_rank(priority: str) -> int:
    """0 for P0 (most severe) upwards; used for sorting and thresholds."""
    return PRIORITIES.index(priority)


@dataclass(frozen=True)
class Finding:
    """What an analyzer reports: a rule broken at a place, with its evidence.

    `symbol` names the thing the finding is about (a function and the call it makes,
    a config key, a route) so the fingerprint survives lines moving. `priority` is set when the
    evidence decides it (an infra skip is P0 only if production uses that infra and CI does not
    provide it); a project's per-rule override still wins.
    """

    rule: str
    file: str
    line: int
    message: str
    symbol: str
    evidence: dict[str, Any] = field(default_factory=dict)
    priority: str | None = None  # set when the analyzer knows better than the rule's default
    #: the code does not run where production serves requests in a deployment that keeps the
    #: defaults (under scripts/, behind an opt-in switch): reported only if the project asks
    #: (`report-unserved`), else counted in the summary
    unserved: bool = False


@dataclass(frozen=True)
class Gap:
    """A finding ranked against the rule catalog and the project's configuration."""

    fingerprint: str
    rule: str
    category: str
    priority: str
    title: str
    message: str
    file: str
    line: int
    evidence: dict[str, Any]
    fix: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "rule": self.rule,
            "category": self.category,
            "priority": self.priority,
            "title": self.title,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "evidence": self.evidence,
            "fix": self.fix,
        }


def fingerprint(rule: str, file: str, symbol: str) -> str:
    """A stable id for a gap: rule + file + symbol, never the line number."""
    digest = hashlib.sha256(f"{rule}\0{file}\0{symbol}".encode()).hexdigest()
    return digest[:20]


@dataclass(frozen=True)
class Skipped:
    """A file the scan could not read or parse; reported, never silently dropped."""

    file: str
    reason: str
    # cut short by a limit (size, time budget, YAML nodes) or unreadable: code there may run in
    # production unseen, so the scan is incomplete; not for a file that is not valid for its kind
    limit: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "reason": self.reason, **({"limit": True} if self.limit else {})}


@dataclass
class Report:
    """What a scan found, ranked: the input of every renderer."""

    target: str
    gaps: list[Gap]
    suppressed: int
    skipped: list[Skipped]
    rules: RuleSet
    files_scanned: int
    duration_s: float
    context: dict[str, list[tuple[int, str]]] = field(default_factory=dict)  # fingerprint -> code lines
    unserved: int = 0  # findings in code production does not serve, not reported (`report-unserved`)

    @property
    def incomplete(self) -> bool:
        """Some file was cut short by a limit or could not be read (`Skipped.limit`)."""
        return any(s.limit for s in self.skipped)

    @property
    def summary(self) -> dict[str, int]:
        counts = {"P0": 0, "P1": 0, "P2": 0}
        for gap in self.gaps:
            counts[gap.priority] += 1
        return {**counts, "suppressed": self.suppressed, "unserved": self.unserved}

    def to_dict(self) -> dict[str, Any]:
        """The `gapaudit/1` JSON contract (DESIGN.md)."""
        return {
            "schema": "gapaudit/1",
            "tool": {"name": "gapaudit", "version": __version__},
            "target": self.target,
            "summary": self.summary,
            "gaps": [gap.to_dict() for gap in self.gaps],
            "skipped": [s.to_dict() for s in self.skipped],
            "complete": not self.incomplete,
        }

    def fails(self, fail_on: str) -> bool:
        if fail_on == "never":
            return False
        return any(priority_rank(g.priority) <= priority_rank(fail_on) for g in self.gaps)


@dataclass(frozen=True)
class ScanOptions:
    """How to run a scan (the command line's part; the project's own part is `settings.Config`)."""

    jobs: int = 0  # 0: one per core
    cache_dir: Path | None = None
    baseline: Path | None = None
    diff_base: str | None = None
    base_url: str | None = None  # live probes of a running service (not available yet)
