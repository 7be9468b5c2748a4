"""What deploy files start: the commands of Dockerfiles, compose files, Kubernetes manifests and
Helm templates, Procfiles, supervisord and systemd units, and the shell scripts they run; and the
console scripts a project declares. Per file, pure, bounded: facts for the deployed-code model
(`deployed.py`), which decides what those commands run."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass

from ..python import codec

_MAX_COMMANDS = 2000  # per file
_MAX_LINE = 4000  # characters of one logical line read as a command
_SHELL_OPERATORS = frozenset({"&&", "||", ";", "|", "&", ";;", "(", ")", "|&"})
_DOCKER_START = re.compile(r"(?i)^\s*(CMD|ENTRYPOINT)\s+(.*)$")
_YAML_KEY = re.compile(r"^(\s*)(?:-\s+)?(command|entrypoint|args)\s*:\s*(.*?)\s*$")
_YAML_ITEM = re.compile(r"^(\s*)-\s+(.*?)\s*$")
_INI_START = re.compile(r"^\s*(command|ExecStart)\s*=\s*(.+)$")
_PROCFILE = re.compile(r"^\s*[\w.-]+\s*:\s*(.+)$")
_TOML_SECTION = re.compile(r"^\s*\[([^\]]*)\]\s*$")
_TOML_SCRIPT = re.compile(r"""^\s*["']?([A-Za-z0-9_.-]+)["']?\s*=\s*["']\s*([A-Za-z_][\w.]*)\s*(?::[\w.]*)?\s*["']""")
_CFG_SCRIPT = re.compile(r"^\s*([A-Za-z0-9_.-]+)\s*=\s*([A-Za-z_][\w.]*)\s*:\s*[\w.]+\s*$")
_SCRIPT_TABLES = frozenset({"project.scripts", "tool.poetry.scripts", "project.gui-scripts"})
_PLUGIN_TABLES = ("project.entry-points.", "tool.poetry.plugins.")


@codec.register
@dataclass(frozen=True, slots=True)
class Command:
    """One command line: its words, shell-split, and where it stands."""

    line: int
    words: tuple[str, ...]


@codec.register
@dataclass(frozen=True, slots=True)
class DeployFile:
    """What one deploy file says a deployment runs.

    `starts`: its commands are processes a deployment starts (a Dockerfile's CMD, a compose
    service's `command:`, a Procfile line); else (a shell script) they run only when such a
    command runs the script. `scripts`: console scripts it declares, (name, module)."""

    path: str
    starts: bool
    commands: tuple[Command, ...] = ()
    scripts: tuple[tuple[str, str], ...] = ()
    plugins: tuple[str, ...] = ()  # modules of the other entry points it declares (plugins)


def is_dockerfile(name: str) -> bool:
    # `docker build` finds a lower-case `dockerfile` as well
    return name in ("Dockerfile", "dockerfile") or name.startswith("Dockerfile.") or name.endswith(".Dockerfile")


_NOT_DEPLOYING = frozenset({"tests", "test", "testing", "e2e", ".github", ".circleci", ".gitlab"})  # folders
_CI_FILES = frozenset({".gitlab-ci.yml", "azure-pipelines.yml", "bitbucket-pipelines.yml", ".travis.yml"})


def deploy_file(path: str, text: str) -> DeployFile | None:
    """The commands and console scripts of a file, if it is a kind of file that has them; none
    for test infrastructure and CI configuration, which start no deployment."""
    *folders, name = path.split("/")
    lower = name.lower()
    if lower in _CI_FILES or _NOT_DEPLOYING.intersection(f.lower() for f in folders):
        return None
    if is_dockerfile(name):
        return DeployFile(path, True, _dockerfile(text))
    if lower.startswith("procfile"):
        return DeployFile(path, True, _matching(text, _PROCFILE))
    if lower.endswith((".conf", ".ini", ".service")):
        commands = _matching(text, _INI_START)
        return DeployFile(path, True, commands) if commands else None
    if lower.endswith(".sh") or lower in ("entrypoint", "start", "run", "docker-entrypoint"):
        return DeployFile(path, False, _script(text))
    if lower == "pyproject.toml":
        scripts, plugins = _toml_entry_points(text)
        return DeployFile(path, False, scripts=scripts, plugins=plugins) if scripts or plugins else None
    if lower == "setup.cfg":  # every `name = module:function` line: console scripts and other entry points
        scripts = _cfg_scripts(text)
        return DeployFile(path, False, scripts=scripts, plugins=tuple(m for _, m in scripts)) if scripts else None
    if lower.endswith((".yml", ".yaml")) and (
            "command:" in text or "entrypoint:" in text or "args:" in text):
        commands = _yaml(text)
        return DeployFile(path, True, commands) if commands else None
    return None


def split_command(text: str) -> list[list[str]]:
    """A shell command line as the simple commands it runs (`a && b | c` -> a, b, c)."""
    text = text[:_MAX_LINE]
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        tokens = list(lexer)
    except ValueError:  # an unbalanced quote: read it word by word
        tokens = text.split()
    commands: list[list[str]] = [[]]
    for token in tokens:
        if token in _SHELL_OPERATORS:
            commands.append([])
        else:
            commands[-1].append(token)
    return [words for words in commands if words]


