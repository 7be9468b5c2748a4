"""Deployed code: the Python modules the processes a deployment starts can import.

The deployment's commands (`launch.py`) name what each process runs: `uvicorn app.main:app`,
`python -m worker`, `gunicorn proj.wsgi`, a console script, a shell script that runs one of
those. From the modules they name, imports are followed (every import statement, wherever it
stands; module names spelled in strings, as frameworks load code by name; modules imported by a
computed name under a constant package). A module none of that reaches is code the deployment
never runs. Frameworks also load code by names built at run time (Django's admin modules and
management commands, plugins found by listing a folder), which no reading of imports follows, but
from the folders the deployment imports: so the unit is the top-level folder, and a folder none
of whose modules the deployment imports is code it never runs: an evaluation harness, a client,
a second application nobody deploys, a script at the root.

Undecided, and so every module counts as deployed, when the project has no deploy file that
starts Python code, or when a command runs Python code that cannot be found in the project.
Entry points load the ones the project declares (pyproject, setup.cfg, setup.py)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..python import codec
from ..python.modules import ModuleIndex
from .launch import Command, DeployFile, split_command

# words before the command a process runs: init systems, privilege droppers, tracers, runners
_WRAPPERS = frozenset({"exec", "tini", "dumb-init", "gosu", "su-exec", "nice", "nohup", "time", "env",
                       "opentelemetry-instrument", "ddtrace-run", "newrelic-admin", "run-program",
                       "watchmedo", "doppler", "infisical"})
_TAKES_ONE = frozenset({"gosu", "su-exec"})  # the user to run as
_RUNNERS = frozenset({"poetry", "uv", "pdm", "pipenv", "hatch", "rye", "pixi"})  # `<runner> run <command>`
_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ash", "source", "."})
_SERVERS = frozenset({"uvicorn", "gunicorn", "hypercorn", "daphne", "granian", "uvicorn-worker"})
_WORKERS = frozenset({"celery", "arq", "dramatiq", "rq", "huey_consumer", "taskiq", "faust", "saq"})
_FILE_RUNNERS = frozenset({"streamlit", "chainlit", "gradio", "panel"})  # `<tool> run app.py`
_NOT_SERVED = frozenset({"alembic", "pytest", "pip", "pip3", "mypy", "ruff", "black", "coverage", "tox", "nox"})
_NOT_SERVED_MODULES = _NOT_SERVED | {"venv", "http.server", "ensurepip"}  # `python -m ...`
_OPTION_VALUES = frozenset({"-W", "-X"})  # python options that take the next word
_KEYWORDS = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "command", "builtin"})
_PYTHON = re.compile(r"python[\d.]*")
_APP_SPEC = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*(?:\(.*\))?")  # `app.main:app`, `app:create_app()`
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")


@dataclass(frozen=True)
class Entry:
    """A module a deployment runs, and the command that runs it."""

    module: str  # file, relative to the scanned root
    command: str  # `python -m app` (Dockerfile:12)
    worker: bool = False  # a task queue's worker (`arq app.worker.WorkerSettings`), not a server


@dataclass(frozen=True)
class Deployed:
    """Which modules the deployment runs. `modules` None: undecided (see `undecided`), all do."""

    entries: tuple[Entry, ...]
    modules: frozenset[str] | None
    undecided: str | None = None
    #: modules only task-queue workers import (no other process's imports reach them) -> the
    #: worker command that does
    workers: Mapping[str, str] = field(default_factory=dict)

    def runs(self, module: str) -> bool:
        return self.modules is None or module in self.modules

    def worker_only(self, module: str) -> str | None:
        """The worker command that runs the module, if only task-queue workers import it."""
        return self.workers.get(module)

    @staticmethod
    def folder(module: str) -> str:
        return _folder(module)

    def started(self, limit: int = 3) -> str:
        """What the deployment starts, for a gap's evidence."""
        shown = [entry.command for entry in self.entries[:limit]]
        more = len(self.entries) - limit
        return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


@codec.register
@dataclass(frozen=True, slots=True)
class ModuleEdges:
    """What importing one module imports: files, and package folders it loads every module of
    (`*` for entry points, `""` for the whole tree)."""

    path: str
    imports: tuple[str, ...]
    loads: tuple[str, ...] = ()


