"""The rule registry: rules and analyzer catalogs are data in `rules/*.yml`.

Each YAML file may hold `rules:` (a list of rule descriptions) and `catalogs:` (named data
the analyzers read: which calls block, which names mean infrastructure, ...).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import GapauditError, one_line
from .model import PRIORITIES

if TYPE_CHECKING:
    from .settings import Config

_RULE_ID = re.compile(r"^GA\d{3}$")
_REQUIRED = ("id", "name", "title", "category", "priority", "why", "fix", "example")


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    title: str
    category: str
    priority: str
    why: str
    fix: str
    bad: str
    good: str
    source: str

    def explain(self) -> str:
        """The `gapaudit rules ID` text, in the manner of `ruff rule`."""
        return (
            f"# {self.name} ({self.id})\n\n"
            f"Category: {self.category} · default priority: {self.priority}\n\n"
            f"## What it finds\n{self.title}.\n\n"
            f"## Why is this bad?\n{self.why.strip()}\n\n"
            f"## Example\n```python\n{self.bad.rstrip()}\n```\n\n"
            f"Use instead:\n```python\n{self.good.rstrip()}\n```\n\n"
            f"## Fix\n{self.fix.strip()}\n"
        )


@dataclass(frozen=True)
class RuleSet:
    rules: dict[str, Rule]
    catalogs: dict[str, Any]
    catalog_sources: dict[str, tuple[str, ...]] = field(default_factory=dict)  # catalog -> files it came from

    def rule(self, rule_id: str) -> Rule:
        try:
            return self.rules[rule_id]
        except KeyError:
            raise GapauditError(f"unknown rule {rule_id!r} (see `gapaudit rules`)") from None

    def catalog(self, name: str) -> Any:
        return self.catalogs.get(name, [])

    def catalog_error(self, name: str, problem: str) -> GapauditError:
        """A catalog entry the analyzers cannot use: one line naming the catalog and its files (exit 2)."""
        where = ", ".join(self.catalog_sources.get(name, ())) or "rules/*.yml"
        return GapauditError(f"catalog '{name}' ({where}): {problem}")

    def check_catalogs(self, known: Collection[str]) -> None:
        """A catalog no analyzer reads is a typo or a leftover: it would change nothing, silently."""
        for name in self.catalogs:
            if name not in known:
                close = difflib.get_close_matches(name, known, n=1)
                hint = f"did you mean '{close[0]}'?" if close else f"known catalogs: {', '.join(sorted(known))}"
                raise self.catalog_error(name, f"no analyzer reads this catalog ({hint})")

    def matching(self, selectors: Iterable[str]) -> set[str]:
        """Rule ids matched by ids or prefixes (`GA1` selects every GA1xx), like ruff's selectors."""
        return {rid for rid in self.rules for sel in selectors if rid.startswith(sel)}

    def to_data(self) -> dict[str, Any]:
        """JSON-compatible data, so the engine can cache the parsed catalogs instead of parsing YAML."""
        return {"rules": [asdict(rule) for rule in self.rules.values()], "catalogs": self.catalogs,
                "catalog_sources": {name: list(files) for name, files in self.catalog_sources.items()}}

    @classmethod
    def from_data(cls, data: Any) -> RuleSet:
        """The inverse of `to_data`; KeyError, TypeError, ValueError or AttributeError on data of another shape."""
        if not all(isinstance(value, str) for raw in data["rules"] for value in raw.values()):
            raise TypeError("rule fields are strings")
        return cls(rules={raw["id"]: Rule(**raw) for raw in data["rules"]}, catalogs=dict(data["catalogs"]),
                   catalog_sources={name: tuple(files) for name, files in data["catalog_sources"].items()})


def builtin_rules_dir() -> Path:
    """`rules/` beside the package in a source checkout, else the copy the wheel puts in `gapaudit/_rules`."""
    checkout = Path(__file__).resolve().parent.parent / "rules"
    return checkout if checkout.is_dir() else Path(__file__).resolve().parent / "_rules"


