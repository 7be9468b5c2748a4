"""Route paths as both sides write them, made comparable: `{id}`, `{id:int}`, `<int:id>`, `:id`,
`${id}` all become `{}`; `{rest:path}` becomes `{**}`, which matches the rest of the path."""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

_PARAM = re.compile(r"\{(?!\*\*\})[^}]*\}|<[^>]*>|(?<=/):[A-Za-z_]\w*|\$\{[^}]*\}")  # not `{**}`, made first
_PATH_PARAM = re.compile(r"\{[^}:]*:path\}|<path:[^>]*>")  # matches the rest of the path, slashes included
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "{}"})
#: Longer paths are left as written: `_PARAM` reads from every `{` to the end of a path with no `}`
#: (quadratic: 20,000 `{` take 2 s), and no route is that long (servers reject URLs of 8 KB).
MAX_PATH = 2_048


def normalise(path: str) -> str:
    """`/users/{id:int}/` -> `/users/{}`; query strings and trailing slashes dropped."""
    path = path.split("?", 1)[0].split("#", 1)[0]
    if len(path) > MAX_PATH:
        return path
    path = _PARAM.sub("{}", _PATH_PARAM.sub("{**}", path))
    path = re.sub(r"/+", "/", "/" + path.lstrip("/"))
    return path.rstrip("/") or "/"


def matches(pattern: str, path: str) -> bool:
    """Whether a normalised declared path serves a normalised requested one (`{}` matches any segment)."""
    a, b = pattern.strip("/").split("/"), path.strip("/").split("/")
    if "{**}" in a:  # `{rest:path}` takes every remaining segment
        head = a[: a.index("{**}")]
        return len(b) >= len(head) and matches("/".join(head), "/".join(b[: len(head)]))
    return len(a) == len(b) and all(x == y or x == "{}" or y == "{}" for x, y in zip(a, b))


_SEGMENT_PARAM = re.compile(r"^(?:\{(?:[^}:]*)(?::(?P<brace>[^}]*))?\}|<(?:(?P<angle>[^:>]+):)?[^>]*>|:[A-Za-z_]\w*|\$\{[^}]*\})$")
#: parameter types that match any one segment: FastAPI/Starlette `{x}` and `{x:str}`, Flask and
#: Django `<x>` and `<string:x>`/`<str:x>`; `path` matches the rest of the path
_ANY_SEGMENT = frozenset({"", "str", "string"})


def shadows(first: str, later: str) -> bool:
    """Does every request the `later` full path (as declared) serves reach `first` instead? Both
    already compare equal once normalised; here converters and trailing slashes count: Django's
    `<uuid:x>` and a custom `<sha1:x>` never match the same segment, and `invite/<slug:t>` and
    `invite/<slug:t>/` are two URLs. What cannot be told apart for sure is not a shadow."""
    if len(first) > MAX_PATH or len(later) > MAX_PATH:
        return False
    a, b = first.split("?", 1)[0], later.split("?", 1)[0]
    if a.endswith("/") != b.endswith("/") and a.strip("/") and b.strip("/"):
        return False
    left, right = a.strip("/").split("/"), b.strip("/").split("/")
    if len(left) != len(right):
        return False
    for x, y in zip(left, right):
        kx, ky = _param_type(x), _param_type(y)
        if x == y or kx == ky is not None or kx in _ANY_SEGMENT and ky != "path":
            continue  # the same text, the same converter under two names, or a segment matching any
        return False
    return True


def _param_type(segment: str) -> str | None:
    """The parameter type of a whole-segment parameter ("" when untyped), None for a literal
    segment or a segment mixing text and parameters."""
    match = _SEGMENT_PARAM.match(segment)
    if match is None:
        return None
    return (match.group("brace") or match.group("angle") or "").strip().lower()


def names_exactly(pattern: str, path: str) -> bool:
    """`matches`, where a parameter of the path (`/users/{}`) matches only a parameter of the
    pattern, not a literal segment (`/users/export`): for paths that may not be requests at all."""
    a, b = pattern.strip("/").split("/"), path.strip("/").split("/")
    return matches(pattern, path) and all(y != "{}" or x in ("{}", "{**}") for x, y in zip(a, b))


def literal(node: ast.AST | None, names: Mapping[str, str] | None = None) -> str | None:
    """A literal path: "...", f"/users/{uid}" (-> /users/{}), "/a/" + x; None for anything else.
    A substitution of one of `names` (a module's string constants: bookwyrm's
    `rf"{USER_PATH}/followers"`) is its value; any other leading one (`f"{BASE}/api"`) is a base
    URL and dropped."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for i, value in enumerate(node.values):
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif (names and isinstance(value, ast.FormattedValue) and isinstance(value.value, ast.Name)
                  and value.value.id in names and value.format_spec is None):
                parts.append(names[value.value.id])
            elif i > 0:
                parts.append("{}")
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = literal(node.left), literal(node.right)
        if left is not None:
            return left + (right if right is not None else "{}")
        return right if right is not None and right.startswith("/") else None
    return None


def url_path(text: str) -> str | None:
    """The path of a request target: `/api/x`, `http://localhost:8000/api/x`, `{}/api/x` (base var).
    An absolute URL to another host (`https://ipapi.co/json`) is not a request to this backend;
    a dotless host (`http://api:8000`) is a compose service name, so it is."""
    if "://" in text:
        try:
            parts = urlsplit(text)
        except ValueError:
            return None
        host = parts.hostname or ""
        if host not in _LOCAL_HOSTS and "." in host:
            return None
        return parts.path or "/"
    if text.startswith("{}/"):
        text = text[2:]
    return text if text.startswith("/") else None


def regex_to_path(pattern: str) -> str:
    """`^users/(?P<pk>[0-9]+)/$` -> `users/{pk}/`, good enough to compare."""
    pattern = pattern.lstrip("^").rstrip("$")
    pattern = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", pattern)
    return re.sub(r"\([^)]*\)", "{}", pattern).replace("\\", "")
