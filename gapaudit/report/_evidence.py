"""Evidence as readable lines, shared by every human-facing format."""

from __future__ import annotations

from typing import Any


def hop(step: dict[str, Any]) -> str:
    return f"{step.get('function', '?')} ({step.get('file', '?')}:{step.get('line', '?')})"


def chain_text(chain: list[dict[str, Any]]) -> str:
    return " → ".join(hop(step) for step in chain)


def evidence_lines(evidence: dict[str, Any]) -> list[str]:
    """`chain` as an arrow path, lists joined, everything else as `key: value`."""
    lines: list[str] = []
    for key, value in evidence.items():
        if key == "chain" and isinstance(value, list):
            lines.append(f"chain: {chain_text(value)}")
        elif isinstance(value, list):
            lines.append(f"{key}: {', '.join(str(v) for v in value)}")
        else:
            lines.append(f"{key}: {value}")
    return lines
