"""The code model of small realistic modules, through the public API of gapaudit.python."""

from __future__ import annotations

import ast
import dataclasses
import json
import textwrap

import pytest
from conftest import FIXTURES, ROOT

from gapaudit.python import (
    MODULE_CODE,
    SCHEMA,
    AnyMethod,
    Assignment,
    BuiltinRef,
    Call,
    ClassDefinition,
    FunctionDefinition,
    Import,
    Imported,
    ImportRef,
    LocalFunctionRef,
    MethodOf,
    Module,
    ModuleRef,
    NewOf,
    ReturnOf,
    SelfAttr,
    SelfMethod,
    SuperMethod,
    ValueOf,
    Where,
    codec,
    model_of,
)

ORDERS = '''\
"""Orders: a repository over a database session and an HTTP client."""
from __future__ import annotations

import asyncio
import functools
import os.path
import requests as http
from typing import Optional

from .db import Base, Session, engine
from ..config import settings as cfg
from .base import *

TIMEOUT = 5
client = http.Session()


class Repository(Base):
    session: Optional[Session] = None
    limit = 10

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn = engine.connect()

    @property
    def cursor(self):
        return self.conn.cursor()

    @functools.lru_cache
    def load(self, key):
        return self.cursor.execute(key)

    @staticmethod
    def helper(x, *rest, flag=False, **options):
        return os.path.exists(x)

    def save(self, row):
        super().save(row)
        self.load(row)


async def fetch(order_id: int, repo: Repository) -> dict:
    data = await asyncio.to_thread(functools.partial(repo.load, order_id))
    response = client.get(
        f"/orders/{order_id}", timeout=TIMEOUT
    )

    def parse(raw):
        return json.loads(raw)

    return parse(response.text)
'''


def _model(source: str, path: str = "app/orders.py") -> Module:
    return model_of(ast.parse(textwrap.dedent(source)), path)


@pytest.fixture(scope="module")
def orders() -> Module:
    return _model(ORDERS)


def _function(module: Module, qualname: str):
    return next(fn for fn in module.functions if fn.qualname == qualname)


def test_imports_are_recorded_as_written(orders):
    assert orders.path == "app/orders.py" and orders.schema == SCHEMA
    assert Import("requests", None, "http", 0, 7, Where.BODY) in orders.imports
    assert Import("db", "Session", None, 1, 10, Where.BODY) in orders.imports
    assert Import("config", "settings", "cfg", 2, 11, Where.BODY) in orders.imports


def test_module_names_and_what_they_are_bound_to(orders):
    names = orders.names
    assert names["http"] == Imported("requests")
    assert names["os"] == Imported("os")  # `import os.path` binds `os`
    assert names["Session"] == Imported("db.Session", level=1)
    assert names["cfg"] == Imported("config.settings", level=2)
    assert names["Repository"] == ClassDefinition()
    assert names["fetch"] == FunctionDefinition()
    assert names["TIMEOUT"] == Assignment()  # an int: no type the model follows
    assert names["client"] == Assignment(NewOf(ImportRef(Imported("requests"), ("Session",))))
    assert orders.star_imports == (Imported("base", level=1),)


def test_classes_bases_attributes_and_methods(orders):
    repo = orders.classes["Repository"]
    assert repo.bases == (ImportRef(Imported("db.Base", level=1)),)
    assert repo.methods == ("__init__", "cursor", "load", "helper", "save")
    assert repo.attributes == {
        "session": (NewOf(ImportRef(Imported("db.Session", level=1))),),  # Optional[...] unwrapped
        "conn": (NewOf(ImportRef(Imported("db.engine", level=1), ("connect",))),),
    }
    assert (repo.line, repo.col, repo.end_line) == (18, 0, 40)


def test_module_level_code_is_a_function_of_its_own(orders):
    """What runs on import (`client = http.Session()`) or as a script, outside every def and
    class: the sync function `<module>`; class bodies and decorators are not part of it."""
    code = _function(orders, MODULE_CODE)
    assert not code.is_async and code.name == MODULE_CODE and code.line == 1
    assert [call.text for call in code.calls] == ["http.Session"]
    assert code.calls[0].target == ImportRef(Imported("requests"), ("Session",))


def test_a_module_that_calls_nothing_has_no_module_code():
    assert [fn.qualname for fn in _model("import os\n\ndef f():\n    return os.sep\n").functions] == ["f"]


def test_functions_methods_and_nested_functions(orders):
    assert [fn.qualname for fn in orders.functions] == [
        "Repository.__init__", "Repository.cursor", "Repository.load", "Repository.helper", "Repository.save",
        "fetch", "fetch.parse", "<module>",
    ]
    cursor, load, helper = (_function(orders, f"Repository.{name}") for name in ("cursor", "load", "helper"))
    assert cursor.is_property and cursor.returns == ReturnOf(SelfAttr("conn"), "cursor")
    assert load.decorators == ("functools.lru_cache",) and load.is_memoized
    assert all(call.once for call in load.calls)
    assert helper.decorators == ("staticmethod",)
    assert helper.params == ("x", "rest", "flag", "options")
    fetch = _function(orders, "fetch")
    assert fetch.is_async and fetch.cls is None and _function(orders, "Repository.save").cls == "Repository"
    assert fetch.returns is None  # `dict` is a builtin, not a class the model follows
    assert (fetch.line, fetch.col, fetch.end_line, fetch.end_col) == (43, 0, 52, 31)
    assert _function(orders, "fetch.parse").calls[0].target == AnyMethod("loads")  # `json` was never imported


