"""What runs in production decides a gap's priority (issue 11, first steps): code that is not served,
callers that are not the served frontend, skipped tests, one root cause, compose overlays and env
reads with a fallback."""

from __future__ import annotations

import json

from conftest import run_cli, scan_json, write_files

BLOCKING = "import time\n\n@bot.event\nasync def handler():\n    time.sleep(1)\n"


def _gaps(report: dict) -> dict[tuple[str, str], dict]:
    return {(g["rule"], g["file"]): g for g in report["gaps"]}


def _listing_unserved(root) -> dict:
    """The JSON report of a scan that lists gaps in code production does not serve, not only counts them."""
    (root / "gapaudit.yml").write_text("report-unserved: true\n")
    return scan_json(root)[1]


def _by_function(report: dict, rule: str) -> dict[str, dict]:
    """A report's gaps of one rule (or rule prefix) by the async function their chain starts in."""
    return {g["evidence"]["chain"][0]["function"]: g for g in report["gaps"] if g["rule"].startswith(rule)}


def test_blocking_code_under_scripts_and_examples_is_counted_not_reported_unless_asked(tmp_path):
    """Every such gap read on the evaluation set was judged false (docs/benchmarks.md): by default
    they are counted in the summary, not reported; `report-unserved: true` lists them as P2."""
    root = write_files(tmp_path, {"app/main.py": BLOCKING, "scripts/backfill.py": BLOCKING,
                               "examples/demo/run.py": BLOCKING})
    report = scan_json(root)[1]
    assert [(g["rule"], g["file"]) for g in report["gaps"]] == [("GA103", "app/main.py")]
    assert report["summary"]["unserved"] == 2
    gaps = _gaps(_listing_unserved(root))
    assert gaps[("GA103", "app/main.py")]["priority"] == "P0"
    for rel, folder in (("scripts/backfill.py", "scripts"), ("examples/demo/run.py", "examples")):
        assert gaps[("GA103", rel)]["priority"] == "P2"
        assert gaps[("GA103", rel)]["evidence"]["runs_in"].startswith(f"code under {folder}/")


def test_one_gap_per_async_function_and_rule(tmp_path):
    source = ("import time\n\n\nasync def handler():\n    time.sleep(1)\n    time.sleep(2)\n    time.sleep(3)\n")
    report = scan_json(write_files(tmp_path, {"app/main.py": source}))[1]
    [gap] = [g for g in report["gaps"] if g["rule"] == "GA103"]
    assert gap["line"] == 5 and gap["evidence"]["same_function"] == [
        "time.sleep at app/main.py:6", "time.sleep at app/main.py:7"]


def test_undeclared_routes_requested_by_tests_or_outside_clients_are_p2(tmp_path):
    root = write_files(tmp_path, {
        "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get('/api/items')\nasync def items():\n    return []\n",
        "tests/test_api.py": "def test_missing(client):\n    client.get('/api/missing')\n\n\ndef test_docs(client):\n    client.get('/openapi.json')\n",
        "web/src/api.ts": "export const f = () => fetch('/api/gone');\n",
        "cli/src/login.ts": "export const g = () => fetch('/api/v9/hosted');\n",
    })
    _, report = scan_json(root)
    gaps = _gaps(report)
    assert gaps[("GA401", "web/src/api.ts")]["priority"] == "P0"  # the served frontend: a 404 in production
    assert gaps[("GA401", "cli/src/login.ts")]["priority"] == "P2"
    assert not [g for g in gaps.values() if "openapi" in g["message"]]  # FastAPI serves it by itself
    # a test's request runs in CI, where the green suite shows it resolves: counted, not reported
    assert ("GA401", "tests/test_api.py") not in gaps and report["summary"]["unserved"] == 1
    (root / "gapaudit.yml").write_text("report-unserved: true\n")
    listed = _gaps(scan_json(root)[1])[("GA401", "tests/test_api.py")]
    assert listed["priority"] == "P2" and listed["evidence"]["caller"].startswith("a test")


def test_a_compose_overlay_is_not_a_deployment_missing_keys(tmp_path):
    root = write_files(tmp_path, {
        "app/settings.py": "import os\n\nLEVEL = os.environ['LOG_LEVEL']\nTIMEOUT = os.environ.get('TIMEOUT') or '5'\n",
        "docker-compose.test.yml": "services:\n  api:\n    image: api\n    environment:\n      LOG_LEVEL: debug\n      TIMEOUT: '1'\n",
        "docker-compose.prod.yml": "services:\n  api:\n    image: api\n    environment:\n      OTHER: x\n",
        "docker-compose.gpu.yml": "services:\n  api:\n    deploy:\n      resources: {}\n",
    })
    gaps = [g for g in scan_json(root)[1]["gaps"] if g["rule"] == "GA301"]
    assert [(g["evidence"]["key"], g["evidence"]["production"].split("#")[0]) for g in gaps] == [
        ("LOG_LEVEL", "docker-compose.prod.yml")]  # not TIMEOUT (it has a fallback), not the overlay


def test_a_test_value_passed_through_from_the_environment_sets_nothing(tmp_path):
    """onyx's search-testing compose: `MODEL_SERVER_PORT=${MODEL_SERVER_PORT:-}` is whatever the
    environment holds, as in production; only a value of the tests' own can drift."""
    root = write_files(tmp_path, {
        "app/settings.py": "import os\n\nPORT = os.environ['MODEL_SERVER_PORT']\nLEVEL = os.environ['LOG_LEVEL']\n",
        "docker-compose.test.yml": ("services:\n  api:\n    image: api\n    environment:\n"
                                    "      - MODEL_SERVER_PORT=${MODEL_SERVER_PORT:-}\n      - LOG_LEVEL=debug\n"),
        "docker-compose.prod.yml": "services:\n  api:\n    image: api\n    environment:\n      OTHER: x\n",
    })
    gaps = [g for g in scan_json(root)[1]["gaps"] if g["rule"] in ("GA301", "GA302")]
    assert [g["evidence"]["key"] for g in gaps] == ["LOG_LEVEL"]


def test_compose_required_variable_syntax_is_a_reference_not_a_secret(tmp_path):
    root = write_files(tmp_path, {
        "app/settings.py": "import os\n\nSECRET = os.environ['SECRET_KEY']\n",
        "docker-compose.prod.yml": ("services:\n  api:\n    image: api\n    environment:\n"
                                    "      SECRET_KEY: ${SECRET_KEY:?set SECRET_KEY}\n      DB_PASSWORD: ${DB_PASSWORD?required}\n"),
    })
    assert not [g for g in scan_json(root)[1]["gaps"] if g["rule"] == "GA306"]


