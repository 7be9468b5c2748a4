"""The routes analyzer's per-file facts: typed, collected on the one walk, and unchanged by a trip
through the cache's JSON."""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES

from gapaudit.checks.base import ParsedFile
from gapaudit.checks.routes import RoutesAnalyzer
from gapaudit.checks.routes.facts import (
    ConstantReference,
    Declarations,
    Include,
    PathConstant,
    Requests,
    RouteDeclaration,
    Router,
    RouteReference,
    imported,
)
from gapaudit.engine.discover import FRONTEND, PYTHON, PYTHON_TEST, classify
from gapaudit.python import codec
from gapaudit.python.imports import Import
from gapaudit.rules import load_rules

ANALYZER = RoutesAnalyzer(load_rules())
ROUTES = FIXTURES / "routes"


def facts_of(rel: str, text: str, kind: str | None = None):
    file = ParsedFile(rel=rel, kind=kind or classify(rel), text=text)
    ANALYZER.prepare(file)
    file.walk_collectors()
    return ANALYZER.file_facts(file)


def fixture_files():
    return sorted(p.relative_to(ROUTES).as_posix() for p in ROUTES.rglob("*")
                  if p.is_file() and classify(p.relative_to(ROUTES).as_posix()) in (PYTHON, PYTHON_TEST, FRONTEND))


@pytest.mark.parametrize("rel", fixture_files())
def test_facts_survive_the_cache(rel):
    facts = facts_of(rel, (ROUTES / rel).read_text())
    assert isinstance(facts, (Declarations, Requests))
    stored = json.loads(json.dumps(ANALYZER.encode(facts)))
    assert ANALYZER.decode(stored) == facts


def test_declarations_are_typed():
    facts = facts_of("backend/api/users.py", (ROUTES / "backend/api/users.py").read_text())
    assert facts.routers == (Router("router", "fastapi", "/users", 3, False),)
    assert facts.routes[:3] == (
        RouteDeclaration("router", "GET", "/", "http", 6, "list_users", "list_users"),
        RouteDeclaration("router", "HEAD", "/", "http", 7, "list_users", "list_users"),
        RouteDeclaration("router", "GET", "/{user_id:int}", "http", 12, "get_user", "get_user"),
    )
    # the endpoint: the name `url_for` / `url_path_for` asks for
    assert RouteDeclaration("router", "POST", "/export", "http", 34, "add_api_route", "export_users") in facts.routes
    assert RouteDeclaration("router", "WS", "/live", "websocket", 37, "live", "live") in facts.routes
    assert facts.imports == ()  # it includes nothing


def test_includes_and_the_imports_that_name_them():
    facts = facts_of("backend/api/main.py", (ROUTES / "backend/api/main.py").read_text())
    assert facts.routers == (Router("app", "fastapi", "", 7, True),)
    assert facts.includes == (Include("app", "v1.api_router", "/api", 8),
                              Include("app", "StaticFiles(directory='static')", "/static", 9))
    # only the imports an included expression goes through are kept: `v1` of `v1.api_router`
    assert facts.imports == (Import(None, "v1", None, 1, 4),)
    assert imported(facts.imports, "v1") == ".v1"


def test_test_requests_literal_and_through_helpers():
    source = (
        "from tests.utils import api_routes\n"
        "from tests.utils.api_routes import recipe\n"
        "from tests.utils.factories import random_string\n\n"
        "HOME = '/api/home'\n\n\n"
        "def test_x(api_client):\n"
        "    api_client.get(HOME)\n"
        "    api_client.get(api_routes.users_self)\n"
        "    api_client.get(recipe('x') + '?format=md')\n"
        "    api_client.post(f'/api/items/{1}')\n"
        "    cache.get('/not/a/request')\n"
    )
    facts = facts_of("tests/test_x.py", source)
    assert facts.from_test
    assert facts.constants == (PathConstant("HOME", "/api/home"),)
    assert facts.references == (
        ConstantReference("GET", "HOME", 9, "api_client.get"),
        ConstantReference("GET", "api_routes.users_self", 10, "api_client.get"),
        ConstantReference("GET", "recipe", 11, "api_client.get"),
        RouteReference("POST", "/api/items/{}", 12, "api_client.post"),
    )
    # the imports a request goes through, not `random_string`
    assert [(i.bound, i.dotted) for i in facts.imports] == [
        ("api_routes", "tests.utils.api_routes"), ("recipe", "tests.utils.api_routes.recipe")]


def test_helper_module_constants():
    source = ("prefix = '/api'\nusers_self = '/api/users/self'\nnot_a_path = 'x'\n\n\n"
              "def recipe(slug):\n    return f'{prefix}/recipes/{slug}'\n")
    facts = facts_of("tests/utils/api_routes.py", source)
    assert facts.constants == (PathConstant("prefix", "/api"), PathConstant("users_self", "/api/users/self"),
                               PathConstant("recipe", "/api/recipes/{}"))


def test_frontend_lines_count_characters_not_bytes():
    source = "// é 🎉 ü\nconst a = 'ß';\n\n  fetch('/api/a')\n/* 🎉 */ new WebSocket(`ws://localhost/api/ws`); fetch('/api/b', {method: 'PUT'})\n"
    facts = facts_of("web/app.ts", source)
    assert facts.references == (
        RouteReference("GET", "/api/a", 4, "fetch"),
        RouteReference("PUT", "/api/b", 5, "fetch"),
        RouteReference("WS", "/api/ws", 5, "WebSocket"),
    )
    assert not facts.from_test


def test_decode_refuses_what_encode_does_not_write():
    with pytest.raises(codec.DecodeError):
        ANALYZER.decode({"_": "PathConstant", "name": "x", "path": "/x"})
    with pytest.raises(codec.DecodeError):
        ANALYZER.decode({"_": "Os", "system": "rm"})
