"""The one YAML loader of gapaudit: `yaml.safe_load` with bounded work, for files from the scanned
repository (hostile input: gapaudit runs on pull requests from forks).

A YAML document can be tiny and still expand to an enormous structure: anchors that reference
anchors ("billion laughs", `a: &a [x, x]` / `b: &b [*a, *a]` / ...) or merge keys (`<<: [*a, *a]`)
grow exponentially. PyYAML builds every alias as a reference to one shared object, but whatever
walks the result (flattening keys, classifying values, `str()`) does the expanded work, and merge
keys copy the pairs themselves. libyaml's composer also recurses in C on nested collections: a
file of 100,000 `[` crashes the interpreter.

So `load` first reads the event stream (libyaml's parser is a state machine, no recursion) and
counts the document as the constructed tree would hold it: every alias counts its anchor's whole
expanded subtree, each time it is referenced (a size remembered per anchor, so counting is
linear in the text). It stops at the first event past a bound, never building anything; only a
document within every bound is composed and constructed, with libyaml when present.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    MappingEndEvent,
    ScalarEvent,
    SequenceEndEvent,
)

__all__ = ["MAX_DEPTH", "MAX_NODES", "MAX_SCALAR_CHARS", "YAMLLimitError", "load"]

#: Nodes (scalars, sequences, mappings) after expanding aliases. Without aliases a document has at
#: most about one node per character (`[1,1,1]`: 2 characters a node), so a file within the default
#: max-file-size (1 MB) never reaches a million nodes, and a file longer than that is allowed one
#: node per character (its own size, never an expansion of it). A legitimate 60,000-key config is
#: ~120,000 nodes; alias bombs exceed the bound by orders of magnitude after a few levels. A
#: million small nodes construct in about a second.
MAX_NODES = 1_000_000
#: Characters of scalars after expanding aliases (an alias of a long string counts its length
#: each time): what flattening and classifying values costs. Same reasoning: a document without
#: aliases holds fewer scalar characters than it has characters.
MAX_SCALAR_CHARS = 10_000_000
#: Nested collections. Real configuration nests a few levels (Kubernetes, CI: under 20); the
#: composer, the constructor and the readers of the result all recurse per level.
MAX_DEPTH = 200

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is 5x faster when present


class YAMLLimitError(yaml.YAMLError):
    """The document is beyond a bound of `load` (expanded size, nesting, a recursive alias)."""


class YAMLValueError(yaml.YAMLError):
    """A scalar the safe constructor cannot turn into a value (`2024-02-31`, a 5,000-digit int)."""


def load(text: str) -> Any:
    """`yaml.safe_load(text)` within the bounds above; any failure is a `yaml.YAMLError`
    (`YAMLLimitError` when the document is beyond a bound), never a RecursionError or ValueError."""
    check(text)
    loader = _LOADER(text)
    try:
        return loader.get_single_data()
    except RecursionError:  # pragma: no cover - the depth bound keeps well within the recursion limit
        raise YAMLLimitError(f"nested more than {MAX_DEPTH} levels deep") from None
    except (ValueError, TypeError, OverflowError) as exc:  # int(), datetime() of a scalar
        raise YAMLValueError(f"cannot construct a value: {exc}") from None
    finally:
        loader.dispose()


def check(text: str) -> None:
    """Raise `YAMLLimitError` if `text` is beyond a bound, reading only its events; a syntax error
    raises the parser's own `yaml.YAMLError`."""
    max_nodes = max(MAX_NODES, len(text))
    max_chars = max(MAX_SCALAR_CHARS, len(text))
    nodes = chars = 0
    sizes: dict[str, tuple[int, int]] = {}  # anchor -> (nodes, characters) of its expanded subtree
    open_: list[tuple[str | None, int, int]] = []  # the collections being read: (anchor, nodes, chars) at start
    open_anchors: set[str] = set()
    loader = _LOADER(text)
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, ScalarEvent):
                nodes += 1
                chars += len(event.value)
                if event.anchor is not None:
                    sizes[event.anchor] = (1, len(event.value))
            elif isinstance(event, AliasEvent):
                if event.anchor in open_anchors:
                    raise YAMLLimitError(f"recursive alias *{event.anchor} (line {event.start_mark.line + 1})")
                size = sizes.get(event.anchor)
                if size is None:
                    break  # undefined: the composer reports it
                nodes += size[0]
                chars += size[1]
            elif isinstance(event, CollectionStartEvent):
                if len(open_) >= MAX_DEPTH:
                    raise YAMLLimitError(f"nested more than {MAX_DEPTH} levels deep (line {event.start_mark.line + 1})")
                nodes += 1
                open_.append((event.anchor, nodes - 1, chars))
                if event.anchor is not None:
                    open_anchors.add(event.anchor)
            elif isinstance(event, (SequenceEndEvent, MappingEndEvent)):
                anchor, nodes_before, chars_before = open_.pop()
                if anchor is not None:
                    open_anchors.discard(anchor)
                    sizes[anchor] = (nodes - nodes_before, chars - chars_before)
            elif isinstance(event, DocumentStartEvent):
                sizes.clear()  # anchors are per document
                continue
            else:
                continue
            if nodes > max_nodes:
                raise YAMLLimitError(f"more than {max_nodes:,} nodes after expanding aliases "
                                     f"(line {event.start_mark.line + 1})")
            if chars > max_chars:
                raise YAMLLimitError(f"more than {max_chars:,} characters of scalars after expanding aliases "
                                     f"(line {event.start_mark.line + 1})")
    finally:
        loader.dispose()
