"""Text from the scanned repository made safe to print: file names, keys, strings and messages
can hold ESC/CSI sequences, OSC 8 hyperlinks, carriage returns or newlines that would rewrite a
terminal, a CI log or a report line. Every control character (C0, DEL, C1) and every bidirectional
override is shown as a visible escape (`\\x1b`, `\\n`, `\\u202e`), so one finding is one line and
what is shown is what is there."""

from __future__ import annotations

import re

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` with every control and bidi-override character visibly escaped."""
    return _UNSAFE.sub(_escape, text) if _UNSAFE.search(text) else text


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}.get(code) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
