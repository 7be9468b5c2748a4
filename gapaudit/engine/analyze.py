"""analyze: every file's facts, computed in worker processes or read from the cache."""

from __future__ import annotations

import hashlib
import json
import os
import re
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from ..checks import Analyzer, ParsedFile, ParseError, default_analyzers
from ..model import ScanOptions, Skipped
from ..rules import builtin_rules_dir, load_rules
from .cache import FactCache
from .discover import Discovery, SourceFile

_SUPPRESSION = re.compile(r"(?:#|//)\s*(?:gapaudit:\s*ignore(?:\[(?P<ids>[^\]]*)\])?|noqa:\s*(?P<noqa>GA\d{3}(?:\s*,\s*GA\d{3})*))")
_PARALLEL_MIN_FILES = 64  # below this, starting worker processes costs more than it saves

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
    """Everything known about one file, or {'skipped': reason}: every analyzer's collectors are
    registered first, so the tree is walked once for all of them."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        return {"skipped": f"not UTF-8 (byte {exc.start})"}
    parsed = ParsedFile(rel=rel, kind=kind, text=text)
    facts: dict[str, Any] = {"suppressions": _suppressions(text), "analyzers": {}}
    readers = [analyzer for analyzer in analyzers if kind in analyzer.kinds]
    try:
        for analyzer in readers:
            analyzer.prepare(parsed)
        parsed.walk_collectors()
        for analyzer in readers:
            facts["analyzers"][analyzer.name] = analyzer.encode(analyzer.file_facts(parsed))
    except ParseError as exc:
        facts["skipped"] = str(exc)
    except RecursionError:
        facts["skipped"] = "too deeply nested to analyze"
    return facts


def _analyze_in_worker(rel: str, kind: str, content: bytes) -> dict[str, Any]:
    return _file_facts(_worker_analyzers, rel, kind, content)


def _namespace(rule_paths: tuple[Path, ...]) -> str:
    """Cache namespace: a change to any rule or catalog file, or to the analyzers' code, invalidates
    cached facts (facts change shape as analyzers evolve, even within one version)."""
    digest = hashlib.sha256()
    for source in sorted((Path(__file__).parent.parent / "checks").rglob("*.py")):
        digest.update(source.read_bytes())
    for directory in (builtin_rules_dir(), *rule_paths):
        files = sorted(directory.glob("*.y*ml")) if directory.is_dir() else [directory]
        for file in files:
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def analyze(
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


