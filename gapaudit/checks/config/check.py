"""GA301-GA308: test vs production configuration, checked against what the code reads.

Per file: the keys of .env files (python-dotenv), YAML/JSON/TOML config files named for an
environment (flattened to dotted keys), compose `environment:`/`env_file:`, and the environment
variables Python code reads (`os.getenv`, `os.environ[...]`, pydantic `BaseSettings` fields with
their prefix, aliases and defaults, `dotenv_values(...)[...]`). Values are reduced to classes
(`files.py`) and keys holding a token renamed (`secrets.py`): no secret is cached or reported.

Pairs are found by name — `.env.test`/`testing.env`/`.env.ci` against `.env.production`/
`production.env`, `config/testing.yaml` against `config/production.yaml` — in the same folder,
else across the project when each side is unique, plus `config-pairs` from the project's config.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

from ...model import CI, CONFIG, ENV, PYTHON, Finding
from ...python import codec
from ...python.env import EnvRead, EnvReadCollector, How
from ...rules import RuleSet
from ..base import Analyzer, ParsedFile, ParseError, Project
from ..catalogs import Entry
from .files import ValueClassifier, read_compose, read_env, read_structured

# The reads whose keys a deployment must provide: all but `os.environ.setdefault`, which provides
# the value itself (a settings module's fallback, a test's own), so tells nothing of production's config.
_DEPLOYMENT_READS = frozenset(How) - {How.SETDEFAULT}
_CATALOG_KEYS = ("config-files", "placeholders", "host-keys", "bind-keys", "limit-keys", "secret-keys",
                 "token-shapes", "security-toggles", "true-words", "false-words", "local-hosts")


@dataclass(frozen=True)
class ConfigFile:
    rel: str
    keys: dict[str, dict[str, Any]]
    #: False when part of it could not be read (a compose service's env_file that did not parse):
    #: a key it lacks may be in the part not read, so is never reported missing
    complete: bool = True
    #: (compose file, service) of a compose service's environment, named `file#service`
    service: tuple[str, str] | None = None
    #: a compose service that publishes no port (no `ports:`): only containers on its network reach it
    unpublished: bool = False
    #: a compose service on the host's network (`network_mode: host`): its localhost is the host's
    host_network: bool = False

    @property
    def file(self) -> str:
        """The file its findings point at."""
        return self.service[0] if self.service else self.rel


def _words(rel: str) -> list[str]:
    name = rel.rsplit("/", 1)[-1].lower()
    return [w for w in re.split(r"[^a-z0-9]+", name) if w]


def _role(rel: str, catalog: dict[str, Any], header: str | None = None) -> str | None:
    """test, production, development, example or test-stack, from the file's name, then its folders, then
    what its leading comments say (`header`, from `header_role`); None when nothing says."""
    words = set(_words(rel))
    folders = set(rel.lower().split("/")[:-1])
    if words & set(catalog["example-words"]) or folders & set(catalog["example-folders"]):
        return "example"
    if words & set(catalog["development-words"]) or folders & set(catalog["development-folders"]):
        return "development"
    if words & set(catalog["production-words"]):
        return "production"
    if words & set(catalog["test-words"]):
        return "test"
    folder_words = {word for folder in folders for word in re.split(r"[^a-z0-9]+", folder)}
    if (folders | folder_words | words) & set(catalog["test-folders"]):
        # a test suite's own stack (tests/e2e/docker-compose.yml, docker-compose.e2e.yml) turns on
        # the optional features it tests: not production, and not the test config production is
        # compared with
        return "test-stack"
    return header


#: roles whose files describe no deployment: never checked as production, nor paired with a test file
_NOT_DEPLOYED = frozenset({"test", "test-stack", "development", "example"})
_HEADER_LINES = 40  # a leading comment block longer than this is read no further


#: lines before a file's content that do not end its header: a YAML document marker, and compose's
#: `version:` and `name:` (takahe's "DO NOT USE THIS IN PRODUCTION" follows `version: "3.4"`)
_PREAMBLE = re.compile(r"---\s*$|(?:version|name)\s*:[^:]*$")


def header_role(text: str, phrases: dict[str, tuple[str, ...]]) -> str | None:
    """The role the leading `#` comment block of a file states ("Copy this file as ...": example)."""
    lines = []
    for line in text.split("\n", _HEADER_LINES)[:_HEADER_LINES]:  # not every line of a huge file
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            if line == stripped and _PREAMBLE.match(stripped):
                continue
            break
        lines.append(stripped.lstrip("#").strip().lower())
    header = " ".join(lines)
    return next((role for role, said in phrases.items() if any(phrase in header for phrase in said)), None)


_PROJECT_NAME = re.compile(r"^name:[ \t]*[\"']?([\w.-]{1,100})", re.MULTILINE)


def _project_role(text: str, catalog: dict[str, Any]) -> str | None:
    """The role a compose file's project name states (`name: opal-callbacks-example`)."""
    found = _PROJECT_NAME.search(text)
    if found is None:
        return None
    role = _role(f"{found.group(1)}.yml", catalog)
    return None if role == "production" else role


