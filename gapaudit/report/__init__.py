"""Report writers: each public module of this package declares one format with `@renderer`."""

from __future__ import annotations

import importlib
import pkgutil

from ..model import Report
from ._renderer import Renderer, renderer


def _discover() -> dict[str, Renderer]:
    """Every renderer declared by a module of this package, by its order key."""
    found: dict[str, Renderer] = {}
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name.startswith("_"):  # helpers, not formats
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for value in vars(module).values():
            if isinstance(value, Renderer) and found.setdefault(value.name, value) is not value:
                raise RuntimeError(f"two renderers declare the format {value.name!r}")
    return {r.name: r for r in sorted(found.values(), key=lambda r: r.order)}


RENDERERS = _discover()
FORMATS = tuple(RENDERERS)


def render(report: Report, fmt: str) -> str:
    return RENDERERS[fmt](report)


__all__ = ["FORMATS", "RENDERERS", "Renderer", "render", "renderer"]
