"""analyze: every file's facts, read from the cache or computed (in worker processes when many changed).

One shard per file (keyed by its path, kind and content) holds one entry per analyzer, keyed by
that analyzer's own code and catalogs, and one for the engine's own facts: editing one analyzer
recomputes its entries alone. A warm scan reads almost nothing: the manifest gives the content
hash of every file whose mtime and size did not change, and when no hash changed the link results
themselves come from the cache (`Facts.reused`), so no shard is read and no analyzer imported.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator

from ..model import Finding, Skipped
from .cache import RACY_NS, ShardStore
from .discover import Discovery, SourceFile
from .keys import (
    ENVIRONMENT,
    analyzer_key,
    config_text,
    digest,
    engine_key,
    file_key,
    link_key,
)
from .link import read_link_shard
from .progress import Progress

if TYPE_CHECKING:
    from ..checks import Analyzer, Project
    from ..rules import RuleSet
    from ..settings import Config

_SUPPRESSION = re.compile(r"(?:#|//)\s*(?:gapaudit:\s*ignore(?:\[(?P<ids>[^\]]*)\])?|noqa:\s*(?P<noqa>GA\d{3}(?:\s*,\s*GA\d{3})*))")
_PARALLEL_MIN_FILES = 64  # below this, starting worker processes costs more than it saves
_CHUNKS_PER_WORKER = 8  # small enough chunks that one big file does not leave the other workers idle


@dataclass(frozen=True)
class Facts:
    """What analyze hands to link: either every file's facts (`project`) or, when nothing changed
    since a scan that cached them, the link results themselves (`reused`)."""

    discovery: Discovery
    link_key: str
    suppressions: dict[str, dict[str, list[str]]]  # rel -> line (str) -> rule ids, for files that have any
    skipped: tuple[Skipped, ...]  # files the analyzers could not read (syntax errors, not UTF-8)
    unreadable: tuple[Skipped, ...]  # files that could not be read at all this time
    project: Project | None = None
    analyzers: tuple[Analyzer, ...] = ()
    reused: tuple[Finding, ...] | None = None


@dataclass(frozen=True)
class _Job:
    """One file's missing facts: plain data, cheap to send to a worker process."""

    rel: str
    kind: str
    content: bytes
    engine: bool  # compute the engine's own facts (suppressions) too
    analyzers: tuple[str, ...]  # the analyzers whose facts are missing


_worker_analyzers: dict[str, Analyzer] = {}


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


