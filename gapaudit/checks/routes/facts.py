"""Per-file route facts, one class per kind of fact: what a Python module declares (routers,
routes, inclusions, Django patterns) and what a test or a frontend module requests.

They travel through the cache as JSON (`python/codec.py`); paths are kept as written and
normalised by the link step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from ...python import codec
from ...python.imports import Import


@codec.register
@dataclass(frozen=True, slots=True)
class Router:
    """`router = APIRouter(prefix="/users")`, `app = Flask(__name__)`, `routes = web.RouteTableDef()`."""

    name: str  # the variable it is bound to
    framework: str
    prefix: str
    line: int
    app: bool  # an application serves its routes without being included
    blueprint: str = ""  # a Flask Blueprint's name (`Blueprint("group", ...)`): its endpoints' prefix


@codec.register
@dataclass(frozen=True, slots=True)
class RouteDeclaration:
    """One method of one route: `@router.get("/{id}")`, `app.add_url_rule(...)`, `Route("/x", ...)`."""

    router: str  # the router variable it is declared on
    method: str  # upper case; WS for a WebSocket
    path: str  # relative to the router, as written
    kind: str  # http or websocket
    line: int
    handler: str  # the handler function, or the registering call when there is none
    #: the name Flask's `url_for` asks for (`endpoint=`, else the view's name), when it has one
    endpoint: str = ""
    resource: str = ""  # the class `api.add_resource(Todo, "/todos")` registers: `api.url_for(Todo)`


@codec.register
@dataclass(frozen=True, slots=True)
class Include:
    """`parent.include_router(child, prefix=...)`, a Starlette `Mount`, `app.mount(prefix, child)`."""

    parent: str
    child: str  # the included expression as written: `users.router`, `StaticFiles(...)`
    prefix: str
    line: int


@codec.register
@dataclass(frozen=True, slots=True)
class DynamicRegistration:
    """A route registered with a path computed at run time (`app.add_url_rule(path, ...)` in a loop)."""

    router: str
    line: int
    call: str  # `app.add_url_rule`, for the note that says why nothing under it is reported


@codec.register
@dataclass(frozen=True, slots=True)
class DjangoPattern:
    """`path("orders/<int:pk>/", view)`, `re_path(r"^legacy/(?P<pk>\\d+)/$", view)`, `path("api/", include("shop.urls"))`."""

    route: str  # regexes already turned into paths
    include: str | None  # the included module, for `include(...)`; a local list: see `group`
    line: int
    #: the list the pattern is written in: a module-level name (`urlpatterns`, `api_patterns`), or
    #: `@line:column` of the pattern whose `include([...])` holds it inline; "" when neither. A
    #: pattern whose `include` names a group of its own module mounts that group under its route.
    group: str = ""
    #: routes made at run time below `route` (a REST framework router's registration): nothing
    #: under it is reported missing
    dynamic: bool = False
    name: str = ""  # `path(..., name="api-tokens")`: what `reverse("api-tokens")` requests


@codec.register
@dataclass(frozen=True, slots=True)
class RouteReference:
    """A request to a literal path: `client.get("/users/me")`, `fetch(`${API}/users/${id}`)`."""

    method: str  # upper case; WS for a WebSocket
    path: str
    line: int
    via: str  # the requesting call: `client.get`, `fetch`, `new WebSocket`
    #: the URL starts with a base known only at run time (`${baseUrl}/v1/x`, `API + "/x"`): which
    #: server it reaches is configured, not written
    configured: bool = False


@codec.register
@dataclass(frozen=True, slots=True)
class FrontendHandler:
    """A route a frontend serves itself, same-origin: a Next.js `app/**/route.ts` exporting `GET`,
    or a `pages/api/**` module (every method, `*`)."""

    method: str
    path: str  # `/api/auth/refresh`, `/api/items/{}`
    line: int


@codec.register
@dataclass(frozen=True, slots=True)
class ConstantReference:
    """A request to a path held by a name: `client.get(api_routes.users_self)`, `client.get(recipe(slug))`."""

    method: str
    symbol: str  # `api_routes.users_self`, `recipe`
    line: int
    via: str

    def to(self, path: str) -> RouteReference:
        return RouteReference(self.method, path, self.line, self.via)


@codec.register
@dataclass(frozen=True, slots=True)
class PathConstant:
    """A module-level path a test helper module defines: `users_self = "/api/users/self"`, or a
    function returning one: `def recipe(slug): return f"{prefix}/recipes/{slug}"`."""

    name: str
    path: str


@codec.register
@dataclass(frozen=True, slots=True)
class Declarations:
    """What one Python module (not a test) declares."""

    routers: tuple[Router, ...] = ()
    routes: tuple[RouteDeclaration, ...] = ()
    includes: tuple[Include, ...] = ()
    dynamic: tuple[DynamicRegistration, ...] = ()
    django: tuple[DjangoPattern, ...] = ()
    imports: tuple[Import, ...] = ()  # the imports binding an included name (`users` of `users.router`)


@codec.register
@dataclass(frozen=True, slots=True)
class Requests:
    """What one test or frontend module requests, and the paths a test helper module defines."""

    references: tuple[RouteReference | ConstantReference, ...] = ()
    from_test: bool = False  # a test requesting a route is what makes it tested
    constants: tuple[PathConstant, ...] = ()
    imports: tuple[Import, ...] = ()  # module-level `from x import y` binding a name a request goes through
    handlers: tuple[FrontendHandler, ...] = ()  # what a frontend module serves itself (Next.js route handlers)
    #: paths a test names without a client the analyzer recognises: `admin.get("/x")` through a
    #: context manager's client, `self.url = f"/x/{id}/"`, a list of endpoints looped over (method
    #: `*`). They make a route tested; never reported as undeclared, as they may not be requests.
    mentions: tuple[RouteReference, ...] = ()
    #: URL names a test reverses (`reverse("api-tokens")`, `reverse("accounts:login")`): the
    #: routes declared with that name count as tested, as mentions do
    url_names: tuple[str, ...] = ()
    #: resource classes a test asks the path of (`api.url_for(Todo, id=1)`, Flask-RESTful)
    url_resources: tuple[str, ...] = ()


RouteFacts = Union[Declarations, Requests]


def imported(imports: tuple[Import, ...], name: str) -> str | None:
    """What `name` denotes where these imports run (`.users.router`, `tests.utils.api_routes`); the
    last import binding it wins."""
    return next((i.dotted for i in reversed(imports) if i.bound == name), None)
