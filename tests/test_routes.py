"""GA401-GA403 and `gapaudit routes` on a project with every framework form and a Next.js frontend."""

from __future__ import annotations

import json

import pytest
from conftest import run_cli, scan_json, write_files


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    import shutil

    from conftest import FIXTURES

    target = tmp_path_factory.mktemp("routes") / "routes"
    shutil.copytree(FIXTURES / "routes", target)
    # the tests' own undeclared requests are listed only on request (see test_production_context)
    (target / "gapaudit.yml").write_text("report-unserved: true\n")
    _, report = scan_json(target, "--fail-on", "never")
    return target, [g for g in report["gaps"] if g["rule"].startswith("GA4")]


def test_undeclared_requests_with_the_reason(scanned):
    _, gaps = scanned
    undeclared = {(g["file"], g["line"]): g["message"].split(": ", 1)[1] for g in gaps if g["rule"] == "GA401"}
    assert undeclared == {
        ("tests/test_api.py", 26): "the path exists for GET only (405)",
        ("tests/test_api.py", 34): "declared at backend/api/orphan.py:6 but its router is never included (404)",
        ("web/app/page.tsx", 8): "the path exists for GET, POST only (405)",
        ("web/lib/api.ts", 8): "no backend route matches (404)",
        ("web/lib/api.ts", 9): "no backend route matches (404)",
        ("web/lib/session.ts", 3): "the frontend's own handler web/app/api/session/route.ts serves GET, POST only (405)",
        ("web/lib/session.ts", 5): "no backend route matches (404)",
    }
    missing = next(g for g in gaps if g["file"] == "web/lib/api.ts" and g["line"] == 8)
    assert missing["priority"] == "P0" and missing["evidence"]["nearest_declared"]


def test_a_frontends_own_route_handlers_and_a_client_of_another_server(scanned):
    """Next.js serves web/app/api/**/route.ts itself: the same package's relative requests to them
    are answered (GET/POST /api/session, /api/items/{...slug}); a method it does not export is 405,
    and `_components/` is private. cli/ is its own package whose configured-base requests
    (`${baseUrl}/v1/ping/`) reach none of the backend's routes: a client of a hosted API, not
    reported. web/'s configured-base requests do reach the backend, so its miss (`/api/v1/stream`)
    still is."""
    _, gaps = scanned
    undeclared = {(g["file"], g["line"]) for g in gaps if g["rule"] == "GA401"}
    assert not {key for key in undeclared if key[0].startswith("cli/")}
    assert ("web/lib/session.ts", 1) not in undeclared and ("web/lib/session.ts", 2) not in undeclared
    assert ("web/lib/session.ts", 4) not in undeclared  # a catch-all segment takes the rest of the path
    assert ("web/lib/api.ts", 9) in undeclared
    routes = {(g["evidence"].get("request"), g["file"]) for g in gaps if g["rule"] in ("GA402", "GA403")}
    assert not {file for _, file in routes if file.startswith("web/")}  # the frontend's routes are not the backend's


def test_every_framework_form_is_declared_with_its_full_path(scanned):
    root, _ = scanned
    done = run_cli("routes", str(root), "--format", "json")
    assert done.returncode == 0, done.stderr
    routes = json.loads(done.stdout)
    assert all(set(r) >= {"method", "path", "kind", "file", "line", "tested", "referenced_by"} for r in routes)
    declared = {(r["method"], r["path"], r["kind"]) for r in routes if r["mounted"]}
    assert declared == {
        # FastAPI: app -> include_router(prefix=/api) -> include_router(prefix=/v1) -> APIRouter(prefix=/users)
        ("GET", "/api/v1/users/", "http"), ("HEAD", "/api/v1/users/", "http"),
        ("GET", "/api/v1/users/{user_id:int}", "http"), ("GET", "/api/v1/users/me", "http"),
        ("POST", "/api/v1/users/export", "http"), ("WS", "/api/v1/users/live", "websocket"),
        ("GET", "/health", "http"),
        # Starlette Mount/Route/WebSocketRoute
        ("GET", "/admin/stats", "http"), ("POST", "/admin/stats", "http"), ("WS", "/admin/feed", "websocket"),
        # Flask: register_blueprint(url_prefix=) replaces the blueprint's own prefix
        ("GET", "/store/items/<int:item_id>", "http"), ("GET", "/store/cart", "http"), ("PUT", "/store/cart", "http"),
        # aiohttp: RouteTableDef, router.add_get, web.post
        ("GET", "/aio/ping", "http"), ("GET", "/aio/status", "http"), ("POST", "/aio/events", "http"),
        # Django: path/include/re_path
        ("*", "/api/shop/orders/<int:pk>/", "http"), ("*", "/legacy/{pk}/", "http"),
    }
    orphan = [r for r in routes if not r["mounted"]]
    assert [(r["path"], r["file"]) for r in orphan] == [("/orphan/report", "backend/api/orphan.py")]
    tested = {(r["method"], r["path"]) for r in routes if r["tested"]}
    # f"/api/v1/users/{uid}" could be /me as well: a parameter matches any segment
    assert tested == {("GET", "/api/v1/users/{user_id:int}"), ("GET", "/api/v1/users/me"), ("WS", "/api/v1/users/live"),
                      ("*", "/api/shop/orders/<int:pk>/")}
    live = next(r for r in routes if r["path"] == "/api/v1/users/live")
    assert sorted(live["referenced_by"]) == ["tests/test_api.py:21", "web/lib/api.ts:10"]


