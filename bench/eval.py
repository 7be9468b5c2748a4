#!/usr/bin/env python3
"""Precision of gapaudit's gaps on the evaluation set (bench/eval.yml), judged by people.

  python bench/eval.py scan LABEL [SPLIT]
                                      scan every service (or those of one half) into
                                      bench/results/eval-LABEL/<name>.json
  python bench/eval.py worklist LABEL the gaps to judge: every P0, and a fixed-seed sample of 60
                                      P1/P2 per half (spread over categories), minus those already
                                      judged; written to bench/results/eval-LABEL/worklist.jsonl
  python bench/eval.py score LABEL    precision per half, priority and category from the verdicts

Verdicts are data: bench/eval/verdicts-*.jsonl (one file per judging session), one JSON object per line,
{"service", "fingerprint", "rule", "priority", "file", "line", "verdict": "true"|"false", "reason"}.
A gap is judged once, by its fingerprint and priority: a later scan that reports the same gap at
the same priority reuses the verdict; one whose priority changed is judged again, and so is one
judged a duplicate of a gap the scan no longer reports (`standing`).
Services come from bench/eval-corpus/<name>/, extracted at the pinned commits.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import yaml

BENCH = Path(__file__).resolve().parent
CORPUS = BENCH / "eval-corpus"
VERDICTS = BENCH / "eval"
SAMPLE_SEED = 20261122
SAMPLE_SIZE = 60  # P1/P2 gaps per half
# the interpreter that runs gapaudit: one new enough for every service's syntax (tracecat and
# netbox need 3.12), as their own teams would run it; files needing a newer one are skipped and named
PYTHON = os.environ.get("GAPAUDIT_EVAL_PYTHON", sys.executable)


def services() -> dict[str, dict]:
    return yaml.safe_load((BENCH / "eval.yml").read_text())


def results(label: str) -> Path:
    return BENCH / "results" / f"eval-{label}"


def scan(label: str, split: str | None = None) -> None:
    out = results(label)
    out.mkdir(parents=True, exist_ok=True)
    for name in (name for name, info in services().items() if split in (None, info["split"])):
        done = subprocess.run([PYTHON, "-m", "gapaudit", "scan", str(CORPUS / name), "--no-cache",
                               "--no-baseline", "--format", "json", "-o", str(out / f"{name}.json"),
                               "--fail-on", "never"], capture_output=True, text=True, check=False)
        print(f"{name}: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}")


def gaps(label: str) -> list[dict]:
    found = []
    for name, info in services().items():
        path = results(label) / f"{name}.json"
        if not path.exists():  # a scan of one half only
            continue
        report = json.loads(path.read_text())
        found += [{"service": name, "split": info["split"], **gap} for gap in report["gaps"]]
    return found


def _session_order(path: Path) -> tuple:
    """Judging sessions in the order they happened: the first rounds' files (`verdicts-onyx`,
    `verdicts-final-1`), then `roundN` by number (`round19` after `round3`)."""
    return ("round" in path.name, [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)])


def verdicts() -> dict[tuple[str, str, str], list[dict]]:
    """Every verdict by (service, fingerprint, priority), in the order they were given: a gap is
    judged again when its earlier verdict no longer holds (`standing`)."""
    found: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for path in sorted(VERDICTS.glob("verdicts-*.jsonl"), key=_session_order):
        for line in path.read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                found[(row["service"], row["fingerprint"], row["priority"])].append(row)
    return found


_FINGERPRINT = re.compile(r"\b[0-9a-f]{20}\b")
_SITE = re.compile(r"([\w./-]+\.py):(\d+)")


def standing(judged: dict[tuple[str, str, str], list[dict]], all_gaps: list[dict]) -> dict[tuple[str, str, str], dict]:
    """The verdict that holds for each gap in this scan: the latest one given, unless it is a
    "[duplicate]" verdict and the gap it names (by fingerprint, else by file:line) is no longer
    reported; once that one is merged into it or gone, the gap is the first of its cause and is
    judged again on its merits."""
    fingerprints: dict[str, set[str]] = defaultdict(set)
    sites: dict[str, set[str]] = defaultdict(set)
    for gap in all_gaps:
        fingerprints[gap["service"]].add(gap["fingerprint"])
        sites[gap["service"]].add(f"{gap['file'].rsplit('/', 1)[-1]}:{gap['line']}")
    kept = {}
    for key, rows in judged.items():
        row = rows[-1]
        if row["verdict"] == "false" and row["reason"].startswith("[duplicate]"):
            named = _FINGERPRINT.findall(row["reason"])
            if named:
                if not fingerprints[row["service"]] & set(named) - {row["fingerprint"]}:
                    continue
            else:
                named_sites = {f"{f.rsplit('/', 1)[-1]}:{line}" for f, line in _SITE.findall(row["reason"])}
                if not sites[row["service"]] & named_sites - {f"{row['file'].rsplit('/', 1)[-1]}:{row['line']}"}:
                    continue
        kept[key] = row
    return kept


def _draw(gap: dict) -> str:
    """A gap's place in the sample order: a seeded hash of what identifies it, so a scan that
    drops or adds some gaps leaves the others' order (and their verdicts) where they were."""
    return hashlib.sha256(f"{SAMPLE_SEED}|{gap['service']}|{gap['fingerprint']}|{gap['priority']}".encode()).hexdigest()


