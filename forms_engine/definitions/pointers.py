"""JSON pointers (RFC 6901) and a walk over every subschema of a definition."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any


def escape(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def to_pointer(path: Iterable[str | int]) -> str:
    return "".join("/" + escape(p) for p in path)


def join(pointer: str, *tokens: str | int) -> str:
    return pointer + "".join("/" + escape(t) for t in tokens)


# keyword -> how its value holds subschemas
_SCHEMA = ("not", "if", "then", "else", "contains", "additionalProperties", "propertyNames",
           "unevaluatedItems", "unevaluatedProperties", "additionalItems")
_SCHEMA_LIST = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_MAP = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")


def subschemas(schema: Any, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema object inside `schema` (itself first), with its pointer; $ref is not followed."""
    if not isinstance(schema, dict):
        return
    yield pointer, schema
    for key in _SCHEMA:
        if key in schema:
            yield from subschemas(schema[key], join(pointer, key))
    for key in _SCHEMA_LIST:
        if isinstance(schema.get(key), list):
            for i, sub in enumerate(schema[key]):
                yield from subschemas(sub, join(pointer, key, i))
    for key in _SCHEMA_MAP:
        if isinstance(schema.get(key), dict):
            for name, sub in schema[key].items():
                yield from subschemas(sub, join(pointer, key, name))
    items = schema.get("items")
    if isinstance(items, list):  # draft-07 tuple form
        for i, sub in enumerate(items):
            yield from subschemas(sub, join(pointer, "items", i))
    elif items is not None:
        yield from subschemas(items, join(pointer, "items"))
    deps = schema.get("dependencies")  # draft-07: schema or list of names
    if isinstance(deps, dict):
        for name, sub in deps.items():
            if isinstance(sub, dict):
                yield from subschemas(sub, join(pointer, "dependencies", name))
