"""What a JS/TS frontend module requests, parsed with ast-grep: `fetch(url, {method})`,
`axios.get(url)`, a client made by `axios.create({baseURL})`, `new WebSocket(url)`, `new EventSource(url)`.

ast-grep is imported on the first frontend file: a backend-only scan never loads it.
"""

from __future__ import annotations

import bisect
import re
from typing import TYPE_CHECKING

from .catalog import HandlerLayout, RoutesCatalog
from .facts import FrontendHandler, RouteReference
from .paths import MAX_PATH, url_path

if TYPE_CHECKING:
    from ast_grep_py import SgNode

_METHOD_OPTION = re.compile(r"method\s*:\s*['\"`](\w+)")
_NAMES = ("identifier", "member_expression")  # the callees that can name a client; others may be huge (an IIFE)
# Bounds on the text read per call, so that work stays linear in the file: a callee, an options
# object and a URL each contain the calls nested in them (`a.then(f).then(g)...`: the callee of each
# `then` is the whole chain before it, so reading every callee's text is quadratic on a long chain).
_MAX_NAME = 256  # characters of a callee: a client's name (`api.get`, `window.fetch`) is short
_MAX_OPTIONS = 1_024  # an options object longer than this is read by its own keys, not searched


def _language(rel: str) -> str:
    return "tsx" if rel.endswith((".tsx", ".jsx")) else "typescript" if rel.endswith(".ts") else "javascript"


def _span(node: SgNode) -> int:
    """The length of a node's text without reading it (see `_Lines`)."""
    edit = node.replace("")
    return edit.end_pos - edit.start_pos


def _configured(node: SgNode) -> bool:
    """Does the URL start with a value known only at run time: `${baseUrl}/x`, `API + "/x"`?"""
    kind = node.kind()
    if kind == "template_string":
        first = next((c for c in node.children() if c.kind() != "`"), None)
        return first is not None and first.kind() == "template_substitution"
    if kind == "binary_expression":
        return _configured(node.children()[0])
    return kind != "string"


def _url(node: SgNode) -> str | None:
    """A JS string or template literal as a path: `${API}/users/${id}` -> `{}/users/{}`."""
    try:
        return _url_of(node)
    except RecursionError:  # `"a" + "b" + ...` nested deeper than Python recurses
        return None


def _url_of(node: SgNode) -> str | None:
    kind = node.kind()
    if kind == "string":
        return node.text()[1:-1]
    if kind == "template_string":
        parts = []
        for i, child in enumerate(c for c in node.children() if c.kind() != "`"):
            if child.kind() == "template_substitution":
                if i > 0:
                    parts.append("{}")
            else:
                parts.append(child.text())
        return "".join(parts)
    if kind == "binary_expression":
        children = node.children()
        left, right = _url_of(children[0]), _url_of(children[-1])
        if left is not None:
            return left + (right if right is not None else "{}")
        return right
    return None


class _Lines:
    """Line numbers from character offsets. `SgNode.range()` also computes the column by counting
    characters from the line's start, which on a minified one-line bundle costs the whole file per
    node; the offset of `replace("")` (an edit that is built, never applied) costs nothing."""

    def __init__(self, text: str) -> None:
        self.starts = [m.end() for m in re.finditer("\n", text)]

    def of(self, node: SgNode) -> int:
        return bisect.bisect_right(self.starts, node.replace("").start_pos) + 1


def _client_bases(root: SgNode, catalog: RoutesCatalog) -> dict[str, str]:
    """`const api = axios.create({baseURL: "/api"})` -> {"api": "/api"}."""
    bases: dict[str, str] = {}
    for node in root.find_all(kind="variable_declarator"):
        value = node.field("value")
        name = node.field("name")
        if value is None or name is None or value.kind() != "call_expression":
            continue
        func = value.field("function")
        if (func is None or func.kind() != "member_expression" or _span(func) > _MAX_NAME
                or func.text() not in catalog.js_client_factories):
            continue
        base = next((pair.field("value") for pair in _pairs(value.field("arguments"))
                     if (key := pair.field("key")) is not None and key.text().strip("'\"") in catalog.js_base_url_keys),
                    None)
        url = _url(base) if base is not None else None
        if url is not None and len(url) > MAX_PATH:
            continue
        bases[name.text()] = (url_path(url) or "") if url else ""
    return bases


def _pairs(node: SgNode | None) -> list[SgNode]:
    """The `key: value` pairs of the object literals among `node`'s children (the arguments of a
    call, or an object itself), not of the objects nested in them: reading a whole subtree per
    call is quadratic when calls nest."""
    if node is None:
        return []
    objects = [node] if node.kind() == "object" else [c for c in node.children() if c.kind() == "object"]
    return [pair for obj in objects for pair in obj.children() if pair.kind() == "pair"]