def _stem(rel: str, catalog: dict[str, Any]) -> tuple[str, str]:
    """(folder, name without its environment word): `config/testing.env` -> ("config", "env")."""
    folder = rel.rsplit("/", 1)[0] if "/" in rel else ""
    skip = set(catalog["test-words"]) | set(catalog["production-words"])
    return folder, ".".join(w for w in _words(rel) if w not in skip)


# --- the analyzer ------------------------------------------------------------------------------


class ConfigDriftAnalyzer(Analyzer):
    """Facts per file: a Python file's `EnvRead`s (a tuple), a config file's keys and value classes
    (plain JSON, keyed by the file's own keys)."""

    name = "config-drift"
    kinds = frozenset({PYTHON, ENV, CONFIG, CI})
    order = 50
    catalogs: ClassVar[tuple[str, ...]] = ("config-drift",)

    def __init__(self, rules: RuleSet) -> None:
        catalog = Entry.of(rules, "config-drift").fields(required=_CATALOG_KEYS, optional=("browser-words",))
        files = catalog["config-files"].fields(
            required=("test-words", "production-words", "example-words", "development-words", "test-folders",
                      "development-folders", "example-folders", "header-phrases"))
        self.header_phrases = {role: entry.strings() for role, entry in files.pop("header-phrases").fields(
            optional=("example", "development")).items()}
        self.files = {key: entry.strings() for key, entry in files.items()}
        # words of a compose profile or build stage only development runs (`backend-dev`, `ci`)
        self.development_words = frozenset(self.files["development-words"]) | frozenset(self.files["test-words"])
        self.classifier = ValueClassifier(catalog)
        self.toggles = [_toggle(entry) for entry in catalog["security-toggles"].items()]
        self.limit_keys = catalog["limit-keys"].strings()
        self.bind_keys = set(catalog["bind-keys"].strings())
        self.browser_words = frozenset(word.upper() for word in catalog["browser-words"].strings())

    def prepare(self, file: ParsedFile) -> None:
        if file.kind == PYTHON:
            file.collector("env-reads", EnvReadCollector)

    def file_facts(self, file: ParsedFile) -> tuple[EnvRead, ...] | dict[str, Any] | None:
        if file.kind == PYTHON:
            return tuple(r for r in file.collector("env-reads", EnvReadCollector).reads if r.how in _DEPLOYMENT_READS)
        if file.kind == ENV:
            return {"env": self.classifier.scrub(read_env(file.text, self.classifier)),
                    "role": header_role(file.text, self.header_phrases)}
        if file.kind == CI and "compose" in file.rel.rsplit("/", 1)[-1]:
            return {"compose": self.classifier.scrub_compose(
                        read_compose(file.text, self.classifier, self.development_words)),
                    "role": header_role(file.text, self.header_phrases) or _project_role(file.text, self.files)}
        if file.kind == CONFIG and _role(file.rel, self.files) in ("test", "production"):  # the files compared
            keys = read_structured(file.rel, file.text, self.classifier)
            return {"config": None if keys is None else self.classifier.scrub(keys)}
        return None

    def encode(self, facts: tuple[EnvRead, ...] | dict[str, Any] | None) -> Any:
        # config files' facts never go through the codec: a key named "_" would read as a class tag
        return codec.encode(facts) if isinstance(facts, tuple) else facts

    def decode(self, data: Any) -> tuple[EnvRead, ...] | dict[str, Any] | None:
        if not isinstance(data, list):
            return data
        reads = codec.decode(data)
        if not all(isinstance(read, EnvRead) for read in reads):
            raise codec.DecodeError("expected environment reads")
        return reads

    # --- link ------------------------------------------------------------------------------

    def link(self, project: Project) -> list[Finding]:
        decoded = self.decoded_facts(project)
        reads: dict[str, list[tuple[str, EnvRead]]] = {}
        for rel, code in sorted(decoded.items()):
            if isinstance(code, tuple):
                for read in code:
                    reads.setdefault(read.key, []).append((rel, read))
        facts = {rel: f for rel, f in decoded.items() if isinstance(f, dict)}
        env_files = {rel: f["env"] for rel, f in facts.items() if "env" in f}
        configs = {rel: f["config"] for rel, f in facts.items() if f.get("config")}
        composes = {rel: f["compose"] for rel, f in facts.items() if f.get("compose")}
        # config and .env files that did not parse (skipped, with the reason, in the report): never
        # compared, and never replaced by another file as the pair of a test file
        unparsed = {rel for rel, kind in project.kinds.items() if kind in (ENV, CONFIG) and rel not in decoded}
        containerized = next((f"{rel} defines {len(c)} services" for rel, c in sorted(composes.items()) if c), None)

        files = {rel: ConfigFile(rel, keys) for rel, keys in {**env_files, **configs}.items()}
        for rel, services in composes.items():  # a compose file's environment, its env_files merged in
            for service, spec in services.items():
                keys = dict(spec["env"])
                folder = rel.rsplit("/", 1)[0] + "/" if "/" in rel else ""
                complete = True
                for env_file in spec["env_files"]:
                    path = _normalise(folder + env_file)
                    keys = {**env_files.get(path, {}), **keys}
                    # an env_file the repository does not hold (`.env`, made from a template at
                    # deploy time) may set any key: what it lacks is unknown, not missing
                    complete = complete and path in env_files
                files[f"{rel}#{service}"] = ConfigFile(f"{rel}#{service}", keys, complete, (rel, service))

        roles = {rel: _role(rel, self.files, f.get("role")) for rel, f in facts.items()}
        roles.update({rel: _role(rel, self.files) for rel in unparsed})
        findings: list[Finding] = []
        for test, prod in self._pairs(files, roles, unparsed, project):
            findings.extend(self.compare(files[test], files[prod], reads))
        production = [files[rel] for rel in sorted({**env_files, **configs}) if roles.get(rel) == "production"]
        production += [ConfigFile(f"{rel}#{service}", spec["env"], service=(rel, service),
                                  unpublished=not spec["published"], host_network=spec["host_network"])
                       for rel, services in sorted(composes.items())
                       if roles.get(rel) not in _NOT_DEPLOYED for service, spec in services.items()]
        for config in production:
            findings.extend(self.production_checks(config, containerized))
        return findings

    def _pairs(self, files: dict[str, ConfigFile], roles: dict[str, str | None], unparsed: set[str],
               project: Project) -> list[tuple[str, str]]:
        """(test, production) pairs of `files`; a file in `unparsed` takes part in pairing as if it
        had parsed, and pairs that include one are dropped."""
        pairs = [(t, p) for t, p in project.config.config_pairs if t in files and p in files]
        # compose: a service of a test compose file against the same service of the deploy one
        # (indexed by service: a compose file may define a hundred thousand of them)
        services = [(key, file.service) for key, file in files.items() if file.service]
        deploy: dict[str, str] = {}
        for key, (rel, service) in services:
            if roles.get(rel) not in _NOT_DEPLOYED:
                deploy.setdefault(service, key)
        for key, (rel, service) in services:
            if roles.get(rel) == "test" and service in deploy:
                pairs.append((key, deploy[service]))
        plain = [*(k for k, f in files.items() if not f.service), *sorted(unparsed)]
        tests = [r for r in plain if roles.get(r) == "test"]
        prods = [r for r in plain if roles.get(r) == "production"]
        stems = {rel: _stem(rel, self.files) for rel in [*tests, *prods]}
        same_stem: dict[tuple[str, str], list[str]] = {}
        same_kind: dict[str, list[str]] = {}
        for prod in prods:
            same_stem.setdefault(stems[prod], []).append(prod)
            same_kind.setdefault(prod.rsplit(".", 1)[-1], []).append(prod)
        tests_of_kind: dict[str, int] = {}
        for test in tests:
            tests_of_kind[test.rsplit(".", 1)[-1]] = tests_of_kind.get(test.rsplit(".", 1)[-1], 0) + 1
        for test in tests:
            same = same_stem.get(stems[test], [])
            kind = same_kind.get(test.rsplit(".", 1)[-1], [])
            if same:
                pairs.append((test, same[0]))
            elif len(kind) == 1 and tests_of_kind[test.rsplit(".", 1)[-1]] == 1:
                pairs.append((test, kind[0]))
        return [(t, p) for t, p in dict.fromkeys(pairs) if t in files and p in files]

    def compare(self, test: ConfigFile, prod: ConfigFile, reads: dict[str, list]) -> list[Finding]:
        """`prod` checked against `test`: keys the code `reads` without a default, weaker toggles, limits."""
        findings = []
        for key, value in sorted(test.keys.items()):
            if value.get("passthrough"):
                continue  # `KEY=${KEY:-}`: the tests set nothing production lacks
            mine = prod.keys.get(key)
            if mine is not None and mine["kind"] != "empty":
                findings.extend(self._weaker(key, value, mine, test, prod))
                findings.extend(self._limits(key, value, mine, test, prod))
                continue
            if mine is None and not prod.complete:
                continue
            state = "empty" if mine is not None else "missing"
            required = [(rel, r) for rel, r in reads.get(key.upper(), reads.get(key, [])) if r.required]
            if required and value["kind"] != "empty":
                rel, read = required[0]
                findings.append(Finding(
                    rule="GA301", file=rel, line=read.line,
                    message=f"{key} is read here without a default, set in {test.rel} and {state} in {prod.rel}",
                    symbol=f"{key}|{prod.rel}",
                    evidence={"key": key, "test": f"{test.rel}:{value['line']} ({value['kind']})",
                              "production": f"{prod.rel} ({state})",
                              "read_by": [f"{r}:{x.line}" for r, x in required[:10]]},
                ))
            elif value["kind"] != "empty":
                readers = reads.get(key, [])
                findings.append(Finding(
                    rule="GA302", file=test.file, line=value["line"],
                    message=f"{key} is set for tests but {state} in {prod.rel}"
                            + (f" (read with a default at {readers[0][0]}:{readers[0][1].line})" if readers else ""),
                    symbol=f"{key}|{prod.rel}",
                    evidence={"key": key, "test": f"{test.rel}:{value['line']} ({value['kind']})",
                              "production": f"{prod.rel} ({state})"},
                ))
        for key, value in sorted(prod.keys.items()):
            # secrets have their own rule (GA306); a reference is resolved at deploy time
            if key not in test.keys and test.complete and value["kind"] not in ("empty", "reference", "secret", "token"):
                findings.append(Finding(
                    rule="GA307", file=prod.file, line=value["line"],
                    message=f"{key} is set in {prod.rel} but never in {test.rel}: tests never ran with it",
                    symbol=f"{key}|{test.rel}",
                    evidence={"key": key, "production": f"{prod.rel}:{value['line']} ({value['kind']})"},
                ))
        return findings

    def _toggle(self, key: str) -> Any:
        return next((unsafe for pattern, unsafe in self.toggles if pattern.search(key.replace(".", "_"))), None)

    @staticmethod
    def _is_unsafe(value: dict[str, Any], unsafe: Any) -> bool:
        if unsafe == "*":
            return value["kind"] == "wildcard"
        return value["kind"] == "bool" and value["value"] is unsafe

    def _weaker(self, key: str, test_value: dict, prod_value: dict, test: ConfigFile, prod: ConfigFile) -> list[Finding]:
        unsafe = self._toggle(key)
        if unsafe is None or not self._is_unsafe(prod_value, unsafe) or self._is_unsafe(test_value, unsafe):
            return []
        shown = "*" if unsafe == "*" else str(prod_value["value"]).lower()
        return [Finding(
            rule="GA305", file=prod.file, line=prod_value["line"],
            message=f"{key}={shown} in {prod.rel} but not in {test.rel}: production is less safe than what tests ran",
            symbol=f"{key}|{prod.rel}",
            evidence={"key": key, "production": f"{shown} ({prod.rel}:{prod_value['line']})",
                      "test": f"{_shown(test_value)} ({test.rel}:{test_value['line']})"},
        )]

    def _limits(self, key: str, test_value: dict, prod_value: dict, test: ConfigFile, prod: ConfigFile) -> list[Finding]:
        upper = key.upper()
        if test_value["kind"] != "number" or prod_value["kind"] != "number" or test_value["value"] == prod_value["value"]:
            return []
        if not any(part in upper for part in self.limit_keys):
            return []
        return [Finding(
            rule="GA308", file=prod.file, line=prod_value["line"],
            message=f"{key} is {_number(prod_value)} in production and {_number(test_value)} in tests",
            symbol=f"{key}|{prod.rel}",
            evidence={"key": key, "production": _number(prod_value), "test": _number(test_value)},
        )]

    def browser_facing(self, key: str, config: ConfigFile) -> bool:
        """An address browsers use, not the container: its key says so (`NEXT_PUBLIC_API_URL`), or
        the compose service it is set for does (`frontend`: its entrypoint writes the value into
        the page, as airweave's writes `window.ENV.API_URL`)."""
        words = set(re.split(r"[_.\-]", key.upper()))
        if config.service:
            words.update(re.split(r"[_.\-]", config.service[1].upper()))
        return not self.browser_words.isdisjoint(words)

    def production_checks(self, config: ConfigFile, containerized: str | None) -> list[Finding]:
        """One production file on its own: placeholders, localhost, literal secrets."""
        findings = []
        rel = config.file
        for key, value in sorted(config.keys.items()):
            kind = value["kind"]
            if kind == "placeholder":
                findings.append(Finding(
                    rule="GA304", file=rel, line=value["line"],
                    message=f"{key} in {config.rel} holds a placeholder value",
                    symbol=f"{key}|{config.rel}",
                    evidence={"key": key, "matches": value["pattern"]},
                ))
            elif (kind == "localhost" and not config.host_network and key.upper().replace(".", "_") not in self.bind_keys
                  and not self.browser_facing(key, config)):
                findings.append(Finding(
                    rule="GA303", file=rel, line=value["line"],
                    message=f"{key} points at {value['host']} in {config.rel}"
                            + (f": production runs in containers ({containerized})" if containerized else ""),
                    symbol=f"{key}|{config.rel}",
                    evidence={"key": key, "host": value["host"], "deployment": containerized or "not containerized"},
                    priority=None if containerized else "P1",
                ))
            if kind in ("token", "secret") or value.get("shape"):  # a host's URL may hold a password too
                what = ("a password in its URL" if kind in ("host", "localhost")
                        else f"a literal {value['shape']} token" if kind == "token" else "a literal secret")
                # a password of a service nobody outside its network reaches (a database's default in a
                # self-host compose file) opens nothing by itself; a token works wherever it is used
                inside = config.unpublished and kind == "secret" and not value.get("shape")
                findings.append(Finding(
                    rule="GA306", file=rel, line=value["line"],
                    message=f"{key} in {config.rel} holds {what} (value not shown)",
                    symbol=f"{key}|{config.rel}",
                    evidence={"key": key, "value": "redacted", "why": value.get("shape", "secret-named key, real-looking value"),
                              **({"reachable": "only from its compose network (the service publishes no port)"}
                                 if inside else {})},
                    priority="P2" if inside else None,
                ))
        return findings


