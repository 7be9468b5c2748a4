"""GA401-GA403: routes the frontend or tests call that the backend does not declare, declared
routes no test exercises through the HTTP/WebSocket layer, and routes declared twice.

Declared routes are composed statically: router prefixes, `include_router(prefix=...)`,
`register_blueprint(url_prefix=...)`, Starlette `Mount`, aiohttp sub-apps and Django `include()`,
across modules and nesting levels. A router that is never included serves nothing.
"""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass, field
from typing import Any

from ...engine.discover import FRONTEND, PYTHON, PYTHON_TEST
from ...model import Finding
from .facts import (
    declarations,
    js_references,
    normalise,
    path_constants,
    python_references,
)
from ...python.modules import module_names, module_path
from ..base import Analyzer, ParsedFile, Project

_EXEMPT = ("docs", "redoc", "openapi", "static", "favicon")
_FRAMEWORK_ROUTES = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json", "/static/{}"})


@dataclass
class Route:
    method: str
    path: str  # normalised full path
    raw: str  # full path as declared
    kind: str
    file: str
    line: int
    mounted: bool = True
    referenced_by: list[str] = field(default_factory=list)
    tested: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.raw, "kind": self.kind, "file": self.file, "line": self.line,
                "tested": self.tested, "referenced_by": self.referenced_by, "mounted": self.mounted}


def _matches(pattern: str, path: str) -> bool:
    a, b = pattern.strip("/").split("/"), path.strip("/").split("/")
    if "{**}" in a:  # `{rest:path}` takes every remaining segment
        head = a[: a.index("{**}")]
        return len(b) >= len(head) and _matches("/".join(head), "/".join(b[: len(head)]))
    return len(a) == len(b) and all(x == y or x == "{}" or y == "{}" for x, y in zip(a, b))


