"""Reading configuration files into keys and value *classes* — never values that could be secret.

A value becomes {"kind": ...}: missing, empty, bool, number, reference (`${VAR}`), localhost,
host, placeholder, token (a known secret shape, secrets.py), secret (a real-looking value under a
secret-named key), wildcard, structure or string. Booleans, numbers and hostnames are kept (they
are not secrets and the checks need them) except a secret-named key's number, which is classified
as its text; every other value is reduced to its kind, with no length and no digest. A host whose
URL holds a literal password carries the shape (`url-password`), never the password.
"""

from __future__ import annotations

import io
import json
import re
import sys
from typing import Any
from urllib.parse import urlsplit

import yaml
from dotenv import dotenv_values

from ..catalogs import Entry
from .secrets import Secrets, digest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_REFERENCE = re.compile(r"^\$\{?[A-Za-z_][A-Za-z0-9_]*(:?-[^}]*)?\}?$")
_HOSTNAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d+)?$")


class ValueClassifier:
    """Turns (key, raw value) into a value class, using the `config-drift` catalog (rules/config-drift.yml).

    A scan's classes hold no value but booleans, numbers and hostnames of keys that do not name a
    secret, and no digest of any value: they are cached. `revealing()` gives the classifier of
    `gapaudit config-diff`, which adds what that command prints and compares and never caches:
    `shown` (a non-secret value, tokens hidden, escaped) and `digest` (an HMAC keyed for this
    process only, secrets.py)."""

    def __init__(self, catalog: dict[str, Entry], reveal: bool = False) -> None:
        self.catalog = catalog
        self.reveal = reveal
        self.placeholders = catalog["placeholders"].patterns(re.IGNORECASE)
        self.secrets = Secrets(catalog)
        self.host_keys = catalog["host-keys"].strings()
        self.true_words = frozenset(catalog["true-words"].strings())
        self.false_words = frozenset(catalog["false-words"].strings())
        self.local_hosts = frozenset(catalog["local-hosts"].strings())

    def revealing(self) -> ValueClassifier:
        return ValueClassifier(self.catalog, reveal=True)

    def is_secret_key(self, key: str) -> bool:
        return self.secrets.is_secret_key(key)

    def is_host_key(self, key: str) -> bool:
        upper = key.upper().replace("-", "_").replace(".", "_")
        return any(upper == h or upper.endswith("_" + h) or upper.startswith(h + "_") for h in self.host_keys)

    def classify(self, key: str, raw: Any, secret: bool | None = None) -> dict[str, Any]:
        """The class of `raw` under `key`; `secret`: whether the key names a secret, when more than
        `key` says so (a YAML key under `credentials:`)."""
        secret = self.is_secret_key(key) if secret is None else secret
        if isinstance(raw, (int, float)) and not isinstance(raw, bool) and secret:
            raw = str(raw)  # a secret's digits are a secret: never kept as a number
        value = self._classify(key, raw, secret)
        if self.reveal and raw is not None:
            text = raw.strip() if isinstance(raw, str) else _text(raw)
            value["digest"] = digest(f"{value['kind']}\0{_number_text(raw) if value['kind'] == 'number' else text}")
            if not secret and value["kind"] not in ("token", "empty"):
                value["shown"] = self.secrets.shown(text)
        return value

    def _classify(self, key: str, raw: Any, secret: bool) -> dict[str, Any]:
        if raw is None:
            return {"kind": "empty"}
        if isinstance(raw, bool):  # a YAML boolean, even under a secret's name: one bit, no secret
            return {"kind": "bool", "value": raw}
        if isinstance(raw, (int, float)):
            return {"kind": "number", "value": raw}
        if not isinstance(raw, str):
            shape = self.secrets.token(_text(raw))  # a token in a list item or a nested key
            return {"kind": "token", "shape": shape} if shape else {"kind": "structure"}
        value = raw.strip()
        lower = value.lower()
        if not value:
            return {"kind": "empty"}
        shape = self.secrets.token(value)
        if shape:
            return {"kind": "token", "shape": shape}
        if _REFERENCE.match(value):
            return {"kind": "reference"}
        if (lower in self.true_words or lower in self.false_words) and not secret:
            return {"kind": "bool", "value": lower in self.true_words}
        try:
            number = float(value)
        except ValueError:
            pass
        else:
            if not secret:
                return {"kind": "number", "value": number}
        for pattern in self.placeholders:
            if pattern.fullmatch(value):
                return {"kind": "placeholder", "pattern": pattern.pattern}
        # a URL's literal password (not a ${reference}, not a placeholder)
        exposed = [name for name, part in self.secrets.parts(value)
                   if not _REFERENCE.match(part) and not any(p.fullmatch(part) for p in self.placeholders)]
        host = self._host_of(value)
        if host is not None and (self.is_host_key(key) or "://" in value):
            found = {"kind": "localhost" if host.lower() in self.local_hosts else "host", "host": host}
            return {**found, "shape": exposed[0]} if exposed else found
        if exposed:
            return {"kind": "token", "shape": exposed[0]}
        if secret:
            return {"kind": "secret" if len(value) >= 8 else "string"}
        if value == "*":
            return {"kind": "wildcard"}
        return {"kind": "string"}

    def scrub(self, keys: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Keys whose own name holds a token (compose `- ghp_...`, a YAML key) renamed `<shape>`,
        their value a token: the name is the secret."""
        scrubbed: dict[str, dict[str, Any]] = {}
        for key, value in keys.items():
            name, shape = self.secrets.key_name(key)
            if shape is not None:
                value = {"line": value.get("line", 1), "kind": "token", "shape": shape}
                name = _unique(name, scrubbed)
            scrubbed[name] = value
        return scrubbed

    def scrub_compose(self, services: dict[str, Any] | None) -> dict[str, Any] | None:
        """`scrub` for every service of a compose file, and its name and env_file paths."""
        if services is None:
            return None
        scrubbed: dict[str, Any] = {}
        for service, spec in services.items():
            name = _unique(self.secrets.key_name(service)[0], scrubbed)
            scrubbed[name] = {"env": self.scrub(spec["env"]),
                              "env_files": [self.secrets.key_name(path)[0] for path in spec["env_files"]]}
        return scrubbed

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


def _unique(name: str, taken: dict[str, Any]) -> str:
    unique, n = name, 1
    while unique in taken:
        n += 1
        unique = f"{name}#{n}"
    return unique


def _text(raw: Any) -> str:
    """A structure's strings (keys too) as one text, where a token is found as in a string."""
    return json.dumps(raw, sort_keys=True, default=str, ensure_ascii=False)


def _number_text(raw: Any) -> str:
    """`30`, `30.0` and `"30"` alike."""
    try:
        return repr(float(raw))
    except (TypeError, ValueError):
        return str(raw)


def _lines_of_keys(text: str) -> dict[str, int]:
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = re.match(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=", line)
        if match:
            lines.setdefault(match.group(1), number)
    return lines


def _line_of(text: str, key: str) -> int:
    """The first line holding `key`: a bare line without `=` (a token pasted alone)."""
    return next((number for number, line in enumerate(text.splitlines(), start=1) if key in line), 1)


def read_env(text: str, classifier: ValueClassifier) -> dict[str, dict[str, Any]]:
    """KEY -> {line, value class} of a .env file (python-dotenv: quoting, export, multiline)."""
    values = dotenv_values(stream=io.StringIO(text), interpolate=False)
    lines = _lines_of_keys(text)
    return {key: {"line": lines.get(key) or _line_of(text, key), **classifier.classify(key, raw)} for key, raw in values.items()}


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
        result[key] = {"line": line, **classifier.classify(leaf, raw, secret=classifier.is_secret_key(key))}
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
            line = next((i for i, l in enumerate(lines, 1) if re.search(rf"\b{re.escape(str(key))}\b\s*[:=]", l)), None)
            line = line or next((i for i, l in enumerate(lines, 1) if str(key) in l), 1)  # a list item without `=`
            env[str(key)] = {"line": line, **classifier.classify(str(key), raw)}
        result[str(name)] = {"env": env, "env_files": env_files}
    return result