def _dump(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"))


def _run_job(job: _Job, analyzers: dict[str, Analyzer]) -> tuple[str | None, dict[str, str]]:
    """One file's missing facts, as JSON text (cheap to pass between processes, and stored as is:
    what a later scan reads from the cache is exactly what this one used). Every analyzer's
    collectors are registered first, so the tree is walked once for all of them."""
    from ..checks import ParsedFile, ParseError

    try:
        text = job.content.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _dump({"skipped": f"not UTF-8 (byte {exc.start})"}), {}
    engine = _dump({"suppressions": _suppressions(text)}) if job.engine else None
    parsed = ParsedFile(rel=job.rel, kind=job.kind, text=text)
    readers = [analyzers[name] for name in job.analyzers]
    failed: str | None = None
    try:
        for analyzer in readers:
            analyzer.prepare(parsed)
        parsed.walk_collectors()
    except ParseError as exc:
        failed = str(exc)
    except RecursionError:
        failed = "too deeply nested to analyze"
    results: dict[str, str] = {}
    for analyzer in readers:
        data: dict[str, Any] = {"analyzer": analyzer.name}
        if failed:
            data["skipped"] = failed
        else:
            try:
                data["facts"] = analyzer.encode(analyzer.file_facts(parsed))
            except ParseError as exc:
                data["skipped"] = str(exc)
            except RecursionError:
                data["skipped"] = "too deeply nested to analyze"
        results[analyzer.name] = _dump(data)
    return engine, results


def _init_worker(rules: RuleSet) -> None:
    from ..checks import default_analyzers

    global _worker_analyzers
    _worker_analyzers = {a.name: a for a in default_analyzers(rules)}


def _run_in_worker(job: _Job) -> tuple[str | None, dict[str, str]]:
    return _run_job(job, _worker_analyzers)


def _manifest(data: Any) -> dict[str, list[Any]]:
    """rel -> [mtime_ns, size, sha256] as stored, or {} when the shard has another shape."""
    files = data.get("files") if isinstance(data, dict) and len(data) == 1 else None
    if not isinstance(files, dict):
        return {}
    return {rel: entry for rel, entry in files.items()
            if isinstance(entry, list) and len(entry) == 3 and isinstance(entry[0], int)
            and isinstance(entry[1], int) and isinstance(entry[2], str)}


def _hash_files(discovery: Discovery, config: Config, store: ShardStore | None, started_ns: int,
                ) -> tuple[dict[str, str], dict[str, bytes], list[Skipped]]:
    """Every file's content hash: from the manifest when mtime and size did not change (the file is
    not even read, as ruff does), else read and hashed. Returns hashes, the contents read, read errors."""
    key = digest(ENVIRONMENT, "manifest", str(discovery.root), config_text(config))
    known = _manifest(store.get(key)) if store else {}
    hashes: dict[str, str] = {}
    contents: dict[str, bytes] = {}
    unreadable: list[Skipped] = []
    manifest: dict[str, list[Any]] = {}
    for file in discovery.files:
        entry = known.get(file.rel)
        if entry is not None and entry[0] == file.mtime_ns and entry[1] == file.size:
            sha = entry[2]
        else:
            content = _read(file, unreadable)
            if content is None:
                continue
            contents[file.rel] = content
            sha = hashlib.sha256(content).hexdigest()
        hashes[file.rel] = sha
        if file.mtime_ns < started_ns - RACY_NS:
            manifest[file.rel] = [file.mtime_ns, file.size, sha]
    if store and manifest != known:
        store.put(key, {"files": manifest})
    return hashes, contents, unreadable


def _read(file: SourceFile, unreadable: list[Skipped]) -> bytes | None:
    try:
        with open(file.location, "rb") as source:
            return source.read()
    except OSError as exc:
        unreadable.append(Skipped(file.rel, f"cannot read: {exc.strerror or exc}"))
        return None


def analyze(discovery: Discovery, config: Config, rules: RuleSet, rules_hash: str, store: ShardStore | None,
            jobs: int, progress: Progress | None, reuse_link: bool = True) -> Facts:
    """Every file's facts, or the cached link results when no file, rule or setting changed."""
    hashes, contents, unreadable = _hash_files(discovery, config, store, time.time_ns())
    files = [f for f in discovery.files if f.rel in hashes]
    key = link_key(rules_hash, config_text(config), [(f.rel, f.kind, hashes[f.rel]) for f in files])
    if reuse_link and store:
        reused = read_link_shard(store.get(key))
        if reused is not None:
            return Facts(discovery=discovery, link_key=key, suppressions=reused[1], skipped=reused[2],
                         unreadable=tuple(unreadable), reused=reused[0])

    from ..checks import (  # imported only when something must be analyzed or linked
        Project,
        default_analyzers,
    )

    analyzers = default_analyzers(rules)
    entry_keys = _entry_keys(analyzers, rules)
    decoded: dict[tuple[str, str], Any] = {}
    found, todo = _plan(files, hashes, contents, analyzers, entry_keys, store, unreadable, decoded)
    contents.clear()
    for job, (engine_text, texts) in zip(todo, _run(todo, analyzers, rules, jobs, progress), strict=True):
        own, entries = found[job.rel]
        if store:  # the file's shard: what was still good in it, and what was computed now
            kept = {_ENGINE: engine_text or _dump(own), **{name: _dump(entry) for name, entry in entries.items()}}
            shard = ",".join(f'"{entry_keys[name]}":{text}' for name, text in {**kept, **texts}.items())
            store.put_text(file_key(job.kind, job.rel, hashes[job.rel]), "{" + shard + "}")
        found[job.rel] = (json.loads(engine_text) if engine_text else own,
                          {**entries, **{name: json.loads(text) for name, text in texts.items()}})
    files = [f for f in files if f.rel in found]
    per_analyzer, suppressions, skipped = _collect(files, found, analyzers, decoded)
    project = Project(root=discovery.root, discovery=discovery, config=config, rules=rules, facts=per_analyzer,
                      kinds={f.rel: f.kind for f in discovery.files})
    key = link_key(rules_hash, config_text(config), [(f.rel, f.kind, hashes[f.rel]) for f in files])  # hashes may have moved
    return Facts(discovery=discovery, link_key=key, suppressions=suppressions, skipped=tuple(skipped),
                 unreadable=tuple(unreadable), project=project, analyzers=tuple(analyzers))


def _entry_keys(analyzers: list[Analyzer], rules: RuleSet) -> dict[str, str]:
    """The key of each analyzer's entry in a file's shard, and of the engine's own."""
    keys = {a.name: analyzer_key(a.name, type(a).__module__.split(".")[2], {c: rules.catalog(c) for c in type(a).catalogs})
            for a in analyzers}
    return {**keys, _ENGINE: engine_key()}


_ENGINE = ""  # the engine's own entry in a file's shard, beside one per analyzer name
_Found = dict[str, tuple[Any, dict[str, Any]]]  # rel -> (engine's entry, analyzer name -> entry)


def _plan(files: list[SourceFile], hashes: dict[str, str], contents: dict[str, bytes], analyzers: list[Analyzer],
          entry_keys: dict[str, str], store: ShardStore | None, unreadable: list[Skipped],
          decoded: dict[tuple[str, str], Any]) -> tuple[_Found, list[_Job]]:
    """The entries the cache has for every file, and a job for every file with some missing.
    `hashes` is updated for a file that changed since it was hashed; cached facts that decode are
    kept decoded in `decoded` ((rel, analyzer) -> facts), those that do not are recomputed."""
    found: _Found = {}
    todo: list[_Job] = []
    readers = {a.name: a for a in analyzers}
    for file in files:
        sha = hashes[file.rel]
        names = [a.name for a in analyzers if file.kind in a.kinds]
        shard = store.get(file_key(file.kind, file.rel, sha)) if store else None
        cached = shard if isinstance(shard, dict) else {}
        own = _engine_entry(cached.get(entry_keys[_ENGINE]))
        entries = {name: entry for name in names
                   if (entry := _analyzer_entry(cached.get(entry_keys[name]), name, readers[name], file.rel, decoded))}
        missing = tuple(name for name in names if name not in entries)
        if own is not None and (not missing or "skipped" in own):
            found[file.rel] = (own, entries)
            continue
        content = contents.get(file.rel)
        if content is None:  # hashed from the manifest: read it now, and trust what was read
            content = _read(file, unreadable)
            if content is None:
                continue
            if (now := hashlib.sha256(content).hexdigest()) != sha:  # changed since it was hashed
                hashes[file.rel] = now
                own, entries, missing = None, {}, tuple(names)
        found[file.rel] = (own, entries)
        todo.append(_Job(file.rel, file.kind, content, own is None, missing))
    return found, todo


def _collect(files: list[SourceFile], found: _Found, analyzers: list[Analyzer], decoded: dict[tuple[str, str], Any],
             ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, list[str]]], list[Skipped]]:
    """Facts per analyzer (in discovery order), suppressions, and the files some analyzer could not read."""
    per_analyzer: dict[str, dict[str, Any]] = {}
    suppressions: dict[str, dict[str, list[str]]] = {}
    skipped: list[Skipped] = []
    for file in files:
        own, shards = found[file.rel]
        if "skipped" in own:
            skipped.append(Skipped(file.rel, own["skipped"]))
            continue
        if own["suppressions"]:
            suppressions[file.rel] = own["suppressions"]
        reason = None
        for analyzer in analyzers:
            shard = shards.get(analyzer.name)
            if shard is None:
                continue
            if "skipped" in shard:
                reason = reason or shard["skipped"]
            else:
                per_analyzer.setdefault(analyzer.name, {})[file.rel] = decoded.get((file.rel, analyzer.name), shard["facts"])
        if reason:
            skipped.append(Skipped(file.rel, reason))
    return per_analyzer, suppressions, skipped


