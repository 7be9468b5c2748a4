"""What a Python module declares, collected on the one walk of its tree: FastAPI, Starlette, Flask
and aiohttp routers, routes and inclusions, and Django URL patterns."""

from __future__ import annotations

import ast
from typing import Iterable

from ...python.astutil import dotted_name, last_name
from ...python.imports import Import
from ...python.ordering import ShallowFirst
from ...python.walk import Context
from .catalog import RoutesCatalog
from .facts import (
    Declarations,
    DjangoPattern,
    DynamicRegistration,
    Include,
    RouteDeclaration,
    Router,
)
from .paths import literal, regex_to_path

AIOHTTP_WEB = "web"  # aiohttp's module: `web.get("/p", handler)` declares on the application
_DJANGO_PATTERNS = ("path", "re_path", "url")  # `path` takes a route; the others a regex

def callee(func: ast.expr) -> str:
    """The last dotted part of a callee as written (`APIRouter` for `fastapi.APIRouter()`); only an
    unusual callee (`(a or b.X)()`) costs an `ast.unparse`."""
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ast.unparse(func).rsplit(".", 1)[-1]


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _methods(call: ast.Call, default: list[str]) -> list[str]:
    """`methods=["GET", "POST"]` upper-cased, else `default`."""
    for item in call.keywords:
        if item.arg == "methods" and isinstance(item.value, (ast.List, ast.Tuple, ast.Set)):
            return [str(e.value).upper() for e in item.value.elts if isinstance(e, ast.Constant)]
    return default


