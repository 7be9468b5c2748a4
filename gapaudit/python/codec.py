"""Frozen dataclasses to JSON and back, for facts that travel between processes and the cache.

A dataclass becomes a JSON array: its class name, then its fields in declaration order, the
trailing ones that hold their default left out (`["Call", target, 12, 4, ...]`: no field names,
so the facts of a large project pickle, cache and parse at about half the size). Tuples and
lists become arrays too and come back as tuples (facts are immutable); one whose first item is
a string that names a fact class (`("Module",)`, the attribute path of `ast.Module`) is written
escaped, as `["()", [items]]`. Dicts keep string keys. Only classes registered with
`@codec.register` are built on decoding, so a cache entry cannot name arbitrary code.
"""

from __future__ import annotations

import dataclasses
import gc
from contextlib import contextmanager
from typing import Any, Callable, Iterator, TypeVar

T = TypeVar("T")

_ESCAPED = "()"  # the head of an escaped tuple; no class has this name
_SCALARS = frozenset({str, int, float, bool, type(None)})  # written as they are
_CLASSES: dict[str, type] = {}
_FIELDS: dict[type, tuple[tuple[str, Any], ...]] = {}  # (name, default or _MISSING), in order
_MISSING = object()


class DecodeError(ValueError):
    """Data that is not what `encode` writes: a corrupt or foreign cache entry."""


