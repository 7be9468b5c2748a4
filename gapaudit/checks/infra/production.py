"""What production code says about infrastructure: the client modules it imports, the
environment variables it reads by name, the classes it defines (adapters, for mocked-infra)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterable

from ...python import codec
from ...python.astutil import last_name
from ...python.env import EnvRead, How
from ...python.imports import Import
from ...python.ordering import ShallowFirst
from ...python.walk import Context
from .catalog import InfraCatalog

# The reads that name a service production talks to: a variable the code itself asks the
# process environment for (`os.getenv("REDIS_URL")`, `os.environ.setdefault(...)` too, which
# still names it). Not pydantic settings fields, which declare every option a deployment may set,
# backends off by default included; nor keys of a dotenv file read by the code itself.
_NAMING_READS = frozenset({How.GETENV, How.GET, How.SETDEFAULT, How.ENVIRON})


@codec.register
@dataclass(frozen=True, slots=True)
class ProductionClass:
    name: str
    line: int
    bases: tuple[str, ...] = ()  # last names: `CacheBackend` of `class RedisCache(base.CacheBackend)`


@codec.register
@dataclass(frozen=True, slots=True)
class ProductionFacts:
    modules: tuple[str, ...]  # every module imported, and `module.name` of each absolute `from module import name`
    env: tuple[str, ...]
    classes: tuple[ProductionClass, ...]  # one per name: the shallowest


class ClassCollector:
    """The classes a module defines, shallowest first, during the one walk (see walk.py)."""

    wants = (ast.ClassDef,)

    def __init__(self) -> None:
        self._classes: ShallowFirst[ProductionClass] = ShallowFirst()

    def enter(self, node: ast.AST, context: Context) -> None:
        if isinstance(node, ast.ClassDef):
            bases = tuple(last_name(base) for base in node.bases if isinstance(base, (ast.Name, ast.Attribute)))
            self._classes.add(ProductionClass(node.name, node.lineno, bases), len(context.ancestors))

    def leave(self, node: ast.AST, context: Context) -> None:
        pass

    @property
    def classes(self) -> tuple[ProductionClass, ...]:
        first: dict[str, ProductionClass] = {}
        for cls in self._classes:
            first.setdefault(cls.name, cls)
        return tuple(first.values())


def production_facts(imports: Iterable[Import], reads: Iterable[EnvRead], classes: ClassCollector) -> ProductionFacts:
    modules: set[str] = set()
    for imp in imports:
        if imp.name is None and imp.module:  # import a.b
            modules.add(imp.module)
        elif imp.level == 0 and imp.module:
            modules.update((imp.module, f"{imp.module}.{imp.name}"))
    env = {read.key for read in reads if read.how in _NAMING_READS}
    return ProductionFacts(tuple(sorted(modules)), tuple(sorted(env)), classes.classes)


def project_packages(prod: dict[str, ProductionFacts]) -> set[str]:
    """Top-level names of the scanned project's own code: kombu importing kombu is not a client."""
    return {rel.split("/")[0].removesuffix(".py") for rel in prod} | {
        rel.split("/")[1] for rel in prod if rel.count("/") >= 2 and rel.split("/")[0] in ("src", "lib")}


def production_uses(catalog: InfraCatalog, kind: str, prod: dict[str, ProductionFacts],
                    env_named: Iterable[str]) -> tuple[str, str] | None:
    """(how, where) production uses this kind: ("direct", "app/cache.py imports redis") or via env."""
    infra = catalog.kind(kind)
    own = project_packages(prod)
    for rel, facts in sorted(prod.items()):
        for module in facts.modules:
            if infra.module_matches(module) and module.split(".")[0] not in own:
                return "direct", f"{rel} imports {module}"
    wanted = set(env_named)
    for rel, facts in sorted(prod.items()):
        for name in facts.env:
            if name in wanted or (kind != "credentials" and infra.env_matches(name)):
                return "indirect", f"{rel} reads {name}"
    return None
