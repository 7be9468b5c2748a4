"""discover → analyze (per file, cached, parallel) → link → rank: the `gapaudit scan` pipeline."""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._version import __version__
from .analyzers import Analyzer, ParsedFile, ParseError, Project, default_analyzers
from .cache import FactCache
from .config import Config
from .discovery import FRONTEND, PYTHON, PYTHON_TEST, Discovery, SourceFile, discover
from .errors import GapauditError
from .gap import Finding, Gap, Skipped, fingerprint, priority_rank
from .gitdiff import changed_lines, in_diff
from .rules import RuleSet, builtin_rules_dir, load_rules

BASELINE_NAME = ".gapaudit-baseline.json"
_SUPPRESSION = re.compile(r"(?:#|//)\s*(?:gapaudit:\s*ignore(?:\[(?P<ids>[^\]]*)\])?|noqa:\s*(?P<noqa>GA\d{3}(?:\s*,\s*GA\d{3})*))")
_CONTEXT_KINDS = frozenset({PYTHON, PYTHON_TEST, FRONTEND})  # never env/config files: they hold secrets
_PARALLEL_MIN_FILES = 64  # below this, starting worker processes costs more than it saves


@dataclass
class Report:
    target: str
    gaps: list[Gap]
    suppressed: int
    skipped: list[Skipped]
    rules: RuleSet
    files_scanned: int
    duration_s: float
    context: dict[str, list[tuple[int, str]]] = field(default_factory=dict)  # fingerprint -> code lines

    @property
    def summary(self) -> dict[str, int]:
        counts = {"P0": 0, "P1": 0, "P2": 0}
        for gap in self.gaps:
            counts[gap.priority] += 1
        return {**counts, "suppressed": self.suppressed}

    def to_dict(self) -> dict[str, Any]:
        """The `gapaudit/1` JSON contract (DESIGN.md)."""
        return {
            "schema": "gapaudit/1",
            "tool": {"name": "gapaudit", "version": __version__},
            "target": self.target,
            "summary": self.summary,
            "gaps": [gap.to_dict() for gap in self.gaps],
            "skipped": [s.to_dict() for s in self.skipped],
        }

    def fails(self, fail_on: str) -> bool:
        if fail_on == "never":
            return False
        return any(priority_rank(g.priority) <= priority_rank(fail_on) for g in self.gaps)


@dataclass(frozen=True)
class ScanOptions:
    jobs: int = 0  # 0: one per core
    cache_dir: Path | None = None
    baseline: Path | None = None
    diff_base: str | None = None


# --- analyze -------------------------------------------------------------------------------

_worker_analyzers: list[Analyzer] = []


def _init_worker(rule_paths: tuple[Path, ...]) -> None:
    global _worker_analyzers
    _worker_analyzers = default_analyzers(load_rules(rule_paths))


def _suppressions(text: str) -> dict[int, list[str]]:
    """Line -> rule ids silenced on it (['*'] for a bare `gapaudit: ignore`)."""
    found: dict[int, list[str]] = {}
    if "gapaudit" not in text and "noqa" not in text:
        return found
    for number, line in enumerate(text.splitlines(), start=1):
        match = _SUPPRESSION.search(line)
        if match:
            ids = match.group("ids") if match.group("noqa") is None else match.group("noqa")
            found[number] = [i.strip() for i in ids.split(",") if i.strip()] if ids else ["*"]
    return found


