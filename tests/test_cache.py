"""The incremental cache: shards reused across runs, invalidated per analyzer, never trusted blindly
(corrupt shards, a cache committed in the scanned tree, symlinks planted in the cache)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from conftest import run_cli, write_files

BLOCKING = "import time\n@bot.event\nasync def handler():\n    time.sleep(1)\n"
CUSTOM = "import legacy_sdk\n\nasync def sync_all():\n    legacy_sdk.fetch()\n"
A_DAY_AGO = time.time() - 86_400


def _project(root: Path) -> Path:
    for rel, text in {"app/main.py": BLOCKING, "app/sync.py": CUSTOM, "app/util.py": "def f():\n    return 1\n",
                      "tests/test_main.py": "def test_f():\n    assert True\n",
                      "config/.env.production": "DEBUG=false\n"}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
        os.utime(root / rel, (A_DAY_AGO, A_DAY_AGO))  # not just written: the manifest may trust mtime and size
    return root


def _scan(root: Path, *extra: str, env: dict[str, str] | None = None) -> tuple[dict, str]:
    done = run_cli("scan", str(root), "--format", "json", "-o", "-", "--fail-on", "never", *extra, env=env)
    assert done.returncode == 0 and "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    return json.loads(done.stdout), done.stderr


def _rules(report: dict) -> list[tuple[str, str]]:
    return sorted((g["rule"], g["file"]) for g in report["gaps"])


def _shards(cache: Path) -> dict[Path, tuple[int, bytes]]:
    return {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in (cache / "v1").rglob("*.json")}


def _shard_data(path: Path) -> dict:
    return json.loads(path.read_text())


def _holds(data: dict) -> str:
    """What a shard holds: one file's facts ("file": an entry per analyzer and one for the engine),
    link results ("findings"), an analyzer's link state ("state"), parsed rules ("rules") or the
    manifest ("files")."""
    return next((k for k in ("state", "findings", "rules", "files") if k in data), "file")


def _entries(shards: dict[Path, tuple[int, bytes]]) -> set[tuple[str, str, str]]:
    """(entry key, whose facts, the facts) of every file's shard."""
    found = set()
    for _, content in shards.values():
        data = json.loads(content)
        if _holds(data) == "file":
            found |= {(key, entry.get("analyzer", "engine"), json.dumps(entry, sort_keys=True))
                      for key, entry in data.items() if key != "#"}  # "#": the entries' digests
    return found


def _new(before: dict[Path, tuple[int, bytes]], after: dict[Path, tuple[int, bytes]]) -> list[str]:
    return sorted(kind for kind in (_holds(json.loads(after[p][1])) for p in set(after) - set(before)) if kind != "files")


def test_shards_are_reused_across_runs(tmp_path):
    root, cache = _project(tmp_path / "svc"), tmp_path / "cache"
    first, _ = _scan(root, "--cache-dir", str(cache))
    shards = _shards(cache)
    assert _rules(first) == [("GA103", "app/main.py")] and shards
    assert not list(cache.rglob("*.tmp"))  # every write went through a temporary file, renamed
    second, _ = _scan(root, "--cache-dir", str(cache))
    assert second == first and _shards(cache) == shards  # nothing recomputed, nothing rewritten
    # with nothing changed, the link results are reused: the per-file facts are not even read
    per_file = [p for p in shards if _holds(_shard_data(p)) == "file"]
    for path in per_file:
        path.unlink()
    third, _ = _scan(root, "--cache-dir", str(cache))
    assert third == first and not any(p.exists() for p in per_file)


def test_one_changed_file_recomputes_only_its_facts(tmp_path):
    root, cache = _project(tmp_path / "svc"), tmp_path / "cache"
    _scan(root, "--cache-dir", str(cache))
    before = _shards(cache)
    (root / "app" / "util.py").write_text("import time\n\n\ndef f():\n    time.sleep(1)\n")
    report, _ = _scan(root, "--cache-dir", str(cache))
    after = _shards(cache)
    assert _new(before, after) == ["file", "findings"]  # app/util.py's facts, and the link results
    new_shard = _entries({p: after[p] for p in set(after) - set(before)})
    assert sorted(whose for _, whose, _ in new_shard) == [
        "blocking-async", "config-drift", "engine", "infra-skip", "mocked-infra", "routes", "startup-untested"]
    assert all(after[p] == before[p] for p in before if _holds(json.loads(before[p][1])) == "file")
    assert _rules(report) == [("GA103", "app/main.py")]


