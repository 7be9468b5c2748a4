"""The analyzers' catalogs (rules/*.yml), read with their shape checked when they are loaded.

A project adds entries in its own files (`rule-paths`), so an entry of the wrong shape is a
configuration error: one line naming the catalog, its files and the entry (exit 2), never a
KeyError or TypeError in the middle of a scan.
"""

from __future__ import annotations

import re
from typing import Any, Collection, Iterable

from ..errors import GapauditError
from ..rules import RuleSet


class Entry:
    """A catalog, or a value inside one at `path` (`security-toggles[2].unsafe`)."""

    def __init__(self, rules: RuleSet, catalog: str, value: Any, path: str = "") -> None:
        self.rules = rules
        self.catalog = catalog
        self.value = value
        self.path = path

    @classmethod
    def of(cls, rules: RuleSet, catalog: str) -> Entry:
        """A whole catalog; one no rule file defines reads as empty."""
        return cls(rules, catalog, rules.catalogs.get(catalog))

    def error(self, problem: str) -> GapauditError:
        return self.rules.catalog_error(self.catalog, f"{self.path}: {problem}" if self.path else problem)

    def items(self) -> list[Entry]:
        """A list of entries."""
        if self.value is None:
            return []
        if not isinstance(self.value, list):
            raise self.error(f"expected a list, got {_shown(self.value)}")
        return [Entry(self.rules, self.catalog, item, f"{self.path}[{i}]") for i, item in enumerate(self.value)]

    def strings(self) -> tuple[str, ...]:
        """A list of names, words or prefixes."""
        return tuple(item.string() for item in self.items())

    def integers(self) -> tuple[int, ...]:
        return tuple(item.integer() for item in self.items())

    def patterns(self, flags: int = 0) -> tuple[re.Pattern[str], ...]:
        """A list of regular expressions."""
        return tuple(item.pattern(flags) for item in self.items())

    def string(self) -> str:
        if not isinstance(self.value, str):
            raise self.error(f"expected a string, got {_shown(self.value)}")
        return self.value

    def name(self) -> str:
        """A non-empty string: a name, a word, a key."""
        if not self.string():
            raise self.error("expected a non-empty string, got ''")
        return self.value

    def names(self) -> tuple[str, ...]:
        """A list of non-empty strings."""
        return tuple(item.name() for item in self.items())

    def flag(self) -> bool:
        """true or false; an absent optional field reads as false."""
        if self.value is None:
            return False
        if not isinstance(self.value, bool):
            raise self.error(f"expected true or false, got {_shown(self.value)}")
        return self.value

    def integer(self) -> int:
        if type(self.value) is not int:  # not a bool either
            raise self.error(f"expected an integer, got {_shown(self.value)}")
        return self.value

    def pattern(self, flags: int = 0) -> re.Pattern[str]:
        try:
            return re.compile(self.string(), flags)
        except re.error as exc:
            raise self.error(f"{self.value!r} is not a regular expression: {exc}") from None

    def one_of(self, names: Collection[str], what: str) -> str:
        """A name from a known set (an infrastructure kind, ...)."""
        if self.string() not in names:
            raise self.error(f"unknown {what} {self.value!r} (known: {', '.join(sorted(names))})")
        return self.value

    def mapping(self) -> dict[str, Entry]:
        """Name -> entry."""
        if self.value is None:
            return {}
        if not isinstance(self.value, dict):
            raise self.error(f"expected a mapping, got {_shown(self.value)}")
        for key in self.value:
            if not isinstance(key, str):
                raise self.error(f"key {key!r} is not a name")
        return {key: Entry(self.rules, self.catalog, value, self._at(key)) for key, value in self.value.items()}

    def _at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def fields(self, required: Iterable[str] = (), optional: Iterable[str] = ()) -> dict[str, Entry]:
        """A mapping with these keys only, each of them in the result (an absent optional one reads
        as empty): a missing required key is an error, and so is an unknown one (a typo)."""
        required, optional = tuple(required), tuple(optional)
        found = self.mapping()
        missing = [key for key in required if key not in found]
        if missing:
            raise self.error(f"lacks {', '.join(missing)}")
        unknown = sorted(set(found) - set(required) - set(optional))
        if unknown:
            raise self.error(f"unknown key {unknown[0]!r} (expected {', '.join([*required, *optional])})")
        return {key: found.get(key) or Entry(self.rules, self.catalog, None, self._at(key)) for key in (*required, *optional)}


def _shown(value: Any) -> str:
    if value is None:
        return "nothing"
    return f"a {type(value).__name__}" if isinstance(value, (dict, list)) else repr(value)