def _file_facts(analyzers: list[Analyzer], rel: str, kind: str, content: bytes) -> dict[str, Any]:
    """Everything known about one file, or {'skipped': reason}."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        return {"skipped": f"not UTF-8 (byte {exc.start})"}
    parsed = ParsedFile(rel=rel, kind=kind, text=text)
    facts: dict[str, Any] = {"suppressions": _suppressions(text), "analyzers": {}}
    for analyzer in analyzers:
        if kind in analyzer.kinds:
            try:
                facts["analyzers"][analyzer.name] = analyzer.file_facts(parsed)
            except ParseError as exc:
                facts["skipped"] = str(exc)
                break
            except RecursionError:
                facts["skipped"] = "too deeply nested to analyze"
                break
    return facts


def _analyze_in_worker(rel: str, kind: str, content: bytes) -> dict[str, Any]:
    return _file_facts(_worker_analyzers, rel, kind, content)


def _namespace(rule_paths: tuple[Path, ...]) -> str:
    """Cache namespace: a change to any rule or catalog file, or to the analyzers' code, invalidates
    cached facts (facts change shape as analyzers evolve, even within one version)."""
    digest = hashlib.sha256()
    for source in sorted((Path(__file__).parent / "analyzers").glob("*.py")):
        digest.update(source.read_bytes())
    for directory in (builtin_rules_dir(), *rule_paths):
        files = sorted(directory.glob("*.y*ml")) if directory.is_dir() else [directory]
        for file in files:
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def _analyze(
    discovery: Discovery,
    analyzers: list[Analyzer],
    rule_paths: tuple[Path, ...],
    options: ScanOptions,
) -> tuple[dict[str, dict[str, Any]], list[Skipped]]:
    cache = FactCache(options.cache_dir, _namespace(rule_paths))
    facts: dict[str, dict[str, Any]] = {}
    skipped: list[Skipped] = []
    todo: list[tuple[SourceFile, bytes, str]] = []
    live: set[str] = set()
    for file in discovery.files:
        try:
            content = file.path.read_bytes()
        except OSError as exc:
            skipped.append(Skipped(file.rel, f"cannot read: {exc.strerror or exc}"))
            continue
        key = FactCache.key(file.kind, file.rel, content)
        live.add(key)
        cached = cache.get(key)
        if cached is not None:
            facts[file.rel] = cached
        else:
            todo.append((file, content, key))

    jobs = options.jobs or os.cpu_count() or 1
    if jobs > 1 and len(todo) >= _PARALLEL_MIN_FILES:
        with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(rule_paths,)) as pool:
            results = list(pool.map(
                _analyze_in_worker,
                [f.rel for f, _, _ in todo], [f.kind for f, _, _ in todo], [c for _, c, _ in todo],
                chunksize=max(1, len(todo) // (jobs * 8)),
            ))
    else:
        results = [_file_facts(analyzers, f.rel, f.kind, c) for f, c, _ in todo]
    for (file, _, key), result in zip(todo, results):
        result = json.loads(json.dumps(result))  # cached and fresh facts must look alike (int keys → str)
        cache.put(key, result)
        facts[file.rel] = result
    cache.save(live)
    for rel, result in facts.items():
        if "skipped" in result:
            skipped.append(Skipped(rel, result["skipped"]))
    return facts, skipped


# --- rank ----------------------------------------------------------------------------------


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


def _rank(
    findings: list[Finding],
    rules: RuleSet,
    config: Config,
    facts: dict[str, dict[str, Any]],
    baseline: set[str],
    changed: dict[str, frozenset[int]] | None,
) -> tuple[list[Gap], int]:
    ignored = rules.matching(config.ignore)
    gaps: dict[str, Gap] = {}
    suppressed = 0
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
        gaps.setdefault(fp, Gap(
            fingerprint=fp,
            rule=rule.id,
            category=rule.category,
            priority=config.priority.get(rule.id, finding.priority or rule.priority),
            title=rule.title,
            message=finding.message,
            file=finding.file,
            line=finding.line,
            evidence=finding.evidence,
            fix=rule.fix.strip(),
        ))
    ordered = sorted(gaps.values(), key=lambda g: (priority_rank(g.priority), g.file, g.line, g.rule))
    return ordered, suppressed


def _context(root: Path, gaps: list[Gap], kinds: dict[str, str], radius: int = 3) -> dict[str, list[tuple[int, str]]]:
    """A few source lines around each gap, for source files only (config files may hold secrets)."""
    lines_of: dict[str, list[str]] = {}
    context: dict[str, list[tuple[int, str]]] = {}
    for gap in gaps:
        if kinds.get(gap.file) not in _CONTEXT_KINDS:
            continue
        if gap.file not in lines_of:
            try:
                lines_of[gap.file] = (root / gap.file).read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                lines_of[gap.file] = []
        lines = lines_of[gap.file]
        start, end = max(1, gap.line - radius), min(len(lines), gap.line + radius)
        context[gap.fingerprint] = [(n, lines[n - 1]) for n in range(start, end + 1)]
    return context


# --- scan ----------------------------------------------------------------------------------


def _project(target: str | Path, config: Config, options: ScanOptions) -> tuple[Project, list[Analyzer], dict, list[Skipped]]:
    """discover + analyze: every file's facts, grouped by analyzer."""
    root = Path(target)
    if not root.is_dir():
        raise GapauditError(f"{target} is not a directory")
    root = root.resolve()
    rule_paths = tuple((root / p).resolve() for p in config.rule_paths)
    rules = load_rules(rule_paths)
    unknown = [rid for rid in config.priority if rid not in rules.rules]
    if unknown:
        raise GapauditError(f"{config.source}: priority override for unknown rule {unknown[0]}")
    analyzers = default_analyzers(rules)
    discovery = discover(root, config)
    facts, unreadable = _analyze(discovery, analyzers, rule_paths, options)
    kinds = {f.rel: f.kind for f in discovery.files}
    by_analyzer: dict[str, dict[str, Any]] = {}
    for rel, file_facts in facts.items():
        for name, value in file_facts.get("analyzers", {}).items():
            by_analyzer.setdefault(name, {})[rel] = value
    project = Project(root=root, discovery=discovery, config=config, rules=rules, facts=by_analyzer, kinds=kinds)
    return project, analyzers, facts, unreadable


def project_facts(target: str | Path, config: Config, options: ScanOptions = ScanOptions()) -> Project:
    """The linked-ready project without running the link step (for `gapaudit routes`)."""
    return _project(target, config, options)[0]


def scan(target: str | Path, config: Config, options: ScanOptions = ScanOptions()) -> Report:
    """Run every analyzer over `target` and rank what they find. Raises GapauditError on bad input."""
    started = time.perf_counter()
    project, analyzers, facts, unreadable = _project(target, config, options)
    findings = [finding for analyzer in analyzers for finding in analyzer.link(project)]
    baseline = load_baseline(options.baseline) if options.baseline else set()
    changed = changed_lines(project.root, options.diff_base) if options.diff_base else None
    gaps, suppressed = _rank(findings, project.rules, project.config, facts, baseline, changed)
    skipped = sorted([*project.discovery.skipped, *unreadable], key=lambda s: s.file)
    return Report(
        target=str(target),
        gaps=gaps,
        suppressed=suppressed,
        skipped=skipped,
        rules=project.rules,
        files_scanned=len(project.discovery.files),
        duration_s=time.perf_counter() - started,
        context=_context(project.root, gaps, project.kinds),
    )


def write_baseline(report: Report, path: Path) -> int:
    """Accept every current gap; returns how many were written."""
    entries = {g.fingerprint: {"rule": g.rule, "file": g.file, "message": g.message} for g in report.gaps}
    path.write_text(json.dumps({"schema": "gapaudit-baseline/1", "fingerprints": entries}, indent=2) + "\n", encoding="utf-8")
    return len(entries)
