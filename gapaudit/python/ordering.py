"""Records met on the one depth-first walk, given back shallowest first."""

from __future__ import annotations

from typing import Generic, Iterator, TypeVar

T = TypeVar("T")


class ShallowFirst(Generic[T]):
    """Records in breadth-first order: the shallowest node's first, then source order.

    Where an analyzer keeps the first of several records (the line a finding points at, which of
    two fixtures of one name wins, the order of the tests a skip silences), a module-level
    statement comes before one nested in a function or class. Among nodes of one depth,
    depth-first order is source order, so (depth, arrival) is the breadth-first order. A `phase`
    puts records of an earlier pass of the old per-analyzer walks first (router assignments
    before the routes that use them).
    """

    __slots__ = ("_items",)

    def __init__(self) -> None:
        self._items: list[tuple[int, int, int, T]] = []

    def add(self, item: T, depth: int, phase: int = 0) -> None:
        """`depth`: how many ancestors the node that produced `item` has (`len(context.ancestors)`)."""
        self._items.append((phase, depth, len(self._items), item))

    def __iter__(self) -> Iterator[T]:
        return (entry[3] for entry in sorted(self._items, key=lambda entry: entry[:3]))

    def __len__(self) -> int:
        return len(self._items)
