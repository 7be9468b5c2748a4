"""Fuzzing every parser and analyzer: random Python, JS/TS, .env, YAML, TOML and JSON text under
random file names, scanned by the real engine. Whatever the input, no exception escapes, the real
finding beside it is still reported, and every file ends analyzed or skipped with a reason."""

from __future__ import annotations

import string
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gapaudit.engine.pipeline import scan
from gapaudit.model import ScanOptions
from gapaudit.settings import Config

BLOCKING = "import time\n\n@bot.event\nasync def handler():\n    time.sleep(1)\n"

# where a file lands decides which analyzers read it
PLACES = ["app/{}.py", "tests/test_{}.py", "web/src/{}.ts", "web/src/{}.jsx", "config/{}.env", ".env.{}",
          "config/{}.yaml", "config/{}.toml", "config/{}.json", "docker-compose.{}.yml", ".github/workflows/{}.yml"]

# text that looks like each language often enough to reach deep into its parser
SNIPPETS = st.sampled_from([
    "async def f():\n", "    await x\n", "import os\n", "os.environ['K']\n", "requests.get(u)\n", "@app.get('/a')\n",
    "def g(", "class C:\n", "fetch('/api/x')\n", "axios.post(`/v1/${id}`)\n", "KEY=value\n", "export A=\"b\n",
    "a: &x [*x, *x]\n", "services:\n  db:\n    image: postgres\n", "[tool.gapaudit]\n", '{"a": [1, {"b": null}]}',
    "pytest.skip('no redis')\n", "\ufeff", "# -*- coding: latin-1 -*-\n", "\x00", "\r\n", "\x1b[31m", "{{", "]]",
    "- run: docker run redis\n", "${VAR:?required}\n", "'''", '"""', "\\", "\t", "λ", "\ud800",
])
TEXT = st.lists(st.one_of(SNIPPETS, st.text(max_size=40)), max_size=12).map("".join)
NAME = st.text(alphabet=string.ascii_letters + string.digits + "_-. $`'\"\x1b\n\u202e\u00e9", min_size=1, max_size=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=st.lists(st.tuples(st.sampled_from(PLACES), NAME, TEXT), min_size=1, max_size=4))
def test_no_input_breaks_a_scan(tmp_path_factory, files):
    root = tmp_path_factory.mktemp("fuzz")
    (root / "app").mkdir()
    (root / "app" / "main.py").write_text(BLOCKING)
    written = set()
    for place, name, text in files:
        if name in (".", "..") or name.strip(".") == "":
            continue
        rel = place.format(name)
        path = root / rel
        if rel == "app/main.py" or path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        written.add(rel)
    report = scan(root, Config(), ScanOptions(jobs=1))
    assert ("GA103", "app/main.py") in {(g.rule, g.file) for g in report.gaps}
    for skipped in report.skipped:  # a reason for every file skipped, and only for files that exist
        assert skipped.reason and (skipped.file in written or Path(root, skipped.file).exists())