def test_syntax_newer_than_the_running_python_says_which_python_to_run(tmp_path):
    import sys

    newer = f"3.{sys.version_info.minor + 1}"
    root = write_files(tmp_path, {
        "pyproject.toml": f'[project]\nname = "svc"\nrequires-python = ">={newer}"\n',
        "app/main.py": BLOCKING,
        "app/new.py": "def f[T](x: T) -> T:\n    return x\n" if sys.version_info < (3, 12) else "match = (\n",
    })
    code, report = scan_json(root)
    [skipped] = report["skipped"]
    assert skipped["file"] == "app/new.py" and skipped["limit"] is True
    assert f"requires Python >={newer}" in skipped["reason"] and "run gapaudit with that Python" in skipped["reason"]
    assert code == 1 and report["complete"] is False  # the P0 in app/main.py, and the scan says it is incomplete


def test_a_call_in_a_lambda_runs_where_the_lambda_is_called(tmp_path):
    """datasette's `await db.execute_fn(lambda conn: table_columns(conn, t))` runs in its SQL
    thread, onyx's `Thread(target=lambda: ctx.run(send))` in a thread: not on the loop. A lambda
    that sorted() or max() calls at once does run here."""
    source = (
        "import sqlite3\nimport time\n\n\ndef columns(path):\n    return sqlite3.connect(path).execute('x')\n\n\n"
        "class Database:\n    async def execute_fn(self, fn):\n        return await self.pool.run(fn)\n\n"
        "    async def table_columns(self, table):\n"
        "        return await self.execute_fn(lambda conn: columns(table))\n\n"
        "    async def ranked(self, rows):\n"
        "        return sorted(rows, key=lambda row: columns(row))\n\n"
        "    async def later(self):\n"
        "        self.callback = lambda: time.sleep(5)\n")
    report = scan_json(write_files(tmp_path, {"app/db.py": source}))[1]
    blocking = [(g["line"], g["evidence"]["chain"][0]["function"]) for g in report["gaps"] if g["rule"].startswith("GA1")]
    assert blocking == [(17, "async Database.ranked()")]


def test_blocking_work_at_startup_is_p2_with_the_handler_named(tmp_path):
    """onyx's lifespan sleeps until its index is ready and warms a sync engine once: that delays
    start-up and hangs no request. A helper the lifespan shares with a route still blocks requests."""
    source = (
        "import time\nfrom contextlib import asynccontextmanager\n\nimport requests\nfrom fastapi import FastAPI\n\n\n"
        "async def warm_up():\n    requests.get('http://db/ping')\n\n\n"
        "async def shared():\n    time.sleep(1)\n\n\n"
        "@asynccontextmanager\nasync def lifespan(app):\n    time.sleep(2)\n    await warm_up()\n    await shared()\n"
        "    yield\n\n\n"
        "app = FastAPI(lifespan=lifespan)\n\n\n"
        "@app.on_event('shutdown')\nasync def close():\n    time.sleep(3)\n\n\n"
        "@app.get('/items')\nasync def items():\n    await shared()\n    return []\n")
    report = scan_json(write_files(tmp_path, {"app/main.py": source}))[1]
    found = _by_function(report, "GA1")
    assert {name: g["priority"] for name, g in found.items()} == {
        "async warm_up()": "P2", "async shared()": "P0", "async lifespan()": "P2", "async close()": "P2"}
    assert found["async warm_up()"]["evidence"]["runs_at"].startswith("application startup or shutdown, under lifespan()")
    assert "runs_at" not in found["async shared()"]["evidence"]


def test_sanic_server_listeners_run_at_startup(tmp_path):
    """qanything's OCR server loads its model in `@app.before_server_start` and opens a browser in
    `@app.after_server_start`: once, before or as serving starts. A route keeps its priority."""
    source = (
        "import subprocess\nimport webbrowser\n\nfrom sanic import Sanic\n\napp = Sanic('OCRService')\n\n\n"
        "@app.before_server_start\nasync def setup_ocr(app, loop):\n    subprocess.run(['ocr-models', 'fetch'])\n\n\n"
        "@app.after_server_start\nasync def open_browser(app, loop):\n    webbrowser.open('http://localhost:8777')\n\n\n"
        "@app.post('/ocr')\nasync def ocr(request):\n    return subprocess.run(['ocr', '/tmp/x'])\n")
    report = scan_json(write_files(tmp_path, {"app/main.py": source}))[1]
    found = {(name, g["priority"]) for name, g in _by_function(report, "GA1").items()}
    assert found == {("async setup_ocr()", "P2"), ("async open_browser()", "P2"), ("async ocr()", "P0")}