def test_untested_and_shadowed(scanned):
    _, gaps = scanned
    untested = {(g["file"], g["line"]) for g in gaps if g["rule"] == "GA402"}
    assert ("backend/api/users.py", 34) in untested  # add_api_route export: only the frontend calls it
    assert not any(g["file"] == "backend/api/main.py" and "static" in g["message"] for g in gaps)
    assert len([g for g in gaps if g["rule"] == "GA402"]) == 14  # 18 mounted routes, 4 tested
    shadowed = [g for g in gaps if g["rule"] == "GA403"]
    assert [(g["file"], g["line"], g["evidence"]["first"]) for g in shadowed] == [
        ("backend/api/users.py", 25, "backend/api/users.py:20")]


def test_near_misses_are_not_references(scanned):
    root, gaps = scanned
    assert not [g for g in gaps if "not-a-route" in g["message"] or "cache-key" in g["message"]
                or "dashboard" in g["message"]]


def test_routes_table_output(scanned):
    root, _ = scanned
    done = run_cli("routes", str(root))
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["METHOD", "PATH", "KIND", "DECLARED", "AT", "TESTED", "REFERENCED", "BY"]
    assert any("/orphan/report  (router never included)" in line for line in lines)
    assert lines[-1].startswith("20 routes, 5 tested;")  # the shadowed /me is listed twice


def test_import_based_route_table_agrees_with_the_static_one(project):
    root = project("routes_import")
    done = run_cli("routes", str(root), "--app", "svc.main:app", "--format", "json")
    assert done.returncode == 0, done.stderr
    comparison = json.loads(done.stdout)["import"]
    assert comparison == {"imported": 5, "found": 5, "recall": 1.0, "only_imported": [], "only_static": []}


def test_import_failure_falls_back_to_static_with_a_note(project):
    root = project("routes_import")
    done = run_cli("routes", str(root), "--app", "svc.broken:app")
    assert done.returncode == 0
    assert done.stderr.startswith("gapaudit: note: cannot import svc.broken:app: KeyError")
    assert "/api/v2/items/{item_id}" in done.stdout


def test_routes_registered_in_a_loop_are_not_guessed_at(tmp_path):
    (tmp_path / "server.py").write_text(
        "from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.get('/health')\ndef health():\n    return 'ok'\n\n\n"
        "for path, handler, methods in ENDPOINTS:\n    app.add_url_rule(path, handler.__name__, handler, methods=methods)\n")
    (tmp_path / "web.js").write_text("export const runs = () => fetch('/api/2.0/runs/search', {method: 'POST'});\n")
    _, report = scan_json(tmp_path, "--fail-on", "never")
    assert not [g for g in report["gaps"] if g["rule"] == "GA401"]
    done = run_cli("routes", str(tmp_path))
    assert "note: routes registered with a computed path at server.py:12 app.add_url_rule(...)" in done.stdout


def test_websockets_registered_in_a_loop_are_not_guessed_at(tmp_path):
    (tmp_path / "server.py").write_text(
        "from starlette.applications import Starlette\n\napp = Starlette()\n\n\n"
        "@app.route('/health')\ndef health(request):\n    return 'ok'\n\n\n"
        "for path, handler in SOCKETS:\n    app.add_websocket_route(path, handler)\n")
    (tmp_path / "web.js").write_text("export const live = () => new WebSocket(`ws://localhost:8000/live/feed`);\n")
    _, report = scan_json(tmp_path, "--fail-on", "never")
    assert not [g for g in report["gaps"] if g["rule"] == "GA401"]