def _parse_rule(raw: Any, source: str) -> Rule:
    if not isinstance(raw, dict):
        raise GapauditError(f"{source}: a rule must be a mapping, got {type(raw).__name__}")
    missing = [key for key in _REQUIRED if key not in raw]
    if missing:
        raise GapauditError(f"{source}: rule {raw.get('id', '?')} lacks {', '.join(missing)}")
    if not _RULE_ID.match(str(raw["id"])):
        raise GapauditError(f"{source}: rule id {raw['id']!r} is not GA followed by 3 digits")
    if raw["priority"] not in PRIORITIES:
        raise GapauditError(f"{source}: rule {raw['id']} has priority {raw['priority']!r}, not P0/P1/P2")
    example = raw["example"] or {}
    return Rule(
        id=raw["id"],
        name=raw["name"],
        title=raw["title"],
        category=raw["category"],
        priority=raw["priority"],
        why=raw["why"],
        fix=" ".join(str(raw["fix"]).split()),
        bad=example.get("bad", ""),
        good=example.get("good", ""),
        source=source,
    )


def load_rules(extra_paths: tuple[Path, ...] = ()) -> RuleSet:
    """Built-in rules plus any project rule files; catalogs with the same name are concatenated."""
    return _load(tuple([builtin_rules_dir(), *extra_paths]))


def project_rules(root: Path, config: Config) -> RuleSet:
    """The rules a project sees: built-in ones plus its `rule-paths`, against which its `ignore` and
    `priority` keys are checked here, once for every command."""
    rules = load_rules(config.rule_files(root))
    check_selectors(config, rules)
    return rules


def check_selectors(config: Config, rules: RuleSet) -> None:
    """`ignore` takes rule ids or prefixes (`GA1` is every GA1xx) and `priority` rule ids, like ruff's
    selectors: one that names no rule is a typo that would silently change nothing."""
    unknown = [("ignore", selector) for selector in config.ignore if not (selector and rules.matching([selector]))]
    unknown += [("priority", rule_id) for rule_id in config.priority if rule_id not in rules.rules]
    if unknown:
        key, selector = unknown[0]
        raise GapauditError(f"{config.source}: config key '{key}' names unknown rule {selector or repr(selector)} "
                            "(see `gapaudit rules`)")


@lru_cache(maxsize=8)
def _load(paths: tuple[Path, ...]) -> RuleSet:
    rules: dict[str, Rule] = {}
    catalogs: dict[str, Any] = {}
    sources: dict[str, list[str]] = {}
    import yaml  # here, not at the top: a scan with a warm cache never parses YAML

    from . import yamlsafe

    for file in rule_files(paths):
        try:
            data = yamlsafe.load(file.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise GapauditError(f"cannot read rule file {file}: {one_line(exc)}") from None
        if not isinstance(data, dict):
            raise GapauditError(f"{file}: expected a mapping with 'rules' and/or 'catalogs'")
        if not isinstance(data.get("rules") or [], list) or not isinstance(data.get("catalogs") or {}, dict):
            raise GapauditError(f"{file}: 'rules' must be a list of rules and 'catalogs' a mapping of named catalogs")
        for raw in data.get("rules") or []:
            rule = _parse_rule(raw, file.name)
            if rule.id in rules:
                raise GapauditError(f"{file.name}: rule {rule.id} is already defined in {rules[rule.id].source}")
            rules[rule.id] = rule
        for name, entries in (data.get("catalogs") or {}).items():
            if name in catalogs and _shape(entries) != _shape(catalogs[name]):
                raise GapauditError(f"catalog '{name}' ({file.name}): must be {_shape(catalogs[name])} as in "
                                    f"{', '.join(sources[name])}, got {_shape(entries)}")
            sources.setdefault(name, []).append(file.name)
            if isinstance(entries, list) and isinstance(catalogs.get(name, []), list):
                catalogs.setdefault(name, []).extend(entries)
            else:  # a mapping, or a shape that differs from the earlier file's (the analyzer reading it says so)
                catalogs[name] = entries
    return RuleSet(rules=dict(sorted(rules.items())), catalogs=catalogs,
                   catalog_sources={name: tuple(files) for name, files in sources.items()})


def _shape(entries: Any) -> str:
    """A catalog's top-level shape: every file that adds to a catalog must give it the same one."""
    if entries is None:
        return "nothing"
    return "a list" if isinstance(entries, list) else "a mapping" if isinstance(entries, dict) else f"a {type(entries).__name__}"


def rule_files(paths: Iterable[Path]) -> list[Path]:
    """The YAML files of these rule paths (files, or folders of .yml/.yaml files), in load order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in (".yml", ".yaml")))
        elif path.is_file():
            files.append(path)
        else:
            raise GapauditError(f"rule path {path} does not exist")
    return files

