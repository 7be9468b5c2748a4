"""Every import statement of a module, once, for every analyzer that asks what a file imports."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from enum import Enum

from . import codec
from .walk import Context


class Where(str, Enum):
    """Where an import statement stands: the answer differs by analyzer (a name bound in a
    function is not a module attribute; `if TYPE_CHECKING:` imports still run at module level)."""

    BODY = "body"  # directly in the module's body
    MODULE = "module"  # at module level under if/try/with
    CLASS = "class"
    FUNCTION = "function"


@codec.register
@dataclass(frozen=True, slots=True)
class Import:
    """One imported name: `import a.b` (name None), `from .m import x as y` (level 1, name "x", asname "y")."""

    module: str | None  # None only for `from . import x`
    name: str | None  # None for `import a.b`; "*" for a star import
    asname: str | None
    level: int
    line: int
    where: Where = Where.BODY

    @property
    def bound(self) -> str:
        """The local name the statement binds: `y` for `... as y`, `a` for `import a.b`."""
        if self.asname:
            return self.asname
        if self.name is None:
            return (self.module or "").split(".")[0]
        return self.name

    @property
    def dotted(self) -> str:
        """What the bound name denotes, relative imports keeping their dots: `a.b`, `.m.x`, `..x`."""
        if self.name is None:
            return (self.module or "") if self.asname else (self.module or "").split(".")[0]
        head = "." * self.level + (self.module or "")
        if not self.module:
            return head + self.name
        return f"{head}.{self.name}"

    @property
    def is_module_level(self) -> bool:
        return self.where in (Where.BODY, Where.MODULE)


class ImportCollector:
    """Collects `Import` records during the one walk of a module (see walk.py)."""

    wants = (ast.Import, ast.ImportFrom)

    def __init__(self) -> None:
        self.imports: list[Import] = []

    def enter(self, node: ast.AST, context: Context) -> None:
        where = _where(context)
        if isinstance(node, ast.Import):
            for alias in node.names:
                self.imports.append(Import(alias.name, None, alias.asname, 0, node.lineno, where))
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                self.imports.append(Import(node.module, alias.name, alias.asname, node.level, node.lineno, where))

    def leave(self, node: ast.AST, context: Context) -> None:
        pass


def _where(context: Context) -> Where:
    if isinstance(context.parent, ast.Module):
        return Where.BODY
    scope = context.enclosing(ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
    if scope is None:
        return Where.MODULE
    return Where.CLASS if isinstance(scope, ast.ClassDef) else Where.FUNCTION