def test_an_edit_that_changes_no_fact_reuses_the_link_results(tmp_path):
    """Link results are keyed by every file's facts, not its text: a changed literal or comment
    re-analyzes that file alone, and the findings come from the cache."""
    root, cache = _project(tmp_path / "svc"), tmp_path / "cache"
    first, _ = _scan(root, "--cache-dir", str(cache))
    before = _shards(cache)
    (root / "app" / "util.py").write_text("def f():\n    return 2  # was 1\n")
    report, _ = _scan(root, "--cache-dir", str(cache))
    assert _new(before, _shards(cache)) == ["file"]  # app/util.py's facts; no new link results
    assert report["gaps"] == first["gaps"] and _rules(report) == [("GA103", "app/main.py")]


def test_relinking_after_an_edit_finds_what_a_scan_from_scratch_finds(tmp_path):
    """After an edit, blocking-async re-resolves only the edited module and the modules whose
    resolution read it; a chain that now blocks starts in a file nobody touched, and must be
    found (and lost again) exactly as a scan without the cache finds it."""
    root = tmp_path / "svc"
    files = {"app/__init__.py": "",
             "app/handlers.py": "from .clients import http\nfrom .service import fetch\n\n\n"
                                "async def handler():\n    return fetch()\n\n\nasync def poll():\n    return http.get('/')\n",
             "app/clients.py": "from .db import Store\n\nhttp = Store()\n",
             "app/service.py": "from .db import Store\n\n\ndef fetch():\n    return Store().get()\n",
             "app/db.py": "class Store:\n    def get(self):\n        return 1\n",
             "app/other.py": "def unrelated():\n    return 2\n"}
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    cache = str(tmp_path / "cache")
    steps = [
        ("app/db.py", "import time\n\n\nclass Store:\n    def get(self):\n        time.sleep(1)\n        return 1\n"),
        ("app/other.py", "def unrelated():\n    return 3\n"),  # facts change, the chain does not
        ("app/db.py", "import time\n\n\nclass Store:\n    def get_one(self):\n        time.sleep(1)\n"),
        ("app/service.py", "from .db import Store\n\n\ndef fetch():\n    return Store().get_one()\n"),
        ("app/db.py", files["app/db.py"]),
        # what `http` is changes in app/clients.py: app/handlers.py, unchanged, read it when resolved
        ("app/clients.py", "import requests\n\nhttp = requests.Session()\n"),
        ("app/clients.py", files["app/clients.py"]),
    ]
    found = []
    _scan(root, "--cache-dir", cache)
    for rel, text in steps:
        (root / rel).write_text(text)
        incremental, _ = _scan(root, "--cache-dir", cache)
        scratch, _ = _scan(root, "--no-cache")
        assert incremental["gaps"] == scratch["gaps"], rel
        found.append(_rules(incremental))
    # handler() and poll() reach the same sleep: one gap per blocking call
    one, session = [("GA103", "app/handlers.py")], [("GA101", "app/handlers.py")]
    assert found == [one, one, [], one, [], session, []]


def test_a_changed_catalog_reruns_only_the_analyzer_that_reads_it(tmp_path):
    root, cache = _project(tmp_path / "svc"), tmp_path / "cache"
    catalog = tmp_path / "blocking-extra.yml"
    catalog.write_text("catalogs:\n  blocking-functions:\n    - kind: network\n      calls: [other_sdk.get]\n")
    config = tmp_path / "gapaudit.yml"  # outside the scanned tree, so the tree itself does not change
    config.write_text(f"rule-paths: [{catalog}]\n")
    first, _ = _scan(root, "--cache-dir", str(cache), "--config", str(config))
    before = _shards(cache)
    catalog.write_text("catalogs:\n  blocking-functions:\n    - kind: network\n      calls: [legacy_sdk.fetch]\n")
    second, _ = _scan(root, "--cache-dir", str(cache), "--config", str(config))
    assert _rules(first) == [("GA103", "app/main.py")]
    assert _rules(second) == [("GA101", "app/sync.py"), ("GA103", "app/main.py")]
    after = _shards(cache)
    assert _new(before, after) == ["findings", "rules"]
    gone, added = _entries(before) - _entries(after), _entries(after) - _entries(before)
    python_files = 3  # app/main.py, app/sync.py, app/util.py: the files blocking-async reads
    assert [whose for _, whose, _ in gone] == [whose for _, whose, _ in added] == ["blocking-async"] * python_files
    unread = [p for p, (_, content) in before.items() if _holds(data := json.loads(content)) == "file"
              and not any(entry.get("analyzer") == "blocking-async" for entry in data.values())]
    assert unread and all(after[p] == before[p] for p in unread)  # the other files' shards: not rewritten


