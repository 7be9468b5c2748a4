"""link: whole-program findings from every file's facts, reused from the cache when nothing changed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..model import Finding, Skipped
from .cache import ShardStore
from .progress import Progress

if TYPE_CHECKING:
    from .analyze import Facts

_Shard = tuple[tuple[Finding, ...], dict[str, dict[str, list[str]]], tuple[Skipped, ...]]


@dataclass(frozen=True)
class Linked:
    """What link hands on: the facts it read and every analyzer's findings."""

    facts: Facts
    findings: list[Finding]


def link(facts: Facts, store: ShardStore | None, progress: Progress | None) -> Linked:
    if facts.reused is not None:
        return Linked(facts, list(facts.reused))
    if facts.project is None:
        raise ValueError("facts without a project can only be reused")
    if progress:
        progress.stage("linking")
    findings = [finding for analyzer in facts.analyzers for finding in analyzer.link(facts.project)]
    if store and (text := _link_shard(facts, findings)) is not None:
        store.put_text(facts.link_key, text)
    return Linked(facts, findings)


def read_link_shard(data: Any) -> _Shard | None:
    """A link shard's findings, suppressions and skipped files (what rank needs of the facts), or
    None if it has another shape."""
    try:
        findings = tuple(_finding(f) for f in data["findings"])
        suppressions = data["suppressions"]
        if not all(isinstance(lines, dict) and all(isinstance(ids, list) and all(isinstance(i, str) for i in ids)
                                                   for ids in lines.values()) for lines in suppressions.values()):
            return None
        skipped = tuple(Skipped(file, reason, limit) for file, reason, limit in data["skipped"])
        if not all(isinstance(s.file, str) and isinstance(s.reason, str) and isinstance(s.limit, bool) for s in skipped):
            return None
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    return findings, suppressions, skipped


def _finding(data: Any) -> Finding:
    if not (isinstance(data, dict) and isinstance(data.get("rule"), str) and isinstance(data.get("file"), str)
            and isinstance(data.get("line"), int) and isinstance(data.get("message"), str)
            and isinstance(data.get("symbol"), str) and isinstance(data.get("evidence"), dict)
            and (data.get("priority") is None or isinstance(data.get("priority"), str))):
        raise TypeError("not a finding")
    return Finding(**data)


def _link_shard(facts: Facts, findings: list[Finding]) -> str | None:
    """The shard for these findings, or None when they would not come back identical from JSON
    (a tuple in the evidence would come back a list)."""
    payload = {"findings": [vars(f) for f in findings], "suppressions": facts.suppressions,
               "skipped": [[s.file, s.reason, s.limit] for s in facts.skipped]}
    try:
        text = json.dumps(payload, separators=(",", ":"))
    except (TypeError, ValueError):
        return None
    back = read_link_shard(json.loads(text))
    return text if back is not None and list(back[0]) == findings else None