_DJANGO_ROUTES = """
import json, os, sys
import django
from django.urls import URLResolver, get_resolver

os.environ["DJANGO_SETTINGS_MODULE"] = "settings"
django.setup()

def walk(patterns, prefix):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)

print(json.dumps(sorted(walk(get_resolver().url_patterns, ""))))
"""


def test_django_nested_includes_agree_with_djangos_own_resolver(project):
    """Inline include([...]) lists, include(local_list), include((module, app_name), namespace=...)
    `urlpatterns +=`, a package URLconf unpacking its modules' lists (`*card_urls`), and
    `urlpatterns = urlpatterns + [...]`: the static table has the paths Django itself resolves
    (the shapes of paperless-ngx, jumpserver and plane, where the prefixes were lost and distinct
    routes looked shadowed); two converters or a trailing slash make two URLs, not a shadow."""
    import subprocess
    import sys

    root = project("routes_django")
    django = subprocess.run([sys.executable, "-c", _DJANGO_ROUTES], cwd=root, capture_output=True, text=True,
                            timeout=60, env={"PYTHONPATH": str(root), "PATH": ""})
    assert django.returncode == 0, django.stderr
    resolved = {"/" + path.replace("^", "").replace("$", "") for path in json.loads(django.stdout)}
    done = run_cli("routes", str(root), "--format", "json")
    assert done.returncode == 0, done.stderr
    static = {r["path"] for r in json.loads(done.stdout) if r["mounted"]}
    assert static == resolved
    assert len(resolved) == 20
    _, report = scan_json(root, "--fail-on", "never")
    assert not [g for g in report["gaps"] if g["rule"] == "GA403"]


def test_rest_framework_router_registrations_serve_their_prefixes(tmp_path):
    """`router.register("users", ...)` serves /users/ and whatever the viewset adds below it, when
    `router.urls` is unpacked into the patterns or added to urlpatterns; other paths still 404."""
    (tmp_path / "urls.py").write_text(
        "from django.urls import include, path\nfrom rest_framework.routers import DefaultRouter\n\n"
        "from . import views\n\nrouter = DefaultRouter()\nrouter.register(r'users', views.UserViewSet)\n"
        "router.register(r'documents', views.DocumentViewSet, basename='documents')\n\n"
        "admin_router = DefaultRouter()\nadmin_router.register(r'audit', views.AuditViewSet)\n\n"
        "urlpatterns = [\n    path('api/', include([\n        path('status/', views.status),\n"
        "        *router.urls,\n    ])),\n]\nurlpatterns += admin_router.urls\n")
    (tmp_path / "test_api.py").write_text(
        "def test_api(client):\n    client.patch('/api/users/5/')\n    client.get('/api/documents/3/notes/')\n"
        "    client.get('/audit/')\n    client.get('/api/status/')\n    client.get('/api/tasks/')\n")
    (tmp_path / "gapaudit.yml").write_text("report-unserved: true\n")  # the tests' misses, listed
    _, report = scan_json(tmp_path, "--fail-on", "never")
    undeclared = [g["evidence"]["request"] for g in report["gaps"] if g["rule"] == "GA401"]
    assert undeclared == ["GET /api/tasks/"]


def test_flask_restx_namespaces_resources_and_paths_tests_name(project):
    """CTFd's shape: `Api(blueprint)`, `add_namespace(ns, "/x")`, `@ns.route` on Resource classes
    (their methods are the ones they define), a namespace imported where its resources are
    declared, `add_resource(Cls, *paths)`. Tests reach routes through a client made by a context
    manager, a list of endpoints looped over and a class attribute: all tested, none undeclared.
    `/todos/all` runs the handler `/todos` runs, tested: no gap, though the table lists it untested."""
    root = project("routes_restx")
    done = run_cli("routes", str(root), "--format", "json")
    assert done.returncode == 0, done.stderr
    table = {(r["method"], r["path"]): r["tested"] for r in json.loads(done.stdout)}
    assert table == {
        ("GET", "/api/v1/awards"): False, ("POST", "/api/v1/awards"): True,
        ("GET", "/api/v1/awards/<int:award_id>"): True, ("DELETE", "/api/v1/awards/<int:award_id>"): False,
        ("GET", "/api/v1/statistics/teams"): True, ("*", "/api/v1/todos"): True, ("*", "/api/v1/todos/all"): False,
        ("GET", "/teams"): True,
    }
    _, report = scan_json(root, "--fail-on", "never")
    gaps = sorted((g["rule"], g["file"], g["line"]) for g in report["gaps"])
    assert gaps == [("GA402", "app/api/awards.py", 6), ("GA402", "app/api/awards.py", 15)]
    assert report["summary"]["unserved"] == 2  # the tests' own misses (conftest.py:20, test_api.py:26)


