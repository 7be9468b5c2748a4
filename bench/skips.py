"""Infra-skip precision and recall: every skip site in each corpus, judged by hand, vs GA201.

    python bench/skips.py

Lists every line of the corpora's test code that skips (`pytest.skip`, `skipif`, `skipIf`,
`skipUnless`, `importorskip`, `skipTest`, `SkipTest`, `mark.skip`), reads the verdicts in
bench/skip_labels.yml (sites that are infrastructure skips; every other site is not one) and
compares with what `gapaudit scan` reports as GA201. Infra skips listed as `ci_provided` (CI
runs those tests) are left out of both counts: reporting one would be a false gap.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

BENCH = Path(__file__).resolve().parent
_SKIP = re.compile(r"pytest\.skip\(|skipif|skipIf|skipUnless|importorskip|skipTest|SkipTest|mark\.skip\(")


def main() -> int:
    labels = yaml.safe_load((BENCH / "skip_labels.yml").read_text())
    print("| corpus | skip sites | infra skips (judged) | GA201 reported | true positives | precision | recall |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, meta in labels.items():
        root = (BENCH / "corpus" / name).resolve()
        if not root.is_dir():
            print(f"| {name} | not checked out | | | | | |")
            continue
        sites = {f"{p.relative_to(root)}:{n}" for p in sorted(root.rglob("*.py")) if "/." not in str(p)
                 for n, line in enumerate(p.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
                 if _SKIP.search(line)}
        done = subprocess.run([sys.executable, "-m", "gapaudit", "scan", str(root), "--no-cache", "--format", "json",
                               "-o", "-", "--fail-on", "never"], capture_output=True, text=True)
        gaps = [g for g in json.loads(done.stdout)["gaps"] if g["rule"] == "GA201"]
        # a skip silencing tests another skip already silences is listed as that gap's other site
        reported = {site for g in gaps for site in (f"{g['file']}:{g['line']}", *g["evidence"].get("also_skipped_at", []))}
        # an infra skip whose tests CI runs is not a gap: counted right when not reported
        infra = set(meta.get("infra") or []) - set(meta.get("ci_provided") or [])
        tp = reported & infra
        print(f"| {name} | {len(sites)} | {len(infra)} | {len(reported)} | {len(tp)} | "
              f"{100 * len(tp) / len(reported):.0f}% | " if reported else f"| {name} | {len(sites)} | {len(infra)} | 0 | 0 | n/a | ",
              end="")
        print(f"{100 * len(tp) / len(infra):.0f}% |" if infra else "n/a |")
        for key in sorted(infra - reported):
            print(f"  missed {name} {key}: {meta.get('notes', {}).get(key, '')}", file=sys.stderr)
        for key in sorted(reported - infra):
            print(f"  false {name} {key}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
