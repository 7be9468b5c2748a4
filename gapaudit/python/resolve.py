"""Project-wide name resolution over the per-file facts of `_pyfacts`.

Resolves references through imports, re-exports, relative imports, module variables, class
hierarchies and instance attributes — never by bare name: `asyncio.sleep` is never a project
function called `sleep`. Third-party and stdlib names stay external, fully qualified.

Symbols are tuples:
  ("module", rel) · ("function", rel, qualname) · ("class", rel, name)
  ("instance", owner) where owner is ("class", rel, name) or ("family", family-name)
  ("external", "a.b.c")
"""

from __future__ import annotations

from typing import Any, Callable

from .modules import module_names

Symbol = tuple
_MAX_DEPTH = 24


class PythonProject:
    """Resolves references against every Python file's facts."""

    def __init__(self, facts: dict[str, dict[str, Any]], package_dirs: set[str],
                 constructor_family: Callable[[str], str | None],
                 family_derives: Callable[[str, str | None], bool]) -> None:
        self.facts = facts
        self.package_dirs = package_dirs
        self._constructor_family = constructor_family
        self._family_derives = family_derives
        index: dict[str, set[str]] = {}
        for rel in facts:
            for name in module_names(rel, package_dirs):
                index.setdefault(name, set()).add(rel)
        self.module_index = {name: next(iter(rels)) for name, rels in index.items() if len(rels) == 1}
        self.functions: dict[tuple[str, str], dict[str, Any]] = {
            (rel, fn["qualname"]): fn for rel, f in facts.items() for fn in f["functions"]
        }

    # --- modules -------------------------------------------------------------------------

    def _module_file(self, path: str) -> str | None:
        for candidate in (f"{path}.py", f"{path}/__init__.py" if path else "__init__.py"):
            if candidate in self.facts:
                return candidate
        return None

    def _walk_abs(self, parts: list[str], depth: int) -> Symbol | None:
        for i in range(len(parts), 0, -1):
            rel = self.module_index.get(".".join(parts[:i]))
            if rel is not None:
                return self._walk(("module", rel), parts[i:], depth)
        return ("external", ".".join(parts))

    def _walk_rel(self, base: str, parts: list[str], depth: int) -> Symbol | None:
        for i in range(len(parts), -1, -1):
            path = "/".join(p for p in [base, *parts[:i]] if p)
            rel = self._module_file(path)
            if rel is not None:
                return self._walk(("module", rel), parts[i:], depth)
        return None

    def binding(self, binding: dict[str, str], rest: list[str], depth: int = 0) -> Symbol | None:
        if depth > _MAX_DEPTH:
            return None
        if "abs" in binding:
            return self._walk_abs([*binding["abs"].split("."), *rest], depth + 1)
        return self._walk_rel(binding["rel"], [*binding["name"].split("."), *rest], depth + 1)

    # --- walking dotted paths ------------------------------------------------------------

    def _walk(self, symbol: Symbol | None, parts: list[str], depth: int) -> Symbol | None:
        for part in parts:
            if symbol is None:
                return None
            symbol = self.step(symbol, part, depth)
        return symbol

    def step(self, symbol: Symbol, name: str, depth: int = 0) -> Symbol | None:
        """The value of `symbol.name`."""
        kind = symbol[0]
        if kind == "external":
            return ("external", f"{symbol[1]}.{name}")
        if kind == "module":
            rel = symbol[1]
            f = self.facts[rel]
            if name in f["defs"]:
                return ("function" if f["defs"][name] == "function" else "class", rel, name)
            if name in f["imports"]:
                return self.binding(f["imports"][name], [], depth + 1)
            if name in f["vars"]:
                owner = self.resolve_type(rel, f["vars"][name], None, depth + 1)
                return ("instance", owner) if owner else None
            if rel.endswith("__init__.py"):
                sub = self._module_file(f"{rel[: -len('__init__.py')]}{name}")
                if sub:
                    return ("module", sub)
            if depth < _MAX_DEPTH and not name.startswith("_"):
                for star in f.get("star_imports", []):
                    source = self.binding(star, [], depth + 1)
                    found = self.step(source, name, depth + 1) if source and source[0] == "module" else None
                    if found is not None:
                        return found
            return None
        if kind == "class":
            method = self.find_method(symbol, name)
            if method:
                return method
            attr = self.class_attr(symbol, name, depth)
            return ("instance", attr) if attr else None
        if kind == "instance":
            owner = symbol[1]
            if owner[0] == "family":
                return symbol if self._family_derives(owner[1], None) else None
            attr = self.class_attr(owner, name, depth)
            return ("instance", attr) if attr else None
        return None

    def resolve_ref(self, rel: str, ref: dict[str, Any], depth: int = 0) -> Symbol | None:
        """The value a reference (import, module name, builtin, nested function) denotes."""
        if "imp" in ref:
            return self.binding(ref["imp"], ref["rest"], depth)
        if "mod" in ref:
            return self._walk(("module", rel), ref["mod"], depth)
        if "ext" in ref:
            return ("external", ref["ext"])
        if "fn" in ref:
            return ("function", rel, ref["fn"])
        return None

    # --- classes -------------------------------------------------------------------------

    def class_info(self, cls: Symbol) -> dict[str, Any] | None:
        return self.facts.get(cls[1], {}).get("classes", {}).get(cls[2])

    def mro(self, cls: Symbol, depth: int = 0) -> list[Symbol]:
        """The class and its project base classes, depth-first (good enough for single inheritance)."""
        order: list[Symbol] = []
        stack = [cls]
        while stack and len(order) < 32:
            current = stack.pop(0)
            if current in order:
                continue
            info = self.class_info(current)
            if info is None:
                continue
            order.append(current)
            for base in info["bases"]:
                resolved = self.resolve_ref(current[1], base, depth + 1)
                if resolved and resolved[0] == "class":
                    stack.append(resolved)
        return order

    def find_method(self, cls: Symbol, name: str) -> Symbol | None:
        for klass in self.mro(cls):
            if name in self.class_info(klass)["methods"]:
                return ("function", klass[1], f"{klass[2]}.{name}")
        return None

    def class_attr(self, cls: Symbol, name: str, depth: int) -> Symbol | None:
        """The owner type of `instance.name`: from `self.name = Client(...)`, annotations, or a property."""
        if depth > _MAX_DEPTH:
            return None
        for klass in self.mro(cls, depth):
            for t in self.class_info(klass)["attrs"].get(name, []):
                owner = self.resolve_type(klass[1], t, klass, depth + 1)
                if owner is not None:
                    return owner
        method = self.find_method(cls, name)
        if method is not None and self.functions[(method[1], method[2])]["property"]:
            return self.return_type(method, depth + 1)
        return None

    def return_type(self, function: Symbol, depth: int) -> Symbol | None:
        """The owner type of what a project function returns."""
        fn = self.functions.get((function[1], function[2]))
        if fn is None or fn["returns"] is None or depth > _MAX_DEPTH:
            return None
        cls = ("class", function[1], fn["cls"]) if fn["cls"] else None
        return self.resolve_type(function[1], fn["returns"], cls, depth + 1)

    # --- types ---------------------------------------------------------------------------

    def resolve_type(self, rel: str, t: dict[str, Any], cls: Symbol | None, depth: int = 0) -> Symbol | None:
        """The owner (project class or catalog family) of a type expression."""
        if depth > _MAX_DEPTH or t is None:
            return None
        if "attr" in t:
            return self.class_attr(cls, t["attr"], depth + 1) if cls else None
        if "of" in t:
            inner = self.resolve_type(rel, t["of"], cls, depth + 1)
            if inner is None:
                return None
            if inner[0] == "class":
                if "field" in t:
                    return self.class_attr(inner, t["field"], depth + 1)
                method = self.find_method(inner, t.get("via", ""))
                return self.return_type(method, depth + 1) if method else None
            return inner if self._family_derives(inner[1], t.get("via")) else None
        if "val" in t:
            value = self.resolve_ref(rel, t["val"], depth + 1)
            return value[1] if value and value[0] == "instance" else None
        if "new" in t:
            ref = t["new"]
            parts = ref.get("mod") or ref.get("rest")
            if parts and len(parts) > 1 and ("mod" in ref or "imp" in ref):
                # `client.pipeline()`: a call on something; derived when the receiver is a family
                head = {"mod": ref["mod"][:-1]} if "mod" in ref else {"imp": ref["imp"], "rest": ref["rest"][:-1]}
                receiver = self.resolve_ref(rel, head, depth + 1)
                if receiver and receiver[0] == "instance":
                    owner = receiver[1]
                    if owner[0] == "class":
                        method = self.find_method(owner, parts[-1])
                        return self.return_type(method, depth + 1) if method else None
                    return owner if self._family_derives(owner[1], parts[-1]) else None
            value = self.resolve_ref(rel, ref, depth + 1)
            if value is None:
                return None
            if value[0] == "class":
                return value
            if value[0] == "function":
                return self.return_type(value, depth + 1)
            if value[0] == "external":
                family = self._constructor_family(value[1])
                return ("family", family) if family else None
        return None