def module_edges(path: str, index: ModuleIndex, imports: Iterable[str], references: Iterable[str],
                 dynamic: Iterable[str]) -> ModuleEdges:
    """`imports`: module names import statements may import, relative ones with their dots;
    `references`: module names strings spell; `dynamic`: constant starts of computed import names."""
    found: dict[str, None] = {}
    for dotted in imports:
        head = len(dotted) - len(dotted.lstrip("."))
        parts = dotted[head:].split(".") if dotted[head:] else []
        for end in range(0 if head else 1, len(parts) + 1):  # `import a.b.c` imports a, a.b and a.b.c
            target = index.resolve(path, "." * head + ".".join(parts[:end]))
            if target:
                found[target] = None
    packages: dict[str, None] = {}  # packages the module's strings name
    for name in references:
        parts = name.split(".")
        for end in range(len(parts), 0, -1):  # `app.views.Home` names the module app.views
            target = index.file_of(".".join(parts[:end]))
            if target:
                found[target] = None
                if target.endswith("/__init__.py"):
                    packages[posixpath.dirname(target) + "/"] = None
                break
    loads: dict[str, None] = {}
    for start in dynamic:
        if start == "*":  # entry points: whatever is installed
            loads["*"] = None
        elif start == "?":  # a name computed from variables: any module of the packages its strings name
            loads.update(packages if packages else {"": None})
        elif (target := index.resolve(path, start.rstrip(".") or ".")) and target.endswith("__init__.py"):
            loads[posixpath.dirname(target) + "/" if "/" in target else ""] = None
        elif target:
            found[target] = None
        # a start that names no module of the project loads someone else's code
    found.pop(path, None)
    return ModuleEdges(path, tuple(found), tuple(loads))


def deployed(files: Iterable[DeployFile], edges: Mapping[str, ModuleEdges], index: ModuleIndex,
             scripts: Iterable[tuple[str, str]] = (), other: frozenset[str] = frozenset()) -> Deployed:
    """The modules the deployment's processes run, from the deploy files and every module's edges.
    `scripts`: console scripts declared in Python (a setup.py), (name, module); `other`: the
    scanned tree's other files (a command that runs a test file runs no module of the service)."""
    files = list(files)
    scripts = list(scripts)
    consoles = dict(scripts)
    plugins = [module for _, module in scripts]  # a setup.py's strings: console scripts and entry points alike
    for file in files:
        consoles.update(file.scripts)
        plugins += file.plugins
    reader = _Commands(files, index, consoles, other)
    entries: list[Entry] = []
    for file in files:
        if file.starts:
            for command in file.commands:
                undecided = reader.read(file, command, file, entries)
                if undecided:
                    return Deployed(tuple(entries), None, undecided)
    if not entries:
        return Deployed((), None, "no deploy file starts Python code of the project")
    # what every process but the workers imports, then each worker's: together, what the deployment runs
    others = _imported([entry.module for entry in entries if not entry.worker], edges, index, plugins)
    reached = set(others)
    # a module only workers import runs in a worker's process, never one serving requests; each
    # module by itself here (no folder counted whole), so a server that loads one by a name the
    # imports do not show would make it look like a worker's: that costs a gap its P0, no more
    workers: dict[str, str] = {}
    for entry in entries:
        if entry.worker:
            own = _imported([entry.module], edges, index, plugins)
            reached |= own
            if others:  # with no other process found, what serves requests is not known
                for module in own - others:
                    workers.setdefault(module, entry.command)
    # what a deployment imports by names built at run time (Django's conventions, plugins) stays
    # in the folders it imports from: a top-level folder counts whole once any module of it runs
    folders = {_folder(rel) for rel in reached}
    return Deployed(tuple(entries), frozenset(rel for rel in index.files if _folder(rel) in folders), workers=workers)


def _imported(starts: list[str], edges: Mapping[str, ModuleEdges], index: ModuleIndex, plugins: list[str]) -> set[str]:
    """The modules importing these imports, with the packages above each and what they load."""
    reached: set[str] = set()
    loaded: set[str] = set()  # packages loaded whole: each listed once, however many modules load it
    todo = list(starts)
    while todo:
        module = todo.pop()
        if module in reached:
            continue
        reached.add(module)
        folder = module
        while "/" in folder:  # importing a.b.c runs the packages a and a.b first
            folder = folder.rsplit("/", 1)[0]
            if f"{folder}/__init__.py" in index.files:
                todo.append(f"{folder}/__init__.py")
        found = edges.get(module)
        if found is None:
            continue
        todo.extend(found.imports)
        for package in found.loads:
            if package == "*":  # entry points: the project's own are the ones it declares
                todo.extend(target for name in plugins if (target := index.file_of(name)))
            elif package and package not in loaded:  # a whole tree (""): its own folder, deployed already
                loaded.add(package)
                todo.extend(rel for rel in index.files if rel.startswith(package))
    return reached


