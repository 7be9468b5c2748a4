"""Every entry of rules/blocking-calls.yml is found through the real CLI, in the import form users write.

The project is generated from the catalog: one async function per blocking function, and per
client family one per constructor (calling a blocking method on the instance).
"""

from __future__ import annotations

import pytest
from conftest import run_cli, scan_json

from gapaudit.rules import load_rules

CATALOG = load_rules()


def _import(qualified: str) -> tuple[str, str]:
    """`a.b.c` -> ("import a.b", "a.b.c") so the name is used fully qualified, as imported."""
    module, _, _ = qualified.rpartition(".")
    if module == "builtins":
        return "", qualified.split(".")[-1]
    return f"import {module}", qualified


def _cases() -> list[tuple[str, str, str, str]]:
    """(function name, source, expected rule, expected blocking call)."""
    kinds = CATALOG.catalog("blocking-kinds")
    cases = []
    for group in CATALOG.catalog("blocking-functions"):
        for call in group["calls"]:
            imp, name = _import(call)
            fn = "f_" + call.replace(".", "_")
            cases.append((fn, f"{imp}\n\nasync def {fn}():\n    {name}('x')\n", kinds[group["kind"]], call))
    for family in CATALOG.catalog("blocking-clients"):
        methods = family["methods"]
        safe = set(family.get("safe", []))
        method = next(m for m in (methods if methods != "*" else ["query_anything"]) if m not in safe)
        method_kind = next((k for k, ms in (family.get("kinds") or {}).items() if method in ms), family["kind"])
        for constructor in family["constructors"]:
            imp, name = _import(constructor)
            fn = "c_" + constructor.replace(".", "_")
            if family.get("constructor_blocks"):  # the constructor itself is the first blocking call
                expected, kind = constructor, family["kind"]
            else:
                expected, kind = f"{family['family']}.{method}", method_kind
            body = f"    client = {name}()\n    client.{method}()\n"
            cases.append((fn, f"{imp}\n\nasync def {fn}():\n{body}", kinds[kind], expected))
    return cases


CASES = _cases()


@pytest.fixture(scope="module")
def found(tmp_path_factory):
    root = tmp_path_factory.mktemp("catalog")
    for i, (fn, source, _, _) in enumerate(CASES):
        (root / f"case_{i:03d}.py").write_text(source)
    _, report = scan_json(root)
    assert report["skipped"] == []
    by_function: dict[str, list[tuple[str, str]]] = {}
    for gap in report["gaps"]:
        root_fn = gap["evidence"]["chain"][0]["function"].removeprefix("async ").removesuffix("()")
        by_function.setdefault(root_fn, []).append((gap["rule"], gap["evidence"]["blocking_call"]))
        for site in gap["evidence"].get("same_function", []):  # one gap per function and rule
            by_function[root_fn].append((gap["rule"], site.split(" at ")[0]))
    return by_function


@pytest.mark.parametrize("fn, source, rule, call", CASES, ids=[c[0] for c in CASES])
def test_catalog_entry_is_found(found, fn, source, rule, call):
    assert (rule, call) in found.get(fn, []), source


@pytest.mark.parametrize("catalog, problem", [
    ("blocking-functions:\n    - kind: netwrk\n      calls: [legacy.fetch]\n", "unknown kind 'netwrk'"),
    ("blocking-kinds:\n    network: GA199\n", "kind 'network' maps to unknown rule 'GA199'"),
    ("blocking-clients:\n    - kind: db\n      constructors: [legacy.connect]\n", "]: lacks family"),
    ("blocking-clients:\n    - family: legacy.Client\n      kind: db\n", "]: lacks constructors"),
    ("blocking-clients:\n    - family: legacy.Client\n      kind: db\n      constructors: [legacy.Client]\n"
     "      kinds: {sleep: [wait], later: [poll]}\n", "unknown kind 'later'"),
    ("blocking-methods:\n    - kind: sleep\n      methods: wait_forever\n", "].methods: expected a list, got 'wait_forever'"),
    ("blocking-clients:\n    - family: legacy.Client\n      kind: db\n      constructors: [legacy.Client]\n"
     "      derive: sometimes\n", "].derive: expected true or false, got 'sometimes'"),
], ids=["unknown-kind", "unknown-rule", "no-family", "no-constructors", "unknown-method-kind", "not-a-list", "not-a-flag"])
def test_a_user_catalog_entry_the_analyzer_cannot_use_is_one_line_and_exit_2(tmp_path, catalog, problem):
    (tmp_path / "app.py").write_text("async def main():\n    pass\n")
    (tmp_path / "ci-blocking.yml").write_text("catalogs:\n  " + catalog)
    (tmp_path / "gapaudit.yml").write_text("rule-paths: [ci-blocking.yml]\n")
    done = run_cli("scan", str(tmp_path), "--no-cache", "--format", "json", "-o", "-")
    assert done.returncode == 2, done.stderr
    assert done.stdout == "" and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("gapaudit: error: catalog '") and "ci-blocking.yml" in done.stderr
    assert problem in done.stderr
