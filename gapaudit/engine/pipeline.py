"""The `gapaudit scan` pipeline: discover → analyze (per file, cached, parallel) → link → rank."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ..checks import Analyzer, Project, default_analyzers
from ..errors import GapauditError
from ..model import Report, ScanOptions, Skipped
from ..rules import project_rules
from ..settings import Config
from .analyze import analyze
from .diff import changed_lines
from .discover import discover
from .rank import context, load_baseline, rank


def _project(target: str | Path, config: Config, options: ScanOptions) -> tuple[Project, list[Analyzer], dict, list[Skipped]]:
    """discover + analyze: every file's facts, grouped by analyzer."""
    root = Path(target)
    if not root.is_dir():
        raise GapauditError(f"{target} is not a directory")
    root = root.resolve()
    rule_paths = config.rule_files(root)
    rules = project_rules(root, config)
    analyzers = default_analyzers(rules)
    discovery = discover(root, config)
    facts, unreadable = analyze(discovery, analyzers, rule_paths, options)
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
    gaps, suppressed = rank(findings, project.rules, project.config, facts, baseline, changed)
    skipped = sorted([*project.discovery.skipped, *unreadable], key=lambda s: s.file)
    return Report(
        target=str(target),
        gaps=gaps,
        suppressed=suppressed,
        skipped=skipped,
        rules=project.rules,
        files_scanned=len(project.discovery.files),
        duration_s=time.perf_counter() - started,
        context=context(project.root, gaps, project.kinds),
    )


