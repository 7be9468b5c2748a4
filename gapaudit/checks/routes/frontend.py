"""What a JS/TS frontend module requests, parsed with ast-grep: `fetch(url, {method})`,
`axios.get(url)`, a client made by `axios.create({baseURL})`, `new WebSocket(url)`, `new EventSource(url)`.

ast-grep is imported on the first frontend file: a backend-only scan never loads it.
"""

from __future__ import annotations

import bisect
import re
from typing import TYPE_CHECKING

from .catalog import RoutesCatalog
from .facts import RouteReference
from .paths import url_path

if TYPE_CHECKING:
    from ast_grep_py import SgNode

_METHOD_OPTION = re.compile(r"method\s*:\s*['\"`](\w+)")
_NAMES = ("identifier", "member_expression")  # the callees that can name a client; others may be huge (an IIFE)


def _language(rel: str) -> str:
    return "tsx" if rel.endswith((".tsx", ".jsx")) else "typescript" if rel.endswith(".ts") else "javascript"


def _url(node: SgNode) -> str | None:
    """A JS string or template literal as a path: `${API}/users/${id}` -> `{}/users/{}`."""
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
        left, right = _url(children[0]), _url(children[-1])
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
        if func is None or func.kind() != "member_expression" or func.text() not in catalog.js_client_factories:
            continue
        base = next((pair.field("value") for pair in value.find_all(kind="pair")
                     if (key := pair.field("key")) is not None and key.text().strip("'\"") in catalog.js_base_url_keys),
                    None)
        url = _url(base) if base is not None else None
        bases[name.text()] = (url_path(url) or "") if url else ""
    return bases


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
        if func is None or args is None or func.kind() not in _NAMES:
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
                found = _METHOD_OPTION.search(arg_nodes[1].text())
                method = found.group(1).upper() if found else "GET"
        elif "." in name:
            obj, verb = name.rsplit(".", 1)
            if verb.lower() in catalog.http_methods and (obj in catalog.js_client_libraries or obj in bases):
                method, prefix = verb.upper(), bases.get(obj, "")
        if method is None:
            continue
        url = _url(arg_nodes[0])
        if url is None:
            continue
        if "://" in url or url.startswith("{}"):
            path = url_path(url)
        else:  # relative to the client's baseURL
            path = prefix.rstrip("/") + "/" + url.lstrip("/") if prefix else url
        if path is None or not path.startswith("/"):
            continue
        lines = lines or _Lines(text)
        refs.append(RouteReference(method, path, lines.of(call), name))
    return tuple(refs)
