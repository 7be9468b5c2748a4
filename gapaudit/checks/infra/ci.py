"""What CI provides: service images in workflows, compose files CI starts, tox-docker, testcontainers."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any, Iterable

from ...python import codec
from ..base import ParseError
from .catalog import InfraCatalog

# `^\s*image` would let `\s*` run over blank lines from every line start: quadratic on a file of
# blank lines. The match is the same from the last line start, so the indent stops at the line's end.
_INI_IMAGE = re.compile(r"(?m)^[^\S\n]*image\s*=\s*(\S+)")
_PATH_RUN = re.compile(r"[\w./-]+")
_COMPOSE_COMMAND = re.compile(r"docker[ -]compose\b")
_UP = re.compile(r"\bup\b")
# a step that runs the docker CLI: its job has a Docker daemon (GitHub's and GitLab's docker runners)
_DOCKER_COMMAND = re.compile(r"\bdocker[^\S\n]+(?:run|build|exec|pull|start)\b")


@codec.register
@dataclass(frozen=True, slots=True)
class CIFacts:
    images: tuple[str, ...]  # service images the file starts
    compose_mentions: tuple[str, ...]  # compose files it names
    starts_compose: bool  # `docker compose ... up`
    #: environment variables it sets for the tests: the workflow's, and those of each job or step
    #: that runs a test command (`env:` in GitHub Actions, `variables:` in GitLab CI)
    env: tuple[str, ...] = ()
    runs_docker: bool = False  # `docker run`, `docker build`, `docker compose up`, ...: Docker is there


def ci_facts(text: str, test_command: re.Pattern[str]) -> CIFacts:
    """Raises ParseError for YAML beyond yamlsafe's bounds (an alias bomb); YAML that does not parse
    (a Dockerfile, tox.ini, a templated workflow) leaves only what the text itself says."""
    import yaml  # here: an incremental scan that re-reads only Python files never loads PyYAML

    from ... import yamlsafe

    images: list[str] = []
    try:
        data = yamlsafe.load(text)
    except yamlsafe.YAMLLimitError as exc:
        raise ParseError(f"YAML: {exc}", limit=True) from None
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
    images.extend(_INI_IMAGE.findall(text))
    compose_mentions = sorted(set(_compose_mentions(text)))
    env = _test_env(data, test_command) if isinstance(data, dict) else set()
    starts_compose = _starts_compose(text)
    return CIFacts(tuple(images), tuple(compose_mentions), starts_compose, tuple(sorted(env)),
                   starts_compose or _DOCKER_COMMAND.search(text) is not None)


def _test_env(workflow: dict[Any, Any], test_command: re.Pattern[str]) -> set[str]:
    """The environment variables a workflow sets where it runs tests (see CIFacts.env)."""
    found: set[str] = set()
    testing = False
    jobs = workflow.get("jobs") if isinstance(workflow.get("jobs"), dict) else {
        name: job for name, job in workflow.items() if isinstance(job, dict) and "script" in job}  # GitLab
    for job in jobs.values():
        if not isinstance(job, dict):
            continue
        steps = job.get("steps") if isinstance(job.get("steps"), list) else [job]
        runs = [step for step in steps if isinstance(step, dict) and test_command.search(_commands(step))]
        if runs:
            testing = True
            found |= _names(job.get("env")) | _names(job.get("variables"))
            for step in runs:
                if step is not job:
                    found |= _names(step.get("env"))
    if testing:
        found |= _names(workflow.get("env")) | _names(workflow.get("variables"))
    return found


def _commands(step: dict[Any, Any]) -> str:
    script = step.get("run", step.get("script", ""))
    return "\n".join(map(str, script)) if isinstance(script, list) else str(script)


def _names(mapping: Any) -> set[str]:
    return {str(name) for name in mapping} if isinstance(mapping, dict) else set()


def _compose_mentions(text: str) -> Iterable[str]:
    r"""What `re.findall(r"[\w./-]*(?:docker-)?compose[\w.-]*\.ya?ml", text)` finds, in linear time
    (the regex backtracks over every start of a long run of path characters: quadratic).

    A match lies within one run of `[\w./-]`, and starts at the run's start (the prefix takes any
    path characters). Its greedy prefix reaches the *last* `compose` that has a `.yml`/`.yaml` after
    it before the next `/`, and its greedy `[\w.-]*` the last such `.ya?ml`: one match per run, as
    nothing after it can start another."""
    for run in _PATH_RUN.finditer(text):
        word = run.group()
        if "compose" not in word:
            continue
        slashes = [i for i, c in enumerate(word) if c == "/"]
        last_yml: dict[int, int] = {}  # segment (index among the slashes) -> start of its last .ya?ml
        end = word.rfind("compose")
        while end >= 0:
            after = end + len("compose")
            segment = bisect.bisect_left(slashes, after)
            if segment not in last_yml:
                start = slashes[segment - 1] + 1 if segment else 0
                stop = slashes[segment] if segment < len(slashes) else len(word)
                last_yml[segment] = max(word.rfind(".yml", start, stop), word.rfind(".yaml", start, stop))
            found = last_yml[segment]
            if found >= after:
                yield word[:found + (5 if word.startswith(".yaml", found) else 4)]
                break
            end = word.rfind("compose", 0, end)


def _starts_compose(text: str) -> bool:
    r"""`re.search(r"docker[ -]compose\b.*\bup\b", text)` in linear time: on each line, `up` after
    the line's first `docker compose` (the regex would scan the rest of the line from each one)."""
    checked = -1  # the end of the last line checked
    for command in _COMPOSE_COMMAND.finditer(text):
        if command.start() < checked:
            continue
        checked = text.find("\n", command.end())
        if checked < 0:
            checked = len(text)
        if _UP.search(text, command.end(), checked):
            return True
    return False


def ci_env(ci_files: dict[str, CIFacts]) -> dict[str, str]:
    """Environment variable -> the first workflow that sets it (not compose files: what they set
    is the containers' environment, not the test runner's)."""
    found: dict[str, str] = {}
    for rel, facts in sorted(ci_files.items()):
        if "compose" not in rel.rsplit("/", 1)[-1]:
            for name in facts.env:
                found.setdefault(name, rel)
    return found


def ci_provided_kinds(catalog: InfraCatalog, ci_files: dict[str, CIFacts], test_modules: Iterable[str]) -> dict[str, str]:
    """Kind -> where CI provides it: workflow service containers, compose files CI starts,
    testcontainers, and Docker itself where a workflow runs the docker CLI (the kinds whose
    `images` name `docker`)."""
    provided: dict[str, str] = {}
    workflows = {rel: f for rel, f in ci_files.items() if "compose" not in rel.rsplit("/", 1)[-1]}
    composes = {rel: f for rel, f in ci_files.items() if rel not in workflows}
    mentioned = {m.rsplit("/", 1)[-1] for f in workflows.values() for m in f.compose_mentions}
    starts_default = any(f.starts_compose for f in workflows.values())
    for rel, facts in workflows.items():
        for kind in catalog.kinds_of_images(facts.images):
            provided.setdefault(kind, f"{rel} (service container)")
        if facts.runs_docker:
            for kind in catalog.kinds_of_images(["docker"]):
                provided.setdefault(kind, f"{rel} (runs docker commands)")
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
