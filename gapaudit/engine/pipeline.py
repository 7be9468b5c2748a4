"""The `gapaudit scan` pipeline as a list of stages: discover → analyze → link → probe → rank.

Each stage takes the scan (`Scan`: target, configuration, options, rules, cache) and what the
stage before it returned, and returns its own typed result: `Discovery` → `Facts` → `Linked` →
`Linked` → `Report`. Rendering the report is the CLI's part.
"""

from __future__ import annotations

import gc
import json
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from ..errors import GapauditError
from ..model import Report, ScanOptions
from ..rules import RuleSet, builtin_rules_dir, check_selectors, load_rules, rule_files
from ..settings import Config
from .analyze import Facts, analyze
from .cache import ShardStore
from .discover import Discovery, discover
from .keys import ENVIRONMENT, code_hash, digest
from .link import Linked, link
from .progress import Progress
from .rank import context, explain_syntax_errors, load_baseline, rank, token_hider

if TYPE_CHECKING:
    from ..checks import Project


@dataclass(frozen=True)
class Scan:
    """What every stage may read."""

    target: str
    root: Path  # resolved
    config: Config
    options: ScanOptions
    rules: RuleSet
    rules_hash: str  # of every rule file in use, so cached facts follow the catalogs
    store: ShardStore | None
    progress: Progress | None
    started: float


def _rules(rule_paths: tuple[Path, ...], store: ShardStore | None) -> tuple[RuleSet, str]:
    """The rule set and its hash; parsed from YAML only when the cache has not seen these files."""
    paths = (builtin_rules_dir(), *rule_paths)
    try:
        files = rule_files(paths)
        texts = [f"{file}\0{file.read_text(encoding='utf-8')}" for file in files]
    except (OSError, UnicodeDecodeError):
        return load_rules(rule_paths), os.urandom(16).hex()  # load_rules says what is wrong; nothing is reused
    rules_hash = digest(ENVIRONMENT, code_hash("rules.py"), *texts)
    cached = store.get(digest(rules_hash, "rules")) if store else None
    if cached is not None:
        try:
            return RuleSet.from_data(cached), rules_hash
        except (KeyError, TypeError, ValueError, AttributeError):
            pass
    rules = load_rules(rule_paths)
    if store:
        try:
            text = json.dumps(rules.to_data(), separators=(",", ":"))
        except (TypeError, ValueError):
            return rules, rules_hash
        if RuleSet.from_data(json.loads(text)) == rules:  # YAML dates or int keys would not survive JSON
            store.put_text(digest(rules_hash, "rules"), text)
    return rules, rules_hash


def start(target: str | Path, config: Config, options: ScanOptions, progress: Progress | None = None) -> Scan:
    """Check the target and load the rules; raises GapauditError on bad input."""
    started = time.perf_counter()
    root = Path(target)
    if not root.is_dir():
        raise GapauditError(f"{target} is not a directory")
    root = root.resolve()
    store = ShardStore(options.cache_dir) if options.cache_dir else None
    rules, rules_hash = _rules(config.rule_files(root), store)
    check_selectors(config, rules)
    return Scan(target=str(target), root=root, config=config, options=options, rules=rules, rules_hash=rules_hash,
                store=store, progress=progress, started=started)


def discover_stage(scan: Scan, _: None) -> Discovery:
    return discover(scan.root, scan.config, scan.store)


def analyze_stage(scan: Scan, discovery: Discovery) -> Facts:
    return analyze(discovery, scan.config, scan.rules, scan.rules_hash, scan.store, scan.options.jobs, scan.progress)


def link_stage(scan: Scan, facts: Facts) -> Linked:
    return link(facts, scan.store, scan.progress)


def probe_stage(scan: Scan, linked: Linked) -> Linked:
    """Live probes of a running service: runs only when a base URL is given."""
    if scan.options.base_url is None:
        return linked
    raise GapauditError("live probes (--base-url) are not available yet")


def rank_stage(scan: Scan, linked: Linked) -> Report:
    """Priorities, suppressions, the baseline and --diff; then the report with its code context."""
    facts = linked.facts
    baseline = load_baseline(scan.options.baseline) if scan.options.baseline else set()
    changed = None
    if scan.options.diff_base:
        from .diff import changed_lines  # runs git: only for --diff

        changed = changed_lines(scan.root, scan.options.diff_base)
    suppressions = {rel: {"suppressions": lines} for rel, lines in facts.suppressions.items()}
    hide = token_hider(scan.rules)  # compiled once for the gaps and their source context
    gaps, suppressed, unserved = rank(linked.findings, scan.rules, scan.config, suppressions, baseline, changed, hide)
    skipped = explain_syntax_errors(sorted([*facts.discovery.skipped, *facts.unreadable, *facts.skipped],
                                           key=lambda s: s.file), scan.root)
    return Report(
        target=scan.target,
        gaps=gaps,
        suppressed=suppressed,
        skipped=skipped,
        rules=scan.rules,
        files_scanned=len(facts.discovery.files),
        duration_s=time.perf_counter() - scan.started,
        context=context(scan.root, gaps, {f.rel: f.kind for f in facts.discovery.files}, hide),
        unserved=unserved,
    )


STAGES: tuple[Callable[[Scan, Any], Any], ...] = (discover_stage, analyze_stage, link_stage, probe_stage, rank_stage)


def scan(target: str | Path, config: Config, options: ScanOptions = ScanOptions(),
         progress: Progress | None = None) -> Report:
    """Run every stage over `target`. Raises GapauditError on bad input."""
    data: Any = None
    with _fewer_collections():
        try:
            run = start(target, config, options, progress)
            for stage in STAGES:
                data = stage(run, data)
        finally:
            if progress:
                progress.close()
    return data


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """A scan allocates millions of short-lived objects (syntax trees, facts) with few reference
    cycles: at the default threshold (700) the cyclic collector runs thousands of times and keeps
    re-scanning facts already loaded (a fifth of a cold scan). Collect rarely instead, never not at
    all: some collectors leave cycles, and memory must stay flat. Worker processes inherit it."""
    before = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def project_facts(target: str | Path, config: Config, options: ScanOptions = ScanOptions()) -> Project:
    """discover + analyze, every file's facts loaded (for `gapaudit routes`)."""
    run = start(target, config, options)
    facts = analyze(discover_stage(run, None), config, run.rules, run.rules_hash, run.store, options.jobs, None,
                    reuse_link=False)
    assert facts.project is not None and facts.loader is not None  # reuse_link=False always loads the facts
    for analyzer in facts.analyzers:
        facts.loader.load(analyzer.name)
    return facts.project
