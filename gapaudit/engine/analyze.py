"""analyze: every file's facts, read from the cache or computed (in worker processes when many changed).

One shard per file (keyed by its path, kind and content) holds one entry per analyzer, keyed by
that analyzer's own code and catalogs, and one for the engine's own facts: editing one analyzer
recomputes its entries alone. A warm scan reads almost nothing: the manifest gives the content
hash of every file whose mtime and size did not change, and when no hash changed the link results
themselves come from the cache (`Facts.reused`), so no shard is read and no analyzer imported.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import time
import tokenize
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator

from ..model import PYTHON, PYTHON_TEST, Finding, Skipped
from .budget import OverBudget, time_budget
from .cache import RACY_NS, ShardStore, loads
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
    budget: float  # seconds the file may take (config `file-time-budget`)


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


def decode_source(content: bytes, python: bool) -> str:
    """A file's text: UTF-8 without its BOM; Python in the encoding it declares (PEP 263, as the
    interpreter reads it: a coding line in the first two lines, or a BOM)."""
    if not python:
        return content.decode("utf-8-sig")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(content).readline)
    except SyntaxError:  # an unknown codec named, or bytes no coding line explains: what Python assumes
        encoding = "utf-8"
    return content.decode(encoding)  # "utf-8-sig" when there is a BOM: it is dropped


def _dump(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"))


def _run_job(job: _Job, analyzers: dict[str, Analyzer]) -> tuple[str | None, dict[str, str]]:
    """One file's missing facts, as JSON text (cheap to pass between processes, and stored as is:
    what a later scan reads from the cache is exactly what this one used). Every analyzer's
    collectors are registered first, so the tree is walked once for all of them."""
    from ..checks import ParsedFile, ParseError

    try:
        text = decode_source(job.content, python=job.kind in (PYTHON, PYTHON_TEST))
    except UnicodeDecodeError as exc:
        declared = "UTF-8" if exc.encoding.startswith("utf-8") else f"valid {exc.encoding}"
        return _dump({"skipped": f"not {declared} (byte {exc.start})"}), {}
    engine = _dump({"suppressions": _suppressions(text)}) if job.engine else None
    parsed = ParsedFile(rel=job.rel, kind=job.kind, text=text)
    readers = [analyzer for name in job.analyzers if (analyzer := analyzers.get(name))]
    entries: dict[str, dict[str, Any]] = {a.name: {"analyzer": a.name} for a in readers}
    try:
        with time_budget(job.budget):
            try:
                for analyzer in readers:
                    analyzer.prepare(parsed)
                parsed.walk_collectors()
            except ParseError as exc:
                for entry in entries.values():
                    entry.update(_skip(str(exc), exc.limit))
            except RecursionError:
                for entry in entries.values():
                    entry.update(_skip("too deeply nested to analyze"))
            for analyzer in readers:
                entry = entries[analyzer.name]
                if "skipped" in entry:
                    continue
                try:
                    entry["facts"] = analyzer.encode(analyzer.file_facts(parsed))
                except ParseError as exc:
                    entry.update(_skip(str(exc), exc.limit))
                except RecursionError:
                    entry.update(_skip("too deeply nested to analyze"))
    except OverBudget:
        reason = f"analysis took over {job.budget:g} s (file-time-budget)"
        entries = {name: {"analyzer": name, **_skip(reason, True), "retry": True} for name in entries}
    return engine, {name: _dump(entry) for name, entry in entries.items()}


def _skip(reason: str, limit: bool = False) -> dict[str, Any]:
    return {"skipped": reason, "limit": True} if limit else {"skipped": reason}


def _init_worker(rules: RuleSet) -> None:
    from ..checks import default_analyzers

    global _worker_analyzers
    _worker_analyzers = {a.name: a for a in default_analyzers(rules)}


def _run_in_worker(job: _Job) -> tuple[str | None, dict[str, str]]:
    return _run_job(job, _worker_analyzers)


def _manifest(data: Any) -> dict[str, list[Any]]:
    """rel -> [mtime_ns, size, sha256 of the content, digest of its shard] as stored, or {} when
    the shard has another shape."""
    files = data.get("files") if isinstance(data, dict) and len(data) == 1 else None
    if not isinstance(files, dict):
        return {}
    return {rel: entry for rel, entry in files.items()
            if isinstance(entry, list) and len(entry) == 4 and isinstance(entry[0], int)
            and isinstance(entry[1], int) and isinstance(entry[2], str) and isinstance(entry[3], str)}


def _hash_files(discovery: Discovery, known: dict[str, list[Any]], digests: dict[str, str],
                ) -> tuple[dict[str, str], dict[str, bytes], list[Skipped]]:
    """Every file's content hash: from the manifest when mtime and size did not change (the file is
    not even read, as ruff does), else read and hashed. Returns hashes, the contents read, read
    errors; `digests` gets the shard digest of every file the manifest vouches for."""
    hashes: dict[str, str] = {}
    contents: dict[str, bytes] = {}
    unreadable: list[Skipped] = []
    for file in discovery.files:
        entry = known.get(file.rel)
        if entry is not None and entry[0] == file.mtime_ns and entry[1] == file.size:
            hashes[file.rel] = entry[2]
            digests[file.rel] = entry[3]
            continue
        content = _read(file, unreadable)
        if content is not None:
            contents[file.rel] = content
            hashes[file.rel] = hashlib.sha256(content).hexdigest()
    return hashes, contents, unreadable


def _save_manifest(store: ShardStore, key: str, known: dict[str, list[Any]], files: list[SourceFile],
                   hashes: dict[str, str], digests: dict[str, str], started_ns: int) -> None:
    manifest = {f.rel: [f.mtime_ns, f.size, hashes[f.rel], digests[f.rel]] for f in files
                if f.rel in digests and f.mtime_ns < started_ns - RACY_NS}
    if manifest != known:
        store.put(key, {"files": manifest})


def _read(file: SourceFile, unreadable: list[Skipped]) -> bytes | None:
    try:
        with open(file.location, "rb") as source:
            return source.read()
    except OSError as exc:
        unreadable.append(Skipped(file.rel, f"cannot read: {exc.strerror or exc}", limit=True))
        return None


def _shard_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def analyze(discovery: Discovery, config: Config, rules: RuleSet, rules_hash: str, store: ShardStore | None,
            jobs: int, progress: Progress | None, reuse_link: bool = True) -> Facts:
    """Every file's facts, or the cached link results when no file's facts, no rule and no setting
    changed. The link results are keyed by every file's shard (its facts), not its content: an edit
    that changes no fact (a comment, a blank line at the end) re-analyzes that file alone and
    reuses the rest; only when some fact changed are all files' facts read and linked."""
    started_ns = time.time_ns()
    settings = config_text(config)
    manifest_key = digest(ENVIRONMENT, "manifest", str(discovery.root), settings)
    known = _manifest(store.get(manifest_key)) if store else {}
    digests: dict[str, str] = {}  # rel -> digest of the file's shard text, once known
    hashes, contents, unreadable = _hash_files(discovery, known, digests)
    files = [f for f in discovery.files if f.rel in hashes]

    def key() -> str:
        return link_key(rules_hash, settings, [(f.rel, f.kind, digests[f.rel]) for f in files])

    def reused() -> Facts | None:
        if not (store and reuse_link and len(digests) == len(files)):
            return None
        found_key = key()
        shard = read_link_shard(store.get(found_key))
        if shard is None:
            return None
        _save_manifest(store, manifest_key, known, files, hashes, digests, started_ns)
        return Facts(discovery=discovery, link_key=found_key, suppressions=shard[1], skipped=shard[2],
                     unreadable=tuple(unreadable), reused=shard[0])

    if (found_reused := reused()) is not None:  # nothing changed: no shard read, no analyzer imported
        return found_reused

    from ..checks import (  # imported only when something must be analyzed or linked
        Project,
        default_analyzers,
    )

    analyzers = default_analyzers(rules)
    plan = _Plan(analyzers, rules, config.file_time_budget, store, hashes, contents, unreadable, digests)
    # first the files the manifest did not vouch for (new, edited): their facts may be the old ones
    plan.complete([f for f in files if f.rel not in digests], jobs, progress)
    if (found_reused := reused()) is not None:
        return found_reused
    plan.complete([f for f in files if f.rel not in plan.found], jobs, progress)
    contents.clear()
    plan.decode(files, jobs, progress)
    files = [f for f in files if f.rel in plan.found]
    per_analyzer, suppressions, skipped = _collect(files, plan.found, analyzers, plan.decoded)
    project = Project(root=discovery.root, discovery=discovery, config=config, rules=rules, facts=per_analyzer,
                      kinds={f.rel: f.kind for f in discovery.files})
    if store:
        _save_manifest(store, manifest_key, known, files, hashes, digests, started_ns)
    return Facts(discovery=discovery, link_key=key(), suppressions=suppressions, skipped=tuple(skipped),
                 unreadable=tuple(unreadable), project=project, analyzers=tuple(analyzers))