class DeclarationCollector:
    """Collects a module's `Declarations` during the one walk (see python/walk.py)."""

    wants = (ast.Assign, ast.AugAssign, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Call, ast.Starred)

    def __init__(self, catalog: RoutesCatalog) -> None:
        self.catalog = catalog
        self.routers: ShallowFirst[Router] = ShallowFirst()
        self.routes: ShallowFirst[RouteDeclaration] = ShallowFirst()
        self.includes: ShallowFirst[Include] = ShallowFirst()
        self.dynamic: ShallowFirst[DynamicRegistration] = ShallowFirst()
        self.django: ShallowFirst[DjangoPattern] = ShallowFirst()
        # of the node being entered: phase 0 for router assignments (read in a pass of their own before), depth
        self._place = (0, 0)
        self._viewset_routers: set[str] = set()  # names bound to `DefaultRouter()` and the like
        #: module-level string constants so far (`USER_PATH = rf"^user/(?P<username>...)"`), which
        #: Django patterns build on
        self._constants: dict[str, str] = {}

    def declarations(self, imports: Iterable[Import]) -> Declarations:
        includes = tuple(self.includes)
        # `users` of `users.router`; `cycle_urls` of a Django `*cycle_urls`; routers routes are
        # declared on where they are imported (`@ns.route(...)` beside `from . import ns`)
        heads = {include.child.split(".")[0] for include in includes} | {
            pattern.include.split(".")[0] for pattern in self.django if pattern.include} | {
            route.router for route in self.routes}
        return Declarations(tuple(self.routers), tuple(self.routes), includes,
                            tuple(self.dynamic), tuple(self.django),
                            tuple(i for i in imports if i.bound in heads))

    def enter(self, node: ast.AST, context: Context) -> None:
        self._place = (len(context.ancestors), 0 if isinstance(node, ast.Assign) else 1)
        if isinstance(node, ast.Call):
            self._call(node, context)
            self._django_pattern(node, context)
            self._viewset_registration(node)
        elif isinstance(node, ast.Assign):
            if isinstance(node.value, ast.Call):
                self._router_assignment(node, node.value)
                if callee(node.value.func) in self.catalog.viewset_routers:
                    self._viewset_routers.update(t.id for t in node.targets if isinstance(t, ast.Name))
            self._django_computed(node, node.targets, node.value)
            if (len(context.ancestors) == 1 and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                    and (value := literal(node.value, self._constants)) is not None
                    and len(value) <= _MAX_CONSTANT):
                self._constants[node.targets[0].id] = value
        elif isinstance(node, ast.AugAssign):
            self._django_computed(node, [node.target], node.value)
        elif isinstance(node, ast.Starred):
            self._django_starred(node, context)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call):
                    self._decorator(decorator, node.name)
        elif isinstance(node, ast.ClassDef):
            methods = [item.name.upper() for item in node.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
                       and item.name in self.catalog.http_methods]
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call):
                    self._decorator(decorator, node.name, methods or ["*"])

    def leave(self, node: ast.AST, context: Context) -> None:
        pass

    def _add(self, router: str, methods: list[str], path: str, kind: str, line: int, handler: str,
             endpoint: str = "", resource: str = "") -> None:
        for method in methods:
            self.routes.add(RouteDeclaration(router, method, path, kind, line, handler, endpoint, resource), *self._place)

    def _prefix(self, call: ast.Call) -> str:
        return next((found for name in self.catalog.prefix_keywords if (found := literal(keyword(call, name)))), "")

    def _router_assignment(self, node: ast.Assign, call: ast.Call) -> None:
        factory = self.catalog.factory(callee(call.func))
        if factory is None:
            return
        made = self.catalog.router_factories[factory]
        prefix = self._prefix(call)
        if made.prefix_from_name and not keyword(call, "path") and call.args and (named := literal(call.args[0])):
            prefix = "/" + named
        names = [target.id for target in node.targets if isinstance(target, ast.Name)]
        host = call.args[0] if call.args else keyword(call, "app")  # `Api(blueprint)`, `Api(app=app)`
        mounted_on = ast.unparse(host) if made.mounted_on_argument and isinstance(host, (ast.Name, ast.Attribute)) else None
        blueprint = (literal(call.args[0]) or "") if made.framework == "flask" and call.args else ""
        for name in names:
            self.routers.add(Router(name, made.framework, prefix, node.lineno, made.app, blueprint), *self._place)
            if mounted_on is not None:
                self.includes.add(Include(mounted_on, name, "", node.lineno), *self._place)
        for item in call.keywords:  # Starlette(routes=[Route(...), Mount(...)])
            if item.arg == "routes" and isinstance(item.value, (ast.List, ast.Tuple)):
                for name in names:
                    self._starlette_routes(item.value.elts, name, "")

    def _starlette_routes(self, items: list[ast.expr], router: str, prefix: str) -> None:
        for item in items:
            if not isinstance(item, ast.Call):
                continue
            name = callee(item.func)
            path = literal(item.args[0]) if item.args else literal(keyword(item, "path"))
            if path is None:
                continue
            if name == "Route":
                self._add(router, _methods(item, ["GET"]), prefix + path, "http", item.lineno, "Route")
            elif name == "WebSocketRoute":
                self._add(router, ["WS"], prefix + path, "websocket", item.lineno, "WebSocketRoute")
            elif name == "Mount":
                routes = keyword(item, "routes")
                if isinstance(routes, (ast.List, ast.Tuple)):
                    self._starlette_routes(routes.elts, router, prefix + path)
                app = keyword(item, "app") or (item.args[1] if len(item.args) > 1 else None)
                if app is not None and not isinstance(app, (ast.List, ast.Tuple)):
                    self.includes.add(Include(router, ast.unparse(app), prefix + path, item.lineno), *self._place)

    def _decorator(self, call: ast.Call, handler: str, resource: list[str] | None = None) -> None:
        """A route decorator on a function, or on a resource class (`resource`: the methods it serves)."""
        func = call.func
        if not isinstance(func, ast.Attribute) or not isinstance(func.value, ast.Name):
            return
        router, verb = func.value.id, func.attr
        path = literal(call.args[0]) if call.args else literal(keyword(call, "path")) or literal(keyword(call, "rule"))
        if path is None:
            return
        endpoint = literal(keyword(call, "endpoint")) or handler
        if resource is not None:
            if verb in self.catalog.any_method_decorators:
                self._add(router, resource, path, "http", call.lineno, handler, endpoint, handler)
        elif verb in self.catalog.http_methods:
            self._add(router, [verb.upper()], path, "http", call.lineno, handler, endpoint)
        elif verb in self.catalog.websocket_decorators:
            self._add(router, ["WS"], path, "websocket", call.lineno, handler, endpoint)
        elif verb in self.catalog.any_method_decorators:
            self._add(router, _methods(call, ["GET"]), path, "http", call.lineno, handler, endpoint)

    def _call(self, call: ast.Call, context: Context) -> None:
        func = call.func
        if not isinstance(func, ast.Attribute):
            return  # Starlette's Route/Mount are read with the Starlette(routes=[...]) that holds them
        owner = dotted_name(func.value)
        router = owner.split(".")[0]
        if router == "self":  # `self.router.add_api_route(...)`: each class's router, and each attribute, is one
            cls = next((a.name for a in reversed(context.ancestors) if isinstance(a, ast.ClassDef)), "")
            router = f"{cls}.{owner}"
        name = func.attr
        args = call.args
        catalog = self.catalog
        if name in catalog.include_calls and args:
            prefix, child = self._prefix(call), args[0]
            position = catalog.include_calls[name]
            if position == 0 and len(args) > 1:
                prefix, child = literal(args[0]) or "", args[1]
            elif position == 1 and len(args) > 1:
                prefix = literal(args[1]) or ""
            self.includes.add(Include(router, ast.unparse(child), prefix, call.lineno), *self._place)
        elif name in catalog.attach_calls and args and isinstance(args[0], (ast.Name, ast.Attribute)):
            self.includes.add(Include(ast.unparse(args[0]), owner, "", call.lineno), *self._place)
        elif name in catalog.resource_registrations and len(args) > 1 and literal(args[0]) is None:
            # the resource is a class; `add_resource("assets", "name")` registers webassets, not a route
            resource = last_name(args[0])
            # Flask-RESTful names the endpoint after the class, lower-cased, unless told
            endpoint = literal(keyword(call, "endpoint")) or resource.lower()
            for path in filter(None, map(literal, args[1:])):  # the class may live anywhere: any method
                self._add(router, ["*"], path, "http", call.lineno, ast.unparse(args[0]), endpoint, resource)
        elif (name in catalog.route_registrations or name in catalog.websocket_registrations) and args \
                and literal(args[0]) is None and not (len(args) > 1 and literal(args[1])):
            self.dynamic.add(DynamicRegistration(router, call.lineno, ast.unparse(func)), *self._place)
        elif name in catalog.route_registrations and args:
            first = literal(args[0])
            if first is not None and first.startswith("/"):  # FastAPI/Starlette/Flask: (path, endpoint, methods=)
                self._add(router, _methods(call, ["GET"]), first, "http", call.lineno, name, _endpoint(call))
            elif first is not None and len(args) >= 2 and (second := literal(args[1])):  # aiohttp: (method, path, handler)
                self._add(router, [first.upper()], second, "http", call.lineno, name)
        elif name in catalog.websocket_registrations and args:
            path = literal(args[0])
            if path is not None:
                self._add(router, ["WS"], path, "websocket", call.lineno, name)
        elif name.startswith("add_") and name[4:] in catalog.http_methods and args:  # aiohttp app.router.add_get
            path = literal(args[0])
            if path is not None:
                self._add(router, [name[4:].upper()], path, "http", call.lineno, name)
        elif owner == AIOHTTP_WEB and name in catalog.http_methods and args:  # aiohttp web.get("/p", handler)
            path = literal(args[0])
            if path is not None:
                self._add(AIOHTTP_WEB, [name.upper()], path, "http", call.lineno, name)

    def _django_pattern(self, call: ast.Call, context: Context) -> None:
        kind = last_name(call.func)
        if kind not in _DJANGO_PATTERNS or len(call.args) < 2:
            return
        route = literal(call.args[0], self._constants)
        if route is None:
            return
        target = call.args[1]
        include = None
        if isinstance(target, ast.Call) and callee(target.func) == "include" and target.args:
            included = target.args[0]
            if isinstance(included, ast.Tuple) and included.elts:  # include(("app.urls", "app"), namespace=...)
                included = included.elts[0]
            if isinstance(included, (ast.List, ast.Tuple)):  # include([path(...), ...]): the group below
                include = _inline_group(call)
            else:
                include = literal(included) or ast.unparse(included)
        pattern = DjangoPattern(route if kind == "path" else regex_to_path(route), include, call.lineno,
                                _django_group(context), name=literal(keyword(call, "name")) or "")
        self.django.add(pattern, *self._place)


    def _viewset_registration(self, call: ast.Call) -> None:
        """`router.register(r"users", UserViewSet)`: the group `router.urls`, which the patterns
        that include, add or unpack `router.urls` mount."""
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in self.catalog.viewset_registrations \
                and isinstance(func.value, ast.Name) and func.value.id in self._viewset_routers and call.args:
            prefix = literal(call.args[0])
            if prefix is not None:
                self.django.add(DjangoPattern(regex_to_path(prefix).strip("/") + "/", None, call.lineno,
                                              f"{func.value.id}.urls", dynamic=True), *self._place)

    def _django_starred(self, node: ast.Starred, context: Context) -> None:
        """`*api_router.urls` among the patterns of a list, or `*cycle_urls` in a module's
        `urlpatterns` (a package's URLconf gathering its modules' lists): the unpacked list is
        included at the list's prefix; the link step finds what it names (a local group, an
        imported module's patterns) or, failing that, takes it for routes made at run time."""
        around = context.parent
        group = _django_group(context)
        if isinstance(around, (ast.List, ast.Tuple)) and (group == "urlpatterns" or any(
                isinstance(e, ast.Call) and last_name(e.func) in _DJANGO_PATTERNS for e in around.elts)):
            self.django.add(DjangoPattern("", ast.unparse(node.value), node.lineno, group), *self._place)

    def _django_computed(self, node: ast.Assign | ast.AugAssign, targets: list[ast.expr], value: ast.expr) -> None:
        """`urlpatterns += router.urls`, `urlpatterns = [...] + router.urls`: the computed part is
        routes made at run time at the URLconf's root (Django's own name for the list)."""
        if not (len(targets) == 1 and isinstance(targets[0], ast.Name) and targets[0].id == "urlpatterns"):
            return
        parts = [value]
        while parts:
            part = parts.pop()
            if isinstance(part, ast.BinOp) and isinstance(part.op, ast.Add):
                parts += [part.left, part.right]
            elif isinstance(part, ast.Name) and part.id == "urlpatterns":
                continue  # `urlpatterns = urlpatterns + [...]`: the list itself
            elif not isinstance(part, (ast.List, ast.Tuple, ast.Constant)):  # a name: maybe another module's list
                self.django.add(DjangoPattern("", ast.unparse(part), node.lineno, "urlpatterns"), *self._place)


