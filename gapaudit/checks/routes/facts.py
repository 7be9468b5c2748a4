"""Per-file route facts: what a Python file declares (FastAPI, Starlette, Flask, aiohttp, Django)
and what Python tests/clients and JS/TS frontends request. Paths are normalised so both sides
compare: `{id}`, `{id:int}`, `<int:id>`, `:id`, `${id}` all become `{}`.
"""

from __future__ import annotations

import ast
import re
from typing import Any
from urllib.parse import urlsplit

from ...python.astutil import all_nodes, dotted_name, last_name

HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options")
_ROUTER_FACTORIES = {"APIRouter": "fastapi", "FastAPI": "fastapi", "Starlette": "starlette", "Flask": "flask",
                     "Blueprint": "flask", "RouteTableDef": "aiohttp", "Application": "aiohttp", "Quart": "flask"}
_PARAM = re.compile(r"\{[^}]*\}|<[^>]*>|(?<=/):[A-Za-z_]\w*|\$\{[^}]*\}")
_PATH_PARAM = re.compile(r"\{[^}:]*:path\}|<path:[^>]*>")  # matches the rest of the path, slashes included
_CLIENT_FACTORIES = ("TestClient", "AsyncClient", "Client", "test_client", "ClientSession")


def normalise(path: str) -> str:
    """`/users/{id:int}/` -> `/users/{}`; query strings and trailing slashes dropped."""
    path = path.split("?", 1)[0].split("#", 1)[0]
    path = _PARAM.sub("{}", _PATH_PARAM.sub("{**}", path))
    path = re.sub(r"/+", "/", "/" + path.lstrip("/"))
    return path.rstrip("/") or "/"