def _commands(line: int, text: str) -> list[Command]:
    return [Command(line, tuple(words)) for words in split_command(text)]


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Lines with backslash continuations joined, each with the number of its first line."""
    out: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        stripped = raw.rstrip()
        if stripped.endswith("\\"):
            pending.append(stripped[:-1])
            continue
        pending.append(stripped)
        out.append((start, " ".join(pending)))
        pending = []
    if pending:
        out.append((start, " ".join(pending)))
    return out


def _dockerfile(text: str) -> tuple[Command, ...]:
    found: list[Command] = []
    for number, line in _logical_lines(text):
        match = _DOCKER_START.match(line)
        if not match:
            continue
        value = match.group(2).strip()
        words = _json_words(value)
        found += [Command(number, tuple(words))] if words is not None else _commands(number, value)
        if len(found) >= _MAX_COMMANDS:
            break
    return tuple(found)


def _json_words(value: str) -> list[str] | None:
    """The exec form `["uvicorn", "app:app"]`, or None when the value is not one."""
    if not value.startswith("["):
        return None
    try:
        words = json.loads(value[:_MAX_LINE])
    except ValueError:
        return None
    if isinstance(words, list) and all(isinstance(w, str) for w in words):
        # ["sh", "-c", "a && b"] is a shell line: the deployed-code model reads `-c` itself
        return words
    return None


def _matching(text: str, pattern: re.Pattern[str]) -> tuple[Command, ...]:
    found: list[Command] = []
    for number, line in _logical_lines(text):
        match = pattern.match(line)
        if match:
            found += _commands(number, match.groups()[-1])
            if len(found) >= _MAX_COMMANDS:
                break
    return tuple(found)


def _script(text: str) -> tuple[Command, ...]:
    found: list[Command] = []
    for number, line in _logical_lines(text):
        if line.lstrip().startswith("#"):
            continue
        found += _commands(number, line)
        if len(found) >= _MAX_COMMANDS:
            break
    return tuple(found)


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _yaml(text: str) -> tuple[Command, ...]:
    """`command:`/`entrypoint:`/`args:` values of compose files, Kubernetes manifests and Helm
    templates, read from the text (a Helm template is no YAML until rendered): an inline string
    or list, or the `- item` lines below the key. A container's `args:` right after its
    `command:` continue that command, as Kubernetes runs them."""
    lines = text.splitlines()
    found: list[Command] = []
    at = 0
    previous: tuple[str, int, list[str]] | None = None  # the last key: its name, indent and words
    while at < len(lines) and len(found) < _MAX_COMMANDS:
        match = _YAML_KEY.match(lines[at])
        at += 1
        if not match:
            continue
        indent, key, value = len(match.group(1)), match.group(2), match.group(3)
        number = at
        words: list[str] = []
        if value.startswith("["):
            words = _flow_list(value)
        elif value and value[0] in ">|":  # a block scalar: the more indented lines below
            block = []
            while at < len(lines) and (not lines[at].strip() or len(lines[at]) - len(lines[at].lstrip()) > indent):
                block.append(lines[at].strip())
                at += 1
            for command in split_command(" ".join(block)):
                found.append(Command(number, tuple(command)))
            continue
        elif value and not value.startswith("#"):
            for command in split_command(_unquote(value)):
                found.append(Command(number, tuple(command)))
            continue
        else:
            while at < len(lines):
                item = _YAML_ITEM.match(lines[at])
                if not item or len(item.group(1)) < indent:
                    break
                words.append(_unquote(item.group(2)))
                at += 1
        if not words:
            continue
        if key == "args" and previous and previous[0] == "command" and previous[1] == indent:
            found[-1] = Command(found[-1].line, (*found[-1].words, *words))
        else:
            found.append(Command(number, tuple(words)))
        previous = (key, indent, words)
    return tuple(found)


def _flow_list(value: str) -> list[str]:
    """`["python", "-m", "app"]` (JSON or YAML flow style, quoted or not)."""
    words = _json_words(value)
    if words is not None:
        return words
    inner = value[1:value.rfind("]")] if "]" in value else value[1:]
    return [_unquote(part) for part in inner.split(",") if part.strip()]


def _toml_entry_points(text: str) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """Console scripts, (name, module), and the modules of other entry points."""
    scripts: list[tuple[str, str]] = []
    plugins: list[str] = []
    section = ""
    for line in text.splitlines():
        header = _TOML_SECTION.match(line)
        if header:
            section = header.group(1).strip().replace('"', "").replace("'", "")
        elif (entry := _TOML_SCRIPT.match(line)) and len(scripts) + len(plugins) < _MAX_COMMANDS:
            if section in _SCRIPT_TABLES:
                scripts.append((entry.group(1), entry.group(2)))
            elif section.startswith(_PLUGIN_TABLES):
                plugins.append(entry.group(2))
    return tuple(scripts), tuple(plugins)


def _cfg_scripts(text: str) -> tuple[tuple[str, str], ...]:
    scripts = [(m.group(1), m.group(2)) for line in text.splitlines() if (m := _CFG_SCRIPT.match(line))]
    return tuple(scripts[:_MAX_COMMANDS])