def register(cls: type[T]) -> type[T]:
    """Make a dataclass decodable; its name must be unique among registered classes. Facts are
    plain data with slots: decoding fills their slots without calling `__init__`, so no
    `__post_init__`."""
    name = cls.__name__
    if name in _CLASSES and _CLASSES[name] is not cls:
        raise TypeError(f"two fact classes named {name}")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"fact class {name} has a __post_init__ that decoding would not run")
    if "__slots__" not in cls.__dict__:
        raise TypeError(f"fact class {name} needs slots=True: decoding fills its slots")
    _CLASSES[name] = cls
    _FIELDS[cls] = tuple((f.name, _MISSING if f.default is dataclasses.MISSING else f.default)
                         for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    return cls


def encode(value: Any) -> Any:
    """JSON-compatible data for a fact (a registered dataclass, or containers and scalars of them)."""
    cls = value.__class__
    if cls in _SCALARS:
        return value
    if cls is tuple or cls is list:  # most containers, first: no fact, no set to sort
        source = value
    else:
        encoder = _ENCODERS.get(cls)
        if encoder is None and cls in _FIELDS:
            encoder = _ENCODERS[cls] = _encoder(cls)
        if encoder is not None:
            return encoder(value)
        if isinstance(value, (frozenset, set)):
            source = sorted(value)
        elif isinstance(value, (list, tuple)):
            source = value
        elif isinstance(value, dict):
            return {str(key): encode(item) for key, item in value.items()}
        else:
            return value
    items = [item if item.__class__ in _SCALARS else encode(item) for item in source]
    if items and items[0].__class__ is str and (items[0] in _CLASSES or items[0] == _ESCAPED):
        return [_ESCAPED, items]
    return items


@contextmanager
def paused_gc() -> Iterator[None]:
    """A block that makes many objects and no reference cycles (decoding facts, linking them):
    the cyclic garbage collector would only re-scan every fact already in memory, again and
    again; what the block drops is freed by reference counting anyway."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def is_fact(value: Any) -> bool:
    """Is this an instance of a registered fact class (what `decode` makes of a tagged array)?"""
    return type(value) in _FIELDS


def decode(data: Any) -> Any:
    """The inverse of `encode`; raises DecodeError on a fact with missing or extra fields."""
    with paused_gc():
        return _decode(data)


def _decode(data: Any) -> Any:
    cls = data.__class__
    if cls is dict:
        return {key: item if item.__class__ in _SCALARS else _decode(item) for key, item in data.items()}
    if cls is not list:
        return data
    if data:
        head = data[0]
        if head.__class__ is str:
            builder = _BUILDERS.get(head)
            if builder is None and head in _CLASSES:
                builder = _BUILDERS[head] = _builder(_CLASSES[head])
            if builder is not None:
                return builder(data)
            if head == _ESCAPED and len(data) == 2 and data[1].__class__ is list:
                data = data[1]
    return tuple([item if item.__class__ in _SCALARS else _decode(item) for item in data])


_BUILDERS: dict[str, Callable[[list[Any]], Any]] = {}  # class name -> its decoder, made on first use
_ENCODERS: dict[type, Callable[[Any], list[Any]]] = {}  # class -> its encoder, made on first use


def _encoder(cls: type) -> Callable[[Any], list[Any]]:
    """An encoder written for one class, as `_builder` writes decoders: each field read by name,
    then one test per trailing field that has a default, innermost first kept shortest (defaults
    stay implicit: smaller shards). A loop over the fields took half of a cold link's encoding.
    Names come from the class definition, never from data."""
    fields = _FIELDS[cls]
    count = len(fields)
    scope: dict[str, Any] = {"encode": encode, "scalars": _SCALARS, "name": cls.__name__}
    lines = ["def encode_fact(value):", *(f"    v{n} = value.{field}" for n, (field, _) in enumerate(fields))]
    end = count
    while end and fields[end - 1][1] is not _MISSING:
        end -= 1
        scope[f"d{end}"] = fields[end][1]
    depth = count - end

    def kept(number: int) -> str:
        return "return [name" + "".join(f", v{n} if v{n}.__class__ in scalars else encode(v{n})"
                                        for n in range(number)) + "]"

    for level in range(depth):  # the last field first: `if v9 == d9:`, then `if v8 == d8:` inside
        lines.append("    " * (level + 1) + f"if v{count - 1 - level} == d{count - 1 - level}:")
    lines.append("    " * (depth + 1) + kept(end))
    for level in range(depth - 1, -1, -1):
        lines.append("    " * (level + 1) + kept(count - level))
    exec(compile("\n".join(lines), f"<encoder of {cls.__name__}>", "exec"), scope)
    return scope["encode_fact"]  # type: ignore[no-any-return]


def _builder(cls: type) -> Callable[[list[Any]], Any]:
    """A decoder written for one class, fields unrolled: facts are filled in like pickle fills
    frozen dataclasses, through their slots' descriptors (neither `__init__` nor the frozen
    `__setattr__`), which makes decoding the cache 2-3 times faster than a loop over the fields.
    The generated code holds no text from the data: names come from the class definition."""
    name = cls.__name__
    fields = _FIELDS[cls]
    scope: dict[str, Any] = {"new": object.__new__, "cls": cls, "DecodeError": DecodeError, "scalars": _SCALARS,
                             "decode": _decode, "len": len}
    lines = ["def build(data):", "    count = len(data)", f"    if count > {len(fields) + 1}:",
             f"        raise DecodeError(f'{name}: {{count - 1}} fields, expected at most {len(fields)}')",
             "    fact = new(cls)"]
    for position, (field, default) in enumerate(fields, 1):
        scope[f"set{position}"] = getattr(cls, field).__set__  # the slot's member descriptor
        lines += [f"    if count > {position}:", f"        item = data[{position}]",
                  "        if item.__class__ not in scalars:", "            item = decode(item)", "    else:"]
        if default is _MISSING:
            lines.append(f"        raise DecodeError({name + ': no ' + repr(field)!r})")
        else:
            scope[f"default{position}"] = default
            lines.append(f"        item = default{position}")
        lines.append(f"    set{position}(fact, item)")
    lines.append("    return fact")
    exec(compile("\n".join(lines), f"<decoder of {name}>", "exec"), scope)
    return scope["build"]


def dataclass_codec(cls: type[T]) -> tuple[Callable[[T], Any], Callable[[Any], T]]:
    """(encode, decode) for an analyzer whose facts are one registered dataclass."""

    def decode_one(data: Any) -> T:
        value = decode(data)
        if not isinstance(value, cls):
            raise DecodeError(f"expected {cls.__name__}")
        return value

    return encode, decode_one