def test_one_declaration_mounted_under_several_prefixes_is_one_handler(tmp_path):
    """healthchecks mounts one list of API routes under v1/, v2/ and v3/: a test of any copy
    tests the handler; an untested one is reported once, naming its other mounts."""
    (tmp_path / "urls.py").write_text(
        "from django.urls import include, path\n\nfrom . import views\n\n"
        "api_urls = [\n    path('status/', views.status),\n    path('pings/', views.pings),\n]\n\n"
        "urlpatterns = [\n    path('api/v1/', include(api_urls)),\n    path('api/v2/', include(api_urls)),\n"
        "    path('api/v3/', include(api_urls)),\n]\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_api.py").write_text(
        "def test_status(client):\n    assert client.get('/api/v3/status/').status_code == 200\n")
    _, report = scan_json(tmp_path, "--fail-on", "never")
    untested = [g for g in report["gaps"] if g["rule"] == "GA402"]
    assert [(g["line"], g["message"]) for g in untested] == [
        (7, "* /api/v1/pings/ is declared but no test requests it through the HTTP layer")]
    assert untested[0]["evidence"]["also_mounted_at"] == ["/api/v2/pings/", "/api/v3/pings/"]


def test_a_url_name_a_test_reverses_tests_its_route(tmp_path):
    """plane and healthchecks test by URL name: `client.get(reverse("api-tokens"))`."""
    (tmp_path / "urls.py").write_text(
        "from django.urls import path\n\nfrom . import views\n\n"
        "urlpatterns = [\n    path('api/tokens/', views.tokens, name='api-tokens'),\n"
        "    path('api/tokens/<uuid:pk>/', views.token, name='api-tokens-details'),\n"
        "    path('api/keys/', views.keys, name='api-keys'),\n]\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_tokens.py").write_text(
        "from django.urls import reverse\n\n\ndef test_tokens(client, token):\n"
        "    url = reverse('api-tokens')\n    assert client.post(url).status_code == 201\n"
        "    assert client.get(reverse('accounts:api-tokens-details', kwargs={'pk': token.pk})).status_code == 200\n")
    _, report = scan_json(tmp_path, "--fail-on", "never")
    assert [(g["rule"], g["line"]) for g in report["gaps"] if g["rule"].startswith("GA4")] == [("GA402", 8)]


def test_two_applications_do_not_shadow_each_other(tmp_path):
    """FastChat's controller and each model worker build their own FastAPI app and run as their
    own process: the same path in two of them is two routes. A worker that registers on the app it
    imports adds to that app's table, where a path declared twice is shadowed."""
    root = write_files(tmp_path, {
        "serve/__init__.py": "",
        "serve/base_worker.py": ("from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
                                 "@app.post('/worker_generate')\nasync def generate():\n    return {}\n"),
        "serve/model_worker.py": ("from .base_worker import app\n\n\n"
                                  "@app.post('/worker_generate')\nasync def generate_again():\n    return {}\n"),
        "serve/mlx_worker.py": ("import uvicorn\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
                                "@app.post('/worker_generate')\nasync def generate():\n    return {}\n\n\n"
                                "if __name__ == '__main__':\n    uvicorn.run(app)\n"),
        "serve/controller.py": ("from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
                                "@app.post('/worker_generate')\nasync def relay():\n    return {}\n"),
    })
    _, report = scan_json(root, "--fail-on", "never")
    assert [(g["file"], g["evidence"]["first"]) for g in report["gaps"] if g["rule"] == "GA403"] == [
        ("serve/model_worker.py", "serve/base_worker.py:6")]


