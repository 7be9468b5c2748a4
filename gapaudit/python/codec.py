"""Frozen dataclasses to JSON and back, for facts that travel between processes and the cache.

A dataclass becomes an object tagged with its class name (`"_": "Call"`), tuples and lists become
JSON arrays (and come back as tuples: facts are immutable), dicts keep string keys (a dict that
has the tag as a key, such as the names of a module that binds `_`, is written as tagged pairs).
Only classes registered with `@codec.register` can be decoded, so a cache entry cannot name
arbitrary code.
"""

from __future__ import annotations

import dataclasses
import gc
from contextlib import contextmanager
from typing import Any, Callable, Iterator, TypeVar

T = TypeVar("T")

_TAG = "_"
_PAIRS = "{}"  # the tag of a dict written as [key, value] pairs: no class has this name
_SCALARS = frozenset({str, int, float, bool, type(None)})  # written as they are
_CLASSES: dict[str, type] = {}
_FIELDS: dict[type, tuple[tuple[str, Any], ...]] = {}  # (name, default or _MISSING), in order
_MISSING = object()
_set = object.__setattr__


class DecodeError(ValueError):
    """Data that is not what `encode` writes: a corrupt or foreign cache entry."""


def register(cls: type[T]) -> type[T]:
    """Make a dataclass decodable; its name must be unique among registered classes. Facts are
    plain data: decoding fills their fields without calling `__init__`, so no `__post_init__`."""
    name = cls.__name__
    if name in _CLASSES and _CLASSES[name] is not cls:
        raise TypeError(f"two fact classes named {name}")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"fact class {name} has a __post_init__ that decoding would not run")
    _CLASSES[name] = cls
    _FIELDS[cls] = tuple((f.name, _MISSING if f.default is dataclasses.MISSING else f.default)
                         for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    return cls


def encode(value: Any) -> Any:
    """JSON-compatible data for a fact (a registered dataclass, or containers and scalars of them)."""
    cls = value.__class__
    if cls in _SCALARS:
        return value
    fields = _FIELDS.get(cls)
    if fields is not None:
        out = {_TAG: cls.__name__}
        for name, default in fields:
            item = getattr(value, name)
            if default is _MISSING or item != default:  # defaults stay implicit: smaller shards
                out[name] = item if item.__class__ in _SCALARS else encode(item)
        return out
    if isinstance(value, (list, tuple)):
        return [item if item.__class__ in _SCALARS else encode(item) for item in value]
    if isinstance(value, dict):
        if _TAG in value:
            return {_TAG: _PAIRS, "pairs": [[str(key), encode(item)] for key, item in value.items()]}
        return {str(key): encode(item) for key, item in value.items()}
    if isinstance(value, (frozenset, set)):
        return sorted(value)
    return value


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


def decode(data: Any) -> Any:
    """The inverse of `encode`; raises DecodeError on anything `encode` would not have written."""
    with paused_gc():
        return _decode(data)


def _decode(data: Any) -> Any:
    cls = data.__class__
    if cls is list:
        return tuple([item if item.__class__ in _SCALARS else _decode(item) for item in data])
    if cls is not dict:
        return data
    tag = data.get(_TAG)
    if tag is None:
        return {key: _decode(item) for key, item in data.items()}
    if tag == _PAIRS:
        pairs = data.get("pairs")
        if not isinstance(pairs, list) or not all(isinstance(pair, list) and len(pair) == 2 for pair in pairs):
            raise DecodeError("malformed pairs")
        return {key: _decode(item) for key, item in pairs}
    fact_class = _CLASSES.get(tag) if isinstance(tag, str) else None
    if fact_class is None:
        raise DecodeError(f"unknown fact class {tag!r}")
    # filled in like pickle fills frozen dataclasses: their __init__ would cost a third more
    fact = object.__new__(fact_class)
    found = 1  # the tag
    for name, default in _FIELDS[fact_class]:
        item = data.get(name, _MISSING)
        if item is _MISSING:
            if default is _MISSING:
                raise DecodeError(f"{tag}: no {name!r}")
            item = default
        else:
            found += 1
            if item.__class__ not in _SCALARS:
                item = _decode(item)
        _set(fact, name, item)
    if found != len(data):
        raise DecodeError(f"{tag}: unknown fields {sorted(set(data) - {_TAG, *dict(_FIELDS[fact_class])})}")
    return fact


def dataclass_codec(cls: type[T]) -> tuple[Callable[[T], Any], Callable[[Any], T]]:
    """(encode, decode) for an analyzer whose facts are one registered dataclass."""

    def decode_one(data: Any) -> T:
        value = decode(data)
        if not isinstance(value, cls):
            raise DecodeError(f"expected {cls.__name__}")
        return value

    return encode, decode_one
