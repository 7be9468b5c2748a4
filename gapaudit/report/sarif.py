"""SARIF 2.1.0 for GitHub code scanning and other SARIF viewers."""

from __future__ import annotations

import json
from typing import Any

from .._version import __version__
from ..model import Report
from ..rules import Rule
from ._evidence import evidence_lines
from ._renderer import renderer

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"P0": "error", "P1": "warning", "P2": "note"}
# GitHub orders alerts by security-severity (0-10); P0 maps to "high".
_SEVERITY = {"P0": "8.0", "P1": "5.0", "P2": "2.0"}


def _rule(rule: Rule) -> dict[str, Any]:
    help_md = (
        f"**Why:** {rule.why.strip()}\n\n**Fix:** {rule.fix.strip()}\n\n"
        f"Example:\n```python\n{rule.bad.rstrip()}\n```\nUse instead:\n```python\n{rule.good.rstrip()}\n```"
    )
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.why.strip()},
        "help": {"text": f"{rule.why.strip()}\nFix: {rule.fix.strip()}", "markdown": help_md},
        "defaultConfiguration": {"level": _LEVEL[rule.priority]},
        "properties": {"tags": [rule.category], "priority": rule.priority, "security-severity": _SEVERITY[rule.priority]},
    }


def _location(file: str, line: Any) -> dict[str, Any]:
    start = line if isinstance(line, int) and line >= 1 else 1
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": file, "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": start},
        }
    }


@renderer("sarif", file_name="gapaudit.sarif", order=50)
def render(report: Report) -> str:
    rules = list(report.rules.rules.values())
    index = {rule.id: i for i, rule in enumerate(rules)}
    results = []
    for gap in report.gaps:
        result: dict[str, Any] = {
            "ruleId": gap.rule,
            "ruleIndex": index[gap.rule],
            "level": _LEVEL[gap.priority],
            "message": {"text": "\n".join([gap.message, *evidence_lines(gap.evidence)])},
            "locations": [_location(gap.file, gap.line)],
            "partialFingerprints": {"gapaudit/v1": gap.fingerprint},
            "properties": {"priority": gap.priority, "category": gap.category},
        }
        chain = gap.evidence.get("chain")
        if isinstance(chain, list):
            related = []
            for i, step in enumerate(chain):
                location = _location(step.get("file", gap.file), step.get("line"))
                location["id"] = i
                location["message"] = {"text": str(step.get("function", ""))}
                related.append(location)
            result["relatedLocations"] = related
        results.append(result)
    sarif = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "gapaudit",
                "version": __version__,
                "rules": [_rule(rule) for rule in rules],
            }},
            "results": results,
            "invocations": [{
                "executionSuccessful": True,
                "toolExecutionNotifications": [
                    {"level": "warning", "message": {"text": f"skipped {s.file}: {s.reason}"}} for s in report.skipped
                ],
            }],
        }],
    }
    return json.dumps(sarif, indent=2) + "\n"
