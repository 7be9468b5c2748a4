"""No change in any finding: the bundled example and every fixture project give the reports
recorded in bench/snapshots/ (`python bench/snapshot.py record` after a deliberate change)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("snapshot", REPO / "bench" / "snapshot.py")
snapshot = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(snapshot)

TARGETS = {name: path for name, path in snapshot.targets().items() if not name.startswith("corpus-")}


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_report_matches_the_recorded_snapshot(name: str) -> None:
    recorded = json.loads((snapshot.SNAPSHOTS / f"{name}.json").read_text(encoding="utf-8"))
    current = snapshot.digest(snapshot.report_of(TARGETS[name]))
    assert current["summary"] == recorded["summary"]
    assert current["gaps"] == recorded["gaps"]
    assert current["skipped"] == recorded["skipped"]
