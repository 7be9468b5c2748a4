"""GA401-GA403: routes the frontend or tests call that the backend does not declare, declared
routes no test exercises through the HTTP/WebSocket layer, and routes declared twice.

Declared routes are composed statically: router prefixes, `include_router(prefix=...)`,
`register_blueprint(url_prefix=...)`, Starlette `Mount`, aiohttp sub-apps and Django `include()`,
across modules and nesting levels. A router that is never included serves nothing.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...model import FRONTEND, PYTHON, PYTHON_TEST, Finding
from ...python import codec
from ...python.imports import ImportCollector, Where
from ...python.modules import ModuleIndex
from ...rules import RuleSet
from ..base import Analyzer, ParsedFile, ParseError, Project
from .catalog import RoutesCatalog
from .declarations import AIOHTTP_WEB, DeclarationCollector
from .facts import (
    ConstantReference,
    Declarations,
    DjangoPattern,
    Requests,
    RouteDeclaration,
    RouteFacts,
    Router,
    RouteReference,
    imported,
)
from .frontend import js_handlers, js_references, minified
from .paths import matches, names_exactly, normalise, shadows
from .requests import RequestCollector

if TYPE_CHECKING:
    from ...engine.discover import SourceFile

#: a request, as `table()` lists them: (file, reference, made by a test)
_Request = tuple[str, RouteReference, bool]

#: include()s followed across a project's URLconfs; past that (a list that includes itself twelve
#: times, eight deep, would be 12^8), an include is a mount whose routes are not listed
_MAX_DJANGO_EXPANSIONS = 10_000

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
    name: str = ""  # a Django URL name
    #: what Flask's `url_for` names it by: `bp.view` (`?.view` when the blueprint's name is not
    #: known), and `<Todo>` for the Flask-RESTful resource class registered at it
    endpoints: tuple[str, ...] = ()
    #: the application it is served by: the router (file:variable) or Django URLconf at the top of
    #: its includes. Two applications run as two processes, or side by side: one route cannot
    #: shadow another's
    app: str = ""
    #: the router (file:variable) or URL pattern list (file:list) it is declared on
    declared_on: str = ""

    def reached_from(self, where: str, by_test: bool) -> None:
        """Record a request (or a path named) at `where`; one from a test makes the route tested."""
        self.referenced_by.append(where)
        self.tested = self.tested or by_test

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.raw, "kind": self.kind, "file": self.file, "line": self.line,
                "tested": self.tested, "referenced_by": self.referenced_by, "mounted": self.mounted}


class RouteTable:
    """Every declared route with its full path, from the per-file declaration facts."""

    def __init__(self, decls: dict[str, Declarations], package_dirs: set[str]) -> None:
        self.decls = decls
        self.modules = ModuleIndex(decls, package_dirs)
        # the last binding of a name wins, as when the module runs
        self.routers = {rel: {router.name: router for router in d.routers} for rel, d in decls.items()}
        self.opaque: list[str] = []  # prefixes of mounts we cannot see into (StaticFiles, dynamic routers)
        self.routes: list[Route] = []
        self._build()

    def _resolve(self, rel: str, text: str) -> tuple[str, str] | None:
        """`auth.router` / `users_router` / `router` in file `rel` -> (file, router variable)."""
        parts = text.split(".")
        if len(parts) == 1 and parts[0] in self.routers[rel]:
            return rel, parts[0]
        target = imported(self.decls[rel].imports, parts[0])
        if target is None:
            return None
        full = target + ("." + ".".join(parts[1:]) if len(parts) > 1 else "")
        module, _, var = full.rpartition(".")
        target = self.modules.resolve(rel, module) if module else None
        if target is not None and var in self.routers[target]:
            return target, var
        return None

    def _build(self) -> None:
        parents: dict[tuple[str, str], list[tuple[tuple[str, str], str]]] = {}
        for rel, facts in self.decls.items():
            for include in facts.includes:
                parent = (rel, include.parent)
                child = self._resolve(rel, include.child)
                if child is None:
                    self.opaque.append(self._own_prefix(parent) + include.prefix)
                    continue
                parents.setdefault(child, []).append((parent, include.prefix))

        def prefixes(node: tuple[str, str], seen: frozenset) -> list[tuple[str, str]] | None:
            """(the application at the top, the full prefix) of every place the router is mounted;
            None for a router nobody includes."""
            info = self.routers[node[0]].get(node[1])
            own = info.prefix if info else ""
            if node in seen:
                return []
            ups = parents.get(node)
            if not ups:
                if info is not None and (info.app or info.framework == "aiohttp"):
                    return [(f"{node[0]}:{node[1]}", own)]
                if node[1] == AIOHTTP_WEB:  # aiohttp's module-level `web.get(...)`: one table of all such
                    return [("", own)]
                if info is None:  # a router not seen made (a parameter, a helper's result): its own table
                    return [(f"{node[0]}:{node[1]}?", own)]
                return None
            found = []
            for parent, prefix in ups:
                # a parent nobody includes (`return app_router.routes`) still gives its children
                # its prefix; the routes under it are one table, not the application's
                above = prefixes(parent, seen | {node}) or [(f"{parent[0]}:{parent[1]}?", self._own_prefix(parent))]
                # Flask's register_blueprint(url_prefix=...) replaces the blueprint's own prefix
                mine = prefix if info and info.framework == "flask" and prefix else prefix + own
                found.extend((app, p + mine) for app, p in above)
            return found

        for rel, facts in self.decls.items():
            for route in facts.routes:
                # a router imported from where it is made (`from . import ns`, `@ns.route(...)`)
                node = (rel, route.router) if route.router in self.routers[rel] else (
                    self._resolve(rel, route.router) or (rel, route.router))
                mounts = prefixes(node, frozenset())
                endpoints = self._endpoints(node, route)
                for app, prefix in mounts if mounts else [("", self._own_prefix(node))]:
                    raw = prefix + route.path
                    self.routes.append(Route(route.method, normalise(raw), raw or "/", route.kind, rel,
                                             route.line, mounted=mounts is not None, app=app, endpoints=endpoints,
                                             declared_on=f"{node[0]}:{node[1]}"))
        self._opaque_resolved = [normalise(p) for p in self.opaque]
        # a route registered with a computed path could be any path under its router's mounts
        self.dynamic = [f"{rel}:{d.line} {d.call}(...)" for rel, f in self.decls.items() for d in f.dynamic]
        for rel, f in self.decls.items():
            for d in f.dynamic:
                mounts = prefixes((rel, d.router), frozenset()) or [("", "")]
                self._opaque_resolved.extend(normalise(prefix) for _, prefix in mounts)
        self._django()

    def _endpoints(self, node: tuple[str, str], route: RouteDeclaration) -> tuple[str, ...]:
        """What `url_for` names a declaration by (Route.endpoints)."""
        if not route.endpoint:
            return ()
        info = self.routers[node[0]].get(node[1])
        if info is None:
            name = f"?.{route.endpoint}"
        else:
            name = f"{info.blueprint}.{route.endpoint}" if info.blueprint else route.endpoint
        return (name, f"<{route.resource}>") if route.resource else (name,)

    def _own_prefix(self, node: tuple[str, str]) -> str:
        info: Router | None = self.routers[node[0]].get(node[1])
        return info.prefix if info else ""

    def _django(self) -> None:
        # a pattern module no include() names is a URLconf root; one whose name ends like an
        # include()'s, however it is imported, is not
        included = {rel for f in self.decls.values() for p in f.django if p.include
                    for rel in self.modules.files_ending(p.include.replace(".", "/"))}
        included |= {found[0] for rel, f in self.decls.items() for p in f.django if p.include
                     if (found := self._imported_patterns(rel, p.include))}
        roots = [rel for rel, f in self.decls.items() if f.django and rel not in included]

        groups: dict[str, dict[str | None, list[DjangoPattern]]] = {}
        budget = [_MAX_DJANGO_EXPANSIONS]

        def grouped(rel: str) -> dict[str | None, list[DjangoPattern]]:
            """A module's patterns by group; None holds its top-level ones. Groups another pattern
            of the module includes are reached through that include only, a REST framework
            router's (`router.urls`) through its inclusion only."""
            if rel not in groups:
                patterns = self.decls[rel].django
                local = {p.group for p in patterns}
                mounted = {p.include for p in patterns if p.include in local} | {p.group for p in patterns if p.dynamic}
                found: dict[str | None, list[DjangoPattern]] = {}
                for p in patterns:
                    found.setdefault(p.group, []).append(p)
                    if p.group not in mounted:
                        found.setdefault(None, []).append(p)
                groups[rel] = found
            return groups[rel]

        def walk(rel: str, group: str | None, prefix: str, depth: int, root: str) -> None:
            """The patterns of one group of `rel` under `prefix`, in the URLconf `root`."""
            found = grouped(rel)
            for pattern in found.get(group, ()):
                route = prefix + pattern.route
                deeper = depth < 8 and budget[0] > 0
                if pattern.dynamic:
                    self._opaque_resolved.append(normalise(route))
                elif pattern.include is not None and pattern.include in found:
                    if deeper:
                        budget[0] -= 1
                        walk(rel, pattern.include, route, depth + 1, root)
                    else:
                        self._opaque_resolved.append(normalise(route))
                elif pattern.include:
                    target = self.modules.resolve(rel, pattern.include)
                    found_group = None
                    if target is None and (imported_list := self._imported_patterns(rel, pattern.include)):
                        target, found_group = imported_list
                    if target is not None and deeper:
                        budget[0] -= 1
                        walk(target, found_group, route, depth + 1, root)
                    else:
                        self._opaque_resolved.append(normalise(route))
                else:
                    raw = "/" + route.lstrip("/")
                    self.routes.append(Route("*", normalise(raw), raw, "http", rel, pattern.line, name=pattern.name,
                                             app=root, declared_on=f"{rel}:{group or ''}"))

        for root in roots:
            walk(root, None, "", 0, root)

    def _imported_patterns(self, rel: str, name: str) -> tuple[str, str | None] | None:
        """`cycle_urls` after `from .cycle import urlpatterns as cycle_urls`, or `cycle.urlpatterns`
        after `from . import cycle`: (that module, the group: None for its `urlpatterns`), when the
        module holds URL patterns."""
        head, _, rest = name.partition(".")
        dotted = imported(self.decls[rel].imports, head)
        if dotted is None:
            return None
        dotted += f".{rest}" if rest else ""  # `*cycle.urlpatterns` after `from . import cycle`
        if "." not in dotted.lstrip("."):
            return None
        module, _, var = dotted.rpartition(".")
        target = self.modules.resolve(rel, module)
        if target is None or target not in self.decls or not self.decls[target].django:
            return None
        return target, None if var == "urlpatterns" else var

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
        same_path = [r for r in self.at(normalise(path)) if (r.kind == "websocket") == (method == "WS")]
        return [r for r in same_path if r.method in (method, "*")], same_path

    def at(self, norm: str) -> list[Route]:
        """Every mounted route, HTTP or WebSocket, serving the normalised path `norm`."""
        return [r for r in self._candidates(norm) if matches(r.path, norm)]

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
    catalogs = RoutesCatalog.names

    def __init__(self, rules: RuleSet) -> None:
        self.catalog = RoutesCatalog.load(rules)

    def _declarations(self) -> DeclarationCollector:
        return DeclarationCollector(self.catalog)

    def _requests(self) -> RequestCollector:
        return RequestCollector(self.catalog)

    def prepare(self, file: ParsedFile) -> None:
        if file.kind == FRONTEND:
            return
        file.collector("imports", ImportCollector)
        if file.kind == PYTHON_TEST:
            file.collector("routes.requests", self._requests)
        else:
            file.collector("routes.declarations", self._declarations)

    def file_facts(self, file: ParsedFile) -> RouteFacts:
        if file.kind == FRONTEND:
            if minified(file.text):
                return Requests(())
            try:
                return Requests(js_references(file.rel, file.text, self.catalog),
                                handlers=js_handlers(file.rel, file.text, self.catalog))
            except Exception:
                raise  # the engine's to handle: the file's time budget ran out (so the scan is incomplete), ...
            except BaseException as exc:  # ast-grep raises PanicException, a BaseException
                if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
                    raise
                raise ParseError(f"ast-grep cannot parse it ({type(exc).__name__})") from None
        imports = file.collector("imports", ImportCollector).imports
        if file.kind == PYTHON_TEST:
            requests = file.collector("routes.requests", self._requests)
            references = requests.references()
            # `api_routes` of `api_routes.users_self`, `recipe` of `recipe(slug)`: the names to follow
            through = {r.symbol.rpartition(".")[0] or r.symbol for r in references if isinstance(r, ConstantReference)}
            # module-level `from x import y`: how a test reaches its helper module's path constants
            helpers = tuple(i for i in imports if i.where == Where.BODY and i.name is not None and i.bound in through)
            return Requests(references, True, requests.constants(), helpers, mentions=requests.mentions(),
                            url_names=tuple(requests.url_names), url_resources=tuple(requests.url_resources))
        return file.collector("routes.declarations", self._declarations).declarations(imports)

    def encode(self, facts: RouteFacts) -> Any:
        return codec.encode(facts)

    def decode(self, data: Any) -> RouteFacts:
        facts = codec.decode(data)
        if not isinstance(facts, (Declarations, Requests)):
            raise codec.DecodeError(f"expected route facts, got {type(facts).__name__}")
        return facts

    def _caller(self, rel: str, from_test: bool) -> str | None:
        """Why a request is not one production makes to this backend, or None if it may be."""
        if from_test:
            return "a test: a route it needs and nobody serves fails the test in CI, not production"
        parts = rel.lower().split("/")[:-1]
        folder = next((part for part in parts if part in self.catalog.outside_clients), None)
        if folder:
            return f"code under {folder}/: a client of its own (CLI, SDK, integration, example), not the served frontend"
        return None

    def table(self, project: Project) -> tuple[RouteTable, list[tuple[str, RouteReference, bool]]]:
        """The declared routes, and every request (file, reference, made by a test) matched against them."""
        table, refs, _, _ = self._linked(project)
        return table, refs

    def _linked(self, project: Project) -> tuple[RouteTable, list[_Request], list[tuple[list[Route], list[Route]]], _Frontends]:
        """`table()`, with what `RouteTable.find` returned for each request (found once) and the frontends."""
        facts = {rel: self.decode(data) for rel, data in project.facts_of(self.name).items()}
        declared = {rel: f for rel, f in facts.items() if isinstance(f, Declarations)}
        requests = {rel: f for rel, f in facts.items() if isinstance(f, Requests)}
        table = RouteTable(declared, project.discovery.package_dirs)
        helpers = _HelperPaths(requests, project.discovery.package_dirs)
        refs = []
        for rel, f in sorted(requests.items()):
            for ref in f.references:
                resolved = helpers.resolve(rel, ref) if isinstance(ref, ConstantReference) else ref
                if resolved is not None:
                    refs.append((rel, resolved, f.from_test))
        found = [table.find(ref.method, ref.path) for _, ref, _ in refs]
        for (rel, ref, from_test), (exact, _) in zip(refs, found, strict=True):
            for route in exact:
                route.reached_from(f"{rel}:{ref.line}", from_test)
        by_name: dict[str, list[Route]] = {}
        for route in table.routes:
            for name in (route.name, *route.endpoints):
                if name:
                    by_name.setdefault(name, []).append(route)
        for rel, f in sorted(requests.items()):
            for url_name in f.url_names:
                # Django's `namespace:name`: the name, whatever the namespace; Flask's `bp.view`:
                # that blueprint's view, or the view of a blueprint whose name is not known
                reversed_to = {id(r): r for name in (url_name.rpartition(":")[2], f"?.{url_name.rpartition('.')[2]}")
                               for r in by_name.get(name, ())}
                for route in reversed_to.values():
                    route.reached_from(f"{rel}: url name {url_name!r}", f.from_test)
            for resource in f.url_resources:
                for route in by_name.get(f"<{resource}>", ()):
                    route.reached_from(f"{rel}: url_for({resource})", f.from_test)
            for mention in f.mentions:
                norm = normalise(mention.path)
                # a path alone (`*`): every method of it, HTTP or WebSocket
                named = table.at(norm) if mention.method == "*" else table.find(mention.method, mention.path)[0]
                for route in named:
                    if names_exactly(route.path, norm):
                        route.reached_from(f"{rel}:{mention.line}", f.from_test)
        return table, refs, found, _Frontends(requests, project.discovery.files)

    def link(self, project: Project) -> list[Finding]:
        table, refs, found, frontends = self._linked(project)
        if not table.routes:
            return []  # no backend in this tree: nothing to compare against
        findings = []
        elsewhere = frontends.calling_elsewhere(refs, found)
        for (rel, ref, from_test), (exact, same_path) in zip(refs, found, strict=True):
            if exact or table.behind_opaque_mount(ref.path) or normalise(ref.path) in self.catalog.framework_routes:
                continue
            own = [] if from_test else frontends.own(rel, ref)
            if any(method in ("*", ref.method) for method, _ in own) or (
                    not from_test and ref.configured and frontends.package(rel) in elsewhere):
                continue
            kind = "WebSocket" if ref.method == "WS" else ref.method
            unmounted = [r for r in table.routes if not r.mounted and matches(r.path, normalise(ref.path))]
            if own:
                why = f"the frontend's own handler {own[0][1]} serves {', '.join(sorted({m for m, _ in own}))} only (405)"
            elif same_path:
                why = f"the path exists for {', '.join(sorted({r.method for r in same_path}))} only (405)"
            elif unmounted:
                why = f"declared at {unmounted[0].file}:{unmounted[0].line} but its router is never included (404)"
            else:
                why = "no backend route matches (" + ("403/404 on the handshake" if ref.method == "WS" else "404") + ")"
            caller = self._caller(rel, from_test)
            findings.append(Finding(
                rule="GA401", file=rel, line=ref.line,
                message=f"{kind} {ref.path} is requested here but not declared: {why}",
                symbol=f"{ref.method} {normalise(ref.path)}",
                evidence={"request": f"{kind} {ref.path}", "via": ref.via,
                          "nearest_declared": table.nearest(ref.path, ref.method),
                          **({"caller": caller} if caller else {})},
                # a 404 breaks production only for a client production runs against this backend
                priority="P2" if caller else None,
                # a test's request runs in CI, where a green suite shows it resolves: a miss means
                # this static table is incomplete (368 of 368 such gaps read on the evaluation
                # set were), so it is listed only with `report-unserved`
                unserved=from_test,
            ))
        seen: dict[tuple[str, str, str, str], Route] = {}
        # one declaration mounted under several prefixes (an API's urls included under v1/, v2/,
        # v3/) runs the same handler: tested if any copy is, reported once if none is
        copies: dict[tuple[str, int, str], list[Route]] = {}
        for route in table.routes:
            if route.mounted:
                copies.setdefault((route.file, route.line, route.method), []).append(route)
        reported: set[tuple[str, int, str]] = set()
        examples = self.catalog.example_apps
        for route in sorted(table.routes, key=lambda r: (r.file, r.line)):
            if not route.mounted or examples.intersection(route.file.lower().split("/")[:-1]):
                continue
            # only on one router (or pattern list): where two differ, which path each serves hangs
            # on the prefixes they are mounted under, which this table misses too often to guess
            # (all 160 such gaps read on the evaluation set were distinct paths)
            key = (route.app, route.declared_on, route.method, route.path)
            if key in seen and (seen[key].file, seen[key].line) != (route.file, route.line) \
                    and shadows(seen[key].raw, route.raw):
                first = seen[key]
                findings.append(Finding(
                    rule="GA403", file=route.file, line=route.line,
                    message=f"{route.method} {route.raw} is declared twice; the handler at {first.file}:{first.line} wins",
                    symbol=f"{route.method} {route.path}|{route.file}",
                    evidence={"first": f"{first.file}:{first.line}", "shadowed": f"{route.file}:{route.line}"},
                ))
                continue
            seen[key] = route
            declaration = (route.file, route.line, route.method)
            siblings = copies[declaration]
            if declaration in reported or any(copy.tested for copy in siblings):
                continue
            if not any(part in route.path.lower() for part in self.catalog.untested_exempt_words):
                reported.add(declaration)
                kind = "WebSocket" if route.kind == "websocket" else route.method
                also = sorted({copy.raw for copy in siblings} - {route.raw})
                findings.append(Finding(
                    rule="GA402", file=route.file, line=route.line,
                    message=f"{kind} {route.raw} is declared but no test requests it through the "
                            + ("WebSocket" if route.kind == "websocket" else "HTTP") + " layer",
                    symbol=f"{route.method} {route.path}",
                    evidence={"referenced_by": route.referenced_by or ["nothing"],
                              **({"also_mounted_at": also} if also else {})},
                ))
        return findings


