"""Findings must not change when the engine changes: record every report, then compare.

Usage (from the repository root):

    python bench/snapshot.py record   # write bench/snapshots/<name>.json for every target present
    python bench/snapshot.py check    # exit 1 and show the differences if any report changed

Targets: the bundled example, every project under tests/fixtures/, and every corpus of
bench/corpus.yml checked out under bench/corpus/ (plus bench/corpus/libs when present). A
snapshot holds, per gap, its rule, file, line, priority and a digest of the whole gap (message,
evidence, fix, fingerprint), and per skipped file its reason: nothing of the corpora's code.
The full reports go to bench/results/snapshots/ (not committed) for a closer look.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
SNAPSHOTS = BENCH / "snapshots"
RESULTS = BENCH / "results" / "snapshots"


def targets() -> dict[str, Path]:
    found = {"example": REPO / "examples" / "upload-service"}
    for fixture in sorted((REPO / "tests" / "fixtures").iterdir()):
        if fixture.is_dir():
            found[f"fixture-{fixture.name}"] = fixture
    corpus = BENCH / "corpus"
    if corpus.is_dir():
        for folder in sorted(corpus.iterdir()):
            if folder.is_dir():
                found[f"corpus-{folder.name}"] = folder
    return found


def report_of(path: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "gapaudit", "scan", str(path), "--no-cache", "--format", "json", "-o", "-",
         "--fail-on", "never", "--no-baseline"],
        capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"gapaudit failed on {path}: {done.stderr.strip()}")
    return json.loads(done.stdout)


def digest(report: dict) -> dict:
    def gap_key(gap: dict) -> str:
        return hashlib.sha256(json.dumps(gap, sort_keys=True).encode()).hexdigest()[:16]

    return {
        "summary": report["summary"],
        "gaps": sorted(
            ([g["rule"], g["file"], g["line"], g["priority"], gap_key(g)] for g in report["gaps"]),
            key=lambda row: (row[1], row[2], row[0], row[4]),
        ),
        "skipped": sorted([s["file"], s["reason"]] for s in report["skipped"]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=["record", "check"])
    parser.add_argument("names", nargs="*", help="only these targets")
    args = parser.parse_args()
    SNAPSHOTS.mkdir(exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    changed = 0
    for name, path in targets().items():
        if args.names and name not in args.names:
            continue
        report = report_of(path)
        (RESULTS / f"{name}.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
        current = digest(report)
        file = SNAPSHOTS / f"{name}.json"
        if args.action == "record":
            file.write_text(json.dumps(current, indent=0) + "\n", encoding="utf-8")
            print(f"{name}: recorded {len(current['gaps'])} gaps, {len(current['skipped'])} skipped")
            continue
        if not file.is_file():
            print(f"{name}: no snapshot recorded")
            continue
        before = json.loads(file.read_text(encoding="utf-8"))
        old = {tuple(g) for g in before["gaps"]}
        new = {tuple(g) for g in current["gaps"]}
        skips_same = before["skipped"] == current["skipped"]
        if old == new and skips_same:
            print(f"{name}: same ({len(new)} gaps)")
            continue
        changed += 1
        print(f"{name}: CHANGED: {len(old - new)} gone, {len(new - old)} new"
              + ("" if skips_same else ", skipped files differ"))
        for row in sorted(old - new)[:10]:
            print(f"  - {row}")
        for row in sorted(new - old)[:10]:
            print(f"  + {row}")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
