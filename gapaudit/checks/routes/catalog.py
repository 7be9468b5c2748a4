"""The route analyzer's catalogs (`catalogs:` in rules/routes.yml and the project's rule files),
read and checked once: an entry of the wrong shape stops the scan with one line naming it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ...rules import RuleSet
from .paths import normalise

#: frameworks whose prefix rules the link step knows (Flask's url_prefix replaces, aiohttp's apps serve)
FRAMEWORKS = frozenset({"fastapi", "starlette", "flask", "aiohttp"})


@dataclass(frozen=True, slots=True)
class RouterFactory:
    framework: str
    app: bool  # serves its routes without being included anywhere


@dataclass(frozen=True, slots=True)
class RoutesCatalog:
    http_methods: frozenset[str]
    router_factories: dict[str, RouterFactory]
    subclass_endings: tuple[tuple[str, str], ...]  # (name ending, factory it stands for)
    prefix_keywords: tuple[str, ...]
    websocket_decorators: frozenset[str]
    any_method_decorators: frozenset[str]
    include_calls: dict[str, bool]  # method -> takes (prefix, child) positionally
    route_registrations: frozenset[str]
    websocket_registrations: frozenset[str]
    client_factories: frozenset[str]
    client_modules: frozenset[str]
    client_request_calls: frozenset[str]
    client_websocket_calls: frozenset[str]
    js_fetch_functions: frozenset[str]
    js_client_libraries: frozenset[str]
    js_client_factories: frozenset[str]
    js_base_url_keys: frozenset[str]
    js_constructors: dict[str, str]  # constructor -> method (WS for a WebSocket)
    untested_exempt_words: tuple[str, ...]
    framework_routes: frozenset[str]  # normalised

    #: every catalog this reads, for `RoutesAnalyzer.catalogs`
    names: ClassVar[tuple[str, ...]] = (
        "http-methods", "router-factories", "router-subclass-endings", "prefix-keywords", "websocket-decorators",
        "any-method-decorators", "include-calls", "route-registrations", "websocket-registrations",
        "client-factories", "client-modules", "client-request-calls", "client-websocket-calls",
        "js-fetch-functions", "js-client-libraries", "js-client-factories", "js-base-url-keys",
        "js-connection-constructors", "untested-exempt-words", "framework-routes",
    )

    @classmethod
    def load(cls, rules: RuleSet) -> RoutesCatalog:
        """The catalogs of `rules`, validated; raises `rules.catalog_error` (exit 2) on a malformed entry."""
        read = _Reader(rules)
        http_methods = frozenset(read.names("http-methods"))
        factories = {
            entry["name"]: RouterFactory(read.choice("router-factories", entry, "framework", FRAMEWORKS),
                                         entry.get("app", False))
            for entry in read.records("router-factories", {"name": str, "framework": str}, {"app": bool})
        }
        endings = tuple((entry["ending"], entry["factory"])
                        for entry in read.records("router-subclass-endings", {"ending": str, "factory": str}))
        for ending, factory in endings:
            if factory not in factories:
                raise rules.catalog_error("router-subclass-endings",
                                          f"{ending!r} stands for {factory!r}, which is not in router-factories")
        constructors = {}
        for entry in read.records("js-connection-constructors", {"name": str, "method": str}):
            if entry["method"] != "WS" and entry["method"].lower() not in http_methods:
                raise rules.catalog_error("js-connection-constructors",
                                          f"{entry['name']!r} has method {entry['method']!r}, not WS or an HTTP method")
            constructors[entry["name"]] = entry["method"]
        return cls(
            http_methods=http_methods,
            router_factories=factories,
            subclass_endings=endings,
            prefix_keywords=tuple(read.names("prefix-keywords")),
            websocket_decorators=frozenset(read.names("websocket-decorators")),
            any_method_decorators=frozenset(read.names("any-method-decorators")),
            include_calls={entry["name"]: entry.get("prefix-first", False)
                           for entry in read.records("include-calls", {"name": str}, {"prefix-first": bool})},
            route_registrations=frozenset(read.names("route-registrations")),
            websocket_registrations=frozenset(read.names("websocket-registrations")),
            client_factories=frozenset(read.names("client-factories")),
            client_modules=frozenset(read.names("client-modules")),
            client_request_calls=frozenset(read.names("client-request-calls")),
            client_websocket_calls=frozenset(read.names("client-websocket-calls")),
            js_fetch_functions=frozenset(read.names("js-fetch-functions")),
            js_client_libraries=frozenset(read.names("js-client-libraries")),
            js_client_factories=frozenset(read.names("js-client-factories")),
            js_base_url_keys=frozenset(read.names("js-base-url-keys")),
            js_constructors=constructors,
            untested_exempt_words=tuple(read.names("untested-exempt-words")),
            framework_routes=frozenset(normalise(path) for path in read.names("framework-routes")),
        )

    def factory(self, callee: str) -> str | None:
        """The router factory a call to `callee` (its last name) stands for, if any."""
        if callee in self.router_factories:
            return callee
        return next((factory for ending, factory in self.subclass_endings if callee.endswith(ending)), None)


class _Reader:
    """Reads one catalog at a time, raising a catalog error that names the entry at fault."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules

    def _list(self, name: str) -> list[Any]:
        entries = self.rules.catalog(name)
        if not isinstance(entries, list):
            raise self.rules.catalog_error(name, f"expected a list, got {type(entries).__name__}")
        return entries

    def names(self, name: str) -> list[str]:
        """A list of non-empty strings."""
        entries = self._list(name)
        for entry in entries:
            if not isinstance(entry, str) or not entry:
                raise self.rules.catalog_error(name, f"entry {entry!r} is not a non-empty string")
        return entries

    def records(self, name: str, required: dict[str, type], optional: dict[str, type] | None = None) -> list[dict[str, Any]]:
        """A list of mappings with these keys, of these types, and no others."""
        optional = optional or {}
        entries = self._list(name)
        for entry in entries:
            if not isinstance(entry, dict):
                raise self.rules.catalog_error(name, f"entry {entry!r} is not a mapping")
            missing = [key for key in required if key not in entry]
            if missing:
                raise self.rules.catalog_error(name, f"entry {entry!r} lacks {', '.join(missing)}")
            unknown = [key for key in entry if key not in required and key not in optional]
            if unknown:
                raise self.rules.catalog_error(name, f"entry {entry!r} has unknown key {unknown[0]!r}")
            for key, value in entry.items():
                expected = required.get(key) or optional[key]
                if not isinstance(value, expected) or (expected is str and not value):
                    raise self.rules.catalog_error(
                        name, f"entry {entry!r}: {key} must be {'a non-empty string' if expected is str else 'true or false'}")
        return entries

    def choice(self, name: str, entry: dict[str, Any], key: str, allowed: frozenset[str]) -> str:
        if entry[key] not in allowed:
            raise self.rules.catalog_error(
                name, f"entry {entry!r}: {key} must be one of {', '.join(sorted(allowed))}")
        return entry[key]
