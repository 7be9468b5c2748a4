"""A deliberately naive transitive finder, used only to look for what gapaudit misses.

It resolves callees by bare name (every project function with that name), the way a quick tool
would, and recognises blocking calls by the text of the call (`requests.get`, `open`,
`time.sleep`, `.execute`, ...). That gives many false candidates and few misses: each candidate
gapaudit does not report is read by hand and, if real, recorded under `missed:` in
bench/labels.yml. This file is not part of gapaudit and never used by it.

    python bench/oracle.py bench/corpus/mealie > /tmp/mealie-candidates.txt
"""

from __future__ import annotations

import ast
import sys
from collections import deque
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from gapaudit.engine.discover import PYTHON, discover  # noqa: E402
from gapaudit.settings import Config  # noqa: E402

_CATALOG = yaml.safe_load((Path(__file__).resolve().parent.parent / "rules" / "blocking-calls.yml").read_text())["catalogs"]
_SINK_SUFFIXES = {".".join(c.split(".")[-2:]) for g in _CATALOG["blocking-functions"] for c in g["calls"]}
_SINK_METHODS = {m for c in _CATALOG["blocking-clients"] if isinstance(c.get("methods"), list) for m in c["methods"]}
_SINK_METHODS -= {"get", "open", "read", "write", "close", "send", "list", "run", "delete", "remove", "all", "first", "one",
                  "count", "replace", "copy", "join", "exception", "result", "wait", "put", "add", "seek", "flush",
                  "extract", "stat", "absolute", "data", "single", "consume", "merge", "refresh", "begin"}


def _text(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # noqa: BLE001
        return ""


def _is_sink(call: ast.Call) -> bool:
    text = _text(call.func)
    if text in ("open", "input") or ".".join(text.split(".")[-2:]) in _SINK_SUFFIXES:
        return True
    return isinstance(call.func, ast.Attribute) and call.func.attr in _SINK_METHODS


def main(root: Path) -> None:
    functions: dict[str, list[tuple[str, ast.AST]]] = {}
    for file in discover(root, Config()).files:
        if file.kind != PYTHON:
            continue
        try:
            tree = ast.parse(file.path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions.setdefault(node.name, []).append((file.rel, node))

    def calls(fn: ast.AST) -> list[ast.Call]:
        awaited = {id(n.value) for n in ast.walk(fn) if isinstance(n, ast.Await)}
        return [n for n in ast.walk(fn) if isinstance(n, ast.Call) and id(n) not in awaited]

    def callee_name(call: ast.Call) -> str | None:
        if isinstance(call.func, ast.Name):
            return call.func.id
        if isinstance(call.func, ast.Attribute):
            return call.func.attr
        return None

    for name, defs in sorted(functions.items()):
        for rel, fn in defs:
            if not isinstance(fn, ast.AsyncFunctionDef):
                continue
            for call in calls(fn):
                target = callee_name(call)
                if _is_sink(call):
                    print(f"{rel}:{call.lineno}  {name}() calls {_text(call.func)}() directly")
                    continue
                if target is None:
                    continue
                queue = deque([(target, 0)])
                seen = {target}
                while queue:
                    current, depth = queue.popleft()
                    hit = None
                    for callee_rel, callee in functions.get(current, []):
                        if isinstance(callee, ast.AsyncFunctionDef):
                            continue
                        for inner in calls(callee):
                            if _is_sink(inner):
                                hit = f"{callee_rel}:{inner.lineno}"
                                break
                            nxt = callee_name(inner)
                            if nxt and nxt not in seen and depth < 5:
                                seen.add(nxt)
                                queue.append((nxt, depth + 1))
                        if hit:
                            break
                    if hit:
                        print(f"{rel}:{call.lineno}>{hit}  {name}() -> {target}()")
                        break


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())
