"""Wall time and peak memory of gapaudit beside ruff and flake8-async on the same real code, in one run.

Usage (from the repository root, with `pip install -e '.[bench]'`):

    python bench/perf.py                      # every corpus under bench/corpus/, 5 runs each
    python bench/perf.py dispatch khoj --runs 3
    python bench/perf.py --big                # also one tree combining every corpus (>= 500k lines)
    python bench/perf.py --profile dispatch   # also cProfile one cold scan of dispatch (--jobs 1)

Corpora: bench/corpus/<name>/ checked out at the commits pinned in bench/corpus.yml (see
docs/benchmarks.md), plus any other folder there, such as bench/corpus/libs (installed sources of
anyio, starlette, fastapi, httpx, pydantic, libcst, ...). The gapaudit measured is the checkout
this script lives in, so a worktree measures its own branch.

Each corpus gets N rounds (--runs, default 5); a round runs, one after the other on the same tree:
  ruff cold            ruff check --no-cache --select ASYNC --exit-zero <dir>
  gapaudit cold        gapaudit scan <dir> --cache-dir <new empty dir> --format json -o /dev/null
  warm                 the same command again, nothing changed
  one file changed     `# perf` appended to one fixed non-test file (the median one by lines), on a
                       copy of the warm cache; the file is restored byte for byte (and its mtime).
                       A comment changes no fact, so the link results are reused;
  one file edited      the same, but appending a function (`def _perf_edit(): return len("perf")`):
                       the file's facts change, so every file's facts are read and linked again
  default command warm gapaudit scan <dir> --cache-dir <warm cache> --output-dir <tmp>: all five formats
  flake8-async subset  flake8-async on the first 40 non-test .py files in sorted order (a whole
                       service takes it 20-90 s), also shown per file
(every gapaudit command also gets --fail-on never --no-baseline and the default --jobs, one per core).
Figures are medians over the rounds: wall time, and memory two ways: the largest single process
(kernel max RSS of the child and every worker it reaped) and all processes at once (sum of PSS over
the child's process group, sampled every 100 ms; workers share pages with their parent, so not RSS),
and CPU time (user + system, workers included), steadier than wall time on a busy machine.
Lines count every .py file in the tree, tests included. The OS file cache is warm in every run
(lines are counted first), so "cold" means an empty gapaudit cache.

--big copies every corpus into one temporary tree, each under its own folder, and measures it the
same way (the goal: at most 500 MB peak on 500k lines). --profile NAME runs one cold scan of NAME
in a single process under cProfile and prints the top 25 functions by cumulative and by own time,
and the share of ast.parse and compile. Linux only (/proc, pidfd).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import pstats
import re
import select
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import yaml

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
CORPUS = BENCH / "corpus"
BIN = Path(sys.executable).parent
RUFF = str(BIN / "ruff")
FLAKE8_ASYNC = str(BIN / "flake8-async")
FLAKE8_FILES = 40
BIG = "all (combined)"
BIG_LINES = 500_000
SAMPLE_EVERY = 0.1  # seconds between memory samples
JSON_ONLY = ("--format", "json", "-o", os.devnull)
MODES = ("ruff", "cold", "warm", "changed", "edited", "default", "flake8")
EDITS = {"changed": b"# perf\n", "edited": b"\n\ndef _perf_edit():\n    return len('perf')\n"}
# The file lists come from this walk, not from gapaudit's discovery, so they stay the same while the
# code under test changes; it prunes what every Python tool skips and names tests as gapaudit does.
_SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", "__pycache__", "venv", ".venv", ".tox",
                        ".nox", "site-packages", "build", "dist", ".eggs"})
_TEST_NAME = re.compile(r"^(test_.*|.*_test|conftest)\.py$")
_TEST_DIRS = frozenset({"tests", "test", "testing"})


class BenchError(Exception):
    pass


@dataclass(frozen=True)
class Tree:
    name: str
    root: Path
    files: int  # .py files
    lines: int  # in those files
    sources: tuple[str, ...]  # non-test .py files, relative, sorted
    edited: str  # the non-test file "one file changed" appends to


@dataclass(frozen=True)
class Sample:
    seconds: float
    cpu_seconds: float  # user + system of the child and every worker it reaped
    max_rss_mb: float  # largest single process
    group_mb: float  # all processes at once


def tree_of(name: str, root: Path) -> Tree:
    sizes: dict[str, int] = {}
    sources: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        base = Path(dirpath).relative_to(root)
        for filename in filenames:
            if not filename.endswith(".py"):
                continue
            rel = (base / filename).as_posix()
            sizes[rel] = len((root / rel).read_bytes().splitlines())
            if not (_TEST_NAME.match(filename) or _TEST_DIRS.intersection(base.parts)):
                sources.append(rel)
    if not sources:
        raise BenchError(f"{root}: no non-test Python files")
    sources.sort()
    # the median file by lines: a typical edit, neither an empty __init__.py nor a generated giant
    edited = sorted(sources, key=lambda rel: (sizes[rel], rel))[len(sources) // 2]
    return Tree(name, root, len(sizes), sum(sizes.values()), tuple(sources), edited)


class GroupMemory(threading.Thread):
    """Peak of the summed PSS of one process group, polled from /proc while it runs."""

    def __init__(self, pgid: int) -> None:
        super().__init__(daemon=True)
        self.pgid = pgid
        self.peak_kb = 0
        self._done = threading.Event()

    def run(self) -> None:
        # Ctrl-C and SIGTERM must reach the main thread, which waits on the child and cleans up
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        while True:
            self.peak_kb = max(self.peak_kb, self._pss_kb())
            if self._done.wait(SAMPLE_EVERY):
                return

    def stop(self) -> None:
        self._done.set()
        if self.is_alive():
            self.join()

    def _pss_kb(self) -> int:
        total = 0
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as stat:
                    # fields after the command name: state, ppid, pgrp
                    if int(stat.read().rsplit(b")", 1)[1].split()[2]) != self.pgid:
                        continue
                with open(f"/proc/{entry.name}/smaps_rollup", "rb") as rollup:
                    total += next(int(line.split()[1]) for line in rollup if line.startswith(b"Pss:"))
            except (OSError, StopIteration, ValueError, IndexError):
                continue  # the process ended between the two reads
        return total


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def _show(cmd: list[str]) -> str:
    return shlex.join(cmd) if len(cmd) <= 20 else f"{shlex.join(cmd[:3])} ... ({len(cmd) - 3} more arguments)"


def run(cmd: list[str], timeout: float, ok: tuple[int, ...] = (0,)) -> Sample:
    """Run `cmd` in its own process group, so a timeout or Ctrl-C also ends its workers."""
    with tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        # cwd=REPO puts this checkout first on sys.path, so `-m gapaudit` is the code under test, and
        # never a corpus folder (bench/corpus/libs has its own click, yaml and pathspec)
        proc = subprocess.Popen(cmd, cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=stderr, start_new_session=True)
        memory = GroupMemory(proc.pid)
        status = None
        try:
            memory.start()
            pidfd = os.pidfd_open(proc.pid)
            try:
                poller = select.poll()
                poller.register(pidfd, select.POLLIN)  # readable the moment the child exits
                if not poller.poll(timeout * 1000):
                    raise BenchError(f"timed out after {timeout:g} s: {_show(cmd)}")
            finally:
                os.close(pidfd)
            _, status, usage = os.wait4(proc.pid, 0)  # wait4, not wait: the child's own rusage
            seconds = time.perf_counter() - started
        finally:
            memory.stop()
            if status is None:  # timed out or interrupted
                _kill_group(proc.pid)
                _, status = os.waitpid(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in ok:
            stderr.seek(0)
            tail = stderr.read()[-2000:].decode(errors="replace")
            raise BenchError(f"exit {proc.returncode}: {_show(cmd)}\n{tail}")
    # ru_maxrss is in KiB
    return Sample(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 2**10, memory.peak_kb / 2**10)


def gapaudit(root: Path, cache: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "gapaudit", "scan", str(root), "--cache-dir", str(cache),
            "--fail-on", "never", "--no-baseline", *extra]


@contextlib.contextmanager
def appended(path: Path, text: bytes) -> Iterator[None]:
    original = path.read_bytes()
    stat = path.stat()
    try:
        path.write_bytes(original + (b"" if original.endswith(b"\n") else b"\n") + text)
        yield
    finally:
        path.write_bytes(original)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # leave the checkout exactly as found


def one_round(tree: Tree, tmp: Path, timeout: float) -> dict[str, Sample]:
    cache = tmp / "cache"
    cache.mkdir()
    samples = {"ruff": run([RUFF, "check", "--no-cache", "--select", "ASYNC", "--exit-zero", str(tree.root)], timeout)}
    samples["cold"] = run(gapaudit(tree.root, cache, *JSON_ONLY), timeout)
    samples["warm"] = run(gapaudit(tree.root, cache, *JSON_ONLY), timeout)
    # A copy: the cache is keyed by content, so scanning the edit in place would leave the edited
    # file's facts cached and make the next round's identical edit a cache hit.
    for mode, text in EDITS.items():
        edited_cache = tmp / f"cache-{mode}"
        shutil.copytree(cache, edited_cache)
        with appended(tree.root / tree.edited, text):
            samples[mode] = run(gapaudit(tree.root, edited_cache, *JSON_ONLY), timeout)
    samples["default"] = run(gapaudit(tree.root, cache, "--output-dir", str(tmp / "reports")), timeout)
    subset = [str(tree.root / rel) for rel in tree.sources[:FLAKE8_FILES]]
    samples["flake8"] = run([FLAKE8_ASYNC, *subset], timeout, ok=(0, 1))  # 1: it found something
    return samples


def scratch(prefix: str) -> tempfile.TemporaryDirectory[str]:
    """A scratch directory beside gapaudit's default cache (the user cache directory), where the
    timed caches live as a user's do: on some machines (this project's) /tmp is a different
    story, creating a file there costing 15x what it costs under ~/.cache."""
    from gapaudit.engine.cache import default_cache_dir

    base = default_cache_dir()
    parent = base.parent if base else None
    if parent:
        parent.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(prefix=prefix, dir=parent)


def measure(tree: Tree, runs: int, timeout: float) -> dict[str, Sample]:
    rounds = []
    for i in range(runs):
        with scratch("gapaudit-perf-") as tmp:
            rounds.append(one_round(tree, Path(tmp), timeout))
        print(f"{tree.name} round {i + 1}/{runs}: "
              + ", ".join(f"{mode} {s.seconds:.2f} s" for mode, s in rounds[-1].items()), file=sys.stderr)
    return {mode: Sample(statistics.median(r[mode].seconds for r in rounds),
                         statistics.median(r[mode].cpu_seconds for r in rounds),
                         statistics.median(r[mode].max_rss_mb for r in rounds),
                         statistics.median(r[mode].group_mb for r in rounds))
            for mode in MODES}


def _times(ratio: float) -> str:
    return f"{ratio:.1f}×" if ratio < 10 else f"{ratio:.0f}×"


def time_table(results: list[tuple[Tree, dict[str, Sample]]]) -> list[str]:
    rows = ["| corpus | lines | ruff cold | gapaudit cold (×ruff) | warm (×ruff) | one file changed (×ruff) "
            "| one file edited (×ruff) | default command warm | flake8-async subset | peak MB |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for tree, s in results:
        ruff = s["ruff"].seconds
        vs_ruff = [f"{s[m].seconds:.2f} s ({_times(s[m].seconds / ruff)})" for m in ("cold", "warm", "changed", "edited")]
        n = min(FLAKE8_FILES, len(tree.sources))
        flake8 = f"{s['flake8'].seconds:.2f} s / {n} files ({1000 * s['flake8'].seconds / n:.0f} ms/file)"
        rows.append(f"| {tree.name} | {tree.lines:,} | {ruff:.2f} s | {' | '.join(vs_ruff)} "
                    f"| {s['default'].seconds:.2f} s | {flake8} | {s['cold'].max_rss_mb:.0f} |")
    return [*rows, "", "peak MB: gapaudit cold, largest single process (all processes: the memory table)"]


def mode_table(results: list[tuple[Tree, dict[str, Sample]]], cell: Callable[[Sample], str]) -> list[str]:
    rows = ["| corpus | ruff cold | gapaudit cold | warm | one file changed | one file edited "
            "| default command warm | flake8-async subset |",
            "|---|---:|---:|---:|---:|---:|---:|---:|"]
    rows += [f"| {tree.name} | {' | '.join(cell(s[m]) for m in MODES)} |" for tree, s in results]
    return rows


def memory_cell(sample: Sample) -> str:
    return f"{sample.max_rss_mb:.0f} / {sample.group_mb:.0f}"


def notes(results: list[tuple[Tree, dict[str, Sample]]]) -> list[str]:
    lines = []
    for tree, s in results:
        per_file = s["flake8"].seconds / min(FLAKE8_FILES, len(tree.sources))
        lines.append(f"- {tree.name}: {tree.files} .py files ({len(tree.sources)} non-test); edited "
                     f"{tree.edited}; flake8-async on all non-test files ≈ {per_file * len(tree.sources):.0f} s "
                     "(per-file time × files)")
        if tree.name == BIG and tree.lines < BIG_LINES:
            lines.append(f"  only {tree.lines:,} lines: below the {BIG_LINES:,} the --big goal is set for")
    return lines


def big_tree(trees: list[Tree], into: Path) -> Tree:
    for tree in trees:
        shutil.copytree(tree.root, into / tree.name, symlinks=True)
    return tree_of(BIG, into)


def _where(key: tuple[str, int, str]) -> str:
    filename, line, func = key
    if filename == "~":
        return func  # a builtin, e.g. <built-in method builtins.compile>
    path = Path(filename)
    paths = sysconfig.get_paths()
    for base in (REPO, Path(paths["purelib"]), Path(paths["platlib"]), Path(paths["stdlib"])):
        if path.is_relative_to(base):
            return f"{path.relative_to(base).as_posix()}:{line}({func})"
    return f"{filename}:{line}({func})"


def profile(tree: Tree, timeout: float) -> list[str]:
    with scratch("gapaudit-perf-") as tmp:
        out = Path(tmp) / "scan.prof"
        cache = Path(tmp) / "cache"
        cache.mkdir()
        args = gapaudit(tree.root, cache, *JSON_ONLY, "--jobs", "1")[3:]
        # cli.main, not `-m cProfile -m gapaudit`: gapaudit's entry point ends with os._exit, which
        # would skip the profiler writing its file
        script = ("import cProfile, sys; from gapaudit.cli import cli; "
                  "cProfile.run('cli.main(sys.argv[2:], prog_name=\"gapaudit\", standalone_mode=False)', sys.argv[1])")
        wall = run([sys.executable, "-c", script, str(out), *args], timeout).seconds
        stats = pstats.Stats(str(out))
    # {(file, line, func): (primitive calls, calls, own time, cumulative time, callers)}
    entries = stats.stats  # type: ignore[attr-defined]
    total: float = stats.total_tt  # type: ignore[attr-defined]
    lines = [f"cProfile of one cold scan of {tree.name} (--jobs 1): {total:.2f} s profiled, {wall:.2f} s wall "
             "(profiling slows call-heavy code most)"]
    for title, column in (("cumulative", 3), ("own", 2)):
        lines += ["", f"Top 25 by {title} time:", "", "| cumulative s | own s | calls | function |",
                  "|---:|---:|---:|---|"]
        top = sorted(entries.items(), key=lambda item: item[1][column], reverse=True)[:25]
        lines += [f"| {ct:.2f} | {tt:.2f} | {nc:,} | {_where(key)} |" for key, (_, nc, tt, ct, _) in top]
    parse_keys = [key for key in entries if key[2] == "parse" and Path(key[0]).name == "ast.py"]
    parse = sum(entries[key][3] for key in parse_keys)
    compiled = parsed = 0.0
    for (_, _, func), (_, _, tt, _, callers) in entries.items():
        if func == "<built-in method builtins.compile>":
            compiled += tt
            parsed += sum(callers[key][2] for key in parse_keys if key in callers)
    lines += ["", f"ast.parse: {parse:.2f} s cumulative = {parse / total:.0%} of the profiled time. "
              f"builtins.compile (the C parser behind ast.parse): {compiled:.2f} s own = {compiled / total:.0%}, "
              f"{parsed:.2f} s of it called by ast.parse"]
    return lines


def _output(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def machine() -> str:
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        cpuinfo = []
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")),
               platform.processor() or "unknown CPU")
    commit = _output(["git", "rev-parse", "--short", "HEAD"]) or "unknown"
    dirty = "+uncommitted" if _output(["git", "status", "--porcelain", "--", "gapaudit"]) else ""
    return (f"Machine: {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, {_output([RUFF, '--version'])}, "
            f"flake8-async {version('flake8-async')}; gapaudit {commit}{dirty}")


def corpora(names: list[str]) -> list[Tree]:
    if not CORPUS.is_dir():
        raise BenchError(f"{CORPUS} is missing: check out the corpora of bench/corpus.yml there "
                         "(docs/benchmarks.md)")
    pinned = yaml.safe_load((BENCH / "corpus.yml").read_text()) or {}
    present = sorted(p.name for p in CORPUS.iterdir() if p.is_dir() and p.name not in pinned)
    available = [*pinned, *present]
    problems = []
    for name in names or available:
        if name in pinned and not (CORPUS / name).is_dir():
            problems.append(f"corpus {name} is missing: git clone {pinned[name]['url']} {CORPUS / name} "
                            f"&& git -C {CORPUS / name} checkout {pinned[name]['commit']}")
        elif name not in available:
            problems.append(f"no corpus {name} under {CORPUS}; available: {', '.join(available)}")
    if problems:
        raise BenchError("\n".join(problems))
    return [tree_of(name, CORPUS / name) for name in names or available]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help="corpora to time (default: all)")
    parser.add_argument("--runs", type=int, default=5, help="rounds per corpus; figures are medians")
    parser.add_argument("--big", action="store_true", help="also time one tree combining every corpus")
    parser.add_argument("--profile", metavar="NAME", help="also cProfile one cold scan of this corpus")
    parser.add_argument("--timeout", type=float, default=900, help="seconds any one command may take")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    # SIGTERM unwinds like Ctrl-C, so the edited corpus file is restored and temp dirs removed
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    if not hasattr(os, "pidfd_open") or not Path("/proc/self/smaps_rollup").exists():
        print("perf: needs Linux 5.3 or later (pidfd_open, /proc/<pid>/smaps_rollup)", file=sys.stderr)
        return 2
    for tool in (RUFF, FLAKE8_ASYNC):
        if not Path(tool).exists():
            print(f"perf: {tool} not found: pip install -e '.[bench]'", file=sys.stderr)
            return 2
    load_before = os.getloadavg()[0]  # the machine may be shared: say how busy it was
    try:
        # bytecode for the code under test, as an installed package has: without it (e.g. under
        # PYTHONDONTWRITEBYTECODE) every run would also compile gapaudit's own modules
        run([sys.executable, "-m", "compileall", "-q", str(REPO / "gapaudit")], args.timeout)
        trees = corpora(args.names)
        everything = corpora([]) if args.big else []
        profiled = corpora([args.profile])[0] if args.profile else None
        results = [(tree, measure(tree, args.runs, args.timeout)) for tree in trees]
        if args.big:
            with scratch("gapaudit-perf-big-") as big:
                tree = big_tree(everything, Path(big))
                results.append((tree, measure(tree, args.runs, args.timeout)))
        print("\n".join([
            machine(), f"Medians of {args.runs} runs; gapaudit with one worker per core.", "",
            *time_table(results), "",
            "Memory, MB: largest single process / all processes at once (sum of PSS, sampled):", "",
            *mode_table(results, memory_cell), "",
            "CPU time, s (user + system, workers included; less sensitive than wall time to other load):", "",
            *mode_table(results, lambda sample: f"{sample.cpu_seconds:.2f}"), "", *notes(results),
            f"- load average (1 min): {load_before:.1f} before, {os.getloadavg()[0]:.1f} after",
        ]), flush=True)
        if profiled:
            print("\n".join(["", *profile(profiled, args.timeout)]))
    except BenchError as exc:
        print(f"perf: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