def _string(node: ast.AST | None) -> str | None:
    """A literal path: "...", f"/users/{uid}" (-> /users/{}), "/a/" + x; None for anything else.
    A leading substitution (`f"{BASE}/api"`) is a base URL and dropped."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for i, value in enumerate(node.values):
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif i > 0:
                parts.append("{}")
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _string(node.left), _string(node.right)
        if left is not None:
            return left + (right if right is not None else "{}")
        return right if right is not None and right.startswith("/") else None
    return None


def _url_path(text: str) -> str | None:
    """The path of a request target: `/api/x`, `http://localhost:8000/api/x`, `{}/api/x` (base var).
    An absolute URL to another host (`https://ipapi.co/json`) is not a request to this backend;
    a dotless host (`http://api:8000`) is a compose service name, so it is."""
    if "://" in text:
        try:
            parts = urlsplit(text)
        except ValueError:
            return None
        host = parts.hostname or ""
        if host not in ("localhost", "127.0.0.1", "0.0.0.0", "{}") and "." in host:
            return None
        return parts.path or "/"
    if text.startswith("{}/"):
        text = text[2:]
    return text if text.startswith("/") else None


def _methods(call: ast.Call, default: list[str]) -> list[str]:
    for keyword in call.keywords:
        if keyword.arg == "methods" and isinstance(keyword.value, (ast.List, ast.Tuple, ast.Set)):
            return [str(e.value).upper() for e in keyword.value.elts if isinstance(e, ast.Constant)]
    return default


def _kw(call: ast.Call, name: str) -> ast.AST | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


class _Declarations:
    def __init__(self, rel: str, tree: ast.Module) -> None:
        self.rel = rel
        self.tree = tree
        self.routers: dict[str, dict[str, Any]] = {}
        self.routes: list[dict[str, Any]] = []
        self.includes: list[dict[str, Any]] = []
        self.imports: dict[str, str] = {}
        self.dynamic: list[dict[str, Any]] = []  # routes registered with a computed path (in a loop, from data)

    def collect(self) -> dict[str, Any]:
        for node in all_nodes(self.tree):
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    self.imports[alias.asname or alias.name] = "." * node.level + (
                        f"{node.module}.{alias.name}" if node.module else alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    self.imports[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                self._router_assignment(node)
        for node in all_nodes(self.tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for decorator in node.decorator_list:
                    if isinstance(decorator, ast.Call):
                        self._decorator(decorator, node.name)
            elif isinstance(node, ast.Call):
                self._call(node)
        return {"routers": self.routers, "routes": self.routes, "includes": self.includes, "imports": self.imports,
                "django": self._django(), "dynamic": self.dynamic}

    def _router_assignment(self, node: ast.Assign) -> None:
        factory = ast.unparse(node.value.func).rsplit(".", 1)[-1]
        if factory not in _ROUTER_FACTORIES and factory.endswith(("Router", "Blueprint")):
            factory = "APIRouter" if factory.endswith("Router") else "Blueprint"  # a project's own subclass
        if factory not in _ROUTER_FACTORIES:
            return
        call = node.value
        prefix = _string(_kw(call, "prefix")) or _string(_kw(call, "url_prefix")) or ""
        for target in node.targets:
            if isinstance(target, ast.Name):
                self.routers[target.id] = {"framework": _ROUTER_FACTORIES[factory], "prefix": prefix,
                                           "line": node.lineno, "app": factory in ("FastAPI", "Starlette", "Flask", "Application", "Quart")}
        for keyword in call.keywords:  # Starlette(routes=[Route(...), Mount(...)])
            if keyword.arg == "routes" and isinstance(keyword.value, (ast.List, ast.Tuple)):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self._starlette_routes(keyword.value.elts, target.id, "")

    def _starlette_routes(self, items: list[ast.AST], router: str, prefix: str) -> None:
        for item in items:
            if not isinstance(item, ast.Call):
                continue
            name = ast.unparse(item.func).rsplit(".", 1)[-1]
            path = _string(item.args[0]) if item.args else _string(_kw(item, "path"))
            if path is None:
                continue
            if name == "Route":
                self._add(router, _methods(item, ["GET"]), prefix + path, "http", item.lineno, "Route")
            elif name == "WebSocketRoute":
                self._add(router, ["WS"], prefix + path, "websocket", item.lineno, "WebSocketRoute")
            elif name == "Mount":
                routes = _kw(item, "routes")
                if isinstance(routes, (ast.List, ast.Tuple)):
                    self._starlette_routes(routes.elts, router, prefix + path)
                app = _kw(item, "app") or (item.args[1] if len(item.args) > 1 else None)
                if app is not None and not isinstance(app, (ast.List, ast.Tuple)):
                    self.includes.append({"parent": router, "child": ast.unparse(app), "prefix": prefix + path,
                                          "line": item.lineno})

    def _add(self, router: str, methods: list[str], path: str, kind: str, line: int, handler: str) -> None:
        for method in methods:
            self.routes.append({"router": router, "method": method, "path": path, "kind": kind, "line": line,
                                "handler": handler})

    def _decorator(self, call: ast.Call, handler: str) -> None:
        func = call.func
        if not isinstance(func, ast.Attribute) or not isinstance(func.value, ast.Name):
            return
        router, verb = func.value.id, func.attr
        path = _string(call.args[0]) if call.args else _string(_kw(call, "path")) or _string(_kw(call, "rule"))
        if path is None:
            return
        if verb in HTTP_METHODS:
            self._add(router, [verb.upper()], path, "http", call.lineno, handler)
        elif verb in ("websocket", "websocket_route", "ws"):
            self._add(router, ["WS"], path, "websocket", call.lineno, handler)
        elif verb in ("route", "api_route"):
            self._add(router, _methods(call, ["GET"]), path, "http", call.lineno, handler)

    def _call(self, call: ast.Call) -> None:
        func = call.func
        if not isinstance(func, ast.Attribute):
            if isinstance(func, ast.Name) and func.id in ("Route", "WebSocketRoute", "Mount"):
                return  # handled with the Starlette(routes=[...]) that holds them
            return
        owner = dotted_name(func.value)
        router = owner.split(".")[0]
        name = func.attr
        args = call.args
        if name in ("include_router", "register_blueprint", "add_subapp", "mount") and args:
            prefix = _string(_kw(call, "prefix")) or _string(_kw(call, "url_prefix")) or ""
            child = args[0]
            if name in ("add_subapp", "mount") and len(args) > 1:
                prefix, child = _string(args[0]) or "", args[1]
            self.includes.append({"parent": router, "child": ast.unparse(child), "prefix": prefix, "line": call.lineno})
        elif name in ("add_api_route", "add_route", "add_url_rule", "add_api_websocket_route",
                      "add_websocket_route") and args \
                and _string(args[0]) is None and not (len(args) > 1 and _string(args[1])):
            self.dynamic.append({"router": router, "line": call.lineno, "call": ast.unparse(func)})
        elif name in ("add_api_route", "add_route", "add_url_rule") and args:
            first = _string(args[0])
            if first is not None and first.startswith("/"):  # FastAPI/Starlette/Flask: (path, endpoint, methods=)
                self._add(router, _methods(call, ["GET"]), first, "http", call.lineno, name)
            elif first is not None and len(args) >= 2 and (second := _string(args[1])):  # aiohttp: (method, path, handler)
                self._add(router, [first.upper()], second, "http", call.lineno, name)
        elif name in ("add_api_websocket_route", "add_websocket_route") and args:
            path = _string(args[0])
            if path is not None:
                self._add(router, ["WS"], path, "websocket", call.lineno, name)
        elif name.startswith("add_") and name[4:] in HTTP_METHODS and args:  # aiohttp app.router.add_get
            path = _string(args[0])
            if path is not None:
                self._add(router, [name[4:].upper()], path, "http", call.lineno, name)
        elif owner == "web" and name in HTTP_METHODS and args:  # aiohttp web.get("/p", handler)
            path = _string(args[0])
            if path is not None:
                self._add("web", [name.upper()], path, "http", call.lineno, name)

    def _django(self) -> list[dict[str, Any]]:
        patterns = []
        for node in all_nodes(self.tree):
            if isinstance(node, ast.Call) and last_name(node.func) in ("path", "re_path", "url") and node.args:
                route = _string(node.args[0])
                if route is None or len(node.args) < 2:
                    continue
                target = node.args[1]
                include = None
                if isinstance(target, ast.Call) and ast.unparse(target.func).rsplit(".", 1)[-1] == "include" and target.args:
                    include = _string(target.args[0]) or ast.unparse(target.args[0])
                regex = ast.unparse(node.func).rsplit(".", 1)[-1] != "path"
                patterns.append({"route": _regex_to_path(route) if regex else route, "include": include, "line": node.lineno})
        return patterns


def _regex_to_path(pattern: str) -> str:
    """`^users/(?P<pk>[0-9]+)/$` -> `users/{pk}/`, good enough to compare."""
    pattern = pattern.lstrip("^").rstrip("$")
    pattern = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", pattern)
    return re.sub(r"\([^)]*\)", "{}", pattern).replace("\\", "")


def declarations(rel: str, tree: ast.Module) -> dict[str, Any]:
    return _Declarations(rel, tree).collect()


# --- references from Python (tests and service-to-service clients) -----------------------------


def python_references(tree: ast.Module) -> list[dict[str, Any]]:
    """HTTP/WebSocket requests made through a client: `client.get("/x")`, `requests.post(url)`,
    `client.websocket_connect("/ws")`. Strings that are not requests (a cache key, a mock
    attribute) are not references: the receiver must be a client."""
    clients = {t.id for n in all_nodes(tree) if isinstance(n, (ast.Assign, ast.withitem)) for t in _targets(n)
               if _is_client_expr(n.value if isinstance(n, ast.Assign) else n.context_expr)}
    params = {a.arg for n in all_nodes(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
              for a in n.args.args if "client" in a.arg.lower()}
    refs = []
    for node in all_nodes(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute) or not node.args:
            continue
        verb = node.func.attr
        receiver = node.func.value
        is_client = _is_client_expr(receiver) or (isinstance(receiver, ast.Name) and (
            receiver.id in clients or receiver.id in params or "client" in receiver.id.lower()
            or receiver.id in ("requests", "httpx", "websockets")))
        if not is_client:
            continue
        if verb in HTTP_METHODS:
            method, target = verb.upper(), node.args[0]
        elif verb == "request" and len(node.args) >= 2:
            method, target = (_string(node.args[0]) or "GET").upper(), node.args[1]
        elif verb in ("websocket_connect", "ws_connect", "connect"):
            method, target = "WS", node.args[0]
        else:
            continue
        text = _string(target)
        path = _url_path(text) if text is not None else None
        if path is not None:
            refs.append({"method": method, "path": path, "line": node.lineno, "via": ast.unparse(node.func)})
        elif isinstance(target, ast.BinOp) and isinstance(target.op, ast.Add) and isinstance(
                target.right, ast.Constant) and str(target.right.value).startswith("?"):
            target = target.left  # api_routes.recipe(slug) + "?format=md"
        if path is None and (isinstance(target, (ast.Name, ast.Attribute)) or (
                isinstance(target, ast.Call) and isinstance(target.func, (ast.Name, ast.Attribute)))):
            symbol = ast.unparse(target.func if isinstance(target, ast.Call) else target)
            refs.append({"method": method, "symbol": symbol, "line": node.lineno, "via": ast.unparse(node.func)})
    return refs


def path_constants(tree: ast.Module) -> dict[str, str]:
    """Module-level `users_self = "/api/users/self"` and `def recipe(slug): return f"{prefix}/recipes/{slug}"`:
    what a test's `client.get(api_routes.users_self)` requests."""
    constants: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = _string(node.value)
            if value is not None:
                constants[node.targets[0].id] = value
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            returns = [n.value for n in ast.walk(node) if isinstance(n, ast.Return) and n.value is not None]
            if len(returns) == 1 and isinstance(returns[0], ast.JoinedStr):
                parts = []
                for value in returns[0].values:
                    if isinstance(value, ast.Constant):
                        parts.append(str(value.value))
                    elif isinstance(value.value, ast.Name) and value.value.id in constants:
                        parts.append(constants[value.value.id])
                    else:
                        parts.append("{}")
                constants[node.name] = "".join(parts)
    return {name: value for name, value in constants.items() if value.startswith("/")}