class _Frontends:
    """The JS/TS packages of the tree (each folder with a package.json) and the routes each serves
    itself: which requests of a frontend reach its own server, and which reach some other one."""

    def __init__(self, requests: dict[str, Requests], files: tuple[SourceFile, ...]) -> None:
        self.packages = sorted((f.rel.rpartition("/")[0] for f in files if f.rel.rpartition("/")[2] == "package.json"),
                               key=len, reverse=True)  # the nearest first
        self._package_of: dict[str, str | None] = {}
        self.handlers: dict[str | None, list[tuple[str, str, str]]] = {}  # package -> (method, path, file)
        for rel, f in requests.items():
            for handler in f.handlers:
                self.handlers.setdefault(self.package(rel), []).append((handler.method, normalise(handler.path), rel))

    def package(self, rel: str) -> str | None:
        """The folder of the nearest package.json above `rel` ("" at the root), None if there is none."""
        if rel not in self._package_of:  # asked for each request and handler of a file
            self._package_of[rel] = next((p for p in self.packages if not p or rel.startswith(p + "/")), None)
        return self._package_of[rel]

    def own(self, rel: str, ref: RouteReference) -> list[tuple[str, str]]:
        """(method, file) of the frontend's own route handlers (Next.js `route.ts`) on the path of a
        same-origin request."""
        if ref.configured:
            return []
        path = normalise(ref.path)
        return [(method, file) for method, pattern, file in self.handlers.get(self.package(rel), ())
                if matches(pattern, path)]

    def calling_elsewhere(self, refs: list[_Request], found: list[tuple[list[Route], list[Route]]]) -> set[str | None]:
        """Packages none of whose requests reaches a declared route, and that make some to a
        configured base URL (`${baseUrl}/v1/x`): a CLI or SDK of a hosted API, a plugin calling a
        vendor. Their configured requests are not reported; literal same-origin ones still are. A
        frontend that reaches the backend at all keeps every miss reported (the bundled example's
        broken `${API_BASE}/...` URLs beside its working axios calls)."""
        reaches: dict[str | None, bool] = {}
        configured: set[str | None] = set()
        for (rel, ref, from_test), (exact, same_path) in zip(refs, found, strict=True):
            if from_test:
                continue
            package = self.package(rel)
            reaches[package] = reaches.get(package, False) or bool(exact or same_path)
            if ref.configured:
                configured.add(package)
        return {package for package in configured if not reaches[package]}