def sample(all_gaps: list[dict]) -> list[dict]:
    """Every P0; 60 P1/P2 per half, round-robin over categories so each is represented."""
    chosen = [g for g in all_gaps if g["priority"] == "P0"]
    for split in dict.fromkeys(info["split"] for info in services().values()):
        by_category: dict[str, list[dict]] = defaultdict(list)
        for gap in sorted((g for g in all_gaps if g["split"] == split and g["priority"] != "P0"),
                          key=_draw, reverse=True):  # popped from the end: lowest hash first
            by_category[gap["category"]].append(gap)
        picked: list[dict] = []
        while len(picked) < SAMPLE_SIZE and any(by_category.values()):
            for category in sorted(by_category):
                if by_category[category] and len(picked) < SAMPLE_SIZE:
                    picked.append(by_category[category].pop())
        chosen += picked
    return chosen


def worklist(label: str) -> None:
    found = gaps(label)
    judged = standing(verdicts(), found)
    todo = [g for g in sample(found) if (g["service"], g["fingerprint"], g["priority"]) not in judged]
    path = results(label) / "worklist.jsonl"
    path.write_text("".join(json.dumps({k: g[k] for k in ("service", "split", "fingerprint", "rule", "priority",
                                                          "category", "file", "line", "message", "evidence")}) + "\n"
                            for g in todo))
    print(f"{len(todo)} gaps to judge -> {path} ({Counter((g['split'], g['priority']) for g in todo)})")


def score(label: str) -> None:
    found = gaps(label)
    judged = standing(verdicts(), found)
    chosen = sample(found)
    table: dict[tuple[str, str], Counter] = defaultdict(Counter)
    missing = 0
    for gap in chosen:
        verdict = judged.get((gap["service"], gap["fingerprint"], gap["priority"]))
        if verdict is None:
            missing += 1
            continue
        level = "P0" if gap["priority"] == "P0" else "P1/P2"
        for key in ((gap["split"], level), (gap["split"], f"{level} {gap['category']}")):
            table[key][verdict["verdict"]] += 1
    print("| half | gaps | judged | true | precision |\n|---|---|---:|---:|---:|")
    for (split, what), counts in sorted(table.items()):
        total = counts["true"] + counts["false"]
        print(f"| {split} | {what} | {total} | {counts['true']} | {counts['true'] / total:.0%} |")
    if missing:
        print(f"\n{missing} sampled gaps have no verdict yet (run `worklist`)")


if __name__ == "__main__":
    command, label, *rest = sys.argv[1:]
    {"scan": scan, "worklist": worklist, "score": score}[command](label, *rest)
