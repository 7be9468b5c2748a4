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
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

from ..base import ParseError
from ..catalogs import Entry
from .secrets import Secrets, digest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# `${VAR}`, `$VAR` and compose's `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`,
# `${VAR?error}`, `${VAR:+alt}`, `${VAR+alt}`: the value comes from the environment at deploy time
_REFERENCE = re.compile(r"^\$\{?[A-Za-z_][A-Za-z0-9_]*(:?[-?+][^}]*)?\}?$")
_HOSTNAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d+)?$")
_COMMENT_START = re.compile(r"\s#")
#: A config file's keys, and characters of its dotted keys: a legitimate 60,000-key file is well
#: within both; each key is classified and cached, so these bound the facts of one file.
_MAX_KEYS = 200_000
_MAX_KEY_CHARS = 16_000_000
#: Keys that are not simple tokens each cost a search of the whole file for their line.
_SEARCHED_KEYS = 32
_SIMPLE_KEY = re.compile(r"[^\s\"':=]+")
_KEY_TOKEN = re.compile(r"(?:^|(?<=[\s\"']))([^\s\"':=]+)[\"']?\s*[:=]")
_WORD_KEY = re.compile(r"\w+")
_WORD_KEY_TOKEN = re.compile(r"(?<!\w)(\w+)\s*[:=]")


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
        reference = _REFERENCE.match(value)
        if reference:
            # `${VAR}`, `${VAR:-}`: whatever the environment holds, no value of the file's own
            return {"kind": "reference", "passthrough": True} if reference[1] in (None, "-", ":-") else {"kind": "reference"}
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
                              "env_files": [self.secrets.key_name(path)[0] for path in spec["env_files"]],
                              "published": spec["published"], "host_network": spec["host_network"]}
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


def _env_bindings(text: str) -> Iterator[tuple[str, str | None, int]]:
    r"""(key, value, line) of each statement of a .env file, as `dotenv_values(interpolate=False)`
    reads them (python-dotenv's own parser), but quietly: a statement it cannot parse raises
    ParseError naming its line, where python-dotenv would log a warning that names no file and drop
    the line.

    One difference: an unquoted value's trailing comment is cut in linear time (python-dotenv's
    `re.sub(r"\s+#.*", "", part)` is quadratic on a long run of blanks: 40,000 of them take 4 s)."""
    # imported here: an incremental scan that re-reads only Python files never loads python-dotenv
    from dotenv import parser as _dotenv

    reader = _dotenv.Reader(io.StringIO(text))
    while reader.has_next():
        reader.read_regex(_dotenv._multiline_whitespace)
        if not reader.has_next():
            return
        line = reader.position.line
        try:
            reader.read_regex(_dotenv._export)
            key = _dotenv.parse_key(reader)
            reader.read_regex(_dotenv._whitespace)
            value: str | None = None
            if reader.peek(1) == "=":
                (equal_sign,) = reader.read_regex(_dotenv._equal_sign)
                # `KEY= # comment` is empty; `KEY=#value` is not
                value = "" if len(equal_sign) > 1 and reader.peek(1) == "#" else _env_value(reader)
            reader.read_regex(_dotenv._comment)
            reader.read_regex(_dotenv._end_of_line)
        except _dotenv.Error:
            raise ParseError(f"line {line}: not a .env statement python-dotenv can parse") from None
        if key is not None:
            yield key, value, line


def _env_value(reader: Any) -> str:
    from dotenv import parser as _dotenv

    if reader.peek(1) in ("'", '"', "", "\n", "\r"):
        return _dotenv.parse_value(reader)
    (part,) = reader.read_regex(_dotenv._unquoted_value)
    comment = _COMMENT_START.search(part)  # the first blank before a `#`: where `\s+#.*` starts
    return (part[:comment.start()] if comment else part).rstrip()


def read_env(text: str, classifier: ValueClassifier) -> dict[str, dict[str, Any]]:
    """KEY -> {line, value class} of a .env file (python-dotenv: quoting, export, multiline).
    Raises ParseError if a statement does not parse: its keys would otherwise read as missing."""
    values: dict[str, str | None] = {}
    statements: dict[str, int] = {}  # key -> the line of its first statement (`TOKEN` alone on a line)
    for key, value, line in _env_bindings(text):
        values[key] = value
        statements.setdefault(key, line)
    lines = _lines_of_keys(text)
    return {key: {"line": lines.get(key) or statements[key], **classifier.classify(key, raw)} for key, raw in values.items()}


