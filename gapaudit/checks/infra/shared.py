"""What the infra-skip and mocked-infra analyzers share: per production file its imports,
environment reads and classes, per CI file its services; each adds its own test-file facts."""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

from ...model import CI, PYTHON, PYTHON_TEST
from ...python import codec
from ...python.env import EnvReadCollector
from ...python.imports import Import, ImportCollector
from ...rules import RuleSet
from ..base import Analyzer, ParsedFile
from .catalog import InfraCatalog
from .ci import CIFacts, ci_facts
from .production import ClassCollector, ProductionFacts, production_facts

T = TypeVar("T")


class InfraFiles(Generic[T]):
    """One infra analyzer's facts of every file, by kind of file."""

    def __init__(self, facts: dict[str, Any], tests: type[T]) -> None:
        self.production = {rel: f for rel, f in facts.items() if isinstance(f, ProductionFacts)}
        self.ci = {rel: f for rel, f in facts.items() if isinstance(f, CIFacts)}
        self.tests: dict[str, T] = {rel: f for rel, f in facts.items() if isinstance(f, tests)}


class InfraAnalyzer(Analyzer):
    kinds = frozenset({PYTHON, PYTHON_TEST, CI})
    catalogs: ClassVar[tuple[str, ...]] = InfraCatalog.catalogs

    def __init__(self, rules: RuleSet) -> None:
        self.catalog = InfraCatalog(rules)

    def prepare(self, file: ParsedFile) -> None:
        if file.kind == PYTHON:
            file.collector("imports", ImportCollector)
            file.collector("env-reads", EnvReadCollector)
            file.collector("infra-classes", ClassCollector)
        elif file.kind == PYTHON_TEST:
            file.collector("imports", ImportCollector)
            self.prepare_test(file)

    def file_facts(self, file: ParsedFile) -> Any:
        if file.kind == CI:
            return file.shared("infra-ci", lambda: ci_facts(file.text, self.catalog.test_command))
        if file.kind == PYTHON:
            return file.shared("infra-production", lambda: production_facts(
                file.collector("imports", ImportCollector).imports, file.collector("env-reads", EnvReadCollector).reads,
                file.collector("infra-classes", ClassCollector)))
        return self.test_facts(file, file.collector("imports", ImportCollector).imports)

    def prepare_test(self, file: ParsedFile) -> None:
        """Register the test-file collectors."""
        raise NotImplementedError

    def test_facts(self, file: ParsedFile, imports: list[Import]) -> Any:
        raise NotImplementedError

    def encode(self, facts: Any) -> Any:
        return codec.encode(facts)

    def decode(self, data: Any) -> Any:
        facts = codec.decode(data)
        if not codec.is_fact(facts):
            raise codec.DecodeError(f"expected infra facts, got {type(facts).__name__}")
        return facts
