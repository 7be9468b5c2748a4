"""Every environment variable a module reads by name, found once, for every analyzer that asks.

Each analyzer decides which forms count for it (config-drift reads keys the deployment must
provide; infra-skip reads names that say which service production talks to): `EnvRead.how`.
"""

from __future__ import annotations

import ast
import dataclasses
from dataclasses import dataclass
from enum import Enum

from . import codec
from .astutil import source_text
from .ordering import ShallowFirst
from .walk import Context


class How(str, Enum):
    """The form of a read."""

    GETENV = "getenv"  # os.getenv("KEY"[, default])
    GET = "get"  # os.environ.get("KEY"[, default]), env.get("KEY")
    SETDEFAULT = "setdefault"  # os.environ.setdefault("KEY", value): a default the code provides itself
    ENVIRON = "environ"  # os.environ["KEY"]
    DOTENV = "dotenv"  # dotenv_values()["KEY"], or values["KEY"] after values = dotenv_values(...)
    SETTINGS = "settings"  # a field of a pydantic BaseSettings class: its prefix + name, or its alias


@codec.register
@dataclass(frozen=True, slots=True)
class EnvRead:
    key: str
    line: int
    required: bool  # no default: the program fails when the key is missing
    how: How


_GET_CALLS = ("environ.get", "env.get")
_FIELD_ALIASES = ("alias", "validation_alias", "env")
_FIELD_DEFAULTS = ("default", "default_factory")


class EnvReadCollector:
    """Collects `EnvRead`s during the one walk of a module (see walk.py), shallowest first."""

    wants = (ast.Call, ast.Subscript, ast.Assign, ast.ClassDef)

    def __init__(self) -> None:
        # (None, read), or (name, read) for `name["KEY"]`: a read only if `name = dotenv_values(...)`,
        # which the whole module decides (the assignment may come further down)
        self._found: ShallowFirst[tuple[str | None, EnvRead]] = ShallowFirst()
        self._dotenv_names: set[str] = set()

    @property
    def reads(self) -> list[EnvRead]:
        return [read for name, read in self._found if name is None or name in self._dotenv_names]

    def enter(self, node: ast.AST, context: Context) -> None:
        depth = len(context.ancestors)
        if isinstance(node, ast.Call):
            read = _call_read(node)
            if read is not None:
                if read.required and _has_fallback(node, context.parent):
                    read = dataclasses.replace(read, required=False)
                self._found.add((None, read), depth)
        elif isinstance(node, ast.Subscript):
            if isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
                self._subscript(node, node.slice.value, depth)
        elif isinstance(node, ast.Assign):
            if isinstance(node.value, ast.Call) and source_text(node.value.func).endswith("dotenv_values"):
                self._dotenv_names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.ClassDef) and any("BaseSettings" in source_text(b) for b in node.bases):
            for read in _settings_fields(node):
                self._found.add((None, read), depth)

    def leave(self, node: ast.AST, context: Context) -> None:
        pass

    def _subscript(self, node: ast.Subscript, key: str, depth: int) -> None:
        base = node.value
        if isinstance(base, ast.Call):
            if not base.args and not base.keywords and source_text(base.func).endswith("dotenv_values"):
                self._found.add((None, EnvRead(key, node.lineno, True, How.DOTENV)), depth)
        elif isinstance(base, (ast.Name, ast.Attribute)):
            if source_text(base).endswith("environ"):
                self._found.add((None, EnvRead(key, node.lineno, True, How.ENVIRON)), depth)
            elif isinstance(base, ast.Name):
                self._found.add((base.id, EnvRead(key, node.lineno, True, How.DOTENV)), depth)


def _has_fallback(node: ast.AST, parent: ast.AST | None) -> bool:
    """`os.environ.get("K") or "default"`: the code provides the value when the key is missing."""
    return isinstance(parent, ast.BoolOp) and isinstance(parent.op, ast.Or) and parent.values[-1] is not node


def _call_read(node: ast.Call) -> EnvRead | None:
    if not node.args or not isinstance(node.args[0], ast.Constant) or not isinstance(node.args[0].value, str):
        return None
    callee = source_text(node.func)
    if callee.endswith("getenv"):
        how = How.GETENV
    elif callee.endswith(_GET_CALLS):
        how = How.GET
    elif callee.endswith("environ.setdefault"):
        how = How.SETDEFAULT
    else:
        return None
    return EnvRead(node.args[0].value, node.lineno, len(node.args) < 2 and not node.keywords, how)