def _toggle(entry: Entry) -> tuple[re.Pattern[str], bool | str]:
    """`{key: regex, unsafe: true|false|"*"}`: a key pattern and the value that is the unsafe one."""
    fields = entry.fields(required=("key", "unsafe"))
    unsafe = fields["unsafe"].value
    if not (isinstance(unsafe, bool) or unsafe == "*"):
        raise fields["unsafe"].error(f"expected true, false or '*', got {unsafe!r}")
    return fields["key"].pattern(re.IGNORECASE), unsafe


def _normalise(path: str) -> str:
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/".join(parts)


def _shown(value: dict[str, Any]) -> str:
    if value["kind"] == "bool":
        return str(value["value"]).lower()
    return value["kind"]


def _number(value: dict[str, Any]) -> str:
    number = value["value"]
    return str(int(number)) if float(number).is_integer() else str(number)


def read_config_file(rel: str, text: str, classifier: ValueClassifier) -> dict[str, dict[str, Any]] | None:
    """Keys of any supported config file: .env, YAML/JSON/TOML, or a compose file (service.KEY);
    keys holding a token renamed, as in a scan. None if it is none of those or does not parse."""
    try:
        return _read_config_file(rel, text, classifier)
    except ParseError:
        return None


def _read_config_file(rel: str, text: str, classifier: ValueClassifier) -> dict[str, dict[str, Any]] | None:
    name = rel.rsplit("/", 1)[-1]
    if name == ".env" or name.startswith(".env.") or name.endswith(".env"):
        return classifier.scrub(read_env(text, classifier))
    if "compose" in name:
        services = classifier.scrub_compose(read_compose(text, classifier))
        if services is not None:
            return {f"{service}.{key}": value for service, spec in services.items() for key, value in spec["env"].items()}
    keys = read_structured(rel, text, classifier)
    return None if keys is None else classifier.scrub(keys)