def test_declared_twice_only_on_one_router(tmp_path):
    """mailu, plane, agenta: two blueprints or routers whose prefixes come from settings look like
    one path to a static table; which path each serves hangs on those prefixes, so only the same
    router declaring a path twice is a shadow."""
    root = write_files(tmp_path, {
        "settings.py": "import os\n\nAPI_PREFIX = os.environ.get('API_PREFIX', '/api')\nADMIN_PREFIX = '/' + os.environ['ADMIN']\n",
        "views.py": ("from flask import Blueprint\n\napi = Blueprint('api', __name__)\nadmin = Blueprint('admin', __name__)\n\n\n"
                     "@api.route('/status')\ndef status():\n    return 'ok'\n\n\n"
                     "@admin.route('/status')\ndef admin_status():\n    return 'ok'\n\n\n"
                     "@api.route('/status')\ndef status_again():\n    return 'ok'\n"),
        "app.py": ("from flask import Flask\n\nfrom settings import ADMIN_PREFIX, API_PREFIX\nfrom views import admin, api\n\n"
                   "app = Flask(__name__)\napp.register_blueprint(api, url_prefix=API_PREFIX)\n"
                   "app.register_blueprint(admin, url_prefix=ADMIN_PREFIX)\n"),
    })
    _, report = scan_json(root, "--fail-on", "never")
    assert [(g["file"], g["line"], g["evidence"]["first"]) for g in report["gaps"] if g["rule"] == "GA403"] == [
        ("views.py", 17, "views.py:7")]


