"""GA101-GA111 on a realistic multi-module service: direct and transitive, aliases, offloading."""

from __future__ import annotations

import pytest
from conftest import scan_json


@pytest.fixture(scope="module")
def gaps(tmp_path_factory):
    import shutil

    from conftest import FIXTURES

    target = tmp_path_factory.mktemp("blocking") / "blocking"
    shutil.copytree(FIXTURES / "blocking", target)
    code, report = scan_json(target)
    assert code == 1
    assert report["skipped"] == []
    found = {(g["file"], g["evidence"]["chain"][0]["function"], g["evidence"]["blocking_call"]): g for g in _blocking(report)}
    # one gap per async function and rule: the other sites are in its evidence
    for g in _blocking(report):
        for site in g["evidence"].get("same_function", []):
            found.setdefault((g["file"], g["evidence"]["chain"][0]["function"], site.split(" at ")[0]), g)
        # and one gap per blocking call: the other async functions that reach it
        for site in g["evidence"].get("also_reached_from", []):
            function, where = site.split(" at ", 1)
            found.setdefault((where.split(":")[0], function, g["evidence"]["blocking_call"]), g)
    return found


def _blocking(report):
    return [g for g in report["gaps"] if g["category"] == "blocking-async"]


def _roots(gaps, file):
    return {root for (f, root, _) in gaps if f == file}


EXPECTED = {
    # direct calls, resolved through import aliases
    ("svc/net.py", "async direct_requests()", "requests.post"): "GA101",
    ("svc/net.py", "async direct_httpx_and_urllib()", "httpx.get"): "GA101",
    ("svc/net.py", "async direct_httpx_and_urllib()", "urllib.request.urlopen"): "GA101",
    ("svc/net.py", "async direct_socket()", "socket.create_connection"): "GA101",
    ("svc/net.py", "async direct_socket()", "http.client.HTTPConnection.request"): "GA101",
    ("svc/procs.py", "async convert()", "subprocess.check_output"): "GA104",
    ("svc/procs.py", "async shell()", "os.system"): "GA104",
    ("svc/procs.py", "async backoff()", "time.sleep"): "GA103",  # from time import sleep as nap
    ("svc/files.py", "async write_report()", "pathlib.Path.write_text"): "GA105",
    ("svc/files.py", "async cleanup()", "shutil.rmtree"): "GA105",  # from shutil import rmtree as nuke
    ("svc/files.py", "async unpack()", "zipfile.ZipFile"): "GA105",
    ("svc/files.py", "async unpack()", "zipfile.ZipFile.extractall"): "GA105",
    ("svc/files.py", "async exists()", "os.path.exists"): "GA106",
    ("svc/files.py", "async stat_only()", "pathlib.Path.is_file"): "GA106",  # annotated parameter
    ("svc/waits.py", "async future_result()", "concurrent.futures.Executor.result"): "GA111",
    ("svc/waits.py", "async join_thread()", "threading.Thread.join"): "GA107",
    ("svc/waits.py", "async queue_get()", "queue.Queue.get"): "GA107",
    ("svc/waits.py", "async ask()", "builtins.input"): "GA109",
    # through instances kept in attributes and module-level singletons
    ("svc/net.py", "async via_attribute_session()", "requests.Session.get"): "GA101",
    ("svc/net.py", "async Stream.blocking_receive()", "socket.socket.recv"): "GA101",  # nonblocking_* are not
    ("svc/web/app.py", "async read_cache()", "redis.Redis.get"): "GA102",
    ("svc/web/app.py", "async orders()", "pymongo.MongoClient.find"): "GA102",
    ("svc/web/app.py", "async Worker.tick()", "time.sleep"): "GA103",
    # transitive: 4 hops across modules and a package re-export
    ("svc/web/app.py", "async profile()", "psycopg2.execute"): "GA102",
    ("svc/procs.py", "async with_tool()", "subprocess.Popen.wait"): "GA104",  # the wait blocks, not the start
    ("svc/procs.py", "async start_tool()", "subprocess.Popen"): "GA110",
    ("svc/procs.py", "async with_cycle()", "time.sleep"): "GA103",  # mutual recursion terminates
    ("svc/waits.py", "async nested_loop()", "asyncio.run"): "GA108",
    # a repository layer: property and function return types, generic base class, star re-export
    ("svc/web/users.py", "async UserController.get_user()", "sqlalchemy.execute"): "GA102",
    ("svc/web/users.py", "async current_user()", "sqlalchemy.execute"): "GA102",
    # run-once code: a lazy connect to a database still hangs the service; a config read does not
    ("svc/lazy.py", "async lazy_connect()", "psycopg2.connect"): "GA102",
    # a blocking client call is a gap; `.get()` on the dict it returns is not
    ("svc/lazy.py", "async dynamo_item()", "boto3.get_item"): "GA102",
    # a method of an object kept in the application's state (`request.app.state.sessions`)
    ("svc/web/state.py", "async Sessions.lookup()", "redis.Redis.get"): "GA102",
    # a job the event bus runs: on no request's path
    ("svc/jobs.py", "async nightly_export()", "requests.post"): "GA101",
}


def test_every_expected_gap_and_nothing_else(gaps):
    assert {key: gap["rule"] for key, gap in gaps.items() if key[1] != "async copy_twice()"} == EXPECTED


