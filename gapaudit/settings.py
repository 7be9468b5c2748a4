"""Configuration of the scanned project: `[tool.gapaudit]` in pyproject.toml or `gapaudit.yml`."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from .errors import GapauditError, one_line
from .model import PRIORITIES
from .report import FORMATS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

FAIL_ON_CHOICES = (*PRIORITIES, "never")
DEFAULT_MAX_FILE_SIZE = 1_000_000  # bytes; minified bundles and dumps are not source worth scanning
DEFAULT_FILE_TIME_BUDGET_S = 10.0  # seconds per file; why: engine/budget.py
MAX_FILE_TIME_BUDGET_S = 600.0  # a repository's own config cannot make one file cost more


@dataclass(frozen=True)
class Config:
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    test_paths: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    priority: dict[str, str] = field(default_factory=dict)
    fail_on: str = "P0"
    output_dir: str = "reports"
    formats: tuple[str, ...] = FORMATS
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    file_time_budget: float = DEFAULT_FILE_TIME_BUDGET_S
    rule_paths: tuple[str, ...] = ()
    config_pairs: tuple[tuple[str, str], ...] = ()
    report_unserved: bool = False  # report (as P2) findings in code production does not serve
    source: str = "defaults"
    from_repository: bool = False  # read from a file inside the scanned tree: hostile input

    def rule_files(self, root: Path) -> tuple[Path, ...]:
        """The project's own rule files (`rule-paths`, relative to the scanned root). A repository's
        own config may not reach outside it (it would read any file and echo it in an error)."""
        paths = tuple((root / p).resolve() for p in self.rule_paths)
        for given, path in zip(self.rule_paths, paths):
            if self.from_repository and not path.is_relative_to(root.resolve()):
                raise GapauditError(f"{self.source}: config key 'rule-paths' entry {given!r} leads outside the "
                                    "scanned directory")
        return paths


def _str_list(key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise GapauditError(f"config key '{key}' must be a list of strings")
    return tuple(value)


def _choice(choices: tuple[str, ...]) -> Callable[[str, Any], str]:
    def check(key: str, value: Any) -> str:
        if value not in choices:
            raise GapauditError(f"config key '{key}' must be one of {', '.join(choices)}, got {value!r}")
        return value

    return check


def _priorities(key: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise GapauditError(f"config key '{key}' must map rule ids to P0/P1/P2")
    for rule, prio in value.items():
        if prio not in PRIORITIES:
            raise GapauditError(f"config key '{key}.{rule}' must be P0, P1 or P2, got {prio!r}")
    return dict(value)


def _formats(key: str, value: Any) -> tuple[str, ...]:
    formats = _str_list(key, value)
    for fmt in formats:
        _choice(FORMATS)(key, fmt)
    return formats


def _bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise GapauditError(f"config key '{key}' must be true or false")
    return value


def _positive_int(key: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise GapauditError(f"config key '{key}' must be a positive integer")
    return value


def _budget(key: str, value: Any) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value <= MAX_FILE_TIME_BUDGET_S:
        raise GapauditError(f"config key '{key}' must be a number of seconds above 0 and at most {MAX_FILE_TIME_BUDGET_S:g}")
    return float(value)


def _string(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise GapauditError(f"config key '{key}' must be a non-empty string")
    return value


def _pairs(key: str, value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in value):
        raise GapauditError(f"config key '{key}' must be a list of [test file, production file] pairs")
    return tuple((p[0], p[1]) for p in value)


# key in the file -> (field name, validator); documented in README "Configuration".
_KEYS: dict[str, tuple[str, Callable[[str, Any], Any]]] = {
    "include": ("include", _str_list),
    "exclude": ("exclude", _str_list),
    "test-paths": ("test_paths", _str_list),
    "ignore": ("ignore", _str_list),
    "priority": ("priority", _priorities),
    "fail-on": ("fail_on", _choice(FAIL_ON_CHOICES)),
    "output-dir": ("output_dir", _string),
    "format": ("formats", _formats),
    "max-file-size": ("max_file_size", _positive_int),
    "file-time-budget": ("file_time_budget", _budget),
    "rule-paths": ("rule_paths", _str_list),
    "config-pairs": ("config_pairs", _pairs),
    "report-unserved": ("report_unserved", _bool),
}


def _from_mapping(data: Any, source: str) -> Config:
    if not isinstance(data, dict):
        raise GapauditError(f"{source}: gapaudit settings must be a mapping")
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in _KEYS:
            known = ", ".join(sorted(_KEYS))
            raise GapauditError(f"{source}: unknown key '{key}' (known keys: {known})")
        name, validate = _KEYS[key]
        try:
            values[name] = validate(key, value)
        except GapauditError as exc:
            raise GapauditError(f"{source}: {exc}") from None
    return Config(source=source, **values)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise GapauditError(f"cannot read {path}: {exc.__class__.__name__}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise GapauditError(f"{path} is not valid TOML: {exc}") from None


def _read_yaml(path: Path) -> Any:
    import yaml  # only projects configured by gapaudit.yml pay for importing it

    from . import yamlsafe

    try:
        return yamlsafe.load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError) as exc:
        raise GapauditError(f"cannot read {path}: {exc.__class__.__name__}: {exc}") from None
    except yaml.YAMLError as exc:
        raise GapauditError(f"{path} is not valid YAML: {one_line(exc)}") from None


def _load_file(path: Path) -> Config:
    if path.suffix == ".toml":
        data = _read_toml(path)
        if path.name == "pyproject.toml":
            tool = data.get("tool", {})
            if not isinstance(tool, dict):
                raise GapauditError(f"{path}: 'tool' must be a table, got {type(tool).__name__}")
            return _from_mapping(tool.get("gapaudit", {}), f"{path} [tool.gapaudit]")
        return _from_mapping(data, str(path))
    if path.suffix in (".yml", ".yaml"):
        return _from_mapping(_read_yaml(path), str(path))
    raise GapauditError(f"config file {path} must be .toml, .yml or .yaml")


def requires_python(root: Path) -> str | None:
    """The scanned project's `[project] requires-python`, if its pyproject.toml has one."""
    try:
        data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    project = data.get("project")
    spec = project.get("requires-python") if isinstance(project, dict) else None
    return spec if isinstance(spec, str) else None


def load_config(root: Path, explicit: Path | None = None) -> Config:
    """The explicit file if given, else `gapaudit.yml` in the root, else pyproject's [tool.gapaudit]."""
    if explicit is not None:
        if not explicit.is_file():
            raise GapauditError(f"config file {explicit} does not exist")
        return _from(explicit, root)
    for name in ("gapaudit.yml", "gapaudit.yaml", "pyproject.toml"):
        if (root / name).is_file():
            return _from(root / name, root)
    return Config()


def _from(path: Path, root: Path) -> Config:
    config = _load_file(path)
    return replace(config, from_repository=path.resolve().is_relative_to(root.resolve()))
