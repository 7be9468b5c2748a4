"""link: whole-program findings from every file's facts, reused from the cache when nothing changed."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..model import Finding, Skipped
from .cache import ShardStore
from .keys import digest
from .progress import Progress

if TYPE_CHECKING:
    from ..checks import Analyzer
    from .analyze import Facts

#: what reading cached facts that are corrupt or foreign may raise (codec.DecodeError is a ValueError)
DECODE_ERRORS = (ValueError, TypeError, KeyError, AttributeError, IndexError)

_Shard = tuple[tuple[Finding, ...], dict[str, dict[str, list[str]]], tuple[Skipped, ...]]


@dataclass(frozen=True)
class Linked:
    """What link hands on: the facts it read and every analyzer's findings."""

    facts: Facts
    findings: list[Finding]


def link(facts: Facts, store: ShardStore | None, progress: Progress | None) -> Linked:
    if facts.reused is not None:
        return Linked(facts, list(facts.reused))
    if facts.project is None or facts.loader is None:
        raise ValueError("facts without a project can only be reused")
    if progress:
        progress.stage("linking")
    findings = [finding for analyzer in facts.analyzers for finding in _link_one(analyzer, facts, store)]
    if facts.loader.skipped:  # facts recomputed while linking that could not be read after all
        facts = dataclasses.replace(facts, skipped=(*facts.skipped, *facts.loader.skipped))
    if store and (text := _link_shard(facts, findings)) is not None:
        store.put_text(facts.link_key, text)
    return Linked(facts, findings)


def _link_one(analyzer: Analyzer, facts: Facts, store: ShardStore | None) -> list[Finding]:
    """One analyzer's findings: the previous scan's when none of its facts changed since (the
    facts are not even decoded), else relinked from the previous state when the analyzer keeps
    one, else linked from scratch. The state is kept per tree and settings (a fixed slot, one
    per analyzer) with the digests of the facts it was made from."""
    project, loader = facts.project, facts.loader
    assert project is not None and loader is not None
    name = analyzer.name
    context = digest(facts.link_base, name, facts.tree_key)
    entries = {rel: marks[name] for rel, marks in facts.entries.items() if name in marks}
    slot = digest(facts.state_slot, name)
    previous = _state(store.get(slot)) if store else None
    found: list[Finding] | None = None
    state: Any = None
    if previous is not None and previous["context"] == context:
        if previous["entries"] == entries and (found := _findings(previous["findings"])) is not None:
            return found
        if previous["state"] is not None:
            before = previous["entries"]
            changed = frozenset(rel for rel in entries.keys() | before.keys() if entries.get(rel) != before.get(rel))
            try:
                loader.load(name, changed)
                found, state = analyzer.relink(project, previous["state"], changed)
            except DECODE_ERRORS:  # a cached fact read on the way did not decode: link it all, below
                found = None
    if found is None:
        loader.load(name)
        found, state = analyzer.relink(project, None, frozenset())
    if store and (findings := _findings_text(found)) is not None:
        entries = {rel: marks[name] for rel, marks in facts.entries.items() if name in marks}  # some recomputed
        try:
            store.put_text(slot, '{"context":%s,"entries":%s,"findings":%s,"state":%s}' % (
                json.dumps(context), json.dumps(entries, separators=(",", ":")), findings,
                json.dumps(state, separators=(",", ":"))))
        except (TypeError, ValueError):
            pass
    return found


def _state(data: Any) -> dict[str, Any] | None:
    """An analyzer's state as stored, if it has that shape."""
    if not (isinstance(data, dict) and set(data) == {"context", "entries", "findings", "state"}
            and isinstance(data["context"], str) and isinstance(data["entries"], dict)
            and isinstance(data["findings"], list)):
        return None
    return data


def _findings(data: Any) -> list[Finding] | None:
    """Findings as stored, or None when they have another shape."""
    try:
        return [_finding(f) for f in data]
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _findings_text(findings: list[Finding]) -> str | None:
    """The findings as JSON, or None when they would not come back identical from it (a tuple in
    the evidence would come back a list)."""
    try:
        text = json.dumps([vars(f) for f in findings], separators=(",", ":"))
    except (TypeError, ValueError):
        return None
    return text if _findings(json.loads(text)) == findings else None


def read_link_shard(data: Any) -> _Shard | None:
    """A link shard's findings, suppressions and skipped files (what rank needs of the facts), or
    None if it has another shape."""
    try:
        findings = _findings(data["findings"])
        if findings is None:
            return None
        suppressions = data["suppressions"]
        if not all(isinstance(lines, dict) and all(isinstance(ids, list) and all(isinstance(i, str) for i in ids)
                                                   for ids in lines.values()) for lines in suppressions.values()):
            return None
        skipped = tuple(Skipped(file, reason, limit) for file, reason, limit in data["skipped"])
        if not all(isinstance(s.file, str) and isinstance(s.reason, str) and isinstance(s.limit, bool) for s in skipped):
            return None
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    return tuple(findings), suppressions, skipped


def _finding(data: Any) -> Finding:
    if not (isinstance(data, dict) and isinstance(data.get("rule"), str) and isinstance(data.get("file"), str)
            and isinstance(data.get("line"), int) and isinstance(data.get("message"), str)
            and isinstance(data.get("symbol"), str) and isinstance(data.get("evidence"), dict)
            and (data.get("priority") is None or isinstance(data.get("priority"), str))
            and isinstance(data.get("unserved", False), bool)):
        raise TypeError("not a finding")
    return Finding(**data)


def _link_shard(facts: Facts, findings: list[Finding]) -> str | None:
    """The shard for these findings, or None when they would not come back identical from JSON."""
    text = _findings_text(findings)
    if text is None:
        return None
    return '{"findings":%s,"suppressions":%s,"skipped":%s}' % (
        text, json.dumps(facts.suppressions, separators=(",", ":")),
        json.dumps([[s.file, s.reason, s.limit] for s in facts.skipped], separators=(",", ":")))