class RouteTable:
    """Every declared route with its full path, from the per-file declaration facts."""

    def __init__(self, decls: dict[str, dict[str, Any]], package_dirs: set[str]) -> None:
        self.decls = decls
        self.module_index: dict[str, str] = {}
        for rel in decls:
            for name in module_names(rel, package_dirs):
                self.module_index.setdefault(name, rel)
        self.opaque: list[str] = []  # prefixes of mounts we cannot see into (StaticFiles, dynamic routers)
        self.routes: list[Route] = []
        self._build()

    def _module(self, rel: str, dotted: str) -> str | None:
        if not dotted.startswith("."):
            return self.module_index.get(dotted)
        full = module_path(rel, dotted)
        return next((c for c in (f"{full}.py", f"{full}/__init__.py") if c in self.decls), None)

    def _resolve(self, rel: str, text: str) -> tuple[str, str] | None:
        """`auth.router` / `users_router` / `router` in file `rel` -> (file, router variable)."""
        parts = text.split(".")
        facts = self.decls[rel]
        if len(parts) == 1 and parts[0] in facts["routers"]:
            return rel, parts[0]
        if parts[0] not in facts["imports"]:
            return None
        full = facts["imports"][parts[0]] + ("." + ".".join(parts[1:]) if len(parts) > 1 else "")
        module, _, var = full.rpartition(".")
        target = self._module(rel, module) if module else None
        if target is not None and var in self.decls[target]["routers"]:
            return target, var
        return None

    def _build(self) -> None:
        parents: dict[tuple[str, str], list[tuple[tuple[str, str], str]]] = {}
        for rel, facts in self.decls.items():
            for include in facts["includes"]:
                parent = (rel, include["parent"])
                child = self._resolve(rel, include["child"])
                if child is None:
                    self.opaque.append(self._prefixes_later(parent, include["prefix"]))
                    continue
                parents.setdefault(child, []).append((parent, include["prefix"]))
        self._parents = parents

        def prefixes(node: tuple[str, str], seen: frozenset) -> list[str] | None:
            info = self.decls[node[0]]["routers"].get(node[1])
            own = info["prefix"] if info else ""
            if node in seen:
                return []
            ups = parents.get(node)
            if not ups:
                if info is None or info["app"] or info["framework"] == "aiohttp" or node[1] == "web":
                    return [own]
                return None  # a router nobody includes
            found = []
            for parent, prefix in ups:
                above = prefixes(parent, seen | {node})
                # Flask's register_blueprint(url_prefix=...) replaces the blueprint's own prefix
                mine = prefix if info and info["framework"] == "flask" and prefix else prefix + own
                found.extend(p + mine for p in (above or []))
            return found

        for rel, facts in self.decls.items():
            for route in facts["routes"]:
                node = (rel, route["router"])
                mounts = prefixes(node, frozenset())
                for prefix in mounts if mounts else [self.decls[rel]["routers"].get(route["router"], {}).get("prefix", "")]:
                    raw = prefix + route["path"]
                    self.routes.append(Route(route["method"], normalise(raw), raw or "/", route["kind"], rel,
                                             route["line"], mounted=mounts is not None))
        self._opaque_resolved = [normalise(p) for p in self.opaque]
        # a route registered with a computed path could be any path under its router's mounts
        self.dynamic = [f"{rel}:{d['line']} {d['call']}(...)" for rel, f in self.decls.items() for d in f["dynamic"]]
        for rel, f in self.decls.items():
            for d in f["dynamic"]:
                mounts = prefixes((rel, d["router"]), frozenset()) or [""]
                self._opaque_resolved.extend(normalise(m) for m in mounts)
        self._django()

    def _prefixes_later(self, parent: tuple[str, str], prefix: str) -> str:
        info = self.decls[parent[0]]["routers"].get(parent[1])
        return (info["prefix"] if info else "") + prefix

    def _django(self) -> None:
        included = {p["include"] for f in self.decls.values() for p in f["django"] if p["include"]}
        roots = [rel for rel, f in self.decls.items() if f["django"] and not any(
            rel.removesuffix(".py").replace("/", ".").endswith(inc) for inc in included)]

        def walk(rel: str, prefix: str, depth: int) -> None:
            for pattern in self.decls[rel]["django"]:
                if pattern["include"]:
                    target = self._module(rel, pattern["include"])
                    if target is not None and depth < 8:
                        walk(target, prefix + pattern["route"], depth + 1)
                    else:
                        self._opaque_resolved.append(normalise(prefix + pattern["route"]))
                else:
                    raw = "/" + (prefix + pattern["route"]).lstrip("/")
                    self.routes.append(Route("*", normalise(raw), raw, "http", rel, pattern["line"]))

        for root in roots:
            walk(root, "", 0)

    def _candidates(self, norm: str) -> list[Route]:
        """Mounted routes with as many segments as `norm`, plus the `{x:path}` catch-alls."""
        if not hasattr(self, "_by_length"):
            self._by_length: dict[int, list[Route]] = {}
            for route in self.routes:
                if route.mounted:
                    key = -1 if "{**}" in route.path else route.path.strip("/").count("/")
                    self._by_length.setdefault(key, []).append(route)
        return self._by_length.get(norm.strip("/").count("/"), []) + self._by_length.get(-1, [])

    def find(self, method: str, path: str) -> tuple[list[Route], list[Route]]:
        """(routes matching method and path, routes matching the path only)."""
        norm = normalise(path)
        same_path = [r for r in self._candidates(norm) if _matches(r.path, norm)
                     and (r.kind == "websocket") == (method == "WS")]
        return [r for r in same_path if r.method in (method, "*")], same_path

    def behind_opaque_mount(self, path: str) -> bool:
        norm = normalise(path)
        return any(norm == p or norm.startswith(p.rstrip("/") + "/") or p == "/" for p in self._opaque_resolved)

    def nearest(self, path: str, kind: str) -> list[str]:
        candidates = [r for r in self.routes if r.mounted and (r.kind == "websocket") == (kind == "WS")]
        ranked = sorted(candidates, key=lambda r: -difflib.SequenceMatcher(None, r.path, normalise(path)).ratio())
        return [f"{r.method} {r.raw}" for r in ranked[:3]]