_MAX_CONSTANT = 1_000  # characters: a constant built of constants cannot grow a file's facts without bound


def _endpoint(call: ast.Call) -> str:
    """The endpoint of `add_url_rule(rule, endpoint, view_func)`: as given, else the view's name
    (`view_func=edit`, `view_func=EditView.as_view("edit")`), as Flask names it."""
    given = literal(keyword(call, "endpoint")) or (literal(call.args[1]) if len(call.args) > 1 else None)
    if given:
        return given
    # Flask: (rule, endpoint, view_func); FastAPI/Starlette: (path, endpoint function)
    second = call.args[1] if len(call.args) > 1 and isinstance(call.args[1], (ast.Name, ast.Attribute)) else None
    view = keyword(call, "view_func") or (call.args[2] if len(call.args) > 2 else second)
    if isinstance(view, ast.Call) and last_name(view.func) == "as_view" and view.args:
        name = view.args[0]
        if isinstance(name, ast.Call) and last_name(name.func) == "str" and name.args:  # as_view(str(u"edit"))
            name = name.args[0]
        return literal(name) or ""
    return last_name(view) if isinstance(view, (ast.Name, ast.Attribute)) else ""


def _inline_group(pattern: ast.Call) -> str:
    return f"@{pattern.lineno}:{pattern.col_offset}"


def _django_group(context: Context) -> str:
    """The list a URL pattern is written in (see `DjangoPattern.group`), from its ancestors: the
    pattern whose `include([...])` holds it, or the module-level name its list is assigned to,
    added to (`+=`) or extended with."""
    for node in reversed(context.ancestors):
        if isinstance(node, ast.Call):
            if last_name(node.func) in _DJANGO_PATTERNS:
                return _inline_group(node)
            if isinstance(node.func, ast.Attribute) and node.func.attr in ("append", "extend", "insert") \
                    and isinstance(node.func.value, ast.Name):
                return node.func.value.id  # urlpatterns.append(path(...))
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            return targets[0].id if len(targets) == 1 and isinstance(targets[0], ast.Name) else ""
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            return ""
    return ""
