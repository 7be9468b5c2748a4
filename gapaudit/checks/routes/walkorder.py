"""The order facts are listed in: the order `ast.walk` meets their nodes, breadth first.

The route table's tie-breaks (the nearest declared routes, the first of two declarations) and
`gapaudit routes`' referenced-by lists have always followed it; the one walk every collector
shares is depth first, so each fact carries a key that puts it back: (depth, position in the
walk), after a phase where one pass used to precede another (router assignments first).
"""

from __future__ import annotations

from operator import itemgetter
from typing import TypeVar

T = TypeVar("T")
Key = tuple[int, ...]


def in_walk_order(found: list[tuple[Key, T]]) -> tuple[T, ...]:
    """The facts sorted by their keys; a stable sort keeps the facts of one node in the order found."""
    return tuple(fact for _, fact in sorted(found, key=itemgetter(0)))