def test_calls_targets_positions_and_flags(orders):
    fetch = _function(orders, "fetch")
    to_thread, partial, get, parse = fetch.calls
    assert to_thread.target == ImportRef(Imported("asyncio"), ("to_thread",)) and to_thread.awaited
    assert partial.target == ImportRef(Imported("functools"), ("partial",))
    assert partial.argument_of == 0 and not partial.awaited  # handed to to_thread(...)
    assert get.target == MethodOf(NewOf(ImportRef(Imported("requests"), ("Session",))), "get")
    assert (get.line, get.col, get.end_line, get.end_col) == (45, 15, 47, 5)
    assert get.text == "client.get" and get.has_args
    assert parse.target == LocalFunctionRef("fetch.parse") and parse.text == "parse"
    save = _function(orders, "Repository.save")
    assert [call.target for call in save.calls] == [SuperMethod("save"), BuiltinRef("super"), SelfMethod("load")]
    assert [call.target for call in _function(orders, "Repository.helper").calls] == [
        ImportRef(Imported("os"), ("path", "exists"))
    ]


def test_types_flow_through_assignments_and_annotations():
    module = _model('''
        from pathlib import Path
        from .clients import make_client

        def read(base: Path, name):
            folder = base / "data"
            client = make_client()
            with open(folder / name) as handle:
                return handle.read(), client.fetch(), (folder / "x").exists()
    ''')
    fn = module.functions[0]
    targets = {call.text: call.target for call in fn.calls}
    path = NewOf(ImportRef(Imported("pathlib.Path")))
    assert targets["handle.read"] == MethodOf(NewOf(BuiltinRef("open")), "read")
    assert targets["client.fetch"] == MethodOf(NewOf(ImportRef(Imported("clients.make_client", level=1))), "fetch")
    assert targets["(folder / 'x').exists"] == MethodOf(path, "exists")  # as ast.unparse writes it
    assert ValueOf not in {type(t) for t in targets.values()}


def test_run_once_guards_and_polled_receivers():
    module = _model('''
        import socket
        from .config import load, reload

        _settings = None

        def settings():
            global _settings
            if _settings is None:
                _settings = load()
            return _settings, reload()

        async def pump(loop):
            sock = socket.socket()
            sock.setblocking(False)
            await loop.sock_recv(sock, 1024)
            try:
                sock.recv(1)
            except BlockingIOError:
                pass
    ''')
    settings, pump = module.functions
    assert [(call.text, call.once) for call in settings.calls] == [("load", True), ("reload", False)]
    assert pump.polled == ("1024", "sock")


def test_code_the_model_leaves_out():
    module = _model('''
        for name in names:
            def in_a_loop(): pass

        class Outer:
            class Inner:
                def method(self): pass
            if DEBUG:
                def debug(self): pass

        def factory():
            class Local:
                def method(self): pass
            return Local
    ''')
    assert [fn.qualname for fn in module.functions] == ["factory"]
    assert module.classes["Outer"].methods == ()


@pytest.mark.parametrize("path", [
    *sorted((ROOT / "gapaudit" / "python").glob("[!_]*.py")),
    *sorted((FIXTURES / "blocking" / "svc").rglob("[!_]*.py")),
], ids=lambda p: p.name)
def test_json_round_trip_on_real_files(path):
    module = model_of(ast.parse(path.read_text()), path.name)
    assert module.functions
    assert codec.decode(json.loads(json.dumps(codec.encode(module)))) == module


def test_names_and_paths_that_look_like_the_codec_s_own_round_trip():
    module = _model("""
        import ast
        from gettext import gettext as _

        def hello(source):
            return _("hello"), ast.Module(body=[]), ast.Call
    """)
    call = module.functions[0].calls[1]
    assert call.target == ImportRef(Imported("ast"), ("Module",))
    assert codec.decode(json.loads(json.dumps(codec.encode(module)))) == module


def test_encoding_leaves_out_trailing_defaults_only():
    """A fact is its class name, then its fields up to the last one that is not its default: a
    default between two set fields is written, the ones after the last set field are not."""
    target = ModuleRef(("time", "sleep"))
    short = Call(target, 3, 4, 3, 16, "time.sleep", True)
    assert codec.encode(short) == ["Call", ["ModuleRef", ["time", "sleep"]], 3, 4, 3, 16, "time.sleep", True]
    awaited = dataclasses.replace(short, awaited=True)
    assert codec.encode(awaited) == ["Call", ["ModuleRef", ["time", "sleep"]], 3, 4, 3, 16, "time.sleep", True,
                                     False, True]
    assert codec.decode(codec.encode(awaited)) == awaited


def test_decoding_checks_each_fact_s_fields_and_fills_its_defaults():
    module = _model("""
        import time

        def wait():
            time.sleep(1)
    """)
    call = codec.encode(module.functions[0].calls[0])
    assert call[0] == "Call" and len(call) == 8  # `once` holds its default: left out
    decoded = codec.decode(call)
    assert decoded == module.functions[0].calls[0] and decoded.once is False
    with pytest.raises(AttributeError):  # decoded facts are as frozen as built ones
        decoded.line = 2
    with pytest.raises(codec.DecodeError, match="fields, expected at most"):
        codec.decode([*call, *[None] * len(dataclasses.fields(Call))])
    with pytest.raises(codec.DecodeError, match="no 'has_args'"):
        codec.decode(call[:-1])
