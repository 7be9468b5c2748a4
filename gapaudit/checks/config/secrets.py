"""Secrets in configuration: which keys name one, which values are shaped like one, how a value is
shown without it, and how two values are compared without keeping either.

The words and shapes are data: `secret-keys` and `token-shapes` of the `config-drift` catalog
(rules/config-drift.yml). A token shape is recognised anywhere in a value (a list item, a URL, a
multi-line value) and in a key's own name (compose `environment:` items without `=`, a YAML key).
A shape with a `(?P<secret>...)` group (a URL's password) hides only that group.

Nothing here is cached: a scan stores value kinds (files.py), never a value of a secret-named
key nor a digest of any value. `gapaudit config-diff` compares values within one process, with
an HMAC keyed by a random key made for that process and never written anywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from functools import lru_cache
from itertools import pairwise

from ..catalogs import Entry

HIDDEN = "***"
# Values shown by `config-diff` are cut to this many characters.
_SHOWN_LENGTH = 80
# A run of token characters with 16 letters and digits or more, mixed as randomly generated text
# mixes them (letter/digit and lower/upper case alternate in 30% of neighbouring characters or
# more), or 20 hex digits, looks random: keys, hashes, passwords. It is hidden in a shown value
# and in a key's name even though no known shape matched it. Words and version numbers
# (`myservice-v2-production-01`, `python3.11-slim`) alternate far less; a UUID is hidden, which
# costs nothing.
_RUN = re.compile(r"[A-Za-z0-9+/=_-]{16,}")
_RANDOM_MIX = 0.3


@lru_cache(maxsize=1)
def _process_key() -> bytes:
    """A random key for this process only: digests made with it mean nothing outside it."""
    return secrets.token_bytes(32)


def digest(value: str) -> str:
    """Equal values give equal digests within this process; nothing else can be learnt from one."""
    return hmac.new(_process_key(), value.encode("utf-8", "surrogateescape"), hashlib.sha256).hexdigest()


class Secrets:
    """The `secret-keys` words and `token-shapes` patterns of the config-drift catalog."""

    def __init__(self, catalog: dict[str, Entry]) -> None:
        self.words = tuple(word.upper() for word in catalog["secret-keys"].names())
        self.shapes = {name: entry.pattern() for name, entry in catalog["token-shapes"].mapping().items()}

    def is_secret_key(self, key: str) -> bool:
        upper = key.upper().replace("-", "_").replace(".", "_")
        return any(word in upper for word in self.words)

    def tokens(self, text: str) -> list[tuple[str, str]]:
        """(shape, the secret part) of every shape found in `text`, first shape first."""
        found = []
        for name, shape in self.shapes.items():
            for match in shape.finditer(text):
                part = match.group("secret") if "secret" in shape.groupindex else match.group(0)
                if part:
                    found.append((name, part))
        return found

    def token(self, text: str) -> str | None:
        """The first shape of a whole token (no `secret` group) found in `text`."""
        return next((name for name, shape in self.shapes.items()
                     if "secret" not in shape.groupindex and shape.search(text)), None)

    def parts(self, text: str) -> list[tuple[str, str]]:
        """(shape, part) of the shapes with a `secret` group found in `text`: a URL's password."""
        return [(name, part) for name, part in self.tokens(text) if "secret" in self.shapes[name].groupindex]

    def key_name(self, key: str) -> tuple[str, str | None]:
        """A key with every token in its name replaced by `<shape>` (a random-looking run by
        `<random>`), and the first shape found ("random-looking" for a run)."""
        found = self.tokens(key)
        if found:
            return self.redact(key, mark=True), found[0][0]
        if any(random_looking(run) for run in _RUN.findall(key)):
            return self.redact(key, mark=True), "random-looking"
        return key, None

    def redact(self, text: str, mark: bool = False) -> str:
        """`text` with every token (or a shape's `secret` group) replaced by *** (by `<shape>` with
        `mark`), and every random-looking run of token characters by ***."""
        spans: list[tuple[int, int, str]] = []
        for name, shape in self.shapes.items():
            for match in shape.finditer(text):
                group = "secret" if "secret" in shape.groupindex else 0
                if match.end(group) > match.start(group):
                    spans.append((match.start(group), match.end(group), f"<{name}>" if mark else HIDDEN))
        for match in _RUN.finditer(text):
            if random_looking(match.group(0)):
                spans.append((match.start(), match.end(), "<random>" if mark else HIDDEN))
        out, at = [], 0
        for start, end, replacement in sorted(spans, key=lambda span: (span[0], span[0] - span[1])):  # widest first
            if end <= at:
                continue
            out.append(text[at:max(start, at)])
            if start >= at:
                out.append(replacement)
            at = end
        out.append(text[at:])
        return "".join(out)

    def shown(self, text: str) -> str:
        """A non-secret value as `config-diff` prints it: tokens hidden, quoted and escaped (no
        control character, no non-ASCII reaches the terminal), cut when long."""
        redacted = self.redact(text)
        quoted = json.dumps(redacted)  # ASCII only: escapes, bidi overrides, ANSI codes
        return quoted if len(quoted) <= _SHOWN_LENGTH else quoted[: _SHOWN_LENGTH - 4] + '..."'


def _class(char: str) -> int:
    return 0 if char.isdigit() else 1 if char.islower() else 2


def random_looking(run: str) -> bool:
    """See _RUN."""
    text = re.sub(r"[^A-Za-z0-9]", "", run)
    if len(text) < 16 or text.isdigit() or text.isalpha():
        return False
    if len(text) >= 20 and re.fullmatch(r"[0-9a-f]+|[0-9A-F]+", text):
        return True
    mixed = sum(_class(a) != _class(b) for a, b in pairwise(text))
    return mixed >= _RANDOM_MIX * (len(text) - 1)