def test_corrupt_shards_are_discarded(tmp_path):
    root, cache = _project(tmp_path / "svc"), tmp_path / "cache"
    clean, _ = _scan(root, "--no-cache")
    _scan(root, "--cache-dir", str(cache))
    damage = [b"", b"{not json", b"\xff\xfe\x00", b"[]", b'{"analyzer": "someone-else", "facts": {}}',
              b'{"findings": [{"rule": 1}], "suppressions": {}, "skipped": []}', b'{"files": 3}', b"null"]
    shards = sorted(_shards(cache))
    for number, path in enumerate(shards):
        path.write_bytes(damage[number % len(damage)])
    report, _ = _scan(root, "--cache-dir", str(cache))
    assert report == clean
    for path in shards:  # rewritten with good data, or left alone when its key is no longer in use
        assert path.read_bytes() in damage or isinstance(_shard_data(path), dict)
    assert _scan(root, "--cache-dir", str(cache))[0] == clean


def test_facts_the_index_vouches_for_are_recomputed_when_their_shard_is_gone(tmp_path):
    """After an edit, the other files' facts are read only if the link needs them, trusting the
    index of the previous scan; a shard gone (or damaged) since is a miss, never a lost finding."""
    root, cache = _project(tmp_path / "svc"), tmp_path / "cache"
    (root / "app" / "service.py").write_text("from .main import handler\n\n\nasync def again():\n    await handler()\n")
    _scan(root, "--cache-dir", str(cache))
    (root / "app" / "service.py").write_text("from .util import f\n\n\nasync def again():\n    return f()\n")
    (root / "app" / "util.py").write_text("import time\n\n\ndef f():\n    time.sleep(1)\n")
    os.utime(root / "app" / "util.py", (A_DAY_AGO, A_DAY_AGO))  # vouched for by the manifest: its shard is not read
    scratch, _ = _scan(root, "--no-cache")
    (root / "app" / "util.py").write_text("def f():\n    return 1\n")
    os.utime(root / "app" / "util.py", (A_DAY_AGO, A_DAY_AGO))
    _scan(root, "--cache-dir", str(cache))  # the index now vouches for util.py as it was
    (root / "app" / "util.py").write_text("import time\n\n\ndef f():\n    time.sleep(1)\n")
    os.utime(root / "app" / "util.py", (A_DAY_AGO, A_DAY_AGO))
    _scan(root, "--cache-dir", str(cache))
    for path, (_, content) in _shards(cache).items():  # every file's facts gone; the index stays
        if _holds(json.loads(content)) == "file":
            path.unlink()
    # facts of service.py change: its module is resolved again, which reads util.py's facts
    (root / "app" / "service.py").write_text("from .util import f\n\n\nasync def again():\n    return f()\n\n\n"
                                             "def other():\n    return 2\n")
    report, _ = _scan(root, "--cache-dir", str(cache))
    assert report["gaps"] == scratch["gaps"] and ("GA103", "app/service.py") in _rules(report)


def test_cached_facts_that_do_not_decode_are_recomputed(tmp_path):
    """Well-formed JSON in the right place whose facts are not what this gapaudit writes (another
    version's model, a hand-made entry) is a cache miss: the scan recomputes them, never stops."""
    root, cache = _project(tmp_path / "svc"), tmp_path / "cache"
    clean, _ = _scan(root, "--no-cache")
    _scan(root, "--cache-dir", str(cache))
    for path in _shards(cache):
        data = _shard_data(path)
        if _holds(data) == "file":
            for entry in data.values():
                if "facts" in entry:
                    entry["facts"] = ["Module", "not a model"] if entry["analyzer"] == "blocking-async" else ["Nope"]
            path.write_text(json.dumps(data))
    (root / "app" / "util.py").write_text("def f():\n    return 2\n")  # so the link step runs again
    report, stderr = _scan(root, "--cache-dir", str(cache))
    assert _rules(report) == _rules(clean) and "error" not in stderr