def config_diff(analyzer: ConfigDriftAnalyzer, a: ConfigFile, b: ConfigFile) -> tuple[list[tuple[str, str, str, str]], list[Finding]]:
    """`gapaudit config-diff A B`: rows (key, A, B, status), and B checked as production against A
    (no code is read, so a missing key is at most P1). The files are read with the revealing
    classifier (`ValueClassifier.revealing`): a cell shows a value's kind, and the value itself
    (escaped, tokens hidden) unless its key names a secret or it is a token; "same" compares
    digests keyed for this process."""
    rows = []
    for key in sorted(set(a.keys) | set(b.keys)):
        left, right = a.keys.get(key), b.keys.get(key)
        status = ("only in " + a.rel if right is None else "only in " + b.rel if left is None
                  else "same" if _same(left, right) else "differs")
        rows.append((key, _cell(left), _cell(right), status))
    findings = analyzer.compare(a, b, {}) + analyzer.production_checks(b, None)
    return rows, findings


def _same(left: dict[str, Any], right: dict[str, Any]) -> bool:
    if "digest" in left or "digest" in right:
        return left["kind"] == right["kind"] and left.get("digest") == right.get("digest")
    return all(left.get(k) == right.get(k) for k in ("kind", "value", "host"))


def _cell(value: dict[str, Any] | None) -> str:
    if value is None:
        return "-"
    kind = value["kind"]
    if kind == "bool":
        return f"bool {str(value['value']).lower()}"
    if kind == "number":
        return f"number {_number(value)}"
    if kind == "token":
        return f"token {value['shape']} (hidden)"
    if "shown" in value:
        return f"{kind} {value['shown']}"
    if kind in ("host", "localhost"):  # a secret-named key's URL: its host only
        return f"{kind} {value['host']}" + (" (password hidden)" if value.get("shape") else "")
    return kind if kind in ("empty", "wildcard", "structure") else f"{kind} (hidden)"  # a secret-named key's
