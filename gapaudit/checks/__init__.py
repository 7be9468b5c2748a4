"""Checks: one package per family (blocking, infra, config, routes), each beside its rules/*.yml.

A family package declares its analyzers in `ANALYZERS`; adding a family is one new package."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from typing import TYPE_CHECKING, Any

from ..rules import RuleSet

if TYPE_CHECKING:
    from .base import Analyzer, ParsedFile, ParseError, Project

_BASE = ("Analyzer", "ParseError", "ParsedFile", "Project")


def __getattr__(name: str) -> Any:
    # the analyzers' base classes are imported on first use: the engine's rank step reads a catalog
    # helper of this package (checks.catalogs) on a warm scan that analyzes nothing
    if name not in _BASE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(".base", __name__), name)


@cache
def analyzer_classes() -> tuple[type[Analyzer], ...]:
    """Every family package's analyzers, by their `order`."""
    found = [cls for info in pkgutil.iter_modules(__path__) if info.ispkg
             for cls in importlib.import_module(f"{__name__}.{info.name}").ANALYZERS]
    return tuple(sorted(found, key=lambda cls: cls.order))


def check_catalogs(rules: RuleSet) -> None:
    """Every catalog of the rule files must be one some analyzer reads (its `catalogs`); else one line, exit 2."""
    rules.check_catalogs({name for cls in analyzer_classes() for name in cls.catalogs})


def default_analyzers(rules: RuleSet) -> list[Analyzer]:
    """One of each analyzer, built from rules whose catalogs they all read."""
    check_catalogs(rules)
    return [cls(rules) for cls in analyzer_classes()]


__all__ = ["Analyzer", "ParseError", "ParsedFile", "Project", "analyzer_classes", "check_catalogs",
           "default_analyzers"]