def _flatten(data: dict[Any, Any]) -> dict[str, Any]:
    """Nested mappings as dotted keys, depth first (iterative: nesting costs no recursion). Raises
    ParseError beyond `_MAX_KEYS` keys or `_MAX_KEY_CHARS` characters of dotted keys: a long key
    above many leaves repeats in each of them (a 100 KB key over 10,000 leaves is 1 GB of keys)."""
    flat: dict[str, Any] = {}
    chars = 0
    stack = [("", iter(data.items()))]
    while stack:
        prefix, items = stack[-1]
        for key, value in items:
            path = f"{prefix}{key}"
            chars += len(path)
            if chars > _MAX_KEY_CHARS:
                raise ParseError(f"more than {_MAX_KEY_CHARS:,} characters of dotted keys", limit=True)
            if isinstance(value, dict):
                stack.append((path + ".", iter(value.items())))
                break
            flat[path] = value
            if len(flat) > _MAX_KEYS:
                raise ParseError(f"more than {_MAX_KEYS:,} keys", limit=True)
        else:
            stack.pop()
    return flat


class _KeyLines:
    """The line of a key: the first line where it is written as a key. Simple keys (`simple`) are
    indexed in one pass over the text (`token` finds every one); any other key is searched line
    by line with `pattern(key)`, see `_Searches`. None when it is not found."""

    def __init__(self, lines: list[str], token: re.Pattern[str], simple: re.Pattern[str],
                 pattern: Callable[[str], str]) -> None:
        self.first: dict[str, int] = {}
        for number, line in enumerate(lines, start=1):
            for match in token.finditer(line):
                self.first.setdefault(match.group(1), number)
        self.simple = simple
        self.search = _Searches(lines, pattern)

    def __call__(self, key: str) -> int | None:
        if self.simple.fullmatch(key):
            return self.first.get(key)
        return self.search(key)


class _Searches:
    """The first line where `pattern(key)` is found, for the first `_SEARCHED_KEYS` keys asked
    about (each search reads the whole file: unbounded, they would make it quadratic); None after."""

    def __init__(self, lines: list[str], pattern: Callable[[str], str]) -> None:
        self.lines = lines
        self.pattern = pattern
        self.found: dict[str, int | None] = {}

    def __call__(self, key: str) -> int | None:
        if key not in self.found:
            if len(self.found) >= _SEARCHED_KEYS:
                return None
            pattern = re.compile(self.pattern(key))
            self.found[key] = next((i for i, line in enumerate(self.lines, 1) if pattern.search(line)), None)
        return self.found[key]


def _structured_lines(text: str) -> _KeyLines:
    # a key ends before an optional closing quote, blanks and `:`/`=`, starts a line or follows a
    # blank or a quote: `(^|[\s"'])KEY["']?\s*[:=]`
    return _KeyLines(text.splitlines(), _KEY_TOKEN, _SIMPLE_KEY,
                     lambda key: rf"(^|[\s\"']){re.escape(key)}[\"']?\s*[:=]")


class _ComposeLines:
    r"""The line of a compose environment key: written as a key (`\bKEY\b\s*[:=]`, a word key
    being a whole run of word characters), else a list item of its own (`- KEY`, no `=`), else
    the first line holding it (`_Searches`), else 1."""

    def __init__(self, text: str) -> None:
        lines = text.splitlines()
        self.keys = _KeyLines(lines, _WORD_KEY_TOKEN, _WORD_KEY, lambda key: rf"\b{re.escape(key)}\b\s*[:=]")
        self.items: dict[str, int] = {}
        for number, line in enumerate(lines, start=1):
            item = line.strip()
            if item.startswith("-"):  # `- KEY`, `- "KEY"`
                item = item[1:].strip()
                if len(item) > 1 and item[0] in "'\"" and item[-1] == item[0]:
                    item = item[1:-1]
                self.items.setdefault(item, number)
        self.search = _Searches(lines, re.escape)

    def __call__(self, key: str) -> int:
        return self.keys(key) or self.items.get(key) or self.search(key) or 1