def test_blocking_work_behind_an_opt_in_switch_is_p2_with_the_switch_named(tmp_path):
    """onyx: `MULTI_TENANT = os.environ.get("MULTI_TENANT", "").lower() == "true"`; code under
    `if MULTI_TENANT:` or after `if not MULTI_TENANT: return` runs in no deployment that leaves
    the variable unset. A switch that is on by default, or a chain that also runs without the
    switch, keeps its priority."""
    root = write_files(tmp_path, {
        "shared/__init__.py": "",
        "shared/configs.py": ("import os\n\nMULTI_TENANT = os.environ.get('MULTI_TENANT', '').lower() == 'true'\n"
                              "CACHE = os.environ.get('CACHE', 'true').lower() == 'true'\n"
                              "DEBUG_SQL = bool(os.getenv('DEBUG_SQL'))\n"),
        "app/__init__.py": "",
        "app/tenants.py": ("import time\n\nfrom shared.configs import MULTI_TENANT\n\n\n"
                           "def provision(tenant_id):\n    if not MULTI_TENANT:\n        return 'public'\n"
                           "    if tenant_id:  # a local value, not a switch\n        time.sleep(1)\n\n\n"
                           "async def get_tenant():\n    return provision('t')\n\n\n"
                           # awaited only behind the switch: runs only when it is on
                           "async def setup_tenant():\n    time.sleep(5)\n\n\n"
                           "async def get_or_provision():\n    if not MULTI_TENANT:\n        return 'public'\n"
                           "    await setup_tenant()\n\n\n"
                           # a route (decorated) is run by the framework too, whoever else awaits it
                           "def route(f):\n    return f\n\n\n@route\nasync def tenant_page():\n    time.sleep(6)\n\n\n"
                           "async def maybe():\n    if MULTI_TENANT:\n        await tenant_page()\n"),
        "app/cache.py": ("import time\n\nfrom shared import configs\n\n"
                         "@bot.event\nasync def warm():\n    if configs.CACHE:\n        time.sleep(1)\n\n\n"
                         "async def trace():\n    if configs.DEBUG_SQL and True:\n        time.sleep(2)\n\n\n"
                         "def both():\n    if configs.DEBUG_SQL:\n        time.sleep(3)\n    time.sleep(4)\n\n\n"
                         "@bot.event\nasync def always():\n    return both()\n"),
    })
    gaps = _by_function(_listing_unserved(root), "GA103")  # listed, not only counted
    assert gaps["async get_tenant()"]["priority"] == "P2"
    assert gaps["async get_tenant()"]["evidence"]["runs_when"] == (
        "only when MULTI_TENANT is set: an opt-in switch, off by default (shared/configs.py)")
    assert gaps["async trace()"]["priority"] == "P2" and "DEBUG_SQL" in gaps["async trace()"]["evidence"]["runs_when"]
    assert gaps["async setup_tenant()"]["priority"] == "P2" and "MULTI_TENANT" in gaps["async setup_tenant()"]["evidence"]["runs_when"]
    assert gaps["async tenant_page()"]["priority"] == "P0"
    assert gaps["async warm()"]["priority"] == "P0"  # CACHE is on unless someone turns it off
    assert gaps["async always()"]["priority"] == "P0" and "runs_when" not in gaps["async always()"]["evidence"]
    assert gaps["async always()"]["evidence"]["blocking_at"] == "app/cache.py:19"  # the sleep with no switch


def test_a_class_configuration_picks_among_alternatives_is_p1_with_the_choice_named(tmp_path):
    """r2r: `if auth_config.provider == "r2r": R2RAuthProvider(...) elif ... == "supabase":
    SupabaseAuthProvider(...)`; the Supabase provider's blocking methods run only where
    configuration picks it. A class also made outside such a branch, a request value compared
    once (not a choice among alternatives), and a rule whose default is below P0 keep their
    priority."""
    root = write_files(tmp_path, {
        "app/__init__.py": "",
        "app/providers.py": ("import os\nimport time\n\n\n"
                             "class LocalFiles:\n    async def store(self):\n        time.sleep(1)\n\n\n"
                             "class S3Files:\n    async def store(self):\n        time.sleep(2)\n\n"
                             "    async def size(self):\n        return os.path.getsize('x')\n\n\n"
                             "class Cache:\n    async def get(self):\n        time.sleep(3)\n\n\n"
                             "class Upload:\n    async def save(self):\n        time.sleep(4)\n\n\n"
                             "class Vault:\n    async def open(self):\n        time.sleep(5)\n"),
        "app/factory.py": ("from app.providers import Cache, LocalFiles, S3Files, Upload, Vault\n\n\n"
                           "def files(config):\n    if config.provider == 'local':\n        return LocalFiles()\n"
                           "    elif config.provider in ('s3', 'minio'):\n        return S3Files()\n"
                           "    raise ValueError(config.provider)\n\n\n"
                           "def cache(config):\n    if config.cache == 'memory':\n        return Cache()\n"
                           "    elif config.cache == 'none':\n        return None\n    return Cache()\n\n\n"
                           "def upload(request):\n    if request.method == 'POST':\n        return Upload()\n\n\n"
                           # strings that are no names (a token compared in code) are never printed
                           "def vault(key):\n    if key == 'sk_live_4eC39HqLyjWDarjtT1zdp7dc':\n        return Vault()\n"
                           "    elif key == 'rk_live_51HcW2yLkdIwHu7ixPrN':\n        return Vault()\n"),
        "app/main.py": ("from fastapi import FastAPI\n\nfrom app.factory import cache, files, upload, vault\n\n"
                        "app = FastAPI()\n\n\n@app.post('/documents')\nasync def add(config, request, key):\n"
                        "    await files(config).store()\n    await files(config).size()\n    await cache(config).get()\n"
                        "    await upload(request).save()\n    await vault(key).open()\n"),
    })
    report = scan_json(root)[1]
    gaps = _by_function(report, "GA1")
    s3 = gaps["async S3Files.store()"]
    assert s3["priority"] == "P1"
    assert s3["evidence"]["runs_when"] == (
        "only when configuration picks S3Files: every instance is made under `config.provider in ('s3', 'minio')` "
        "in files() (app/factory.py:8), one of several implementations; P0 if production picks it")
    assert gaps["async LocalFiles.store()"]["priority"] == "P1"  # an alternative too: no default is known
    assert gaps["async S3Files.size()"]["priority"] == "P2"  # GA106's own default, not raised
    assert gaps["async Cache.get()"]["priority"] == "P0"  # also made after the choice
    assert gaps["async Upload.save()"]["priority"] == "P0"  # one comparison is no choice among alternatives
    assert gaps["async Vault.open()"]["priority"] == "P1"
    assert "`key == …` in vault()" in gaps["async Vault.open()"]["evidence"]["runs_when"]
    assert "_live_" not in json.dumps(report)


def test_an_env_file_the_repository_does_not_hold_may_set_any_key(tmp_path):
    """onyx: the production compose file's services load `env_file: .env`, made from a template
    at deploy time and never committed; a key its `environment:` lacks is not known missing. An
    env_file the repository holds is read, and what it lacks is missing."""
    compose = ("services:\n  api:\n    image: api\n    env_file: {env}\n    environment:\n      OTHER: x\n")
    files = {
        "app/settings.py": "import os\n\nLEVEL = os.environ['LOG_LEVEL']\n",
        "docker-compose.test.yml": "services:\n  api:\n    image: api\n    environment:\n      LOG_LEVEL: debug\n",
        "docker-compose.prod.yml": compose.format(env=".env"),
    }
    gaps = [g for g in scan_json(write_files(tmp_path / "a", files))[1]["gaps"] if g["rule"] in ("GA301", "GA302")]
    assert gaps == []
    files.update({"docker-compose.prod.yml": compose.format(env="prod.env"), "prod.env": "DEBUG=false\n"})
    gaps = [g for g in scan_json(write_files(tmp_path / "b", files))[1]["gaps"] if g["rule"] in ("GA301", "GA302")]
    assert [g["evidence"]["key"] for g in gaps] == ["LOG_LEVEL"]