def _entry_keys(analyzers: list[Analyzer], rules: RuleSet) -> dict[str, str]:
    """The key of each analyzer's entry in a file's shard, and of the engine's own."""
    keys = {a.name: analyzer_key(a.name, type(a).__module__.split(".")[2], {c: rules.catalog(c) for c in type(a).catalogs})
            for a in analyzers}
    return {**keys, _ENGINE: engine_key()}


_ENGINE = ""  # the engine's own entry in a file's shard, beside one per analyzer name
_Found = dict[str, tuple[Any, dict[str, Any]]]  # rel -> (engine's entry, analyzer name -> entry)
_DECODE_ERRORS = (ValueError, TypeError, KeyError, AttributeError, IndexError)  # codec.DecodeError is a ValueError


class _Plan:
    """Every file's entries: what its cached shard still holds, the rest computed and stored."""

    def __init__(self, analyzers: list[Analyzer], rules: RuleSet, budget: float, store: ShardStore | None,
                 hashes: dict[str, str], contents: dict[str, bytes], unreadable: list[Skipped],
                 digests: dict[str, str]) -> None:
        self.analyzers = analyzers
        self.rules = rules
        self.budget = budget
        self.entry_keys = _entry_keys(analyzers, rules)
        self.readers = {a.name: a for a in analyzers}
        self.store = store
        self.hashes = hashes
        self.contents = contents
        self.unreadable = unreadable
        self.digests = digests
        self.found: _Found = {}
        self.decoded: dict[tuple[str, str], Any] = {}  # (rel, analyzer) -> facts as the analyzer reads them

    def complete(self, files: list[SourceFile], jobs: int, progress: Progress | None,
                 reject: dict[str, set[str]] | None = None) -> None:
        """Find or compute every entry of these files; `reject` names cached entries not to trust."""
        todo = [job for file in files if (job := self._plan(file, (reject or {}).get(file.rel, set()))) is not None]
        for job, (engine_text, texts) in zip(todo, _run(todo, self.analyzers, self.rules, jobs, progress),
                                             strict=True):
            own, entries = self.found[job.rel]
            kept = {_ENGINE: engine_text or _dump(own), **{name: _dump(entry) for name, entry in entries.items()}}
            shard = "{" + ",".join(f'"{self.entry_keys[name]}":{text}' for name, text in {**kept, **texts}.items()) + "}"
            # the file's shard: what was still good in it, and what was computed now; not a run
            # out of time, which a less busy machine may finish
            if self.store and not any('"retry":true' in text for text in texts.values()):
                self.store.put_text(file_key(job.kind, job.rel, self.hashes[job.rel]), shard)
            self.digests[job.rel] = _shard_digest(shard)
            self.found[job.rel] = (json.loads(engine_text) if engine_text else own,
                                   {**entries, **{name: json.loads(text) for name, text in texts.items()}})

    def decode(self, files: list[SourceFile], jobs: int, progress: Progress | None) -> None:
        """Every entry's facts as its analyzer reads them. Cached facts that do not decode (corrupt,
        or written by other code) are a miss, recomputed, never an error."""
        rejected = {rel: bad for rel in self.found if (bad := self._decode(rel))}
        if rejected:
            self.complete([f for f in files if f.rel in rejected], jobs, progress, rejected)
            for rel in rejected:
                if rel in self.found and self._decode(rel):
                    raise ValueError(f"facts just computed for {rel} do not decode")

    def _decode(self, rel: str) -> set[str]:
        bad: set[str] = set()
        for name, entry in self.found[rel][1].items():
            if "facts" in entry and (rel, name) not in self.decoded:
                try:
                    self.decoded[(rel, name)] = self.readers[name].decode(entry["facts"])
                except _DECODE_ERRORS:
                    bad.add(name)
        return bad

    def _plan(self, file: SourceFile, reject: set[str]) -> _Job | None:
        """Record the file's cached entries; a job for those missing, None when none is (or the
        file cannot be read). `hashes` is updated for a file that changed since it was hashed."""
        sha = self.hashes[file.rel]
        names = [a.name for a in self.analyzers if file.kind in a.kinds]
        text = self.store.get_text(file_key(file.kind, file.rel, sha)) if self.store else None
        shard = loads(text) if text is not None else None
        cached = shard if isinstance(shard, dict) else {}
        own = _engine_entry(cached.get(self.entry_keys[_ENGINE]))
        entries = {name: entry for name in names
                   if name not in reject and (entry := _analyzer_entry(cached.get(self.entry_keys[name]), name))}
        missing = tuple(name for name in names if name not in entries)
        if own is not None and (not missing or "skipped" in own):
            self.found[file.rel] = (own, entries)
            if text is not None:
                self.digests[file.rel] = _shard_digest(text)
            return None
        content = self.contents.get(file.rel)
        if content is None:  # hashed from the manifest: read it now, and trust what was read
            content = _read(file, self.unreadable)
            if content is None:
                self.found.pop(file.rel, None)
                self.digests.pop(file.rel, None)
                return None
            if (now := hashlib.sha256(content).hexdigest()) != sha:  # changed since it was hashed
                self.hashes[file.rel] = now
                own, entries, missing = None, {}, tuple(names)
        self.found[file.rel] = (own, entries)
        return _Job(file.rel, file.kind, content, own is None, missing, self.budget)


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
                reason = reason or Skipped(file.rel, shard["skipped"], shard.get("limit") is True)
            else:
                per_analyzer.setdefault(analyzer.name, {})[file.rel] = decoded[(file.rel, analyzer.name)]
        if reason:
            skipped.append(reason)
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


def _analyzer_entry(data: Any, name: str) -> dict[str, Any] | None:
    """{"analyzer": name, "facts": ...} or {"analyzer": name, "skipped": reason}, else None. Whether
    the facts decode is checked only when they are read (`_Plan.decode`)."""
    if not isinstance(data, dict) or data.get("analyzer") != name:
        return None
    if "facts" in data and len(data) == 2:
        return data
    if isinstance(data.get("skipped"), str) and set(data) <= {"analyzer", "skipped", "limit", "retry"}:
        return data
    return None
