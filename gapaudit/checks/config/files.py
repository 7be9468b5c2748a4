"""Reading configuration files into keys and value *classes* — never values that could be secret.

A value becomes {"kind": ...}: missing, empty, bool, number, reference (`${VAR}`), localhost,
host, placeholder, token (a known secret shape), secret (a real-looking value under a
secret-named key) or string. Booleans, numbers and hostnames are kept (they are not secrets and
the checks need them); every other value is reduced to its kind and length.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import sys
from typing import Any
from urllib.parse import urlsplit

import yaml
from dotenv import dotenv_values

from ..catalogs import Entry

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_REFERENCE = re.compile(r"^\$\{?[A-Za-z_][A-Za-z0-9_]*(:?-[^}]*)?\}?$")
_HOSTNAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d+)?$")


class ValueClassifier:
    """Turns (key, raw value) into a value class, using the `config-drift` catalog (rules/config-drift.yml)."""

    def __init__(self, catalog: dict[str, Entry]) -> None:
        self.placeholders = catalog["placeholders"].patterns(re.IGNORECASE)
        self.secret_keys = catalog["secret-keys"].strings()
        self.host_keys = catalog["host-keys"].strings()
        self.tokens = {name: shape.pattern() for name, shape in catalog["token-shapes"].mapping().items()}
        self.true_words = frozenset(catalog["true-words"].strings())
        self.false_words = frozenset(catalog["false-words"].strings())
        self.local_hosts = frozenset(catalog["local-hosts"].strings())

    def is_secret_key(self, key: str) -> bool:
        upper = key.upper().replace("-", "_").replace(".", "_")
        return any(part in upper for part in self.secret_keys)

    def is_host_key(self, key: str) -> bool:
        upper = key.upper().replace("-", "_").replace(".", "_")
        return any(upper == h or upper.endswith("_" + h) or upper.startswith(h + "_") for h in self.host_keys)

    def classify(self, key: str, raw: Any) -> dict[str, Any]:
        if raw is None:
            return {"kind": "empty"}
        if isinstance(raw, bool):
            return {"kind": "bool", "value": raw}
        if isinstance(raw, (int, float)):
            return {"kind": "number", "value": raw}
        if not isinstance(raw, str):
            return {"kind": "structure"}
        value = raw.strip()
        lower = value.lower()
        if not value:
            return {"kind": "empty"}
        for name, shape in self.tokens.items():
            if shape.search(value):
                return {"kind": "token", "shape": name}
        if _REFERENCE.match(value):
            return {"kind": "reference"}
        if (lower in self.true_words or lower in self.false_words) and not self.is_secret_key(key):
            return {"kind": "bool", "value": lower in self.true_words}
        try:
            number = float(value)
        except ValueError:
            pass
        else:
            if not self.is_secret_key(key):
                return {"kind": "number", "value": number}
        for pattern in self.placeholders:
            if pattern.fullmatch(value):
                return {"kind": "placeholder", "pattern": pattern.pattern}
        host = self._host_of(value)
        if host is not None and (self.is_host_key(key) or "://" in value):
            return {"kind": "localhost" if host.lower() in self.local_hosts else "host", "host": host}
        if self.is_secret_key(key):
            return {"kind": "secret" if len(value) >= 8 else "string", "length": len(value)}
        if value == "*":
            return {"kind": "wildcard"}
        # a short digest tells equal from different values of non-secret keys, and is not reversible
        # in practice for anything but trivial values, which non-secret keys are allowed to have
        return {"kind": "string", "length": len(value), "digest": hashlib.sha256(value.encode()).hexdigest()[:12]}


    def _host_of(self, value: str) -> str | None:
        """The host of `redis://user:pw@cache:6379/0` or `cache:6379` (user info dropped)."""
        if "://" in value:
            try:
                parts = urlsplit(value)
            except ValueError:
                return None
            return parts.hostname
        if _HOSTNAME.match(value) and not value.replace(".", "").isdigit() or value in self.local_hosts:
            return value.split(":")[0] if value.count(":") == 1 else value
        return None


def _lines_of_keys(text: str) -> dict[str, int]:
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = re.match(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=", line)
        if match:
            lines.setdefault(match.group(1), number)
    return lines


def read_env(text: str, classifier: ValueClassifier) -> dict[str, dict[str, Any]]:
    """KEY -> {line, value class} of a .env file (python-dotenv: quoting, export, multiline)."""
    values = dotenv_values(stream=io.StringIO(text), interpolate=False)
    lines = _lines_of_keys(text)
    return {key: {"line": lines.get(key, 1), **classifier.classify(key, raw)} for key, raw in values.items()}


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            flat.update(_flatten(value, f"{prefix}{key}."))
    else:
        flat[prefix[:-1]] = data
    return flat


def read_structured(rel: str, text: str, classifier: ValueClassifier) -> dict[str, dict[str, Any]] | None:
    """Dotted key -> {line, value class} of a YAML, JSON or TOML config file; None if it does not parse."""
    try:
        if rel.endswith((".yaml", ".yml")):
            data = yaml.safe_load(text)
        elif rel.endswith(".json"):
            data = json.loads(text)
        elif rel.endswith(".toml"):
            data = tomllib.loads(text)
        else:
            return None
    except (yaml.YAMLError, ValueError, tomllib.TOMLDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    source = text.splitlines()
    result = {}
    for key, raw in _flatten(data).items():
        leaf = key.rsplit(".", 1)[-1]
        line = next((i for i, l in enumerate(source, 1) if re.search(rf"(^|[\s\"']){re.escape(leaf)}[\"']?\s*[:=]", l)), 1)
        result[key] = {"line": line, **classifier.classify(leaf, raw)}
    return result


def read_compose(text: str, classifier: ValueClassifier) -> dict[str, Any] | None:
    """service -> {"env": KEY -> value class, "env_files": [paths]} of a compose file."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    services = (data or {}).get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict):
        return None
    lines = text.splitlines()
    result = {}
    for name, service in services.items():
        if not isinstance(service, dict):
            continue
        environment = service.get("environment") or {}
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) if "=" in item else (item, None) for item in environment if isinstance(item, str))
        env_files = service.get("env_file") or []
        env_files = [env_files] if isinstance(env_files, str) else [e if isinstance(e, str) else e.get("path", "") for e in env_files]
        env = {}
        for key, raw in environment.items():
            line = next((i for i, l in enumerate(lines, 1) if re.search(rf"\b{re.escape(str(key))}\b\s*[:=]", l)), 1)
            env[str(key)] = {"line": line, **classifier.classify(str(key), raw)}
        result[str(name)] = {"env": env, "env_files": env_files}
    return result