def test_an_address_browsers_use_is_not_a_dependency_at_localhost(tmp_path):
    """A public URL, a CORS origin or a frontend build setting at localhost is where a browser on
    the host reaches the service (mem0's NEXT_PUBLIC_API_URL, a self-host file's PUBLIC_URL), not a
    service this one connects to; a dependency at localhost still is GA303."""
    root = write_files(tmp_path, {
        "app/settings.py": "import os\n\nREDIS = os.environ['REDIS_URL']\n",
        "docker-compose.prod.yml": ("services:\n  api:\n    image: api\n    environment:\n"
                                    "      APP_PUBLIC_URL: http://localhost\n      NEXT_PUBLIC_API_URL: http://localhost:8888\n"
                                    "      CORS_ORIGINS: http://localhost:3000\n      REDIS_URL: redis://localhost:6379\n"
                                    # airweave: the frontend's entrypoint writes API_URL into the page
                                    "  frontend:\n    image: web\n    environment:\n      - API_URL=http://localhost:8001\n"),
    })
    gaps = [g for g in scan_json(root)[1]["gaps"] if g["rule"] == "GA303"]
    assert [g["evidence"]["key"] for g in gaps] == ["REDIS_URL"]


def test_one_gap_per_blocking_call_reached_through_helpers(tmp_path):
    """Three handlers reaching the same sync helper's blocking call are one fix, at the helper:
    one gap, the other handlers in `also_reached_from`; a direct call stays a gap of its own."""
    helper = "import time\n\n\ndef load():\n    time.sleep(1)\n"
    handlers = "".join(f"\n\nasync def handler_{n}():\n    return load()\n" for n in "abc")
    root = write_files(tmp_path, {"app/__init__.py": "", "app/store.py": helper,
                               "app/api.py": "import time\n\nfrom .store import load\n" + handlers
                                             + "\n\nasync def direct():\n    time.sleep(2)\n"})
    gaps = [g for g in scan_json(root)[1]["gaps"] if g["rule"] == "GA103"]
    chained = [g for g in gaps if len(g["evidence"]["chain"]) > 2]
    assert len(gaps) == 2 and len(chained) == 1
    [gap] = chained
    assert gap["evidence"]["chain"][0]["function"] == "async handler_a()"
    assert gap["evidence"]["also_reached_from"] == [
        f"async handler_{n}() at app/api.py:{line} (blocking at app/store.py:5)" for n, line in (("b", 11), ("c", 15))]
    assert gap["message"].endswith("(and 2 more async functions reach it)")


def test_coroutines_run_on_a_loop_of_their_own_are_not_served(tmp_path):
    """jumpserver's CI translation script (`asyncio.run(run_full())` in `main()`), mealie's
    migrator (`asyncio.run(scrape_image(...))` in a sync method): a blocking call there blocks a
    loop of its own, never one serving requests. A coroutine the served app also awaits keeps its
    priority."""
    root = write_files(tmp_path, {"app/__init__.py": "", "app/jobs.py": (
        "import asyncio\nimport time\n\n\nasync def translate():\n    time.sleep(1)\n\n\n"
        "async def run_full():\n    await translate()\n\n\n"
        "def main():\n    asyncio.run(run_full())\n\n\n"
        "async def shared():\n    time.sleep(2)\n\n\n"
        "def worker():\n    loop = asyncio.new_event_loop()\n    loop.run_until_complete(shared())\n\n\n"
        "def route(f):\n    return f\n\n\n@route\nasync def handler():\n    await shared()\n")})
    report = scan_json(root)[1]
    gaps = _by_function(report, "GA103")
    assert list(gaps) == ["async shared()"] and gaps["async shared()"]["priority"] == "P0"
    assert report["summary"]["unserved"] == 1
    gaps = _by_function(_listing_unserved(root), "GA103")
    assert gaps["async translate()"]["priority"] == "P2"
    assert gaps["async translate()"]["evidence"]["runs_on"] == (
        "an event loop of its own, not the one serving requests: started by asyncio.run() in main()")


def test_a_helper_that_runs_what_it_is_handed_on_a_loop_of_its_own(tmp_path):
    """surfsense's Celery tasks: `run_async_celery_task(lambda: _index(...))` makes a loop and runs
    `factory()` on it, through a second helper too, or is handed the coroutine function by name
    (`run_async_celery_task(_check_schedules)`). A coroutine a lambda hands to a helper that
    runs it elsewhere stays served."""
    root = write_files(tmp_path, {"app/__init__.py": "", "app/loops.py": (
        "import asyncio\n\n\ndef run_async_task(factory):\n    loop = asyncio.new_event_loop()\n"
        "    try:\n        return loop.run_until_complete(factory())\n    finally:\n        loop.close()\n\n\n"
        "def run_logged(factory):\n    print('start')\n    return run_async_task(factory)\n\n\n"
        "def later(factory):\n    return factory\n"), "app/tasks.py": (
        "import time\n\nfrom .loops import later, run_async_task, run_logged\n\n\n"
        "async def _index(n):\n    time.sleep(n)\n\n\nasync def _cleanup():\n    time.sleep(1)\n\n\n"
        "async def _served():\n    time.sleep(2)\n\n\nasync def _check_schedules():\n    time.sleep(3)\n\n\n"
        "def schedule_task():\n    return run_async_task(_check_schedules)\n\n\n"
        "def index_task(n):\n    return run_async_task(lambda: _index(n))\n\n\n"
        "def cleanup_task():\n    return run_logged(lambda: _cleanup())\n\n\n"
        "@bot.event\nasync def hook():\n    return later(lambda: _served())\n")})
    gaps = _by_function(_listing_unserved(root), "GA103")
    assert {name: g["priority"] for name, g in gaps.items()} == {
        "async _index()": "P2", "async _cleanup()": "P2", "async _served()": "P0", "async _check_schedules()": "P2"}
    assert gaps["async _index()"]["evidence"]["runs_on"] == (
        "an event loop of its own, not the one serving requests: started by loop.run_until_complete() in "
        "run_async_task()")
    assert gaps["async _cleanup()"]["evidence"]["runs_on"].endswith("run_async_task(), handed it by run_logged()")


