"""The route analyzer's catalogs (`catalogs:` in rules/routes.yml and the project's rule files),
read and checked once: an entry of the wrong shape stops the scan with one line naming it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ...rules import RuleSet
from ..catalogs import Entry
from .paths import normalise

#: frameworks whose prefix rules the link step knows (Flask's url_prefix replaces, aiohttp's apps serve)
FRAMEWORKS = frozenset({"fastapi", "starlette", "flask", "aiohttp"})


@dataclass(frozen=True, slots=True)
class RouterFactory:
    framework: str
    app: bool  # serves its routes without being included anywhere
    prefix_from_name: bool = False  # `Namespace("users")` serves under /users
    mounted_on_argument: bool = False  # `Api(blueprint)` is included in the blueprint


@dataclass(frozen=True, slots=True)
class HandlerLayout:
    """Where a frontend serves routes itself (catalog `frontend-route-handlers`)."""

    root: str  # the folder whose subfolders are the path: `app`, `pages`
    file: str | None  # only modules of this name serve (`route`); None: every module
    under: str | None  # only below this first folder (`api` of `pages/api`)
    exported: bool  # methods are the exported functions named after them; else any method


@dataclass(frozen=True, slots=True)
class RoutesCatalog:
    http_methods: frozenset[str]
    router_factories: dict[str, RouterFactory]
    subclass_endings: tuple[tuple[str, str], ...]  # (name ending, factory it stands for)
    prefix_keywords: tuple[str, ...]
    websocket_decorators: frozenset[str]
    any_method_decorators: frozenset[str]
    include_calls: dict[str, int | None]  # method -> position of the prefix argument (else a keyword)
    attach_calls: frozenset[str]  # `child.init_app(parent)`
    resource_registrations: frozenset[str]  # `api.add_resource(Resource, "/path", ...)`
    route_registrations: frozenset[str]
    websocket_registrations: frozenset[str]
    viewset_routers: frozenset[str]
    viewset_registrations: frozenset[str]
    client_factories: frozenset[str]
    url_name_functions: frozenset[str]  # `reverse("name")`
    client_modules: frozenset[str]
    client_request_calls: frozenset[str]
    client_websocket_calls: frozenset[str]
    js_fetch_functions: frozenset[str]
    js_client_libraries: frozenset[str]
    js_client_factories: frozenset[str]
    js_base_url_keys: frozenset[str]
    js_constructors: dict[str, str]  # constructor -> method (WS for a WebSocket)
    handler_layouts: tuple[HandlerLayout, ...]
    untested_exempt_words: tuple[str, ...]
    outside_clients: frozenset[str]  # folders whose requests are not the served frontend's
    example_apps: frozenset[str]  # folders whose applications are not the service
    framework_routes: frozenset[str]  # normalised

    #: every catalog this reads, for `RoutesAnalyzer.catalogs`
    names: ClassVar[tuple[str, ...]] = (
        "http-methods", "router-factories", "router-subclass-endings", "prefix-keywords", "websocket-decorators",
        "any-method-decorators", "include-calls", "attach-calls", "resource-registrations", "route-registrations", "websocket-registrations",
        "viewset-routers", "viewset-registrations",
        "client-factories", "url-name-functions", "client-modules", "client-request-calls", "client-websocket-calls",
        "js-fetch-functions", "js-client-libraries", "js-client-factories", "js-base-url-keys",
        "js-connection-constructors", "frontend-route-handlers", "untested-exempt-words", "framework-routes", "outside-client-folders",
        "example-app-folders",
    )

    @classmethod
    def load(cls, rules: RuleSet) -> RoutesCatalog:
        """The catalogs of `rules`, validated; raises `rules.catalog_error` (exit 2) on a malformed entry."""

        def names(catalog: str) -> tuple[str, ...]:
            return Entry.of(rules, catalog).names()

        def records(catalog: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> list[dict[str, Entry]]:
            return [item.fields(required, optional) for item in Entry.of(rules, catalog).items()]

        http_methods = frozenset(names("http-methods"))
        factories = {
            entry["name"].name(): RouterFactory(entry["framework"].one_of(FRAMEWORKS, "framework"), entry["app"].flag(),
                                                entry["prefix-from-name"].flag(), entry["mounted-on-argument"].flag())
            for entry in records("router-factories", ("name", "framework"),
                                 ("app", "prefix-from-name", "mounted-on-argument"))
        }
        include_calls: dict[str, int | None] = {}
        for entry in records("include-calls", ("name",), ("prefix-first", "prefix-second")):
            first, second = entry["prefix-first"].flag(), entry["prefix-second"].flag()
            if first and second:
                raise rules.catalog_error("include-calls", f"{entry['name'].name()!r} is both prefix-first and prefix-second")
            include_calls[entry["name"].name()] = 0 if first else 1 if second else None
        endings = tuple((entry["ending"].name(), entry["factory"].name())
                        for entry in records("router-subclass-endings", ("ending", "factory")))
        for ending, factory in endings:
            if factory not in factories:
                raise rules.catalog_error("router-subclass-endings",
                                          f"{ending!r} stands for {factory!r}, which is not in router-factories")
        constructors = {}
        for entry in records("js-connection-constructors", ("name", "method")):
            name, method = entry["name"].name(), entry["method"].name()
            if method != "WS" and method.lower() not in http_methods:
                raise rules.catalog_error("js-connection-constructors",
                                          f"{name!r} has method {method!r}, not WS or an HTTP method")
            constructors[name] = method
        return cls(
            http_methods=http_methods,
            router_factories=factories,
            subclass_endings=endings,
            prefix_keywords=names("prefix-keywords"),
            websocket_decorators=frozenset(names("websocket-decorators")),
            any_method_decorators=frozenset(names("any-method-decorators")),
            include_calls=include_calls,
            attach_calls=frozenset(names("attach-calls")),
            resource_registrations=frozenset(names("resource-registrations")),
            route_registrations=frozenset(names("route-registrations")),
            websocket_registrations=frozenset(names("websocket-registrations")),
            viewset_routers=frozenset(names("viewset-routers")),
            viewset_registrations=frozenset(names("viewset-registrations")),
            client_factories=frozenset(names("client-factories")),
            url_name_functions=frozenset(names("url-name-functions")),
            client_modules=frozenset(names("client-modules")),
            client_request_calls=frozenset(names("client-request-calls")),
            client_websocket_calls=frozenset(names("client-websocket-calls")),
            js_fetch_functions=frozenset(names("js-fetch-functions")),
            js_client_libraries=frozenset(names("js-client-libraries")),
            js_client_factories=frozenset(names("js-client-factories")),
            js_base_url_keys=frozenset(names("js-base-url-keys")),
            js_constructors=constructors,
            handler_layouts=tuple(
                HandlerLayout(entry["root"].name(), entry["file"].name() if entry["file"].value is not None else None,
                              entry["under"].name() if entry["under"].value is not None else None,
                              entry["methods"].one_of(frozenset({"exported", "any"}), "methods") == "exported")
                for entry in records("frontend-route-handlers", ("root", "methods"), ("file", "under"))),
            untested_exempt_words=names("untested-exempt-words"),
            outside_clients=frozenset(name.lower() for name in names("outside-client-folders")),
            example_apps=frozenset(name.lower() for name in names("example-app-folders")),
            framework_routes=frozenset(normalise(path) for path in names("framework-routes")),
        )

    def factory(self, callee: str) -> str | None:
        """The router factory a call to `callee` (its last name) stands for, if any."""
        if callee in self.router_factories:
            return callee
        return next((factory for ending, factory in self.subclass_endings if callee.endswith(ending)), None)
