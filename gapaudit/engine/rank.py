"""rank: the only place where priorities, suppressions, the baseline and `--diff` apply."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import GapauditError
from ..model import (
    FRONTEND,
    PYTHON,
    PYTHON_TEST,
    Finding,
    Gap,
    Report,
    Skipped,
    fingerprint,
    priority_rank,
)
from ..output import write_text
from ..rules import RuleSet
from ..settings import Config, requires_python
from .analyze import decode_source
from .diff import in_diff

BASELINE_NAME = ".gapaudit-baseline.json"
_CONTEXT_KINDS = frozenset({PYTHON, PYTHON_TEST, FRONTEND})  # never env/config files: they hold secrets


def load_baseline(path: Path) -> set[str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return set(data["fingerprints"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise GapauditError(f"cannot read baseline {path}: {exc}") from None


def _suppressed_inline(facts: dict[str, Any] | None, finding: Finding) -> bool:
    if not facts:
        return False
    ids = facts.get("suppressions", {}).get(str(finding.line), [])
    return "*" in ids or finding.rule in ids


def priority_of(finding: Finding, rules: RuleSet, config: Config) -> str:
    """The project's override for the rule, else what the finding's evidence decided, else the rule's default."""
    return config.priority.get(finding.rule) or finding.priority or rules.rule(finding.rule).priority


def rank(
    findings: list[Finding],
    rules: RuleSet,
    config: Config,
    facts: dict[str, dict[str, Any]],
    baseline: set[str],
    changed: dict[str, frozenset[int]] | None,
    hide: Callable[[str], str] | None = None,
) -> tuple[list[Gap], int, int]:
    """The gaps, how many findings were suppressed (inline, baseline) and how many are in code
    production does not serve (`Finding.unserved`, unless `report-unserved`). `hide`: the
    catalog's token hider (`token_hider`), when the caller has built it already."""
    ignored = rules.matching(config.ignore)
    hide = hide or token_hider(rules)
    gaps: dict[str, Gap] = {}
    suppressed = unserved = 0
    for finding in findings:
        if finding.rule in ignored:
            continue
        if changed is not None and not in_diff(changed, finding.file, finding.line):
            continue
        rule = rules.rule(finding.rule)
        fp = fingerprint(finding.rule, finding.file, finding.symbol)
        if fp in baseline or _suppressed_inline(facts.get(finding.file), finding):
            suppressed += 1
            continue
        if finding.unserved and not config.report_unserved:
            unserved += 1
            continue
        gaps.setdefault(fp, Gap(
            fingerprint=fp,
            rule=rule.id,
            category=rule.category,
            priority=priority_of(finding, rules, config),
            title=rule.title,
            message=hide(finding.message),
            file=finding.file,
            line=finding.line,
            evidence=_hidden(finding.evidence, hide),
            fix=rule.fix.strip(),
        ))
    ordered = sorted(gaps.values(), key=lambda g: (priority_rank(g.priority), g.file, g.line, g.rule))
    return ordered, suppressed, unserved


_LOWER_BOUND = re.compile(r"(>=|~=|==|>)\s*3\.(\d+)")


def newer_python_needed(root: Path) -> str | None:
    """The project's `requires-python` when its lower bound is newer than the Python running
    gapaudit (whose parser may then reject the project's newest syntax), else None."""
    spec = requires_python(root)
    if spec is None:
        return None
    minors = [int(minor) + (op == ">") for op, minor in _LOWER_BOUND.findall(spec)]
    return spec if minors and min(minors) > sys.version_info.minor else None


def explain_syntax_errors(skipped: list[Skipped], root: Path) -> list[Skipped]:
    """A file that is valid on the project's Python but not on the one running gapaudit is not
    "broken": say which Python to run under, and count the scan as incomplete (its gaps went unseen)."""
    spec = newer_python_needed(root)
    if spec is None:
        return skipped
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    return [Skipped(s.file, f"{s.reason}; the project requires Python {spec} and gapaudit ran on {running}: "
                            "run gapaudit with that Python", True)
            if s.reason.startswith("syntax error") else s for s in skipped]


def token_hider(rules: RuleSet) -> Callable[[str], str]:
    """Every token shape of the catalog (JWT, AWS, GitHub, private keys, URL passwords, ...) hidden
    wherever a text from the repository may carry one: a skip reason, a string in a message, the
    source lines shown around a gap."""
    from ..checks.catalogs import Entry
    from ..checks.config.secrets import Secrets

    return Secrets({name: Entry.of(rules, name) for name in ("secret-keys", "token-shapes")}).redact


def _hidden(value: Any, hide: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return hide(value)
    if isinstance(value, list):
        return [_hidden(item, hide) for item in value]
    if isinstance(value, dict):
        return {key: item if key == "file" else _hidden(item, hide) for key, item in value.items()}
    return value


def context(root: Path, gaps: list[Gap], kinds: dict[str, str], hide: Callable[[str], str],
            radius: int = 3) -> dict[str, list[tuple[int, str]]]:
    """A few source lines around each gap, for source files only (config files may hold secrets)."""
    lines_of: dict[str, list[str]] = {}
    context: dict[str, list[tuple[int, str]]] = {}
    for gap in gaps:
        if kinds.get(gap.file) not in _CONTEXT_KINDS:
            continue
        if gap.file not in lines_of:
            try:
                content = (root / gap.file).read_bytes()
                lines_of[gap.file] = decode_source(content, kinds[gap.file] in (PYTHON, PYTHON_TEST)).splitlines()
            except (OSError, UnicodeDecodeError, SyntaxError, LookupError):
                lines_of[gap.file] = []
        lines = lines_of[gap.file]
        start, end = max(1, gap.line - radius), min(len(lines), gap.line + radius)
        context[gap.fingerprint] = [(n, hide(lines[n - 1])) for n in range(start, end + 1)]
    return context


def write_baseline(report: Report, path: Path, root: Path) -> int:
    """Accept every current gap; returns how many were written."""
    entries = {g.fingerprint: {"rule": g.rule, "file": g.file, "message": g.message} for g in report.gaps}
    write_text(path, json.dumps({"schema": "gapaudit-baseline/1", "fingerprints": entries}, indent=2) + "\n", root,
               make_parents=False, what="baseline")
    return len(entries)