def _targets(node: ast.AST) -> list[ast.Name]:
    if isinstance(node, ast.Assign):
        return [t for t in node.targets if isinstance(t, ast.Name)]
    return [node.optional_vars] if isinstance(node.optional_vars, ast.Name) else []


def _is_client_expr(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and last_name(node.func) in _CLIENT_FACTORIES


# --- references from JS/TS frontends (ast-grep) ------------------------------------------------


def _js_language(rel: str) -> str:
    return "tsx" if rel.endswith((".tsx", ".jsx")) else "typescript" if rel.endswith(".ts") else "javascript"


def _js_url(node: Any) -> str | None:
    """A JS string or template literal as a path: `${API}/users/${id}` -> `/users/{}`."""
    kind = node.kind()
    if kind == "string":
        return node.text()[1:-1]
    if kind == "template_string":
        parts = []
        for i, child in enumerate(c for c in node.children() if c.kind() not in ("`",)):
            if child.kind() == "template_substitution":
                if i > 0:
                    parts.append("{}")
            else:
                parts.append(child.text())
        return "".join(parts)
    if kind == "binary_expression":
        children = node.children()
        left, right = _js_url(children[0]), _js_url(children[-1])
        if left is not None:
            return left + (right if right is not None else "{}")
        return right
    return None


def js_references(rel: str, text: str) -> list[dict[str, Any]]:
    from ast_grep_py import SgRoot

    root = SgRoot(text, _js_language(rel)).root()
    bases: dict[str, str] = {}
    for node in root.find_all(kind="variable_declarator"):
        value = node.field("value")
        name = node.field("name")
        if value is None or name is None or value.kind() != "call_expression":
            continue
        func = value.field("function")
        if func is not None and func.text() in ("axios.create", "ky.create", "ky.extend"):
            base = next((p.field("value") for p in value.find_all(kind="pair")
                         if p.field("key") is not None and p.field("key").text().strip("'\"") in ("baseURL", "prefixUrl")), None)
            url = _js_url(base) if base is not None else None
            bases[name.text()] = (_url_path(url) or "") if url else ""
    refs = []
    for call in [*root.find_all(kind="call_expression"), *root.find_all(kind="new_expression")]:
        func = call.field("function") if call.kind() == "call_expression" else call.field("constructor")
        args = call.field("arguments")
        if func is None or args is None:
            continue
        arg_nodes = [c for c in args.children() if c.kind() not in ("(", ")", ",")]
        if not arg_nodes:
            continue
        name = func.text()
        method, prefix = None, ""
        if call.kind() == "new_expression":
            method = {"WebSocket": "WS", "EventSource": "GET"}.get(name)
        elif name == "fetch":
            method = "GET"
            if len(arg_nodes) > 1:
                found = re.search(r"method\s*:\s*['\"`](\w+)", arg_nodes[1].text())
                method = found.group(1).upper() if found else "GET"
        elif "." in name:
            obj, verb = name.rsplit(".", 1)
            if verb.lower() in HTTP_METHODS and (obj in ("axios", "ky") or obj in bases):
                method, prefix = verb.upper(), bases.get(obj, "")
        if method is None:
            continue
        url = _js_url(arg_nodes[0])
        if url is None:
            continue
        if "://" in url or url.startswith("{}"):
            path = _url_path(url)
        else:  # relative to the client's baseURL
            path = prefix.rstrip("/") + "/" + url.lstrip("/") if prefix else url
        if path is None or not path.startswith("/"):
            continue
        refs.append({"method": method, "path": path, "line": call.range().start.line + 1, "via": name})
    return refs
