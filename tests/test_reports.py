"""Every format parsed, not grepped: JSON against the contract, SARIF 2.1.0 structure, HTML, Markdown."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest
from conftest import ROOT, run_cli

SCHEMA = json.loads((ROOT / "docs" / "report-schema.json").read_text())


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The bundled example scanned once; all five formats written to reports/."""
    import shutil

    target = tmp_path_factory.mktemp("reports") / "upload-service"
    shutil.copytree(ROOT / "examples" / "upload-service", target)
    done = run_cli("scan", str(target), "--no-cache")
    assert done.returncode == 1, done.stderr
    return target / "reports", json.loads((target / "reports" / "gapaudit.json").read_text())


def test_all_five_formats_are_written(written):
    out, _ = written
    assert sorted(p.name for p in out.iterdir()) == [
        "gapaudit.html", "gapaudit.json", "gapaudit.md", "gapaudit.sarif", "gapaudit.txt",
    ]


def test_json_follows_the_contract(written):
    _, report = written
    jsonschema.validate(report, SCHEMA)
    assert report["summary"]["P0"] == sum(1 for g in report["gaps"] if g["priority"] == "P0") > 0
    priorities = [g["priority"] for g in report["gaps"]]
    assert priorities == sorted(priorities)
    assert all(not Path(g["file"]).is_absolute() for g in report["gaps"])


# The parts of SARIF 2.1.0 that GitHub code scanning requires, as a JSON Schema.
SARIF_SUBSET = {
    "type": "object",
    "required": ["version", "runs", "$schema"],
    "properties": {
        "version": {"const": "2.1.0"},
        "runs": {"type": "array", "minItems": 1, "items": {
            "type": "object",
            "required": ["tool", "results"],
            "properties": {
                "tool": {"type": "object", "required": ["driver"], "properties": {"driver": {
                    "type": "object", "required": ["name", "rules"],
                    "properties": {"rules": {"type": "array", "items": {
                        "type": "object",
                        "required": ["id", "shortDescription", "fullDescription", "help", "defaultConfiguration"],
                        "properties": {
                            "shortDescription": {"type": "object", "required": ["text"]},
                            "help": {"type": "object", "required": ["text", "markdown"]},
                            "defaultConfiguration": {"properties": {"level": {"enum": ["error", "warning", "note"]}}},
                        },
                    }}},
                }}},
                "results": {"type": "array", "items": {
                    "type": "object",
                    "required": ["ruleId", "level", "message", "locations", "partialFingerprints"],
                    "properties": {
                        "level": {"enum": ["error", "warning", "note"]},
                        "message": {"type": "object", "required": ["text"]},
                        "partialFingerprints": {"type": "object", "minProperties": 1,
                                                "additionalProperties": {"type": "string"}},
                        "locations": {"type": "array", "minItems": 1, "items": {
                            "type": "object", "required": ["physicalLocation"],
                            "properties": {"physicalLocation": {
                                "type": "object", "required": ["artifactLocation", "region"],
                                "properties": {
                                    "artifactLocation": {"type": "object", "required": ["uri"]},
                                    "region": {"type": "object", "required": ["startLine"],
                                               "properties": {"startLine": {"type": "integer", "minimum": 1}}},
                                },
                            }},
                        }},
                    },
                }},
            },
        }},
    },
}


def test_sarif_is_valid_for_code_scanning(written):
    out, report = written
    sarif = json.loads((out / "gapaudit.sarif").read_text())
    jsonschema.validate(sarif, SARIF_SUBSET)
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert len(run["results"]) == len(report["gaps"])
    for result, gap in zip(run["results"], report["gaps"]):
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == gap["rule"]
        assert result["partialFingerprints"]["gapaudit/v1"] == gap["fingerprint"]
        assert result["level"] == {"P0": "error", "P1": "warning", "P2": "note"}[gap["priority"]]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == gap["file"]
        assert location["region"]["startLine"] == gap["line"]


def test_sarif_with_no_gaps_has_an_empty_results_array(project):
    root = project("clean")
    done = run_cli("scan", str(root), "--no-cache", "--format", "sarif", "-o", "-")
    assert done.returncode == 0, done.stderr
    sarif = json.loads(done.stdout)
    jsonschema.validate(sarif, SARIF_SUBSET)
    assert sarif["runs"][0]["results"] == []


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in ("meta", "input", "br", "link", "img"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def test_html_is_self_contained_with_chart_filters_and_gaps(written):
    out, report = written
    page = _Html()
    page.feed((out / "gapaudit.html").read_text())
    page.close()
    assert page.stack == []  # every element closed in order
    tags = page.tags
    assert not [a for t, a in tags if t in ("link", "img", "iframe") or (t == "script" and a.get("src"))]
    assert [t for t, _ in tags].count("svg") == 1
    bars = [a for t, a in tags if t == "rect" and a.get("class", "").startswith("seg-")]
    assert bars, "the chart has bars"
    boxes = [a["value"] for t, a in tags if t == "input" and a.get("class") == "f-priority"]
    assert boxes == ["P0", "P1", "P2"]
    options = [a["value"] for t, a in tags if t == "option"]
    assert set(options) == {""} | {g["category"] for g in report["gaps"]}
    cards = [a for t, a in tags if t == "article"]
    assert [(c["data-priority"], c["id"]) for c in cards] == [(g["priority"], f"gap-{g['fingerprint']}") for g in report["gaps"]]
    text = "".join(page.text)
    for gap in report["gaps"]:
        assert gap["message"] in text and gap["fix"].replace("`", "") in text
    assert any(t == "span" and a.get("class") == "hit" for t, a in tags), "code context highlights the gap line"


def test_markdown_has_a_summary_table_and_every_gap(written):
    out, report = written
    markdown = (out / "gapaudit.md").read_text()
    rows = [line for line in markdown.splitlines() if line.startswith("|")]
    assert rows[0] == "| Priority | Gaps |" and set(rows[1]) <= set("|-: ")
    counts = {r.split("|")[1].strip().split()[-1]: int(r.split("|")[2]) for r in rows[2:7]}
    assert counts == report["summary"]
    for gap in report["gaps"]:
        assert f"**`{gap['file']}:{gap['line']}`** · `{gap['rule']}`" in markdown
    assert markdown.count("<details>") == markdown.count("</details>") >= len(report["gaps"])


def test_terminal_output_is_clickable_and_ends_with_a_summary(written):
    out, report = written
    lines = (out / "gapaudit.txt").read_text().splitlines()
    assert "\x1b[" not in "".join(lines)  # no colour outside a terminal
    gap_lines = [line for line in lines if re.match(r"^\S+:\d+: GA\d{3} \[P\d\] ", line)]
    assert [line.split(" ")[0] for line in gap_lines] == [f"{g['file']}:{g['line']}:" for g in report["gaps"]]
    p = report["summary"]
    assert lines[-1].startswith(f"Found {len(report['gaps'])} gaps ({p['P0']} P0, {p['P1']} P1")
