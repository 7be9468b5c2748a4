"""`gapaudit routes --app module:attr`: the route table as the framework itself builds it.

Runs in a child process (the application's import side effects stay out of gapaudit) with the
scanned folder on sys.path, and prints JSON: FastAPI/Starlette `app.routes` with `Mount`
recursion, Flask `url_map`, aiohttp `router`. Used to check the static extractor, never to scan.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from ..errors import GapauditError

_SCRIPT = r'''
import importlib, json, sys
module_name, _, attr = sys.argv[1].partition(":")
app = getattr(importlib.import_module(module_name), attr or "app")
if callable(app) and not hasattr(app, "routes") and not hasattr(app, "url_map") and not hasattr(app, "router"):
    app = app()  # an application factory
found = []

def starlette(routes, prefix):
    for route in routes:
        name = type(route).__name__
        path = prefix + (getattr(route, "path", "") or "")
        if hasattr(route, "effective_route_contexts"):  # FastAPI >= 0.160 includes routers lazily
            for context in route.effective_route_contexts():
                inner = context.starlette_route
                if inner is not None and "WebSocket" in type(inner).__name__:
                    found.append({"method": "WS", "path": prefix + inner.path, "kind": "websocket"})
                for method in sorted(context.methods or ()):
                    if method != "HEAD" or "GET" not in context.methods:
                        found.append({"method": method, "path": prefix + context.path, "kind": "http"})
        elif name == "Mount":
            sub = getattr(route, "routes", None)
            if sub:
                starlette(sub, path)
            else:
                found.append({"method": "*", "path": path + "/{path}", "kind": "mount"})
        elif "WebSocket" in name:
            found.append({"method": "WS", "path": path, "kind": "websocket"})
        elif hasattr(route, "methods"):
            for method in sorted(route.methods or {"GET"}):
                if method != "HEAD" or "GET" not in (route.methods or ()):
                    found.append({"method": method, "path": path, "kind": "http"})

if hasattr(app, "url_map"):  # Flask
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"OPTIONS"} - ({"HEAD"} if "GET" in rule.methods else set())):
            found.append({"method": method, "path": rule.rule, "kind": "http"})
elif hasattr(app, "routes") and isinstance(getattr(app, "routes"), list):  # Starlette/FastAPI
    starlette(app.routes, "")
elif hasattr(app, "router"):  # aiohttp
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter") or ""
        if route.method != "HEAD":
            found.append({"method": route.method, "path": path, "kind": "http"})
print(json.dumps(found))
'''


def imported_routes(root: Path, target: str, python: str | None = None) -> list[dict[str, Any]]:
    """The application's own route table; raises GapauditError when it cannot be imported."""
    if ":" not in target:
        raise GapauditError(f"--app takes module:attribute, got {target!r}")
    extra = [str(root)] + [str(p) for p in (root / "src", root / "backend") if p.is_dir()]
    env_path = ":".join(extra)
    try:
        done = subprocess.run([python or sys.executable, "-c", _SCRIPT, target], cwd=root, capture_output=True,
                              text=True, timeout=120, env={**os.environ, "PYTHONPATH": env_path})
    except subprocess.TimeoutExpired:
        raise GapauditError(f"importing {target} took more than 120 s") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise GapauditError(f"cannot import {target}: {last}")
    return json.loads(done.stdout.strip().splitlines()[-1])