def _method(options: SgNode) -> str:
    """The method of `fetch(url, options)`: a `method:` in the options (GET if none)."""
    if _span(options) <= _MAX_OPTIONS:
        found = _METHOD_OPTION.search(options.text())
        return found.group(1).upper() if found else "GET"
    for pair in _pairs(options):
        key, value = pair.field("key"), pair.field("value")
        if key is not None and value is not None and key.text().strip("'\"") == "method" and _span(value) <= _MAX_NAME:
            found = _METHOD_OPTION.search(f"method: {value.text()}")
            return found.group(1).upper() if found else "GET"
    return "GET"


#: a frontend file whose lines average this many characters is minified build output
MINIFIED_LINE = 300


def minified(text: str) -> bool:
    """Build output (a bundler's minified chunk, `entrypoint.601ff5d4.js`), not source: its
    requests are its sources' (scanned where they are) or another app's, whose bundle this
    repository only ships. Like `.min.js`, never read; as semgrep skips minified files."""
    return len(text) >= 2 * MINIFIED_LINE and len(text) / (text.count("\n") + 1) >= MINIFIED_LINE


def js_references(rel: str, text: str, catalog: RoutesCatalog) -> tuple[RouteReference, ...]:
    from ast_grep_py import SgRoot

    root = SgRoot(text, _language(rel)).root()
    bases = _client_bases(root, catalog)
    lines: _Lines | None = None
    refs = []
    for call in [*root.find_all(kind="call_expression"), *root.find_all(kind="new_expression")]:
        constructed = call.kind() == "new_expression"
        func = call.field("constructor" if constructed else "function")
        args = call.field("arguments")
        if func is None or args is None or func.kind() not in _NAMES or _span(func) > _MAX_NAME:
            continue
        arg_nodes = [c for c in args.children() if c.kind() not in ("(", ")", ",")]
        if not arg_nodes:
            continue
        name = func.text()
        method, prefix = None, ""
        if constructed:
            method = catalog.js_constructors.get(name)
        elif name in catalog.js_fetch_functions:
            method = "GET"
            if len(arg_nodes) > 1:
                method = _method(arg_nodes[1])
        elif "." in name:
            obj, verb = name.rsplit(".", 1)
            if verb.lower() in catalog.http_methods and (obj in catalog.js_client_libraries or obj in bases):
                method, prefix = verb.upper(), bases.get(obj, "")
        if method is None:
            continue
        url = _url(arg_nodes[0])
        if url is None or len(url) > MAX_PATH:
            continue
        if "://" in url or url.startswith("{}"):
            path = url_path(url)
        else:  # relative to the client's baseURL
            path = prefix.rstrip("/") + "/" + url.lstrip("/") if prefix else url
        if path is None or not path.startswith("/"):
            continue
        lines = lines or _Lines(text)
        configured = "://" not in url and _configured(arg_nodes[0]) and not prefix
        refs.append(RouteReference(method, path, lines.of(call), name, configured))
    return tuple(refs)


_EXPORTED = re.compile(r"^[ \t]*export\s+(?:async\s+function\s*\*?|function\s*\*?|const|let|var)\s+([A-Z]+)\b"
                       r"|\bas\s+([A-Z]+)\s*[,}]", re.MULTILINE)


def js_handlers(rel: str, text: str, catalog: RoutesCatalog) -> tuple[FrontendHandler, ...]:
    """The routes this module serves itself (catalog `frontend-route-handlers`), same-origin."""
    for layout in catalog.handler_layouts:
        path = _handler_path(rel, layout)
        if path is None:
            continue
        if not layout.exported:
            return (FrontendHandler("*", path, 1),)
        handlers = []
        for found in _EXPORTED.finditer(text):
            method = found.group(1) or found.group(2)
            if method.lower() in catalog.http_methods:
                handlers.append(FrontendHandler(method, path, text.count("\n", 0, found.start()) + 1))
        return tuple(handlers)
    return ()


def _handler_path(rel: str, layout: HandlerLayout) -> str | None:
    """`src/app/api/items/[id]/route.ts` -> `/api/items/{id}` under the layout `app/**/route`."""
    *folders, name = rel.split("/")
    stem = name.rsplit(".", 1)[0]
    if name.endswith(".d.ts") or layout.root not in folders or (layout.file and stem != layout.file):
        return None
    segments = folders[len(folders) - folders[::-1].index(layout.root):]  # below the last `root` folder
    if layout.file is None and stem != "index":
        segments.append(stem)
    if layout.under and segments[:1] != [layout.under]:
        return None
    parts = []
    for segment in segments:
        if segment.startswith("_"):
            return None  # a private folder: Next.js routes nothing in it
        if segment.startswith("(") and segment.endswith(")") or segment.startswith("@"):
            continue  # a route group or a parallel route's slot: no path segment
        if segment.startswith("[") and segment.endswith("]"):
            inner = segment.strip("[]")
            parts.append(f"{{{inner[3:]}:path}}" if inner.startswith("...") else f"{{{inner}}}")
        else:
            parts.append(segment)
    return "/" + "/".join(parts)