def test_a_caller_nothing_runs_does_not_keep_a_coroutine_on_the_serving_loop(tmp_path):
    """surfsense: `run_indexing()` runs in a Celery task's loop of its own; its other caller,
    `run_indexing_with_new_session()`, is called by nothing any more. A caller something names,
    even through a receiver of unknown type (`await jobs.run_sync_with_new_session()`) or by
    handing it on (`add_task(...)`), still may run it on the serving loop."""
    root = write_files(tmp_path, {"app/__init__.py": "", "app/loops.py": (
        "import asyncio\n\n\ndef run_async_task(factory):\n    loop = asyncio.new_event_loop()\n"
        "    return loop.run_until_complete(factory())\n"), "app/jobs.py": (
        "import time\n\nfrom .loops import run_async_task\n\n\n"
        "async def run_indexing(n):\n    time.sleep(n)\n\n\n"
        "async def run_indexing_with_new_session(n):\n    await run_indexing(n)\n\n\n"
        "def index_task(n):\n    return run_async_task(lambda: run_indexing(n))\n\n\n"
        "async def run_sync(n):\n    time.sleep(n)\n\n\n"
        "async def run_sync_with_new_session(n):\n    await run_sync(n)\n\n\n"
        "def sync_task(n):\n    return run_async_task(lambda: run_sync(n))\n\n\n"
        "async def run_export(n):\n    time.sleep(n)\n\n\n"
        "async def run_export_with_new_session(n):\n    await run_export(n)\n\n\n"
        "def export_task(n):\n    return run_async_task(lambda: run_export(n))\n"), "app/api.py": (
        "from . import jobs\nfrom .jobs import run_export_with_new_session\n\n\n"
        "@router.post('/sync')\nasync def sync(background_tasks, n, svc):\n    await svc.run_sync_with_new_session(n)\n"
        "    background_tasks.add_task(run_export_with_new_session, n)\n")})
    gaps = _by_function(_listing_unserved(root), "GA103")
    # run_sync() is served, but only a name leads to it from the route (`svc` has no type): not
    # known to be on a request's path, so P1; the background task the route starts by name is
    assert {name: g["priority"] for name, g in gaps.items()} == {
        "async run_indexing()": "P2", "async run_sync()": "P1", "async run_export()": "P0"}
    assert "runs_on" not in gaps["async run_sync()"]["evidence"]
    assert gaps["async run_indexing()"]["evidence"]["runs_on"] == (
        "an event loop of its own, not the one serving requests: started by loop.run_until_complete() in "
        "run_async_task()")


def test_a_caller_named_past_a_long_receiver_still_runs(tmp_path):
    """A caller is named by the call's target in the model, not its text, which is cut at 80
    characters: `deps.container.services...jobs.run_sync_with_new_session(n)` on a receiver of
    unknown type names it, so `run_sync()` stays served."""
    root = write_files(tmp_path, {"app/__init__.py": "", "app/loops.py": (
        "import asyncio\n\n\ndef run_async_task(factory):\n    loop = asyncio.new_event_loop()\n"
        "    return loop.run_until_complete(factory())\n"), "app/jobs.py": (
        "import time\n\nfrom .loops import run_async_task\n\n\n"
        "async def run_sync(n):\n    time.sleep(n)\n\n\n"
        "async def run_sync_with_new_session(n):\n    await run_sync(n)\n\n\n"
        "def sync_task(n):\n    return run_async_task(lambda: run_sync(n))\n"), "app/api.py": (
        "@router.post('/sync')\nasync def sync(n, deps):\n"
        "    await deps.container.services.background_workers.session_handlers.jobs.run_sync_with_new_session(n)\n")})
    gaps = _by_function(_listing_unserved(root), "GA103")
    assert gaps["async run_sync()"]["priority"] == "P1"  # served; on a request's path only by name
    assert "runs_on" not in gaps["async run_sync()"]["evidence"]


def test_an_override_is_run_by_the_callers_of_the_method_it_overrides(tmp_path):
    """OpenHands' `Runtime.on_event` runs `await self.call_tool_mcp(...)` on a loop of its own; the
    subclass's override is what runs there. An override nothing calls at all is P2, with the
    missing entry point said."""
    root = write_files(tmp_path, {"app/__init__.py": "", "app/runtime.py": (
        "import asyncio\nimport time\n\n\nclass Runtime:\n    def on_event(self, event):\n"
        "        asyncio.get_event_loop().run_until_complete(self._handle(event))\n\n"
        "    async def _handle(self, event):\n        await self.call_tool(event)\n\n"
        "    async def call_tool(self, event):\n        raise NotImplementedError\n\n"
        "    async def close(self):\n        pass\n\n\n"
        "class DockerRuntime(Runtime):\n    async def call_tool(self, event):\n        time.sleep(1)\n\n"
        "    async def close(self):\n        time.sleep(2)\n")})
    gaps = _by_function(_listing_unserved(root), "GA103")
    assert gaps["async DockerRuntime.call_tool()"]["priority"] == "P2"
    assert gaps["async DockerRuntime.call_tool()"]["evidence"]["runs_on"].endswith("in Runtime.on_event()")
    assert gaps["async DockerRuntime.close()"]["priority"] == "P2"
    assert gaps["async DockerRuntime.close()"]["evidence"]["entry_point"].startswith("none found")


def test_a_test_fixture_in_a_served_package_runs_in_the_test_suite(tmp_path):
    """Red-DiscordBot ships a pytest plugin inside its package (`redbot/pytest/`): its async
    fixtures run git with subprocess, in the test suite only."""
    root = write_files(tmp_path, {"app/__init__.py": "", "app/plugin.py": (
        "import subprocess\n\nimport pytest\n\n\n@pytest.fixture(scope='session')\n"
        "async def git_repo(tmp_path):\n    subprocess.run(['git', 'init', str(tmp_path)])\n\n\n"
        "@bot.command()\nasync def clone(url):\n    subprocess.run(['git', 'clone', url])\n")})
    gaps = _by_function(_listing_unserved(root), "GA104")
    assert gaps["async git_repo()"]["priority"] == "P2"
    assert gaps["async git_repo()"]["evidence"]["runs_in"] == "the test suite: a test fixture"
    assert gaps["async clone()"]["priority"] == "P0"