def _forge(cache: Path) -> None:
    """What a pull request could commit: link results with no findings, per-file facts with none."""
    for path in (cache / "v1").rglob("*.json"):
        data = _shard_data(path)
        if _holds(data) == "findings":
            data["findings"] = []
        elif _holds(data) == "file":
            data = {key: {**entry, "facts": {}} if "facts" in entry else entry for key, entry in data.items()}
        path.write_text(json.dumps(data))


def test_a_cache_committed_in_the_scanned_tree_is_not_trusted(tmp_path, user_cache):
    root = _project(tmp_path / "svc")
    committed = root / ".gapaudit_cache"
    _scan(root, "--cache-dir", str(committed))
    _forge(committed)
    # the default cache lives outside the tree: the committed one is never looked at
    report, _ = _scan(root)
    assert _rules(report) == [("GA103", "app/main.py")]
    # not even when the environment points the default into the tree
    report, stderr = _scan(root, env={**os.environ, "GAPAUDIT_CACHE_DIR": str(committed)})
    assert _rules(report) == [("GA103", "app/main.py")] and "inside the scanned tree" in stderr
    # given explicitly with --cache-dir, it is trusted: the forgery was real
    report, _ = _scan(root, "--cache-dir", str(committed))
    assert _rules(report) == []


def test_writes_never_follow_symlinks(tmp_path):
    root, cache = _project(tmp_path / "svc"), tmp_path / "cache"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cache.mkdir()
    (cache / "v1").symlink_to(elsewhere, target_is_directory=True)
    report, _ = _scan(root, "--cache-dir", str(cache))
    assert _rules(report) == [("GA103", "app/main.py")] and not list(elsewhere.iterdir())

    (cache / "v1").unlink()
    _scan(root, "--cache-dir", str(cache))
    victim = tmp_path / "victim.json"
    victim.write_text('{"findings": [], "suppressions": {}, "skipped": []}')
    shards = sorted(_shards(cache))
    for path in shards:
        path.unlink()
        path.symlink_to(victim)
    report, _ = _scan(root, "--cache-dir", str(cache))
    assert _rules(report) == [("GA103", "app/main.py")]  # a symlinked shard is not read
    assert victim.read_text() == '{"findings": [], "suppressions": {}, "skipped": []}'
    assert all(not p.is_symlink() and isinstance(_shard_data(p), dict) for p in shards)


def test_files_with_unchanged_mtime_and_size_are_not_read_again(tmp_path):
    """Like ruff: a file whose mtime and size match the manifest is taken as unchanged, unread."""
    root, cache = _project(tmp_path / "svc"), tmp_path / "cache"
    main = root / "app" / "main.py"
    for path in root.rglob("*"):
        os.utime(path, (A_DAY_AGO, A_DAY_AGO))
    _scan(root, "--cache-dir", str(cache))
    main.write_text(BLOCKING.replace("sleep", "sleez"))  # same size; the call no longer blocks
    os.utime(main, (A_DAY_AGO, A_DAY_AGO))
    assert _rules(_scan(root, "--cache-dir", str(cache))[0]) == [("GA103", "app/main.py")]
    os.utime(main)  # saved again: a new mtime
    assert _rules(_scan(root, "--cache-dir", str(cache))[0]) == []


def test_parallel_workers_write_the_same_shards(tmp_path):
    root, cache = _project(tmp_path / "svc"), tmp_path / "cache"
    for i in range(70):  # enough files to take the worker-process path
        (root / "app" / f"filler_{i}.py").write_text(f"def f{i}():\n    return {i}\n")
        os.utime(root / "app" / f"filler_{i}.py", (A_DAY_AGO, A_DAY_AGO))
    parallel, _ = _scan(root, "--cache-dir", str(cache / "parallel"), "--jobs", "2")
    serial, _ = _scan(root, "--cache-dir", str(cache / "serial"), "--jobs", "1")
    assert parallel == serial and _rules(parallel) == [("GA103", "app/main.py")]
    assert _packs(cache / "parallel") == _packs(cache / "serial") and len(_packs(cache / "serial")) == 75

    def unpacked(folder: Path) -> dict[Path, object]:  # the shards by name, a pack's id left out of the manifest
        return {p.relative_to(folder): {"files": {rel: entry[:4] for rel, entry in data["files"].items()}}
                if _holds(data := _shard_data(p)) == "files" else data for p in folder.rglob("*.json")}

    assert unpacked(cache / "parallel") == unpacked(cache / "serial")


