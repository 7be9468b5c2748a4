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
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Iterator

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
from .link import DECODE_ERRORS as _DECODE_ERRORS
from .link import read_link_shard
from .progress import Progress

if TYPE_CHECKING:
    from ..checks import Analyzer, Project
    from ..rules import RuleSet
    from ..settings import Config

_SUPPRESSION = re.compile(r"(?:#|//)\s*(?:gapaudit:\s*ignore(?:\[(?P<ids>[^\]]*)\])?|noqa:\s*(?P<noqa>GA\d{3}(?:\s*,\s*GA\d{3})*))")
_PARALLEL_MIN_FILES = 64  # below this, starting worker processes costs more than it saves
_CHUNKS_PER_WORKER = 8  # small enough chunks that one big file does not leave the other workers idle
_PACK_MIN_SHARDS = 16  # from this many new shards on, one pack file (see cache.py)


@dataclass(frozen=True)
class Facts:
    """What analyze hands to link: either every file's facts (`project`) or, when nothing changed
    since a scan that cached them, the link results themselves (`reused`)."""

    discovery: Discovery
    link_key: str
    suppressions: dict[str, dict[str, list[str]]]  # rel -> line (str) -> rule ids, for files that have any
    skipped: tuple[Skipped, ...]  # files the analyzers could not read (syntax errors, not UTF-8)
    unreadable: tuple[Skipped, ...]  # files that could not be read at all this time
    project: Project | None = None  # its facts as cached (JSON data) until `loader` decodes them
    analyzers: tuple[Analyzer, ...] = ()
    reused: tuple[Finding, ...] | None = None
    loader: FactLoader | None = None
    #: file rel -> analyzer name -> digest of that analyzer's entry (its facts, or why it has none)
    entries: dict[str, dict[str, str]] = field(default_factory=dict)
    tree_key: str = ""  # the files and their kinds: what every link reads besides facts
    link_base: str = ""  # what every analyzer's link results depend on: code, rules, settings
    state_slot: str = ""  # where link states of this tree and settings are kept


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
    """rel -> [mtime_ns, size, sha256 of the content, digest of its shard, id of the pack holding
    the shard or ""] as stored, or {} when the shard has another shape."""
    files = data.get("files") if isinstance(data, dict) and len(data) == 1 else None
    if not isinstance(files, dict):
        return {}
    return {rel: entry for rel, entry in files.items()
            if isinstance(entry, list) and len(entry) == 5 and isinstance(entry[0], int)
            and isinstance(entry[1], int) and all(isinstance(item, str) for item in entry[2:])}


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
                   hashes: dict[str, str], digests: dict[str, str], packs: dict[str, str], started_ns: int) -> None:
    """Store the manifest; then drop the packs the old one named and this one does not. A file
    modified too close to the scan to vouch for by its mtime is kept with mtime -1: the next scan
    reads and hashes it, and finds its shard (in its pack) if the content is the same."""
    manifest = {f.rel: [f.mtime_ns if f.mtime_ns < started_ns - RACY_NS else -1, f.size, hashes[f.rel],
                        digests[f.rel], packs.get(f.rel, "")] for f in files if f.rel in digests}
    if manifest == known:
        return
    store.put(key, {"files": manifest})
    for pack in {entry[4] for entry in known.values()} - set(packs.values()) - {""}:
        store.drop_pack(pack)


def _read(file: SourceFile, unreadable: list[Skipped]) -> bytes | None:
    try:
        with open(file.location, "rb") as source:
            return source.read()
    except OSError as exc:
        unreadable.append(Skipped(file.rel, f"cannot read: {exc.strerror or exc}", limit=True))
        return None