def test_a_script_that_runs_its_coroutine_at_module_level_is_not_served(tmp_path):
    """letta's `ws_api/example_client.py` ends in `asyncio.run(basic_cli_client())`, and so does
    every `if __name__ == "__main__":` script: its coroutines run on that loop, not a served one.
    A coroutine a module starts on the running loop at import (`ensure_future`) stays served."""
    root = write_files(tmp_path, {"app/__init__.py": "", "app/client.py": (
        "import asyncio\n\n\nasync def basic_cli_client():\n    while True:\n        input('> ')\n\n\n"
        "asyncio.run(basic_cli_client())\n"), "app/tool.py": (
        "import asyncio\nimport time\n\n\nasync def main():\n    time.sleep(1)\n\n\n"
        "if __name__ == '__main__':\n    asyncio.run(main())\n"), "app/poller.py": (
        "import asyncio\nimport time\n\n\nasync def poll():\n    time.sleep(5)\n\n\n"
        "asyncio.ensure_future(poll())\n")})
    report = scan_json(root)[1]
    assert [(g["rule"], g["file"]) for g in report["gaps"]] == [("GA103", "app/poller.py")]
    assert report["summary"]["unserved"] == 2
    gaps = _gaps(_listing_unserved(root))
    assert gaps[("GA109", "app/client.py")]["evidence"]["runs_on"] == (
        "an event loop of its own, not the one serving requests: "
        "started by asyncio.run() in the module-level code of app/client.py")
    assert gaps[("GA103", "app/tool.py")]["priority"] == "P2"


def test_a_module_beside_a_package_of_the_same_name_is_never_imported(tmp_path):
    """letta's `schemas/providers.py` beside `schemas/providers/__init__.py`: Python's finder
    takes the package, so the module's code never runs, and `from .providers import X` means
    the package."""
    root = write_files(tmp_path, {
        "app/__init__.py": "",
        "app/providers.py": "import time\n\n\nasync def list_models():\n    time.sleep(1)\n",
        "app/providers/__init__.py": "import time\n\n\ndef refresh():\n    time.sleep(2)\n",
        "app/api.py": "from .providers import refresh\n\n\nasync def handler():\n    refresh()\n"})
    gaps = _gaps(_listing_unserved(root))
    assert gaps[("GA103", "app/api.py")]["evidence"]["blocking_at"] == "app/providers/__init__.py:5"
    shadowed = gaps[("GA103", "app/providers.py")]
    assert shadowed["priority"] == "P2" and shadowed["evidence"]["runs_in"] == (
        "nothing: the package app/providers/ of the same name shadows this module, so no import reaches it")


def test_a_branch_only_windows_takes_is_not_served(tmp_path):
    """openhands' Jupyter plugin sleeps in `if is_windows:`; its Linux images take the other
    branch. Calls only one operating system makes run only there: P2, not served on Linux."""
    checks = {
        "flag": "    if IS_WINDOWS:\n        time.sleep(1)\n",
        "prefix": "    if sys.platform.startswith('win'):\n        time.sleep(1)\n",
        "other": "    if os.name != 'nt':\n        pass\n    else:\n        time.sleep(1)\n",
        "mac": "    if platform.system() == 'Darwin':\n        time.sleep(1)\n",
        "linux": "    if sys.platform == 'linux':\n        time.sleep(1)\n",
        "both": "    if IS_WINDOWS:\n        pass\n    time.sleep(1)\n",
        "after": "    if sys.platform != 'win32':\n        return\n    time.sleep(1)\n",
        "helper": "    helper()\n",
    }
    root = write_files(tmp_path, {
        "app/main.py": "from fastapi import FastAPI\n\nfrom app import plugin\n\napp = FastAPI()\n\n\n"
                       + "".join(f"@app.get('/{name}')\nasync def {name}():\n    await plugin.{name}()\n\n\n"
                                 for name in checks),
        "app/plugin.py": "import os\nimport platform\nimport sys\nimport time\n\nIS_WINDOWS = sys.platform == 'win32'\n\n\n"
                         + "".join(f"async def {name}():\n{body}\n\n" for name, body in checks.items())
                         + "def helper():\n    if sys.platform == 'win32':\n        time.sleep(1)\n",
    })
    gaps = _by_function(_listing_unserved(root), "GA103")
    for name in ("flag", "prefix", "other", "helper", "after"):
        assert gaps[f"async {name}()"]["priority"] == "P2"
        assert gaps[f"async {name}()"]["evidence"]["runs_when"] == (
            "only on Windows: services run on Linux hosts and containers")
    assert gaps["async mac()"]["evidence"]["runs_when"].startswith("only on macOS")
    assert gaps["async linux()"]["priority"] == "P0"  # Linux is where services run
    assert gaps["async both()"]["priority"] == "P0"  # after the branch: on every system


def test_what_runs_only_when_no_loop_is_running_blocks_none(tmp_path):
    """skyvern and onyx close clients with `asyncio.run` in the `except RuntimeError:` of
    `asyncio.get_running_loop()`: it runs only in a thread with no loop, so it blocks none."""
    root = write_files(tmp_path, {
        "app/main.py": ("import asyncio\nimport time\n\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
                        "async def aclose():\n    await asyncio.sleep(0)\n\n\n"
                        "def close_best_effort():\n    try:\n        loop = asyncio.get_running_loop()\n"
                        "    except RuntimeError:\n        asyncio.run(aclose())\n        return\n"
                        "    loop.create_task(aclose())\n\n\n"
                        "def close_anyway():\n    try:\n        loop = asyncio.get_running_loop()\n"
                        "    except ValueError:\n        asyncio.run(aclose())\n\n\n"
                        "@app.get('/a')\nasync def a():\n    close_best_effort()\n\n\n"
                        "@app.get('/b')\nasync def b():\n    close_anyway()\n"),
    })
    gaps = _by_function(scan_json(root, "--fail-on", "never")[1], "GA108")
    assert set(gaps) == {"async b()"}


def test_a_loop_guard_kept_in_a_variable_runs_its_asyncio_run_where_no_loop_runs(tmp_path):
    """crawl4ai's `generate_schema`: `except RuntimeError: loop = None`, then `if loop is None:
    return asyncio.run(coro)`, else a thread runs it. The branch taken on a running loop, and a
    test of another name, still block."""
    root = write_files(tmp_path, {
        "app/main.py": ("import asyncio\n\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
                        "async def schema():\n    await asyncio.sleep(0)\n\n\n"
                        "def generate(cached):\n    try:\n        loop = asyncio.get_running_loop()\n"
                        "    except RuntimeError:\n        loop = None\n"
                        "    if loop is None:\n        return asyncio.run(schema())\n"
                        "    if cached is None:\n        return asyncio.run(schema())\n"
                        "    return None\n\n\n"
                        "def generate_inverted():\n    try:\n        loop = asyncio.get_running_loop()\n"
                        "    except RuntimeError:\n        loop = None\n"
                        "    if loop:\n        loop.run_until_complete(schema())\n    else:\n        asyncio.run(schema())\n\n\n"
                        "@app.get('/schema')\nasync def route():\n    generate(None)\n\n\n"
                        "@app.get('/inverted')\nasync def inverted():\n    generate_inverted()\n"),
    })
    gaps = _by_function(scan_json(root, "--fail-on", "never")[1], "GA108")
    assert {name: g["evidence"]["chain"][-1]["line"] for name, g in gaps.items()} == {
        "async route()": 20, "async inverted()": 30}