def test_django_patterns_built_from_module_constants(tmp_path):
    """bookwyrm builds its URL regexes from module constants (`USER_PATH`, `BOOK_PATH`, and
    `STATUS_PATH` from `USER_PATH`): the constants are part of the path, so `{USER_PATH}/?$` is
    not `/`, and a user's page does not shadow a book's."""
    root = write_files(tmp_path, {
        "site/__init__.py": "", "site/regex.py": "USERNAME = r'[\\w@.]+'\n",
        "site/urls.py": ("from django.urls import path, re_path\n\nfrom . import regex, views\n\n"
                         "USER_PATH = rf'^user/(?P<username>{regex.USERNAME})'\n"
                         "BOOK_PATH = r'^book/(?P<book_id>\\d+)'\n"
                         "STATUS_PATH = rf'{USER_PATH}/status/(?P<status_id>\\d+)'\n\n"
                         "urlpatterns = [\n    path('', views.home),\n    re_path(rf'{USER_PATH}/?$', views.user),\n"
                         "    re_path(rf'{BOOK_PATH}/?$', views.book),\n    re_path(rf'{STATUS_PATH}/?$', views.status),\n]\n"),
    })
    done = run_cli("routes", str(root), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert sorted(r["path"] for r in json.loads(done.stdout)) == [
        "/", "/book/{book_id}/?", "/user/{username}/?", "/user/{username}/status/{status_id}/?"]
    _, report = scan_json(root, "--fail-on", "never")
    assert not [g for g in report["gaps"] if g["rule"] == "GA403"]


def test_prefixes_of_routers_mounted_through_a_router_nobody_includes(tmp_path):
    """A router built in a function and handed on (`return app_router.routes`) still gives the
    routers it includes their prefixes: `/create` of secrets and of files are two URLs. Routes on
    a router whose making is not seen (a blueprint parameter of a helper) form a table of their own
    per file, so two helpers' `/new` are no shadow; `add_resource("assets", "name")` registers
    webassets, not a route."""
    root = write_files(tmp_path / "svc", {
        "app/__init__.py": "",
        "app/api/__init__.py": "",
        "app/api/secrets.py": "from fastapi import APIRouter\nrouter = APIRouter()\n\n"
                              "@router.post('/create')\nasync def create():\n    return {}\n",
        "app/api/files.py": "from fastapi import APIRouter\nrouter = APIRouter()\n\n"
                            "@router.post('/create')\nasync def create():\n    return {}\n",
        "app/api/routes.py": "from fastapi import APIRouter\n"
                             "from app.api.secrets import router as secrets_router\n"
                             "from app.api.files import router as files_router\n\n"
                             "def build_routes(base_url=''):\n"
                             "    app_router = APIRouter(prefix=base_url)\n"
                             "    app_router.include_router(secrets_router, prefix='/api/secrets')\n"
                             "    app_router.include_router(files_router, prefix='/api/files')\n"
                             "    return app_router.routes\n",
        "app/views/group.py": "from flask import Blueprint\ngroup = Blueprint('group', __name__, url_prefix='/group')\n\n"
                              "def index():\n    return ''\n\n"
                              "def register_rules(blueprint):\n    blueprint.add_url_rule('/new', view_func=index)\n\n"
                              "register_rules(group)\n",
        "app/views/dataset.py": "from flask import Blueprint\ndataset = Blueprint('dataset', __name__, url_prefix='/dataset')\n\n"
                                "def index():\n    return ''\n\n"
                                "def register_rules(blueprint):\n    blueprint.add_url_rule('/new', view_func=index)\n\n"
                                "register_rules(dataset)\n",
        "app/plugin.py": "import toolkit as tk\n\ndef update_config(config):\n"
                         "    tk.add_resource('assets', 'app-activity')\n    tk.add_resource('assets-dark', 'app-activity')\n",
    })
    done = run_cli("routes", str(root), "--format", "json", "--no-cache")
    assert done.returncode == 0, done.stderr
    paths = sorted(r["path"] for r in json.loads(done.stdout))
    assert paths == ["/api/files/create", "/api/secrets/create", "/new", "/new"]
    _, report = scan_json(root, "--fail-on", "never")
    assert not [g for g in report["gaps"] if g["rule"] == "GA403"]


def test_url_for_class_routers_and_example_apps(tmp_path):
    """Flask tests request by endpoint: `url_for("group.edit")` (the view of the blueprint named
    "group"), `url_for("group.about")` for a view a helper registers on a blueprint parameter
    (`as_view(str("about"))`), and Flask-RESTful's `api.url_for(Todo)`: each tests its route.
    Two classes each with a `self.router` are two routers, not one path declared twice; the app
    under examples/ is not the service."""
    root = write_files(tmp_path / "svc", {
        "app/__init__.py": "",
        "app/views.py": "from flask import Blueprint\nfrom flask.views import MethodView\n\n"
                        "group = Blueprint('group', __name__, url_prefix='/group')\n\n\n"
                        "@group.route('/edit/<id>')\ndef edit(id):\n    return ''\n\n\n"
                        "class AboutView(MethodView):\n    def get(self, id):\n        return ''\n\n\n"
                        "def register_rules(blueprint):\n"
                        "    blueprint.add_url_rule('/about/<id>', view_func=AboutView.as_view(str(u'about')))\n\n\n"
                        "register_rules(group)\n",
        "app/api.py": "from flask import Flask\nfrom flask_restful import Api, Resource\n\napp = Flask(__name__)\n"
                      "api = Api(app)\n\n\nclass Todo(Resource):\n    def get(self, tid):\n        return {}\n\n\n"
                      "api.add_resource(Todo, '/todos/<int:tid>', endpoint='todo')\n",
        "app/routers.py": "from fastapi import APIRouter\n\n\nclass Environments:\n    def __init__(self):\n"
                          "        self.router = APIRouter()\n        self.router.add_api_route('/query', self.query, methods=['POST'])\n\n"
                          "    async def query(self):\n        return {}\n\n\nclass SimpleEnvironments:\n    def __init__(self):\n"
                          "        self.router = APIRouter()\n        self.router.add_api_route('/query', self.query, methods=['POST'])\n\n"
                          "    async def query(self):\n        return {}\n",
        "examples/demo/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get('/hello')\n"
                                 "async def hello():\n    return {}\n",
        "tests/test_views.py": "from flask import url_for\n\nfrom app.api import Todo, api\n\n\n"
                               "def test_views(client):\n    assert client.get(url_for('group.edit', id=1)).status_code == 200\n"
                               "    assert client.get(url_for('group.about', id=1)).status_code == 200\n"
                               "    assert client.get(api.url_for(Todo, tid=1)).status_code == 200\n",
    })
    _, report = scan_json(root, "--fail-on", "never")
    routes = {(g["rule"], g["file"]) for g in report["gaps"] if g["rule"] in ("GA402", "GA403")}
    assert routes == {("GA402", "app/routers.py")}  # its /query routes: untested, neither shadows the other


def test_a_path_relative_to_the_test_clients_base_url_tests_its_route(tmp_path):
    """phoenix's tests request `await httpx_client.post("v1/session_notes")`: httpx joins a path
    without a leading slash to the client's base_url. A file name is no route."""
    root = write_files(tmp_path, {
        "app.py": ("from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
                   "@app.post('/v1/session_notes')\nasync def notes():\n    return []\n\n\n"
                   "@app.get('/v1/projects')\nasync def projects():\n    return []\n"),
        "tests/test_notes.py": (
            "async def test_notes(httpx_client):\n    assert (await httpx_client.post('v1/session_notes')).status_code == 200\n"
            "    assert (await httpx_client.get('index.html')).status_code == 404\n"),
    })
    _, report = scan_json(root, "--fail-on", "never")
    assert [(g["rule"], g["line"]) for g in report["gaps"] if g["rule"].startswith("GA4")] == [("GA402", 11)]