def _packs(cache: Path) -> dict[str, bytes]:
    """Every packed shard: its name -> its text. A pack is one line of JSON (name -> [start, end]),
    then the shards one after the other."""
    found = {}
    for path in (cache / "v1").rglob("*.pack"):
        line, _, body = path.read_bytes().partition(b"\n")
        found.update({name: body[start:end] for name, (start, end) in json.loads(line).items()})
    return found


def _fill(root: Path, count: int) -> Path:
    for i in range(count):
        (root / "app" / f"filler_{i}.py").write_text(f"def f{i}():\n    return {i}\n")
        os.utime(root / "app" / f"filler_{i}.py", (A_DAY_AGO, A_DAY_AGO))
    return root


_HELPER = "import time\n\n\ndef f4():\n    time.sleep(1)\n"
_CALLER = "from .filler_4 import f4\n\n\nasync def g():\n    return f4()\n"
# facts of the caller change (an env read): its calls are resolved again, which reads the helper's
# facts, and the analyzers that keep no link state read every file's facts
_EDITED = "import os\n\n" + _CALLER + "\n\ndef other():\n    return os.environ['MODE']\n"


def _file_shards(cache: Path) -> list[Path]:
    return [p for p in _shards(cache) if _holds(_shard_data(p)) == "file"]


def test_many_new_shards_are_written_as_one_pack(tmp_path):
    """A cold scan writes one file for all its files' facts, not one per file; the scans after it
    read facts from there, and a scan that recomputes them all packs them anew and drops the old."""
    root, cache = _fill(_project(tmp_path / "svc"), 30), tmp_path / "cache"
    write_files(root, {"app/filler_4.py": _HELPER, "app/filler_3.py": _CALLER})
    first, _ = _scan(root, "--cache-dir", str(cache))
    packs = list(cache.rglob("*.pack"))
    assert len(packs) == 1 and len(_packs(cache)) == 35 and not _file_shards(cache)  # .env.production's too
    (root / "app" / "filler_3.py").write_text(_EDITED)
    report, _ = _scan(root, "--cache-dir", str(cache))
    assert len(_file_shards(cache)) == 1  # the edited file's; every other file's facts were read from the pack
    assert report["gaps"] == _scan(root, "--no-cache")[0]["gaps"] and ("GA103", "app/filler_3.py") in _rules(report)
    for path in [*root.rglob("*.py"), root / "config" / ".env.production"]:  # all changed: a new pack, the old one dropped
        path.write_text(path.read_text() + "# edited\n")
    assert _scan(root, "--cache-dir", str(cache))[0]["gaps"] == report["gaps"]
    assert len(list(cache.rglob("*.pack"))) == 1 and not packs[0].exists()


def test_a_damaged_pack_is_a_miss(tmp_path):
    root = _fill(_project(tmp_path / "svc"), 20)
    write_files(root, {"app/filler_4.py": _HELPER})
    for number, damage in enumerate((lambda text: b"", lambda text: b"\xff\xfe\n", lambda text: b"[]\n",
                                     lambda text: b'{"x": "y"}\n' + text, lambda text: text[:len(text) // 2],
                                     lambda text: text.replace(b"blocking-async", b"blocking-asynk"))):
        cache = tmp_path / f"cache-{number}"
        (root / "app" / "filler_3.py").write_text(_CALLER)
        _scan(root, "--cache-dir", str(cache))
        (pack,) = cache.rglob("*.pack")
        pack.write_bytes(damage(pack.read_bytes()))
        (root / "app" / "filler_3.py").write_text(_EDITED)
        report, stderr = _scan(root, "--cache-dir", str(cache))
        assert report["gaps"] == _scan(root, "--no-cache")[0]["gaps"] and "error" not in stderr
        assert ("GA103", "app/filler_3.py") in _rules(report)
        assert len(_file_shards(cache)) > 1  # the pack was read: what it held is computed again


def test_concurrent_scans_share_a_cache(tmp_path):
    root, cache = _project(tmp_path / "svc"), tmp_path / "cache"
    args = [sys.executable, "-m", "gapaudit", "scan", str(root), "--format", "json", "-o", "-", "--fail-on", "never",
            "--cache-dir", str(cache)]
    scans = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    reports = [json.loads(scan.communicate(timeout=120)[0]) for scan in scans]
    assert all(_rules(report) == [("GA103", "app/main.py")] for report in reports)
    assert not list(cache.rglob("*.tmp")) and all(isinstance(_shard_data(p), dict) for p in _shards(cache))
