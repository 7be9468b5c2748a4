"""What infrastructure a piece of text names, what production uses, and what CI provides.

Shared by the infra-skip and mocked-infra analyzers; the data is `rules/infra.yml`.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any, Iterable

import yaml

from ...engine.discover import CI, PYTHON, PYTHON_TEST
from ...rules import RuleSet
from ..base import Analyzer
from ...python.astutil import all_nodes, dotted_name

_WORD = re.compile(r"[A-Za-z][a-z]+|[A-Z]+(?![a-z])|\d+")
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]{2,}$")
_CI_ENV = frozenset({"CI", "GITHUB_ACTIONS", "GITLAB_CI", "CIRCLECI", "TRAVIS", "BUILDKITE", "JENKINS_URL", "TF_BUILD"})


def words(text: str) -> set[str]:
    """Lower-case words of identifiers and prose: `HAS_REDIS`, `redisAvailable`, "Redis down"."""
    found = {w.lower() for w in _WORD.findall(text)}
    found.update(part.lower() for part in re.split(r"[^A-Za-z0-9]+", text) if part)
    return found


def signals_of(node: ast.AST | None, extra_text: str = "") -> dict[str, list]:
    """Signals in an expression or statement: words, env var names, caught exceptions, modules, ports.

    Words come from identifiers, attribute names and string constants met on the walk (cheaper
    than unparsing a whole helper function, and the same words)."""
    pieces: list[str] = [extra_text]
    env: set[str] = set()
    modules: set[str] = set()
    ports: set[int] = set()
    exceptions: set[str] = set()
    idents: set[str] = set()  # names to follow to their definitions (flags, probe helpers)
    for sub in ast.walk(node) if node is not None else ():
        if isinstance(sub, ast.Name):
            idents.add(sub.id)
            pieces.append(sub.id)
        elif isinstance(sub, ast.Attribute):
            pieces.append(sub.attr)
            if isinstance(sub.ctx, ast.Load):
                idents.add(sub.attr)
        elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)):
            pieces.append(sub.name)
        elif isinstance(sub, ast.alias):
            pieces.append(sub.name)
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            pieces.append(sub.value)
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and _ENV_NAME.match(sub.value):
            env.add(sub.value)
        elif isinstance(sub, ast.Constant) and isinstance(sub.value, int) and 1 <= sub.value <= 65535:
            ports.add(sub.value)
        elif isinstance(sub, ast.Import):
            modules.update(alias.name for alias in sub.names)
        elif isinstance(sub, ast.ImportFrom) and sub.module and sub.level == 0:
            modules.add(sub.module)
        elif isinstance(sub, ast.ExceptHandler) and sub.type is not None:
            exceptions.update(n.split(".")[-1] for n in re.findall(r"[A-Za-z_][\w.]*", ast.unparse(sub.type)))
    return {"words": sorted(words(" ".join(pieces))), "env": sorted(env), "modules": sorted(modules),
            "ports": sorted(ports), "exceptions": sorted(exceptions), "idents": sorted(idents)}


def merge(*signals: dict[str, list]) -> dict[str, list]:
    merged: dict[str, set] = {}
    for signal in signals:
        for key, values in signal.items():
            merged.setdefault(key, set()).update(values)
    return {key: sorted(values) for key, values in merged.items()}


@dataclass(frozen=True)
class InfraKind:
    name: str
    words: frozenset[str]
    env: tuple[str, ...]
    modules: tuple[str, ...]
    exceptions: frozenset[str]
    ports: frozenset[int]
    images: tuple[str, ...]

    def env_matches(self, name: str) -> bool:
        return any(name.endswith(p) if p.startswith("_") else name.startswith(p) for p in self.env)

    def module_matches(self, module: str) -> bool:
        return any(module == m or module.startswith(m + ".") for m in self.modules)


class InfraCatalog:
    def __init__(self, rules: RuleSet) -> None:
        self.kinds = [
            InfraKind(
                name=name,
                words=frozenset(w.lower() for w in entry.get("words", [])),
                env=tuple(entry.get("env", [])),
                modules=tuple(entry.get("modules", [])),
                exceptions=frozenset(entry.get("exceptions", [])),
                ports=frozenset(entry.get("ports", [])),
                images=tuple(entry.get("images", [])),
            )
            for name, entry in (rules.catalog("infra-kinds") or {}).items()
        ]
        owners: dict[str, set[str]] = {}
        for kind in self.kinds:
            for exception in kind.exceptions:
                owners.setdefault(exception, set()).add(kind.name)
        # an exception only one kind raises is evidence on its own; `ConnectionError` is not
        self._telling_exceptions = {e: next(iter(k)) for e, k in owners.items() if len(k) == 1}
        self.not_infra = frozenset(rules.catalog("not-infra-words") or [])
        self.fakes: dict[str, str] = dict(rules.catalog("infra-fakes") or {})

    def classify(self, signals: dict[str, list]) -> list[str]:
        """The infrastructure kinds named by a skip's signals.

        A caught exception counts only when one kind alone raises it (`ServerSelectionTimeoutError`
        is MongoDB; `ConnectionError` is everyone's).
        """
        telling = {self._telling_exceptions.get(e) for e in signals.get("exceptions", [])}
        return [
            kind.name for kind in self.kinds
            if kind.words & set(signals.get("words", []))
            or any(kind.env_matches(e) for e in signals.get("env", []))
            or any(kind.module_matches(m) for m in signals.get("modules", []))
            or kind.ports & set(signals.get("ports", []))
            or kind.name in telling
        ]

    def kind(self, name: str) -> InfraKind:
        return next(k for k in self.kinds if k.name == name)

    def runs_in_ci_only(self, signals: dict[str, list]) -> bool:
        """`skipif(not os.environ.get("GITHUB_ACTIONS"))`: the test does run where CI runs."""
        return bool(_CI_ENV & set(signals.get("env", [])))

    def kinds_of_images(self, images: Iterable[str]) -> set[str]:
        images = [image.lower() for image in images]
        return {k.name for k in self.kinds for image in images for pattern in k.images if pattern in image}

    def kinds_of_modules(self, modules: Iterable[str]) -> set[str]:
        modules = list(modules)
        return {k.name for k in self.kinds for m in modules if k.module_matches(m)}


# --- CI files ----------------------------------------------------------------------------------


def ci_facts(text: str) -> dict[str, Any]:
    """Service images a CI or compose file starts, and the compose files it mentions."""
    images: list[str] = []
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        data = None

    def walk(node: Any, under_services: bool) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "image" and isinstance(value, str):
                    images.append(value)
                elif key == "services" and isinstance(value, (dict, list)):
                    if isinstance(value, list):  # GitLab: services: ["postgres:15", {name: redis}]
                        images.extend(v if isinstance(v, str) else str(v.get("name", "")) for v in value)
                    walk(value, True)
                else:
                    walk(value, under_services)
        elif isinstance(node, list):
            for item in node:
                walk(item, under_services)

    walk(data, False)
    # tox-docker (`[docker:redis]` / `image = redis:7`) and other INI-style service declarations
    images.extend(re.findall(r"(?m)^\s*image\s*=\s*(\S+)", text))
    compose_mentions = sorted(set(re.findall(r"[\w./-]*(?:docker-)?compose[\w.-]*\.ya?ml", text)))
    starts_compose = bool(re.search(r"docker[ -]compose\b.*\bup\b", text))
    return {"images": images, "compose_mentions": compose_mentions, "starts_compose": starts_compose}


def ci_provided_kinds(catalog: InfraCatalog, ci_files: dict[str, dict[str, Any]], test_modules: Iterable[str]) -> dict[str, str]:
    """Kind -> where CI provides it: workflow service containers, compose files CI starts, testcontainers."""
    provided: dict[str, str] = {}
    workflows = {rel: f for rel, f in ci_files.items() if "compose" not in rel.rsplit("/", 1)[-1]}
    composes = {rel: f for rel, f in ci_files.items() if rel not in workflows}
    mentioned = {m.rsplit("/", 1)[-1] for f in workflows.values() for m in f["compose_mentions"]}
    starts_default = any(f["starts_compose"] for f in workflows.values())
    for rel, facts in workflows.items():
        for kind in catalog.kinds_of_images(facts["images"]):
            provided.setdefault(kind, f"{rel} (service container)")
    for rel, facts in composes.items():
        name = rel.rsplit("/", 1)[-1]
        if name in mentioned or "test" in name or "ci" in name.split(".") or (starts_default and name in (
                "docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml")):
            for kind in catalog.kinds_of_images(facts["images"]):
                provided.setdefault(kind, f"{rel} (compose file CI starts)")
    for module in test_modules:
        if module.startswith("testcontainers."):
            for kind in catalog.kinds_of_images([module.split(".")[1]]):
                provided.setdefault(kind, f"testcontainers ({module})")
    return provided


# --- production usage -----------------------------------------------------------------------------


def production_facts(tree: ast.Module) -> dict[str, Any]:
    """Modules a production file imports, environment variables it reads by name, classes it defines."""
    modules: set[str] = set()
    env: set[str] = set()
    classes: dict[str, int] = {}
    for node in all_nodes(tree):
        if isinstance(node, ast.ClassDef):
            classes.setdefault(node.name, node.lineno)
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = dotted_name(node.func)
            if func.endswith(("getenv", "environ.get", "env.get", "environ.setdefault")):
                if isinstance(node.args[0].value, str):
                    env.add(node.args[0].value)
        elif (isinstance(node, ast.Subscript) and dotted_name(node.value).endswith("environ")
              and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str)):
            env.add(node.slice.value)
    return {"modules": sorted(modules), "env": sorted(env), "classes": classes}


def project_packages(prod: dict[str, Any]) -> set[str]:
    """Top-level names of the scanned project's own code: kombu importing kombu is not a client."""
    return {rel.split("/")[0].removesuffix(".py") for rel in prod} | {
        rel.split("/")[1] for rel in prod if rel.count("/") >= 2 and rel.split("/")[0] in ("src", "lib")}


def production_uses(catalog: InfraCatalog, kind: str, prod: dict[str, dict[str, Any]], env_named: Iterable[str]) -> tuple[str, str] | None:
    """(how, where) production uses this kind: ("direct", "app/cache.py imports redis") or via env."""
    infra = catalog.kind(kind)
    own = project_packages(prod)
    for rel, facts in sorted(prod.items()):
        for module in facts["modules"]:
            if infra.module_matches(module) and module.split(".")[0] not in own:
                return "direct", f"{rel} imports {module}"
    wanted = set(env_named)
    for rel, facts in sorted(prod.items()):
        for name in facts["env"]:
            if name in wanted or (kind != "credentials" and infra.env_matches(name)):
                return "indirect", f"{rel} reads {name}"
    return None


class InfraFacts(Analyzer):
    """The part the infra analyzers share: production usage and CI services per file; each adds
    its own test-file visitor (`test_facts`)."""

    kinds = frozenset({PYTHON, PYTHON_TEST, CI})
    catalogs = ("infra-kinds", "not-infra-words", "infra-fakes")

    def __init__(self, rules: RuleSet) -> None:
        self.catalog = InfraCatalog(rules)

    def file_facts(self, file: Any) -> dict[str, Any]:
        if file.kind == CI:
            return {"ci": ci_facts(file.text)}
        if file.kind == PYTHON:
            return {"prod": file.shared("infra-production", lambda: production_facts(file.tree))}
        return {"test": self.test_facts(file)}

    def test_facts(self, file: Any) -> dict[str, Any]:
        raise NotImplementedError