def _run(todo: list[_Job], analyzers: list[Analyzer], rules: RuleSet, jobs: int,
         progress: Progress | None) -> Iterator[tuple[str | None, dict[str, str]]]:
    """Run the jobs, in worker processes when there are enough of them; results in the jobs' order,
    as they come, so the caller stores them while the workers go on."""
    if progress and todo:
        progress.stage("analyzing", len(todo))
    workers = min(jobs or os.cpu_count() or 1, len(todo))
    if workers > 1 and len(todo) >= _PARALLEL_MIN_FILES:
        from concurrent.futures import ProcessPoolExecutor

        # forked workers inherit the imported analyzers; facts come back as JSON text, never trees
        with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(rules,)) as pool:
            for result in pool.map(_run_in_worker, todo, chunksize=max(1, len(todo) // (workers * _CHUNKS_PER_WORKER))):
                if progress:
                    progress.advance()
                yield result
        return
    by_name = {a.name: a for a in analyzers}
    for job in todo:
        result = _run_job(job, by_name)
        if progress:
            progress.advance()
        yield result


def _engine_entry(data: Any) -> dict[str, Any] | None:
    """{"skipped": reason} or {"suppressions": {line: [rule ids]}}, else None."""
    if not isinstance(data, dict) or len(data) != 1:
        return None
    if isinstance(data.get("skipped"), str):
        return data
    lines = data.get("suppressions")
    if isinstance(lines, dict) and all(isinstance(ids, list) and all(isinstance(i, str) for i in ids)
                                       for ids in lines.values()):
        return data
    return None


def _analyzer_entry(data: Any, name: str, analyzer: Analyzer, rel: str,
                    decoded: dict[tuple[str, str], Any]) -> dict[str, Any] | None:
    """{"analyzer": name, "facts": ...} or {"analyzer": name, "skipped": reason}, else None. Facts
    must decode: an entry that does not (corrupt, or written by other code) is a miss, never an error."""
    if not (isinstance(data, dict) and len(data) == 2 and data.get("analyzer") == name
            and ("facts" in data or isinstance(data.get("skipped"), str))):
        return None
    if "facts" in data:
        try:
            decoded[(rel, name)] = analyzer.decode(data["facts"])
        except (ValueError, TypeError, KeyError, AttributeError, IndexError):  # codec.DecodeError is a ValueError
            return None
    return data