class RoutesAnalyzer(Analyzer):
    name = "routes"
    kinds = frozenset({PYTHON, PYTHON_TEST, FRONTEND})
    order = 60

    def file_facts(self, file: ParsedFile) -> dict[str, Any]:
        if file.kind == FRONTEND:
            try:
                return {"refs": js_references(file.rel, file.text)}
            except BaseException:  # noqa: BLE001 - ast-grep raises PanicException, a BaseException
                return {"refs": []}
        if file.kind == PYTHON_TEST:
            imports = {alias.asname or alias.name: f"{'.' * n.level}{n.module + '.' if n.module else ''}{alias.name}"
                       for n in file.tree.body if isinstance(n, ast.ImportFrom) for alias in n.names}
            return {"refs": python_references(file.tree), "test": True, "constants": path_constants(file.tree),
                    "imports": imports}
        return {"decl": declarations(file.rel, file.tree)}

    def table(self, project: Project) -> tuple[RouteTable, list[tuple[str, dict[str, Any], bool]]]:
        facts = project.facts_of(self.name)
        table = RouteTable({rel: f["decl"] for rel, f in facts.items() if "decl" in f}, project.discovery.package_dirs)
        refs = [(rel, self._resolved(rel, ref, facts), bool(f.get("test")))
                for rel, f in sorted(facts.items()) for ref in f.get("refs", [])]
        refs = [(rel, ref, is_test) for rel, ref, is_test in refs if ref is not None]
        for rel, ref, is_test in refs:
            for route in table.find(ref["method"], ref["path"])[0]:
                route.referenced_by.append(f"{rel}:{ref['line']}")
                route.tested = route.tested or is_test
        return table, refs

    @staticmethod
    def _resolved(rel: str, ref: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any] | None:
        """A reference through a constant (`api_routes.users_self`, `ROUTE`) with its path filled in."""
        if "path" in ref:
            return ref
        head, _, name = ref["symbol"].rpartition(".")
        f = facts[rel]
        if not head and name in f.get("constants", {}):
            return {**ref, "path": f["constants"][name]}
        target = f.get("imports", {}).get(head or name)
        if target is None:
            return None
        module = target.lstrip(".").replace(".", "/") if head else target.lstrip(".").rpartition(".")[0].replace(".", "/")
        name = name if head else target.rpartition(".")[2]
        for other, g in facts.items():
            stem = other.removesuffix(".py").removesuffix("/__init__")
            if (stem == module or stem.endswith("/" + module)) and name in g.get("constants", {}):
                return {**ref, "path": g["constants"][name]}
        return None

    def link(self, project: Project) -> list[Finding]:
        table, refs = self.table(project)
        if not table.routes:
            return []  # no backend in this tree: nothing to compare against
        findings = []
        for rel, ref, _ in refs:
            exact, same_path = table.find(ref["method"], ref["path"])
            if exact or table.behind_opaque_mount(ref["path"]):
                continue
            kind = "WebSocket" if ref["method"] == "WS" else ref["method"]
            unmounted = [r for r in table.routes if not r.mounted and _matches(r.path, normalise(ref["path"]))]
            if same_path:
                why = f"the path exists for {', '.join(sorted({r.method for r in same_path}))} only (405)"
            elif unmounted:
                why = f"declared at {unmounted[0].file}:{unmounted[0].line} but its router is never included (404)"
            else:
                why = "no backend route matches (" + ("403/404 on the handshake" if ref["method"] == "WS" else "404") + ")"
            findings.append(Finding(
                rule="GA401", file=rel, line=ref["line"],
                message=f"{kind} {ref['path']} is requested here but not declared: {why}",
                symbol=f"{ref['method']} {normalise(ref['path'])}",
                evidence={"request": f"{kind} {ref['path']}", "via": ref["via"],
                          "nearest_declared": table.nearest(ref["path"], ref["method"])},
            ))
        seen: dict[tuple[str, str], Route] = {}
        for route in sorted(table.routes, key=lambda r: (r.file, r.line)):
            if not route.mounted:
                continue
            key = (route.method, route.path)
            if key in seen and (seen[key].file, seen[key].line) != (route.file, route.line):
                first = seen[key]
                findings.append(Finding(
                    rule="GA403", file=route.file, line=route.line,
                    message=f"{route.method} {route.raw} is declared twice; the handler at {first.file}:{first.line} wins",
                    symbol=f"{route.method} {route.path}|{route.file}",
                    evidence={"first": f"{first.file}:{first.line}", "shadowed": f"{route.file}:{route.line}"},
                ))
                continue
            seen[key] = route
            if not route.tested and not any(part in route.path.lower() for part in _EXEMPT):
                kind = "WebSocket" if route.kind == "websocket" else route.method
                findings.append(Finding(
                    rule="GA402", file=route.file, line=route.line,
                    message=f"{kind} {route.raw} is declared but no test requests it through the "
                            + ("WebSocket" if route.kind == "websocket" else "HTTP") + " layer",
                    symbol=f"{route.method} {route.path}",
                    evidence={"referenced_by": route.referenced_by or ["nothing"]},
                ))
        return findings


def compare_with_import(table: RouteTable, imported: list[dict[str, Any]]) -> dict[str, Any]:
    """How much of the framework's own route table the static extractor found, and the disagreements."""
    static = {(r.method, r.path) for r in table.routes if r.mounted}
    # routes the framework adds by itself (FastAPI's docs) are declared nowhere in the source
    seen = {(r["method"], normalise(r["path"])) for r in imported
            if r["kind"] != "mount" and normalise(r["path"]) not in _FRAMEWORK_ROUTES}
    found = {key for key in seen if key in static or ("*", key[1]) in static}
    return {
        "imported": len(seen),
        "found": len(found),
        "recall": len(found) / len(seen) if seen else 1.0,
        "only_imported": sorted(f"{m} {p}" for m, p in seen - found),
        "only_static": sorted(f"{m} {p}" for m, p in static - seen if not any(
            q == p and (m == "*" or n == m) for n, q in seen)),
    }