def test_a_local_sqlite_file_is_file_io_not_a_network_database(tmp_path):
    """crawl4ai's robots.txt cache, mem0's history: SQLite on a local file has no server to hang
    on. It is blocking file I/O (GA105, P2); a sync client of a database server stays GA102, P0."""
    source = (
        "import sqlite3\n\nimport psycopg2\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        "@app.get('/cached')\nasync def cached(url: str):\n"
        "    with sqlite3.connect('/var/cache/robots.db') as conn:\n"
        "        return conn.execute('select rules from robots where url = ?', (url,)).fetchone()\n\n\n"
        "@app.get('/users')\nasync def users():\n"
        "    return psycopg2.connect('postgresql://db/app').cursor().execute('select 1')\n")
    report = scan_json(write_files(tmp_path, {"app/main.py": source}))[1]
    found = {(g["evidence"]["chain"][0]["function"], g["rule"], g["priority"]) for g in report["gaps"]
             if g["rule"].startswith("GA1")}
    assert found == {("async cached()", "GA105", "P2"), ("async users()", "GA102", "P0")}


def test_a_class_made_only_behind_a_settings_flag_off_by_default_is_p2(tmp_path):
    """agentgpt's MockAgentService sleeps in every method; the app makes it only when
    `settings.ff_mock_mode_enabled`, a pydantic settings field that defaults to False. A field
    that defaults to True switches nothing off."""
    files = {
        "app/settings.py": (
            "from pydantic_settings import BaseSettings\n\n\n"
            "class Settings(BaseSettings):\n    ff_mock_mode_enabled: bool = False\n    cache_enabled: bool = True\n\n\n"
            "settings = Settings()\n"),
        "app/services.py": (
            "import time\n\nfrom app.settings import settings\n\n\n"
            "class MockService:\n    async def run(self):\n        time.sleep(1)\n\n\n"
            "class CachedService:\n    async def run(self):\n        time.sleep(2)\n\n\n"
            "class RealService:\n    async def run(self):\n        return 1\n\n\n"
            "def provide():\n    if settings.ff_mock_mode_enabled:\n        return MockService()\n"
            "    if settings.cache_enabled:\n        return CachedService()\n    return RealService()\n"),
        "app/main.py": (
            "from fastapi import Depends, FastAPI\n\nfrom app.services import CachedService, provide\n\napp = FastAPI()\n\n\n"
            "@app.get('/run')\nasync def run(service: CachedService = Depends(provide)):\n    return await service.run()\n"),
    }
    found = _by_function(_listing_unserved(write_files(tmp_path, files)), "GA103")
    assert found["async MockService.run()"]["priority"] == "P2"
    assert found["async MockService.run()"]["evidence"]["runs_when"].startswith(
        "only when Settings.ff_mock_mode_enabled is set: an opt-in switch, off by default (app/settings.py)")
    assert found["async CachedService.run()"]["priority"] == "P0"


def test_a_blocking_call_no_entry_point_reaches_is_p2_with_that_said(tmp_path):
    """An entry point is something a framework registers (a decorator, `add_api_route`, a
    class-level `Depends(...)`, `app.get(path)(page)`), a library's callback (a method of a class
    with a base outside the project), or module code; then whatever those await, start or name.
    letta's `QueuingInterface.message_generator()` and surfsense's Slack indexer that nothing calls
    any more reach none: P2 (of 14 such gaps read on held-out services, 2 were true), with
    `entry_point` evidence; still reported, as ruff reports any async def. P0 needs more: a
    request handler (a route's decorator, `add_api_route`) that awaits, starts or calls it; the
    others are P1 with `request_path` evidence."""
    root = write_files(tmp_path, {"app/__init__.py": "", "app/main.py": (
        "import time\n\nimport httpx\nfrom fastapi import Depends, FastAPI\n\napp = FastAPI()\n\n\n"
        "async def registered():\n    time.sleep(1)\n\n\n"
        "app.add_api_route('/registered', registered)\n\n\n"
        "async def current_user():\n    time.sleep(2)\n\n\n"
        "class Controller:\n    user = Depends(current_user)\n\n\n"
        "async def page():\n    time.sleep(3)\n\n\n"
        "def mount(target):\n    target.get('/page')(page)\n\n\n"
        "class Transport(httpx.AsyncBaseTransport):\n    async def handle_async_request(self, request):\n"
        "        time.sleep(4)\n\n\n"
        "async def helper():\n    time.sleep(5)\n\n\n"
        "@app.get('/decorated')\nasync def decorated():\n    await helper()\n\n\n"
        "async def orphan():\n    time.sleep(6)\n\n\n"
        "async def old_indexer():\n    await orphan()\n\n\n"
        "mount(app)\n")})
    gaps = _by_function(scan_json(root)[1], "GA103")
    assert {name: g["priority"] for name, g in gaps.items()} == {
        "async registered()": "P0", "async current_user()": "P1", "async page()": "P1",
        "async Transport.handle_async_request()": "P1", "async helper()": "P0", "async orphan()": "P2"}
    assert gaps["async helper()"]["evidence"]["request_path"] == (
        "reached from the request handler async decorated() (app/main.py)")
    assert gaps["async page()"]["evidence"]["request_path"].startswith("none found: no request handler")
    assert "request_path" not in gaps["async orphan()"]["evidence"]
    assert gaps["async orphan()"]["evidence"]["entry_point"] == (
        "none found: nothing a framework registers (a route, a handler, a task), no library's callback and no "
        "module's own code awaits, starts or names orphan() or anything that does")
    assert "entry_point" not in gaps["async helper()"]["evidence"]