class _HelperPaths:
    """The paths test helper modules define (`tests/utils/api_routes.py`), for the requests made
    through them: `client.get(api_routes.users_self)`, `client.get(recipe_url(slug))`."""

    def __init__(self, requests: dict[str, Requests], package_dirs: set[str]) -> None:
        self.requests = requests
        self.constants = {rel: {c.name: c.path for c in f.constants} for rel, f in requests.items() if f.constants}
        self.modules = ModuleIndex(self.constants, package_dirs)

    def resolve(self, rel: str, ref: ConstantReference) -> RouteReference | None:
        head, _, name = ref.symbol.rpartition(".")
        own = self.constants.get(rel, {})
        if not head and name in own:
            return ref.to(own[name])
        target = imported(self.requests[rel].imports, head or name)
        if target is None:
            return None
        if head:  # `api_routes.x`: the import names the helper module
            module = target
        else:  # a bare `x`, imported from the helper module
            module, _, name = target.rpartition(".")
        # the helper is imported as `tests.utils.api_routes` or `utils.api_routes`, as sys.path has it
        for candidate in self.modules.files_ending(module.lstrip(".").replace(".", "/")):
            if name in self.constants[candidate]:
                return ref.to(self.constants[candidate][name])
        return None


def compare_with_import(table: RouteTable, imported: list[dict[str, Any]], framework_routes: frozenset[str]) -> dict[str, Any]:
    """How much of the framework's own route table the static extractor found, and the disagreements.
    `framework_routes`: normalised routes the framework adds by itself (catalog `framework-routes`)."""
    static = {(r.method, r.path) for r in table.routes if r.mounted}
    # routes the framework adds by itself (FastAPI's docs) are declared nowhere in the source
    seen = {(r["method"], normalise(r["path"])) for r in imported
            if r["kind"] != "mount" and normalise(r["path"]) not in framework_routes}
    found = {key for key in seen if key in static or ("*", key[1]) in static}
    return {
        "imported": len(seen),
        "found": len(found),
        "recall": len(found) / len(seen) if seen else 1.0,
        "only_imported": sorted(f"{m} {p}" for m, p in seen - found),
        "only_static": sorted(f"{m} {p}" for m, p in static - seen if not any(
            q == p and (m == "*" or n == m) for n, q in seen)),
    }
