"""Which infrastructure a skip's signals name, which fake library stands in for which, and what
CI sets: the data of `rules/infra.yml`, checked when it is loaded."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, Iterable

from ...rules import RuleSet
from ..catalogs import Entry
from .signals import Signals

_KIND_FIELDS = ("words", "env", "modules", "exceptions", "ports", "images")


@dataclass(frozen=True)
class InfraKind:
    name: str
    words: frozenset[str]
    env: tuple[str, ...]
    modules: tuple[str, ...]
    exceptions: frozenset[str]
    ports: frozenset[int]
    images: tuple[str, ...]

    @classmethod
    def of(cls, name: str, entry: Entry) -> InfraKind:
        fields = entry.fields(optional=_KIND_FIELDS)
        return cls(
            name=name,
            words=frozenset(w.lower() for w in fields["words"].strings()),
            env=fields["env"].strings(),
            modules=fields["modules"].strings(),
            exceptions=frozenset(fields["exceptions"].strings()),
            ports=frozenset(fields["ports"].integers()),
            images=fields["images"].strings(),
        )

    def env_matches(self, name: str) -> bool:
        return any(name.endswith(p) if p.startswith("_") else name.startswith(p) for p in self.env)

    def module_matches(self, module: str) -> bool:
        return any(module == m or module.startswith(m + ".") for m in self.modules)


class InfraCatalog:
    catalogs: ClassVar[tuple[str, ...]] = ("infra-kinds", "infra-fakes", "ci-env", "ci-compose-files", "ci-test-commands")

    def __init__(self, rules: RuleSet) -> None:
        self.kinds = [InfraKind.of(name, entry) for name, entry in Entry.of(rules, "infra-kinds").mapping().items()]
        self._module_kinds: dict[str, frozenset[str]] = {}
        names = {kind.name for kind in self.kinds}
        self.fakes: dict[str, str] = {fake: entry.one_of(names, "infrastructure kind")
                                      for fake, entry in Entry.of(rules, "infra-fakes").mapping().items()}
        self.ci_env = frozenset(Entry.of(rules, "ci-env").strings())
        self.compose_defaults = frozenset(Entry.of(rules, "ci-compose-files").strings())
        commands = sorted(Entry.of(rules, "ci-test-commands").strings(), key=len, reverse=True)
        self.test_command = re.compile(r"(?<![\w.-])(?:" + "|".join(map(re.escape, commands)) + r")(?![\w-])") \
            if commands else re.compile(r"(?!)")
        owners: dict[str, set[str]] = {}
        for kind in self.kinds:
            for exception in kind.exceptions:
                owners.setdefault(exception, set()).add(kind.name)
        # an exception only one kind raises is evidence on its own; `ConnectionError` is not
        self._telling_exceptions = {e: next(iter(k)) for e, k in owners.items() if len(k) == 1}

    def classify(self, signals: Signals) -> list[str]:
        """The infrastructure kinds named by a skip's signals.

        A caught exception counts only when one kind alone raises it (`ServerSelectionTimeoutError`
        is MongoDB; `ConnectionError` is everyone's).
        """
        telling = {self._telling_exceptions.get(e) for e in signals.exceptions}
        words, ports = set(signals.words), set(signals.ports)
        return [
            kind.name for kind in self.kinds
            if kind.words & words
            or any(kind.env_matches(e) for e in signals.env)
            or any(kind.module_matches(m) for m in signals.modules)
            or kind.ports & ports
            or kind.name in telling
        ]

    def kind(self, name: str) -> InfraKind:
        return next(k for k in self.kinds if k.name == name)

    def runs_in_ci_only(self, signals: Signals) -> bool:
        """`skipif(not os.environ.get("GITHUB_ACTIONS"))`: the test does run where CI runs."""
        return bool(self.ci_env & set(signals.env))

    def kinds_of_images(self, images: Iterable[str]) -> set[str]:
        images = [image.lower() for image in images]
        return {k.name for k in self.kinds for image in images for pattern in k.images if pattern in image}

    def kinds_of_modules(self, modules: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for module in modules:
            kinds = self._module_kinds.get(module)
            if kinds is None:  # a project imports the same modules in hundreds of files: once each
                kinds = self._module_kinds[module] = frozenset(k.name for k in self.kinds if k.module_matches(module))
            found |= kinds
        return found