def _shard_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _entry_digest(text: str) -> str:
    return _shard_digest(text)[:32]


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
    # rel -> the pack its shard is in, while the content is the one that shard is of
    packs = {rel: entry[4] for rel, entry in known.items() if entry[4] and hashes.get(rel) == entry[2]}
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
        _save_manifest(store, manifest_key, known, files, hashes, digests, packs, started_ns)
        return Facts(discovery=discovery, link_key=found_key, suppressions=shard[1], skipped=shard[2],
                     unreadable=tuple(unreadable), reused=shard[0])

    if (found_reused := reused()) is not None:  # nothing changed: no shard read, no analyzer imported
        return found_reused

    from ..checks import (  # imported only when something must be analyzed or linked
        Project,
        default_analyzers,
    )

    analyzers = default_analyzers(rules)
    plan = _Plan(analyzers, rules, config.file_time_budget, store, hashes, contents, unreadable, digests, packs)
    # first the files the manifest did not vouch for (new, edited): their facts may be the old ones
    plan.complete([f for f in files if f.rel not in digests], jobs, progress)
    if (found_reused := reused()) is not None:
        return found_reused
    index_key = digest(ENVIRONMENT, "index", str(discovery.root), settings)
    index = _index(store.get(index_key)) if store else {}
    plan.index = index
    plan.complete([f for f in files if f.rel not in plan.found], jobs, progress)
    contents.clear()
    files = [f for f in files if f.rel in plan.found]
    per_analyzer, suppressions, skipped = _collect(files, plan.found, analyzers)
    project = Project(root=discovery.root, discovery=discovery, config=config, rules=rules, facts=per_analyzer,
                      kinds={f.rel: f.kind for f in discovery.files})
    if store:
        _save_manifest(store, manifest_key, known, files, hashes, digests, packs, started_ns)
        if (now := plan.summaries(files)) != index:
            store.put(index_key, now)
    return Facts(discovery=discovery, link_key=key(), suppressions=suppressions, skipped=tuple(skipped),
                 unreadable=tuple(unreadable), project=project, analyzers=tuple(analyzers),
                 loader=FactLoader(plan, project, {f.rel: f for f in files}, jobs),
                 entries=plan.entry_digests, tree_key=digest(*(f"{f.rel}\0{f.kind}" for f in files)),
                 link_base=link_key(rules_hash, settings, []), state_slot=digest(ENVIRONMENT, "state", str(discovery.root), settings))


def _index(data: Any) -> dict[str, Any]:
    """`_Plan.summaries` as stored, or {} when it has another shape."""
    if not (isinstance(data, dict) and set(data) == {"keys", "files"} and isinstance(data["keys"], dict)
            and isinstance(data["files"], dict)):
        return {}
    return data


def _entry_keys(analyzers: list[Analyzer], rules: RuleSet) -> dict[str, str]:
    """The key of each analyzer's entry in a file's shard, and of the engine's own."""
    keys = {a.name: analyzer_key(a.name, type(a).__module__.split(".")[2], {c: rules.catalog(c) for c in type(a).catalogs})
            for a in analyzers}
    return {**keys, _ENGINE: engine_key()}


_ENGINE = ""  # the engine's own entry in a file's shard, beside one per analyzer name
_MARKS = "#"  # in a file's shard: entry key -> digest of that entry's text, so a scan need not re-dump it
_Found = dict[str, tuple[Any, dict[str, Any]]]  # rel -> (engine's entry, analyzer name -> entry)


