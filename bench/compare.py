"""gapaudit vs ruff (--select ASYNC) vs flake8-async on the same real services, in one run.

Usage (from the repository root, with `pip install -e '.[bench]'`):

    python bench/compare.py                # every corpus in bench/corpus.yml present under bench/corpus/
    python bench/compare.py --unlabeled    # also list findings that bench/labels.yml does not judge yet

Each corpus is checked out at the commit pinned in bench/corpus.yml into bench/corpus/<name>/
(see docs/benchmarks.md). All three tools get the same files: the Python sources gapaudit
classifies as non-test code. Only the blocking-call rules of ruff and flake8-async count
(ASYNC210-ASYNC251); their other rules (cancellation, trio style) measure something else.

Verdicts live in bench/labels.yml, written by reading each finding's code:
  direct     "file:line": TP|FP            a blocking call written in the async function
  transitive "file:line>blocking_file:line": TP|FP    reached through sync helpers
  missed     the same keys for true cases no tool reports (found with bench/oracle.py)
Recall = found ∩ true / true, where "true" is every TP any tool reported plus the misses.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import yaml

BENCH = Path(__file__).resolve().parent
BLOCKING_CODES = {"ASYNC210", "ASYNC211", "ASYNC212", "ASYNC220", "ASYNC221", "ASYNC222", "ASYNC230",
                  "ASYNC231", "ASYNC232", "ASYNC240", "ASYNC250", "ASYNC251"}


def _timed(cmd: list[str], cwd: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    return time.perf_counter() - started, done.stdout


def _source_files(root: Path) -> list[str]:
    from gapaudit.engine.discover import PYTHON, discover
    from gapaudit.settings import Config

    return [f.rel for f in discover(root, Config()).files if f.kind == PYTHON]


def run_corpus(root: Path) -> dict:
    files = _source_files(root)
    bin_dir = Path(sys.executable).parent
    ruff_s, ruff_out = _timed([str(bin_dir / "ruff"), "check", "--no-cache", "--select", "ASYNC",
                               "--output-format", "json", "--exit-zero", *files], root)
    ruff = {f"{Path(d['filename']).relative_to(root)}:{d['location']['row']}"
            for d in json.loads(ruff_out or "[]") if d["code"] in BLOCKING_CODES}
    f8_s, f8_out = _timed([str(bin_dir / "flake8-async"), *files], root)
    flake8 = {":".join(line.split(":")[:2]) for line in f8_out.splitlines()
              if line.split(": ")[-1].split(" ")[0] in BLOCKING_CODES}
    ga_s, ga_out = _timed([sys.executable, "-m", "gapaudit", "scan", ".", "--no-cache", "--format", "json",
                           "-o", "-", "--fail-on", "never"], root)
    warm = [sys.executable, "-m", "gapaudit", "scan", ".", "--format", "json", "-o", "-", "--fail-on", "never"]
    _timed(warm, root)  # fills .gapaudit_cache
    cached_s, _ = _timed([sys.executable, "-m", "gapaudit", "scan", ".", "--format", "json", "-o", "-",
                          "--fail-on", "never"], root)
    report = json.loads(ga_out)
    direct, transitive, locations = set(), set(), set()
    for gap in report["gaps"]:
        if gap["category"] != "blocking-async":
            continue
        here = f"{gap['file']}:{gap['line']}"
        locations.add(here)
        if len(gap["evidence"]["chain"]) == 2:
            direct.add(here)
        else:
            transitive.add(f"{here}>{gap['evidence']['blocking_at']}")
        # the other sites of the same root cause (one gap per async function and rule)
        # and chains from other async functions to the same blocking call (one gap per blocking call)
        for site in [*gap["evidence"].get("same_function", []), *gap["evidence"].get("also_reached_from", [])]:
            at = site.split(" at ", 1)[1]
            if " (blocking at " in at:
                at, blocking = at.removesuffix(")").split(" (blocking at ")
                transitive.add(f"{at}>{blocking}")
            else:
                direct.add(at)
            locations.add(at)
    lines = sum(len((root / f).read_text(encoding="utf-8", errors="replace").splitlines()) for f in files)
    return {
        "files": len(files), "lines": lines, "skipped": len(report["skipped"]),
        "time": {"ruff": ruff_s, "flake8-async": f8_s, "gapaudit": ga_s, "gapaudit (cached)": cached_s},
        "ruff": ruff, "flake8-async": flake8, "gapaudit": direct, "gapaudit-transitive": transitive,
        "gapaudit-locations": locations,
    }


def _pct(n: int, d: int) -> str:
    return f"{100 * n / d:.0f}% ({n}/{d})" if d else "n/a"


def score(name: str, result: dict, labels: dict) -> tuple[list[str], list[str]]:
    verdicts = {**labels.get("direct", {}), **labels.get("transitive", {})}
    missed = labels.get("missed", {})
    unlabeled = sorted(k for tool in ("ruff", "flake8-async", "gapaudit", "gapaudit-transitive")
                       for k in result[tool] if k not in verdicts)
    true_direct = {k for k, v in labels.get("direct", {}).items() if v == "TP"} | {k for k in missed if ">" not in k}
    # a transitive case is its call site in the async function; which blocking call the chain ends
    # in may change as resolution improves
    site = lambda key: key.split(">")[0]  # noqa: E731
    true_trans = {site(k) for k, v in labels.get("transitive", {}).items() if v == "TP"} | {site(k) for k in missed if ">" in k}
    rows = []
    for tool in ("ruff", "flake8-async", "gapaudit"):
        found = result[tool] | (result["gapaudit-transitive"] if tool == "gapaudit" else set())
        judged = [k for k in found if k in verdicts]
        tp = sum(1 for k in judged if verdicts[k] == "TP")
        # a direct case counts as found when the tool reports that line (gapaudit may report it
        # as the start of a longer chain when the same line also calls a blocking helper)
        direct_hits = len((result["gapaudit-locations"] if tool == "gapaudit" else result[tool]) & true_direct)
        trans_hits = len({site(k) for k in result["gapaudit-transitive"]} & true_trans) if tool == "gapaudit" else 0
        rows.append(
            f"| {name} | {tool} | {len(found)} | {_pct(direct_hits, len(true_direct))} | "
            f"{_pct(trans_hits, len(true_trans))} | {_pct(tp, len(judged))} | {result['time'][tool]:.2f} s |"
        )
    return rows, unlabeled


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--unlabeled", action="store_true")
    args = parser.parse_args()
    corpora = yaml.safe_load((BENCH / "corpus.yml").read_text())
    labels = yaml.safe_load((BENCH / "labels.yml").read_text()) or {}
    print("| corpus | tool | reported | direct recall | transitive recall | precision | time |")
    print("|---|---|---:|---:|---:|---:|---:|")
    notes = []
    for name, meta in corpora.items():
        if name not in labels:
            continue  # a corpus for another benchmark (bench/skips.py)
        root = (BENCH / "corpus" / name).resolve()
        if not root.is_dir():
            notes.append(f"{name}: not checked out at {root} (git clone {meta['url']} && git checkout {meta['commit']})")
            continue
        result = run_corpus(root)
        rows, unlabeled = score(name, result, labels.get(name, {}))
        print("\n".join(rows))
        notes.append(f"{name}: {result['files']} files, {result['lines']:,} lines, gapaudit cached re-run "
                     f"{result['time']['gapaudit (cached)']:.2f} s, {result['skipped']} skipped")
        if args.unlabeled:
            notes.extend(f"  unlabeled {name} {key}" for key in unlabeled)
    print()
    print("\n".join(notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