def test_a_projects_own_handler_decorator_makes_its_blocking_calls_p0(tmp_path):
    """A framework gapaudit does not know (`@hub.handles("order.created")`) is taught in a
    rule-path file: catalog `request-handlers` gains the decorator, and what it reaches is P0."""
    files = {"app/__init__.py": "", "app/orders.py": (
        "import time\n\nfrom .hub import hub\n\n\n@hub.handles('order.created')\nasync def created(event):\n"
        "    time.sleep(1)\n"), "gapaudit-handlers.yml": (
        "catalogs:\n  request-handlers:\n    decorators: [handles]\n")}
    root = write_files(tmp_path, files)
    before = _by_function(scan_json(root)[1], "GA103")["async created()"]
    assert before["priority"] == "P1"
    assert before["evidence"]["request_path"].startswith("none found")
    (root / "gapaudit.yml").write_text("rule-paths: [gapaudit-handlers.yml]\n")
    after = _by_function(scan_json(root)[1], "GA103")["async created()"]
    assert after["priority"] == "P0"
    assert after["evidence"]["request_path"] == "a request handler (app/orders.py)"


def test_application_state_edits_relink_like_a_cold_scan(tmp_path):
    """`request.app.state.store` is what the project assigns to `app.state.store`; an edit that
    changes which class is assigned there is seen by a warm scan exactly as by a cold one."""
    files = {"app/__init__.py": "", "app/stores.py": (
        "import time\n\n\nclass SlowStore:\n    async def load(self):\n        time.sleep(1)\n\n\n"
        "class FastStore:\n    async def load(self):\n        return 1\n"),
        "app/wiring.py": "from .main import app\nfrom .stores import FastStore\n\napp.state.store = FastStore()\n",
        "app/main.py": (
            "from fastapi import FastAPI, Request\n\napp = FastAPI()\n\n\n@app.get('/load')\n"
            "async def load(request: Request):\n    return await request.app.state.store.load()\n")}
    root = write_files(tmp_path, files)
    cache = tmp_path / "cache"

    def blocking(*extra):
        done = run_cli("scan", str(root), "--format", "json", "-o", "-", *extra)
        return {(g["rule"], g["file"], g["line"], g["priority"]) for g in json.loads(done.stdout)["gaps"]
                if g["category"] == "blocking-async"}

    # SlowStore.load() runs somewhere (a name leads to it), not on a known request path
    assert blocking("--cache-dir", str(cache)) == {("GA103", "app/stores.py", 6, "P1")}
    (root / "app/wiring.py").write_text("from .main import app\nfrom .stores import SlowStore\n\napp.state.store = SlowStore()\n")
    warm = blocking("--cache-dir", str(cache))
    assert warm == blocking("--no-cache") == {("GA103", "app/stores.py", 6, "P0")}


def test_an_awaited_method_of_an_unknown_receiver_runs_its_family(tmp_path):
    """chainlit's routes `await data_layer.get_user()` on whatever `get_data_layer()` built: a
    base method and its overrides are the only methods of that name, so each override is on the
    request path. A name an unrelated class also defines (`lookup`) decides nothing: P1."""
    files = {"app/__init__.py": "", "app/layers.py": (
        "import time\n\n\nclass DataLayer:\n    async def get_user(self, name):\n        raise NotImplementedError\n\n"
        "    async def lookup(self, name):\n        raise NotImplementedError\n\n\n"
        "class DynamoLayer(DataLayer):\n    async def get_user(self, name):\n        time.sleep(1)\n\n"
        "    async def lookup(self, name):\n        time.sleep(2)\n\n\n"
        "class Cache:\n    async def lookup(self, name):\n        return name\n\n\n"
        "_layers = {}\n\n\ndef get_data_layer():\n    return _layers.get('default')\n"),
        "app/main.py": (
            "from fastapi import FastAPI\n\nfrom .layers import get_data_layer\n\napp = FastAPI()\n\n\n"
            "@app.get('/user/{name}')\nasync def user(name: str):\n    layer = get_data_layer()\n"
            "    await layer.lookup(name)\n    return await layer.get_user(name)\n")}
    gaps = _by_function(scan_json(write_files(tmp_path, files))[1], "GA103")
    assert gaps["async DynamoLayer.get_user()"]["priority"] == "P0"
    assert gaps["async DynamoLayer.get_user()"]["evidence"]["request_path"] == (
        "reached from the request handler async user() (app/main.py)")
    assert gaps["async DynamoLayer.lookup()"]["priority"] == "P1"


def test_implementations_picked_by_match_or_by_one_test_with_a_fallback(tmp_path):
    """morphik-core makes its S3 storage under `match settings.STORAGE_PROVIDER: case "aws-s3":`
    and under `if settings.STORAGE_PROVIDER == "aws-s3": ... else:` (the else is the fallback):
    either way configuration picks it, so its blocking calls are P1 with the choice said."""
    files = {"app/__init__.py": "", "app/settings.py": "class S:\n    STORAGE_PROVIDER = 'local'\n\n\nsettings = S()\n",
             "app/store.py": (
                 "import boto3\nfrom fastapi import FastAPI\n\nfrom .settings import settings\n\napp = FastAPI()\n\n\n"
                 "class S3Storage:\n    def __init__(self):\n        self.client = boto3.client('s3')\n\n"
                 "    async def put(self, key, data):\n        self.client.put_object(Bucket='b', Key=key, Body=data)\n\n\n"
                 "class GCSStorage:\n    def __init__(self):\n        self.client = boto3.client('s3')\n\n"
                 "    async def put(self, key, data):\n        self.client.put_object(Bucket='g', Key=key, Body=data)\n\n\n"
                 "class LocalStorage:\n    async def put(self, key, data):\n        return None\n\n\n"
                 "match settings.STORAGE_PROVIDER:\n    case 'local':\n        storage = LocalStorage()\n"
                 "    case 'aws-s3':\n        storage = S3Storage()\n    case _:\n        raise ValueError('unknown')\n\n\n"
                 "def make_gcs():\n    if settings.STORAGE_PROVIDER == 'gcs':\n        return GCSStorage()\n"
                 "    else:\n        return LocalStorage()\n\n\n"
                 "@app.post('/put/{key}')\nasync def put(key: str, data: bytes):\n    await storage.put(key, data)\n"
                 "    await make_gcs().put(key, data)\n")}
    gaps = _by_function(scan_json(write_files(tmp_path, files))[1], "GA1")
    assert gaps["async S3Storage.put()"]["priority"] == "P1"
    assert "`settings.STORAGE_PROVIDER == 'aws-s3'`" in gaps["async S3Storage.put()"]["evidence"]["runs_when"]
    assert gaps["async GCSStorage.put()"]["priority"] == "P1"
    assert "`settings.STORAGE_PROVIDER == 'gcs'`" in gaps["async GCSStorage.put()"]["evidence"]["runs_when"]