class _Plan:
    """Every file's entries: what its cached shard still holds, the rest computed and stored."""

    def __init__(self, analyzers: list[Analyzer], rules: RuleSet, budget: float, store: ShardStore | None,
                 hashes: dict[str, str], contents: dict[str, bytes], unreadable: list[Skipped],
                 digests: dict[str, str], packs: dict[str, str]) -> None:
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
        self.packs = packs  # rel -> id of the pack its shard is in
        self.found: _Found = {}
        self.entry_digests: dict[str, dict[str, str]] = {}  # rel -> analyzer name -> digest of its entry
        #: the previous scan's summary of each file's shard: what this scan needs of a shard whose
        #: digest the manifest vouches for, so it is read only if its facts are (see `summaries`)
        self.index: dict[str, Any] = {}  # {"keys": analyzer -> entry key, "files": rel -> summary}

    def complete(self, files: list[SourceFile], jobs: int, progress: Progress | None,
                 reject: dict[str, set[str]] | None = None) -> None:
        """Find or compute every entry of these files; `reject` names cached entries not to trust."""
        todo = [job for file in files if (job := self._plan(file, (reject or {}).get(file.rel, set()))) is not None]
        written: dict[str, tuple[str, str]] = {}  # rel -> (its key, its new shard)
        for job, (engine_text, texts) in zip(todo, _run(todo, self.analyzers, self.rules, jobs, progress),
                                             strict=True):
            own, entries = self.found[job.rel]
            kept = {_ENGINE: engine_text or _dump(own), **{name: _dump(entry) for name, entry in entries.items()}}
            every = {**kept, **texts}
            marks = {name: _entry_digest(text) for name, text in every.items() if name != _ENGINE}
            shard = ("{" + ",".join(f'"{self.entry_keys[name]}":{text}' for name, text in every.items())
                     + f',"{_MARKS}":' + _dump({self.entry_keys[name]: mark for name, mark in marks.items()}) + "}")
            # the file's shard: what was still good in it, and what was computed now; not a run
            # out of time, which a less busy machine may finish
            if not any('"retry":true' in text for text in texts.values()):
                written[job.rel] = (file_key(job.kind, job.rel, self.hashes[job.rel]), shard)
            self.digests[job.rel] = _shard_digest(shard)
            self.entry_digests[job.rel] = marks
            self.found[job.rel] = (json.loads(engine_text) if engine_text else own,
                                   {**entries, **{name: json.loads(text) for name, text in texts.items()}})
        self._store(written)

    def _store(self, shards: dict[str, tuple[str, str]]) -> None:
        """Write new shards (rel -> (key, shard)): a few as files of their own, many as one pack."""
        if not self.store or not shards:
            return
        if len(shards) < _PACK_MIN_SHARDS:
            for rel, (key, shard) in shards.items():
                self.store.put_text(key, shard)
                self.packs.pop(rel, None)
            return
        pack = self.store.put_pack(dict(shards.values()))
        for rel in shards:
            if pack:
                self.packs[rel] = pack
            else:
                self.packs.pop(rel, None)

    def summaries(self, files: list[SourceFile]) -> dict[str, Any]:
        """The entry key of each analyzer, and rel -> [digest of its shard, the engine's entry,
        {analyzer: [digest of its entry, the entry itself when it holds no facts, else None]}]."""
        found: dict[str, Any] = {}
        for file in files:
            own, entries = self.found[file.rel]
            marks = self.entry_digests.get(file.rel, {})
            if file.rel in self.digests:
                found[file.rel] = [self.digests[file.rel], own, {
                    name: [marks[name], None if "facts" in entry else entry] for name, entry in entries.items()}]
        return {"keys": self.entry_keys, "files": found}

    def _summarized(self, file: SourceFile) -> bool:
        """Record the file's entries from the index, facts unread, if it summarizes this very shard."""
        summary = self.index.get("files", {}).get(file.rel)
        if not (isinstance(summary, list) and len(summary) == 3 and summary[0] == self.digests.get(file.rel)
                and (own := _engine_entry(summary[1])) is not None and isinstance(summary[2], dict)
                and self.index["keys"].get(_ENGINE) == self.entry_keys[_ENGINE]):
            return False
        entries: dict[str, Any] = {}
        marks: dict[str, str] = {}
        if "skipped" not in own:
            for name in (a.name for a in self.analyzers if file.kind in a.kinds):
                item = summary[2].get(name)
                if not (self.index["keys"].get(name) == self.entry_keys[name] and isinstance(item, list)
                        and len(item) == 2 and isinstance(item[0], str)):
                    return False
                entry = {"analyzer": name, "facts": _UNREAD} if item[1] is None else _analyzer_entry(item[1], name)
                if entry is None or ("facts" in entry and item[1] is not None):
                    return False
                entries[name], marks[name] = entry, item[0]
        self.found[file.rel] = (own, entries)
        self.entry_digests[file.rel] = marks
        return True

    def _plan(self, file: SourceFile, reject: set[str]) -> _Job | None:
        """Record the file's cached entries; a job for those missing, None when none is (or the
        file cannot be read). `hashes` is updated for a file that changed since it was hashed."""
        if not reject and self._summarized(file):
            return None
        sha = self.hashes[file.rel]
        names = [a.name for a in self.analyzers if file.kind in a.kinds]
        text = self.store.get_text(file_key(file.kind, file.rel, sha), self.packs.get(file.rel, "")) if self.store else None
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
            marks = cached.get(_MARKS)
            marks = marks if isinstance(marks, dict) else {}
            self.entry_digests[file.rel] = {
                name: mark if isinstance(mark := marks.get(self.entry_keys[name]), str) else _entry_digest(_dump(entry))
                for name, entry in entries.items()}
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