def _load(rel: str, text: str) -> Any:
    """The data of a YAML, JSON or TOML file; ParseError (naming the format and the reason) if it
    does not parse or is beyond a bound."""
    # imported here: an incremental scan that re-reads only Python files never loads PyYAML (20 ms)
    import yaml

    from ... import yamlsafe

    try:
        if rel.endswith((".yaml", ".yml")):
            return yamlsafe.load(text)
        if rel.endswith(".json"):
            return json.loads(text)
        if rel.endswith(".toml"):
            return tomllib.loads(text)
    except yamlsafe.YAMLLimitError as exc:
        raise ParseError(f"YAML: {exc}", limit=True) from None
    except yaml.YAMLError as exc:
        raise ParseError(f"not valid YAML: {_one_line(exc)}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ParseError(f"not valid TOML: {exc}") from None
    except ValueError as exc:  # json.JSONDecodeError, and an over-long int of JSON
        raise ParseError(f"not valid JSON: {exc}") from None
    except RecursionError:
        raise ParseError("nested too deeply to read", limit=True) from None
    return None


def _development_service(service: dict[Any, Any], development: frozenset[str]) -> bool:
    def said(name: Any) -> bool:
        return isinstance(name, str) and bool(development.intersection(re.split(r"[^a-z0-9]+", name.lower())))

    profiles = service.get("profiles")
    build = service.get("build")
    return ((isinstance(profiles, list) and bool(profiles) and all(said(profile) for profile in profiles))
            or (isinstance(build, dict) and said(build.get("target"))))


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def read_structured(rel: str, text: str, classifier: ValueClassifier) -> dict[str, dict[str, Any]] | None:
    """Dotted key -> {line, value class} of a YAML, JSON or TOML config file; None for another
    format, {} for a document that is not a mapping (a list, a scalar: no keys). Raises ParseError
    if it does not parse."""
    if not rel.endswith((".yaml", ".yml", ".json", ".toml")):
        return None
    data = _load(rel, text)
    if not isinstance(data, dict):
        return {}
    flat = _flatten(data)
    line_of = _structured_lines(text)
    result = {}
    for key, raw in flat.items():
        leaf = key.rsplit(".", 1)[-1]
        result[key] = {"line": line_of(leaf) or 1, **classifier.classify(leaf, raw, secret=classifier.is_secret_key(key))}
    return result


def read_compose(text: str, classifier: ValueClassifier, development: frozenset[str] = frozenset()) -> dict[str, Any] | None:
    """service -> {"env": KEY -> value class, "env_files": [paths], "published": has `ports:` (or the host's
    network), "host_network": `network_mode: host`} of a compose file; None if it
    has no `services:` mapping. A service only development runs is left out: every profile it is
    under, or the stage its image builds, has a word of `development` (`profiles: [backend-dev, ci]`,
    `build: {target: dev}`). Raises ParseError if it does not parse."""
    data = _load("compose.yml", text)
    services = (data or {}).get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict):
        return None
    line_of = _ComposeLines(text)
    result = {}
    for name, service in services.items():
        if not isinstance(service, dict):
            continue
        if not {"image", "build", "extends"} & set(service):
            # an overlay (`-f base.yml -f this.yml`) of a service defined elsewhere: it runs nothing
            # alone, so a key it does not repeat is not missing from the deployment
            continue
        if development and _development_service(service, development):
            continue
        environment = service.get("environment") or {}
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) if "=" in item else (item, None) for item in environment if isinstance(item, str))
        env_files = service.get("env_file") or []
        env_files = [env_files] if isinstance(env_files, str) else [e if isinstance(e, str) else e.get("path", "") for e in env_files]
        env = {}
        for key, raw in environment.items():
            env[str(key)] = {"line": line_of(str(key)), **classifier.classify(str(key), raw)}
        # `ports:` publishes the service on the host; without it only containers on its network reach it.
        # On the host's network every port is the host's, and localhost is the host, not the container
        host_network = service.get("network_mode") == "host"
        result[str(name)] = {"env": env, "env_files": env_files, "published": bool(service.get("ports")) or host_network,
                             "host_network": host_network}
    return result