def _folder(rel: str) -> str:
    """The top-level folder of a file (`evaluation/` of evaluation/core/run.py), or the file itself at the root."""
    return rel.split("/", 1)[0] + "/" if "/" in rel else rel


class _Commands:
    """Reads deploy commands into the modules they run."""

    def __init__(self, files: list[DeployFile], index: ModuleIndex, consoles: dict[str, str],
                 other: frozenset[str]) -> None:
        self.index = index
        self.other = other
        self.consoles = consoles
        self.scripts = {file.path: file for file in files if not file.starts}
        self.followed: set[str] = set()  # scripts read already

    def read(self, file: DeployFile, command: Command, origin: DeployFile, entries: list[Entry]) -> str | None:
        """Adds the modules `command` runs to `entries`; a reason when what it runs cannot be known."""
        words = list(command.words)
        where = f"{file.path}:{command.line}" + (f", run by {origin.path}" if origin is not file else "")
        while words:
            name = posixpath.basename(words[0])
            if "=" in words[0] and not words[0].startswith("-"):  # VAR=value before the command
                words = words[1:]
            elif name in _KEYWORDS:
                words = words[1:]
            elif name in _WRAPPERS or words[0] in ("--",):
                words = words[2:] if name in _TAKES_ONE else words[1:]
                while words and words[0].startswith("-") and words[0] != "--":
                    words = words[1:]
            elif name in _RUNNERS and len(words) > 1 and words[1] == "run":
                words = words[2:]
            else:
                break
        if not words:
            return None
        name = posixpath.basename(words[0])
        args = words[1:]
        if name in _SHELLS:
            if args and args[0] == "-c" and len(args) > 1:
                for inner in split_command(args[1]):
                    if (why := self.read(file, Command(command.line, tuple(inner)), origin, entries)):
                        return why
                return None
            script = next((a for a in args if not a.startswith("-")), None)
            return self._script(script, file, origin, entries) if script else None
        if _PYTHON.fullmatch(name):
            return self._python(args, file, command, origin, entries, where)
        if name in _SERVERS or name in _WORKERS or name in ("flask", "fastapi", "django-admin") or name in _FILE_RUNNERS:
            return self._tool(name, args, file, entries, where)
        if name in _NOT_SERVED:
            return None
        if name in self.consoles:
            return self._module(self.consoles[name], file, entries, f"`{name}` ({where})")
        if name.endswith(".py"):
            return self._file(words[0], file, entries, f"`{words[0]}` ({where})")
        return self._script(words[0], file, origin, entries)

    def _python(self, args: list[str], file: DeployFile, command: Command, origin: DeployFile,
                entries: list[Entry], where: str) -> str | None:
        at = 0
        while at < len(args) and args[at].startswith("-"):
            if args[at] == "-m" and at + 1 < len(args):
                module = args[at + 1]
                rest = args[at + 2:]
                if module in _SERVERS or module in _WORKERS or module in ("flask", "fastapi"):
                    return self._tool(module, rest, file, entries, where)
                if module in _NOT_SERVED_MODULES:
                    return None
                return self._module(module, file, entries, f"`python -m {module}` ({where})")
            if args[at] == "-c":
                return None
            at += 2 if args[at] in _OPTION_VALUES else 1
        if at < len(args):
            return self._file(args[at], file, entries, f"`python {args[at]}` ({where})")
        return None

    def _tool(self, name: str, args: list[str], file: DeployFile, entries: list[Entry], where: str) -> str | None:
        """The app of a server, a worker, `flask`, `fastapi` or `streamlit`. The evidence shows the
        tool and the app it names, never its other arguments, which may hold a secret."""
        if name in ("fastapi", *_FILE_RUNNERS):
            paths = [a for a in args if not a.startswith("-") and a not in ("run", "dev")]
            if paths:
                return self._file(paths[0], file, entries, f"`{name} {paths[0]}` ({where})")
            return self._first_file(("main.py", "app.py", "app/main.py", "api/main.py"), file, entries,
                                    f"`{name}` ({where})", name)
        app = None
        for at, arg in enumerate(args):
            if arg in ("-A", "--app") and at + 1 < len(args):
                app = args[at + 1]
                break
            if arg.startswith(("--app=", "-A=")):
                app = arg.split("=", 1)[1]
                break
        if app is None:
            spec = [a for a in args if _APP_SPEC.fullmatch(a)]
            dotted = [a for a in args if _DOTTED.fullmatch(a) and a not in ("run", "worker", "beat", "flower", "serve")]
            app = spec[0] if spec else dotted[-1] if dotted and name not in ("flask",) else None
        if app is None:
            if name == "flask":
                return self._first_file(("app.py", "wsgi.py"), file, entries, f"`{name}` ({where})", name)
            return f"{name} in {where} runs an app not named on its command line"
        return self._module(app.split(":", 1)[0].removesuffix(".py").replace("/", "."), file, entries,
                            f"`{name} {app}` ({where})", worker=name in _WORKERS)

    def _module(self, name: str, file: DeployFile, entries: list[Entry], shown: str, worker: bool = False) -> str | None:
        parts = name.split(".")
        found = None
        for end in range(len(parts), 0, -1):  # `arq app.worker.WorkerSettings` runs app.worker
            found = self._find_module(".".join(parts[:end]), file)
            if found:
                break
        if found is None:
            return f"{shown} runs {name}, which is not in the scanned code"
        entries.append(Entry(found, shown, worker))
        main = found.removesuffix("__init__.py") + "__main__.py"
        if found.endswith("__init__.py") and main in self.index.files:  # `python -m package`
            entries.append(Entry(main, shown, worker))
        return None

    def _find_module(self, name: str, file: DeployFile) -> str | None:
        """The module `name` is, looked up from the deploy file's folder up to the root (a
        Dockerfile in backend/ runs `uvicorn main:app` from its copy of backend/), then by name."""
        path = name.replace(".", "/")
        folder = posixpath.dirname(file.path)
        while True:
            found = self.index.file_at(f"{folder}/{path}" if folder else path)
            if found:
                return found
            if not folder:
                break
            folder = posixpath.dirname(folder)
        return self.index.file_of(name)

    def _file(self, path: str, file: DeployFile, entries: list[Entry], shown: str) -> str | None:
        found = self._find_file(path, file, self.index.files)
        if found is None:
            if not path.endswith(".py") or self._find_file(path, file, self.other):
                return None  # not Python, or a test the tree has
            return f"{shown} runs {path}, which is not in the scanned code"
        entries.append(Entry(found, shown))
        return None

    def _first_file(self, names: tuple[str, ...], file: DeployFile, entries: list[Entry], shown: str,
                    tool: str) -> str | None:
        for name in names:
            found = self._find_file(name, file, self.index.files)
            if found:
                entries.append(Entry(found, shown))
                return None
        return f"{tool} in {shown} runs an app not named on its command line"

    def _script(self, path: str, file: DeployFile, origin: DeployFile, entries: list[Entry]) -> str | None:
        """Follow a shell script the command runs (once): its commands run what it runs."""
        found = self._find_file(path, file, self.scripts)
        if found is None or found in self.followed:
            return None
        self.followed.add(found)
        script = self.scripts[found]
        for command in script.commands:
            if (why := self.read(script, command, origin, entries)):
                return why
        return None

    @staticmethod
    def _find_file(path: str, file: DeployFile, files: Iterable[str]) -> str | None:
        """The project file a path in a container means: `/app/src/run.py` is `src/run.py` or
        `backend/src/run.py` of the tree; the one closest to the deploy file when several are."""
        parts = [p for p in path.split("/") if p not in ("", ".")]
        if not parts or ".." in parts or "$" in path:
            return None
        for start in range(len(parts)):
            tail = "/".join(parts[start:])
            matches = [rel for rel in files if rel == tail or rel.endswith("/" + tail)]
            if matches:
                home = posixpath.dirname(file.path)
                return min(matches, key=lambda rel: (not rel.startswith(home), rel.count("/"), rel))
        return None