def test_cross_module_chain_names_every_hop(gaps):
    chain = gaps[("svc/web/app.py", "async profile()", "psycopg2.execute")]["evidence"]["chain"]
    assert [(hop["function"], hop["file"]) for hop in chain] == [
        ("async profile()", "svc/web/app.py"),
        ("handle_profile()", "svc/services.py"),
        ("load_user()", "svc/repo/users.py"),
        ("fetch_user_row()", "svc/db.py"),
        ("cur.execute()", "svc/db.py"),
    ]
    gap = gaps[("svc/web/app.py", "async profile()", "psycopg2.execute")]
    assert gap["line"] == chain[0]["line"] == 14  # where asyncio.to_thread would go
    assert gap["evidence"]["blocking_at"] == "svc/db.py:15"
    assert gap["priority"] == "P0" and gap["category"] == "blocking-async"


def test_offloaded_calls_are_not_gaps(gaps):
    assert _roots(gaps, "svc/offload.py") == set()


def test_sync_endpoints_and_scripts_are_not_roots(gaps):
    assert "sync_endpoint()" not in {hop["function"] for g in gaps.values() for hop in g["evidence"]["chain"]}
    assert _roots(gaps, "scripts/manage.py") == set()


def test_awaited_asyncio_sleep_never_resolves_to_a_project_sleep(gaps):
    assert _roots(gaps, "svc/timer.py") == set()


def test_async_clients_and_timeouts_stay_silent(gaps):
    assert "async fine_async_client()" not in _roots(gaps, "svc/net.py")
    assert "async queue_get_timeout()" not in _roots(gaps, "svc/waits.py")


def test_priorities_follow_the_kind(gaps):
    served = [g for key, g in gaps.items() if key[0] != "svc/jobs.py" and "runs_once" not in g["evidence"]]
    assert {g["priority"] for g in served if g["rule"] in ("GA101", "GA102", "GA103", "GA104")} == {"P0"}
    assert {g["priority"] for g in served if g["rule"] in ("GA105", "GA106")} == {"P2"}


def test_p0_only_on_a_request_path(gaps):
    """A route handler, and what it awaits, serves requests: P0, with the handler named. A job the
    event bus runs holds up the loop, not a request: P1, saying no request handler reaches it."""
    routed = gaps[("svc/net.py", "async direct_requests()", "requests.post")]
    assert routed["priority"] == "P0"
    assert routed["evidence"]["request_path"] == "a request handler (svc/net.py)"
    profile = gaps[("svc/web/app.py", "async profile()", "psycopg2.execute")]
    assert profile["evidence"]["request_path"] == "a request handler (svc/web/app.py)"
    state = gaps[("svc/web/state.py", "async Sessions.lookup()", "redis.Redis.get")]
    assert state["priority"] == "P0"
    assert state["evidence"]["request_path"] == "reached from the request handler async session() (svc/web/state.py)"
    job = gaps[("svc/jobs.py", "async nightly_export()", "requests.post")]
    assert job["priority"] == "P1"
    assert job["evidence"]["request_path"].startswith("none found: no request handler")


def test_run_once_call_is_p1_and_says_where(gaps):
    """A lazy connect (`if _conn is None: _conn = connect()`) still blocks, once: the first request
    waits, not every one. P1, naming the guarded call; a per-request client call stays P0."""
    lazy = gaps[("svc/lazy.py", "async lazy_connect()", "psycopg2.connect")]
    assert lazy["priority"] == "P1"
    assert lazy["evidence"]["runs_once"].startswith("once per process: the call in connection() (svc/lazy.py:")
    per_request = gaps[("svc/lazy.py", "async dynamo_item()", "boto3.get_item")]
    assert per_request["priority"] == "P0" and "runs_once" not in per_request["evidence"]


def test_priority_override_per_rule(project):
    root = project("blocking")
    (root / "gapaudit.yml").write_text("priority:\n  GA105: P1\nignore: [GA106]\n")
    _, report = scan_json(root)
    rules = {(g["rule"], g["priority"]) for g in _blocking(report)}
    assert ("GA105", "P1") in rules
    assert not any(rule == "GA106" for rule, _ in rules)


def test_fingerprint_survives_moved_lines(project):
    root = project("blocking")
    _, before = scan_json(root)
    source = root / "svc" / "db.py"
    source.write_text("# a new header comment\n\n" + source.read_text())
    _, after = scan_json(root)
    moved = {g["fingerprint"]: g["line"] for g in _blocking(after)}
    assert {g["fingerprint"] for g in _blocking(before)} == set(moved)
    evidence = {g["fingerprint"]: g["evidence"]["blocking_at"] for g in _blocking(after)}
    assert "svc/db.py:17" in evidence.values()


def test_project_catalog_extension(project):
    root = project("blocking")
    (root / "svc" / "extra.py").write_text("from legacy import fetch\n\nasync def go():\n    fetch()\n")
    (root / "blocking-extra.yml").write_text(
        "catalogs:\n  blocking-functions:\n    - kind: network\n      calls: [legacy.fetch]\n"
    )
    (root / "gapaudit.yml").write_text("rule-paths: [blocking-extra.yml]\n")
    _, report = scan_json(root)
    assert any(g["evidence"]["blocking_call"] == "legacy.fetch" and g["rule"] == "GA101" for g in _blocking(report))


def test_repeated_calls_get_distinct_gaps_and_file_objects_block(project):
    _, report = scan_json(project("blocking"))
    copies = [g for g in _blocking(report) if g["evidence"]["chain"][0]["function"] == "async copy_twice()"]
    # one gap per async function and rule: the first site, the others in its evidence
    assert [(g["line"], g["evidence"]["blocking_call"]) for g in copies] == [(31, "builtins.open")]
    assert copies[0]["evidence"]["same_function"] == [
        "builtins.open.read at svc/files.py:32", "builtins.open at svc/files.py:33", "builtins.open.write at svc/files.py:34"]
    assert "(and 3 more in the same function)" in copies[0]["message"]