def _settings_fields(cls: ast.ClassDef) -> list[EnvRead]:
    """pydantic-settings: each field is an environment variable (prefix + name, or its alias)."""
    prefix = ""
    # `model_config = SettingsConfigDict(env_prefix=...)` or `class Config: env_prefix = ...`,
    # the last one breadth first (a local walk of the class only)
    for stmt in ast.walk(cls):
        if isinstance(stmt, ast.keyword) and stmt.arg == "env_prefix" and isinstance(stmt.value, ast.Constant):
            prefix = str(stmt.value.value)
        elif isinstance(stmt, ast.Assign) and any(source_text(t) == "env_prefix" for t in stmt.targets) \
                and isinstance(stmt.value, ast.Constant):
            prefix = str(stmt.value.value)
    fields = []
    for stmt in cls.body:
        if not isinstance(stmt, ast.AnnAssign) or not isinstance(stmt.target, ast.Name) or stmt.target.id == "model_config":
            continue
        name = (prefix + stmt.target.id).upper()
        required = stmt.value is None
        if isinstance(stmt.value, ast.Call) and source_text(stmt.value.func).endswith("Field"):
            args = stmt.value.args
            required = (not args or (isinstance(args[0], ast.Constant) and args[0].value is Ellipsis)) and not any(
                k.arg in _FIELD_DEFAULTS for k in stmt.value.keywords)
            for keyword in stmt.value.keywords:
                if keyword.arg in _FIELD_ALIASES and isinstance(keyword.value, ast.Constant):
                    name = str(keyword.value.value).upper()
        fields.append(EnvRead(name, stmt.lineno, required, How.SETTINGS))
    return fields


#: strings a switch's value is compared with to mean "on"; this is how programs read their own
#: environment (Python semantics), not a catalog a project would extend
_ON_WORDS = frozenset({"true", "1", "yes", "on", "y", "t", "enable", "enabled"})
_NORMALIZERS = frozenset({"lower", "strip", "casefold", "upper"})


def env_switch(value: ast.expr) -> str | None:
    """The environment variable `value` is an opt-in switch on: an expression that is false
    unless that variable is set, as in `os.environ.get("X", "").lower() == "true"`,
    `os.getenv("X") in ("1", "yes")` or `bool(os.getenv("X"))`; else None."""
    if isinstance(value, ast.Compare) and len(value.ops) == 1 and isinstance(value.ops[0], (ast.Eq, ast.In)):
        read = _normalized_read(value.left)
        if read is None:
            return None
        key, default = read
        right = value.comparators[0]
        items = right.elts if isinstance(value.ops[0], ast.In) and isinstance(right, (ast.Tuple, ast.List, ast.Set)) \
            else [right] if isinstance(value.ops[0], ast.Eq) else []
        words = [item.value for item in items if isinstance(item, ast.Constant)]
        if not words or len(words) != len(items) or not all(isinstance(w, str) and w.lower() in _ON_WORDS for w in words):
            return None
        return key if default is None or default.lower() not in {w.lower() for w in words} else None
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "bool" \
            and len(value.args) == 1 and not value.keywords:
        read = _normalized_read(value.args[0])
        return read[0] if read is not None and not read[1] else None
    return None


def _normalized_read(node: ast.expr) -> tuple[str, str | None] | None:
    """(key, default) of `os.environ.get("K", default)` or `os.getenv(...)`, possibly followed by
    `.lower()`, `.strip()`...; the default None when there is none, or when it is not a string."""
    while (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _NORMALIZERS
           and not node.args and not node.keywords):
        node = node.func.value
    if not isinstance(node, ast.Call):
        return None
    read = _call_read(node)
    if read is None or read.how not in (How.GETENV, How.GET) or node.keywords or len(node.args) > 2:
        return None
    if len(node.args) == 1:
        return read.key, None
    default = node.args[1]
    if isinstance(default, ast.Constant) and (default.value is None or isinstance(default.value, str)):
        return read.key, default.value
    return None