def _collect(files: list[SourceFile], found: _Found, analyzers: list[Analyzer],
             ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, list[str]]], list[Skipped]]:
    """Facts per analyzer (in discovery order, as cached: FactLoader decodes what link reads),
    suppressions, and the files some analyzer could not read."""
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
                per_analyzer.setdefault(analyzer.name, {})[file.rel] = shard["facts"]
        if reason:
            skipped.append(reason)
    return per_analyzer, suppressions, skipped


class _NotCached(ValueError):
    """A shard that no longer holds facts the index said it did: a miss, like facts that do not decode."""


class _Unread:
    """Facts the cache holds and no one has read yet (a file the index vouches for: `_Plan._summarized`)."""

    __slots__ = ()


_UNREAD = _Unread()


class FactLoader:
    """Reads and decodes cached facts when link reads them: `project.facts[name]` is a mapping
    that decodes a file's facts on first access, so facts link reuses are never read. `load`
    reads them ahead, an analyzer's at a time (the files an edit changed, or every file), and
    treats cached facts that cannot be read or decoded (corrupt, or written by other code) as a
    miss: recomputed, never an error."""

    def __init__(self, plan: _Plan, project: Project, files: dict[str, SourceFile], jobs: int) -> None:
        self._plan = plan
        self._files = files
        self._jobs = jobs
        self._shards: dict[str, dict[str, Any]] = {}  # rel -> its shard, for facts read from it
        self.skipped: list[Skipped] = []  # files whose facts, recomputed now, could not be read after all
        self.facts = {name: _LazyFacts(self, name, data) for name, data in project.facts.items()}
        project.facts.update(self.facts)

    def load(self, analyzer: str, rels: Iterable[str] | None = None) -> None:
        """Read and decode the analyzer's facts of these files (None: of every file) now."""
        facts = self.facts.get(analyzer)
        if facts is None:
            return
        bad: list[str] = []
        for rel in list(facts) if rels is None else rels:
            if rel in facts:
                try:
                    facts[rel]
                except _DECODE_ERRORS:
                    bad.append(rel)
        if not bad:
            return
        self._plan.complete([self._files[rel] for rel in bad], self._jobs, None, {rel: {analyzer} for rel in bad})
        for rel in bad:
            self._shards.pop(rel, None)
            entry = self._plan.found.get(rel, ({}, {}))[1].get(analyzer, {})
            if "facts" not in entry:
                facts.drop(rel)
                self.skipped.append(Skipped(rel, entry.get("skipped", "cannot read"), entry.get("limit") is True))
                continue
            try:
                facts.put(rel, self._plan.readers[analyzer].decode(entry["facts"]))
            except _DECODE_ERRORS:
                raise ValueError(f"facts just computed for {rel} do not decode") from None

    def read(self, analyzer: str, rel: str) -> Any:
        """A file's facts as cached, from its shard; `_NotCached` when the shard no longer has them."""
        plan = self._plan
        shard = self._shards.get(rel)
        if shard is None:
            file = self._files[rel]
            text = (plan.store.get_text(file_key(file.kind, rel, plan.hashes[rel]), plan.packs.get(rel, ""))
                    if plan.store else None)
            data = loads(text) if text is not None else None
            shard = self._shards[rel] = data if isinstance(data, dict) else {}
        entry = _analyzer_entry(shard.get(plan.entry_keys[analyzer]), analyzer)
        if entry is None or "facts" not in entry:
            raise _NotCached(rel)
        return entry["facts"]


class _LazyFacts(Mapping[str, Any]):
    """One analyzer's facts of every file, read and decoded on first access."""

    def __init__(self, loader: FactLoader, analyzer: str, data: dict[str, Any]) -> None:
        self._loader = loader
        self._analyzer = analyzer
        self._decode = loader._plan.readers[analyzer].decode
        self._data = data
        self._decoded: set[str] = set()

    def __getitem__(self, rel: str) -> Any:
        value = self._data[rel]
        if rel in self._decoded:
            return value
        if value is _UNREAD:
            value = self._loader.read(self._analyzer, rel)
        value = self._data[rel] = self._decode(value)
        self._decoded.add(rel)
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, rel: object) -> bool:
        return rel in self._data

    def put(self, rel: str, value: Any) -> None:
        self._data[rel] = value
        self._decoded.add(rel)

    def drop(self, rel: str) -> None:
        self._data.pop(rel, None)
        self._decoded.discard(rel)


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
