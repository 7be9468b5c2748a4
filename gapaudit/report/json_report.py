"""The `gapaudit/1` JSON contract."""

from __future__ import annotations

import json

from ..model import Report
from ._renderer import renderer


@renderer("json", file_name="gapaudit.json", order=40)
def render(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2) + "\n"
