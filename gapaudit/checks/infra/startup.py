"""GA203: the application declares startup work that no test ever runs.

Production: `FastAPI(lifespan=...)`, `Starlette(on_startup=[...])`, `@app.on_event("startup")`,
`app.add_event_handler("startup", ...)`, aiohttp `app.on_startup.append(...)` / `cleanup_ctx`.
Tests run it with `with TestClient(app)`, `LifespanManager(app)` (asgi-lifespan), or the
aiohttp test client/server; `TestClient(app)` outside a `with` and httpx's `ASGITransport` do not.
"""

from __future__ import annotations

import ast
from typing import Any

from ...engine.discover import PYTHON, PYTHON_TEST
from ...model import Finding
from ...python.astutil import all_nodes, last_name
from ..base import Analyzer, ParsedFile, Project

_STARTUP_KEYWORDS = frozenset({"lifespan", "on_startup"})
_RUNS_STARTUP = frozenset({"LifespanManager", "aiohttp_client", "TestServer", "AioHTTPTestCase", "lifespan_context"})


_last = last_name


def _production(tree: ast.Module) -> list[dict[str, Any]]:
    declared = []
    for node in all_nodes(tree):
        if isinstance(node, ast.Call):
            name = _last(node.func)
            if name in ("FastAPI", "Starlette", "Litestar", "Quart") and any(
                    k.arg in _STARTUP_KEYWORDS and not (isinstance(k.value, ast.Constant) and k.value.value is None)
                    for k in node.keywords):
                declared.append({"line": node.lineno, "form": f"{name}(lifespan/on_startup=...)"})
            elif name in ("on_event", "add_event_handler") and node.args and isinstance(node.args[0], ast.Constant) \
                    and node.args[0].value == "startup":
                declared.append({"line": node.lineno, "form": f"{ast.unparse(node.func)}('startup')"})
            elif name == "append" and ast.unparse(node.func).endswith((".on_startup.append", ".cleanup_ctx.append")):
                declared.append({"line": node.lineno, "form": ast.unparse(node.func)})
        elif isinstance(node, ast.Assign) and any(ast.unparse(t).endswith("router.lifespan_context") for t in node.targets):
            declared.append({"line": node.lineno, "form": "router.lifespan_context = ..."})
    return declared


def _tests(tree: ast.Module) -> dict[str, Any]:
    with_clients: set[int] = set()
    runs: list[int] = []
    for node in all_nodes(tree):
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                expr = item.context_expr
                if isinstance(expr, ast.Call) and _last(expr.func) == "TestClient":
                    with_clients.add(id(expr))
                    runs.append(node.lineno)
        if isinstance(node, ast.Call) and _last(node.func) in _RUNS_STARTUP:
            runs.append(node.lineno)
        elif isinstance(node, ast.ClassDef) and any(_last(b) == "AioHTTPTestCase" for b in node.bases):
            runs.append(node.lineno)
    plain = sorted(n.lineno for n in all_nodes(tree)
                   if isinstance(n, ast.Call) and _last(n.func) == "TestClient" and id(n) not in with_clients)
    imports = sorted({n.module for n in all_nodes(tree) if isinstance(n, ast.ImportFrom) and n.module}
                     | {a.name for n in all_nodes(tree) if isinstance(n, ast.Import) for a in n.names})
    return {"runs": sorted(runs), "plain": plain, "imports": imports}


def _imported(rel: str, imports: set[str]) -> bool:
    """Does some test import the module at `rel` (`app.main` for backend/app/main.py)?"""
    parts = rel.removesuffix(".py").removesuffix("/__init__").split("/")
    names = {".".join(parts[i:]) for i in range(len(parts))}
    return bool(names & imports)


class StartupUntestedAnalyzer(Analyzer):
    name = "startup-untested"
    kinds = frozenset({PYTHON, PYTHON_TEST})
    order = 40

    def file_facts(self, file: ParsedFile) -> dict[str, Any]:
        if file.kind == PYTHON:
            return {"startup": _production(file.tree)}
        return {"test": _tests(file.tree)}

    def link(self, project: Project) -> list[Finding]:
        facts = project.facts_of(self.name)
        declared = [(rel, d) for rel, f in sorted(facts.items()) for d in f.get("startup", [])]
        tests = {rel: f["test"] for rel, f in facts.items() if "test" in f}
        if not declared or any(t["runs"] for t in tests.values()):
            return []
        plain = [f"{rel}:{line}" for rel, t in sorted(tests.items()) for line in t["plain"]]
        imports = {m for t in tests.values() for m in t["imports"]}
        declared = [(rel, d) for rel, d in declared if plain or _imported(rel, imports)]
        if not declared:
            return []  # an example app or a service whose tests live elsewhere: nothing to say
        rel, first = declared[0]
        how = (f"TestClient is created without `with` at {', '.join(plain[:3])}" if plain
               else "no test starts the application")
        return [Finding(
            rule="GA203",
            file=rel,
            line=first["line"],
            message=f"startup declared by {first['form']} never runs in tests: {how}",
            symbol=f"startup|{first['form']}",
            evidence={"declared": [f"{r}:{d['line']} {d['form']}" for r, d in declared],
                      "test_clients_without_with": plain[:20]},
        )]
