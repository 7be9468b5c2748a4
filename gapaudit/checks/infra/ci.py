"""What CI provides: service images in workflows, compose files CI starts, tox-docker, testcontainers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

import yaml

from ...python import codec
from .catalog import InfraCatalog


@codec.register
@dataclass(frozen=True, slots=True)
class CIFacts:
    images: tuple[str, ...]  # service images the file starts
    compose_mentions: tuple[str, ...]  # compose files it names
    starts_compose: bool  # `docker compose ... up`


def ci_facts(text: str) -> CIFacts:
    images: list[str] = []
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        data = None

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "image" and isinstance(value, str):
                    images.append(value)
                elif key == "services" and isinstance(value, (dict, list)):
                    if isinstance(value, list):  # GitLab: services: ["postgres:15", {name: redis}]
                        images.extend(v if isinstance(v, str) else str(v.get("name", "")) for v in value)
                    walk(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(data)
    # tox-docker (`[docker:redis]` / `image = redis:7`) and other INI-style service declarations
    images.extend(re.findall(r"(?m)^\s*image\s*=\s*(\S+)", text))
    compose_mentions = sorted(set(re.findall(r"[\w./-]*(?:docker-)?compose[\w.-]*\.ya?ml", text)))
    starts_compose = bool(re.search(r"docker[ -]compose\b.*\bup\b", text))
    return CIFacts(tuple(images), tuple(compose_mentions), starts_compose)


def ci_provided_kinds(catalog: InfraCatalog, ci_files: dict[str, CIFacts], test_modules: Iterable[str]) -> dict[str, str]:
    """Kind -> where CI provides it: workflow service containers, compose files CI starts, testcontainers."""
    provided: dict[str, str] = {}
    workflows = {rel: f for rel, f in ci_files.items() if "compose" not in rel.rsplit("/", 1)[-1]}
    composes = {rel: f for rel, f in ci_files.items() if rel not in workflows}
    mentioned = {m.rsplit("/", 1)[-1] for f in workflows.values() for m in f.compose_mentions}
    starts_default = any(f.starts_compose for f in workflows.values())
    for rel, facts in workflows.items():
        for kind in catalog.kinds_of_images(facts.images):
            provided.setdefault(kind, f"{rel} (service container)")
    for rel, facts in composes.items():
        name = rel.rsplit("/", 1)[-1]
        if name in mentioned or "test" in name or "ci" in name.split(".") or (
                starts_default and name in catalog.compose_defaults):
            for kind in catalog.kinds_of_images(facts.images):
                provided.setdefault(kind, f"{rel} (compose file CI starts)")
    for module in test_modules:
        if module.startswith("testcontainers."):
            for kind in catalog.kinds_of_images([module.split(".")[1]]):
                provided.setdefault(kind, f"testcontainers ({module})")
    return provided
