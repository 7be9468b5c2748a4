"""What a report format declares about itself; `report/__init__.py` collects the declarations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..model import Report

RenderFunction = Callable[[Report], str]


@dataclass(frozen=True)
class Renderer:
    name: str  # the --format value and the `format` config key's value
    file_name: str  # the file written under --output-dir
    order: int  # place among the formats: the default list, --help and the docs follow it
    function: RenderFunction

    def __call__(self, report: Report) -> str:
        return self.function(report)


def renderer(name: str, *, file_name: str, order: int) -> Callable[[RenderFunction], Renderer]:
    """Declare the decorated function as the renderer of format `name`: adding a format is one new module."""

    def declare(function: RenderFunction) -> Renderer:
        return Renderer(name=name, file_name=file_name, order=order, function=function)

    return declare
