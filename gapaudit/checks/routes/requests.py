"""What a Python test (or a service-to-service client) requests, collected on the one walk of its
tree: `client.get("/x")`, `requests.post(url)`, `client.websocket_connect("/ws")`, and requests
through the path constants of a helper module (`client.get(api_routes.users_self)`)."""

from __future__ import annotations

import ast

from ...python.astutil import last_name
from ...python.ordering import ShallowFirst
from ...python.walk import Context
from .catalog import RoutesCatalog
from .facts import ConstantReference, PathConstant, RouteReference
from .paths import literal, url_path


class RequestCollector:
    """Collects a test module's references and path constants during the one walk (see python/walk.py).

    Strings that are not requests (a cache key, a mock attribute) are not references: the receiver
    must be a client, which a later line may make one, so calls are judged once the walk is done."""

    wants = (ast.Assign, ast.withitem, ast.FunctionDef, ast.AsyncFunctionDef, ast.Call, ast.Return, ast.Constant,
             ast.JoinedStr, ast.BinOp)

    def __init__(self, catalog: RoutesCatalog) -> None:
        self.catalog = catalog
        self.verbs = catalog.http_methods | catalog.client_request_calls | catalog.client_websocket_calls
        self.clients: set[str] = set()  # names bound to a client: `client = TestClient(app)`
        self.client_params: set[str] = set()  # parameters named like one: `def test_x(api_client)`
        self.calls: ShallowFirst[ast.Call] = ShallowFirst()  # `x.get(...)` and the like, through a receiver that may be a client
        self.assigned: list[tuple[str, str]] = []  # module-level `name = "/path"`
        self.returns: dict[ast.FunctionDef, list[ast.expr]] = {}  # module-level functions -> what they return
        self.named: list[RouteReference] = []  # path-shaped strings outside any request call (see `mentions`)
        self.url_names: list[str] = []  # `reverse("name")`, `url_for("bp.view")`
        self.url_resources: list[str] = []  # `api.url_for(TodoResource)`

    def enter(self, node: ast.AST, context: Context) -> None:
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and node.args and func.attr in self.verbs:
                self.calls.add(node, len(context.ancestors))
            elif node.args and last_name(func) in self.catalog.url_name_functions:
                name = node.args[0]
                if isinstance(name, ast.Constant) and isinstance(name.value, str):
                    self.url_names.append(name.value)
                elif isinstance(name, (ast.Name, ast.Attribute)):  # `api.url_for(TodoResource, id=1)`
                    self.url_resources.append(last_name(name))
        elif isinstance(node, ast.Assign):
            names = [target.id for target in node.targets if isinstance(target, ast.Name)]
            if self._is_client(node.value):
                self.clients.update(names)
            if isinstance(context.parent, ast.Module) and len(node.targets) == 1 and names:
                value = literal(node.value)
                if value is not None:
                    self.assigned.append((names[0], value))
        elif isinstance(node, ast.withitem):
            if self._is_client(node.context_expr) and isinstance(node.optional_vars, ast.Name):
                self.clients.add(node.optional_vars.id)
        elif isinstance(node, ast.Return):
            ancestors = context.ancestors  # [module, the module-level statement, ...]
            if node.value is not None and len(ancestors) > 1 and ancestors[1] in self.returns:
                self.returns[ancestors[1]].append(node.value)  # type: ignore[index]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.client_params.update(a.arg for a in node.args.args if "client" in a.arg.lower())
            if isinstance(node, ast.FunctionDef) and isinstance(context.parent, ast.Module):
                self.returns[node] = []
        elif isinstance(node, (ast.Constant, ast.JoinedStr, ast.BinOp)):
            parent = context.parent
            # a part of an f-string or of `"/a/" + x` (the whole is read), what a request call
            # requests, compared with (`route.path == "/x"`: a check, not a request), or a helper
            # module's path constant (`users = "/api/users"`, `def recipe(): return f"..."`),
            # which counts where a test requests it (`constants`)
            if isinstance(parent, (ast.JoinedStr, ast.BinOp, ast.Compare)) or self._path_constant(context) or (
                    isinstance(parent, ast.Call) and isinstance(parent.func, ast.Attribute)
                    and parent.func.attr in self.verbs and node in parent.args):
                return
            text = literal(node) if not isinstance(node, ast.Constant) or isinstance(node.value, str) else None
            if text is not None and _path_like(text):
                self.named.append(RouteReference("*", text, node.lineno, "a path named in a test"))

    def leave(self, node: ast.AST, context: Context) -> None:
        pass

    @staticmethod
    def _path_constant(context: Context) -> bool:
        ancestors = context.ancestors  # [module, the module-level statement, ..., the parent]
        if len(ancestors) == 2:
            return isinstance(ancestors[1], ast.Assign)
        return len(ancestors) > 2 and isinstance(ancestors[1], ast.FunctionDef) and isinstance(ancestors[-1], ast.Return)

    def _is_client(self, node: ast.expr) -> bool:
        return isinstance(node, ast.Call) and last_name(node.func) in self.catalog.client_factories

    def _is_client_receiver(self, node: ast.expr) -> bool:
        if self._is_client(node):
            return True
        return isinstance(node, ast.Name) and (
            node.id in self.clients or node.id in self.client_params or "client" in node.id.lower()
            or node.id in self.catalog.client_modules)

    def references(self) -> tuple[RouteReference | ConstantReference, ...]:
        return self._requests(clients=True)

    def mentions(self) -> tuple[RouteReference, ...]:
        """Requests through a receiver not known to be a client, and the paths the module names elsewhere."""
        return tuple(r for r in self._requests(clients=False) if isinstance(r, RouteReference)) + tuple(self.named)

    def _requests(self, clients: bool) -> tuple[RouteReference | ConstantReference, ...]:
        """The requests made through a known client (`clients`), or through any other receiver."""
        refs: list[RouteReference | ConstantReference] = []
        catalog = self.catalog
        for call in self.calls:
            func = call.func
            assert isinstance(func, ast.Attribute)
            if self._is_client_receiver(func.value) != clients:
                continue
            verb, args = func.attr, call.args
            if verb in catalog.http_methods:
                method, target = verb.upper(), args[0]
            elif verb in catalog.client_request_calls and len(args) >= 2:
                method, target = (literal(args[0]) or "GET").upper(), args[1]
            elif verb in catalog.client_websocket_calls:
                method, target = "WS", args[0]
            else:
                continue
            text = literal(target)
            path = url_path(text) if text is not None else None
            if path is None and clients and text is not None and _relative_route(text):
                path = f"/{text}"  # relative to the client's base_url: `httpx_client.post("v1/session_notes")`
            if path is not None:
                refs.append(RouteReference(method, path, call.lineno, ast.unparse(func)))
                continue
            if isinstance(target, ast.BinOp) and isinstance(target.op, ast.Add) and isinstance(
                    target.right, ast.Constant) and str(target.right.value).startswith("?"):
                target = target.left  # api_routes.recipe(slug) + "?format=md"
            if isinstance(target, ast.Call):
                target = target.func  # a helper building the path: api_routes.recipe(slug)
            if isinstance(target, (ast.Name, ast.Attribute)):
                refs.append(ConstantReference(method, ast.unparse(target), call.lineno, ast.unparse(func)))
        return tuple(refs)

    def constants(self) -> tuple[PathConstant, ...]:
        """`users_self = "/api/users/self"`, and `def recipe(slug): return f"{prefix}/recipes/{slug}"`
        with the module's constants filled in: what `client.get(api_routes.recipe(slug))` requests."""
        constants = dict(self.assigned)
        for function, returns in self.returns.items():
            if len(returns) == 1 and isinstance(returns[0], ast.JoinedStr):
                parts = []
                for value in returns[0].values:
                    if isinstance(value, ast.Constant):
                        parts.append(str(value.value))
                    elif isinstance(value, ast.FormattedValue) and isinstance(value.value, ast.Name) \
                            and value.value.id in constants:
                        parts.append(constants[value.value.id])
                    else:
                        parts.append("{}")
                constants[function.name] = "".join(parts)
        return tuple(PathConstant(name, path) for name, path in constants.items() if path.startswith("/"))


def _relative_route(text: str) -> bool:
    """`v1/session_notes`: two or more segments, no scheme, no file name first (`index.html`); not
    one word, which is as likely an id joined to a base path (`client.delete("mem_123")`)."""
    segments = [part for part in text.split("/") if part]
    return (len(segments) >= 2 and ":" not in text and "." not in segments[0]
            and _path_like(f"/{text}"))


def _path_like(text: str) -> bool:
    """`/api/v1/users`, `/accounts/{}/`: a path with a named first segment, no spaces, not a file
    system path a test writes (`/tmp/x`), not too long to be a route."""
    if not text.startswith("/") or len(text) > 300 or any(c.isspace() for c in text):
        return False
    first = text[1:].split("/", 1)[0]
    return bool(first) and first[0].isalpha() and first not in _FILE_SYSTEM_ROOTS


#: first folders of absolute file paths in tests, never routes
_FILE_SYSTEM_ROOTS = frozenset({"tmp", "etc", "usr", "var", "dev", "proc", "home", "opt", "bin", "root", "srv", "mnt"})
