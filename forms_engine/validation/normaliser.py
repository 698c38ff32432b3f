"""Normalising answers: every value of a known format rewritten to the form it is stored in.

The walk follows the schema as it always has: at each subschema first its `$ref` target and in-place
applicators (allOf, anyOf, oneOf, then, else, dependentSchemas, whether they apply or not), then a string
gets the normaliser of the subschema's own `format`; objects go down `properties`, arrays down
`prefixItems` / `items` / `additionalItems`; at most 64 subschemas deep. What it needs of each subschema
(the `$ref` resolved, the normaliser looked up) is worked out once per definition, and a part of the
answers under which no format has anything to normalise is given back as it is, not walked.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from referencing._core import Resolver
from referencing.exceptions import Unresolvable

from forms_engine.validation.formats import FormatRegistry, identity

IN_PLACE = ("allOf", "anyOf", "oneOf", "then", "else", "dependentSchemas")
MAX_DEPTH = 64


def in_place(schema: dict[str, Any], resolver: Resolver[Any]) -> Iterator[Any]:
    """The subschemas that apply to the same value as `schema`: its `$ref` target, then its applicators'."""
    if isinstance(schema.get("$ref"), str):
        with contextlib.suppress(Unresolvable):
            yield resolver.lookup(schema["$ref"]).contents
    for key in IN_PLACE:
        sub = schema.get(key)
        if isinstance(sub, list):
            yield from sub
        elif isinstance(sub, dict):
            yield from (sub.values() if key == "dependentSchemas" else [sub])


def item_schema(schema: dict[str, Any], index: int) -> Any:
    """The subschema of the array item at `index`."""
    prefix = schema.get("prefixItems")
    if isinstance(prefix, list) and index < len(prefix):
        return prefix[index]
    items = schema.get("items")
    if isinstance(items, list):  # draft-07 tuple
        return items[index] if index < len(items) else schema.get("additionalItems")
    return items


class _Node:
    """What normalising needs of one subschema (a dict)."""

    __slots__ = ("additional", "fixed", "items", "normalise", "prefix", "props", "schema", "subs", "work", "working")

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self.subs: tuple[_Node | None, ...] = ()
        self.normalise: Callable[[str], str] | None = None
        self.props: dict[str, _Node | None] | None = None
        self.prefix: tuple[_Node | None, ...] | None = None  # prefixItems
        self.fixed: tuple[_Node | None, ...] | None = None  # draft-07 items as a list
        self.items: _Node | None = None
        self.additional: _Node | None = None
        self.work = False  # some format below (or here) has a normaliser
        self.working: dict[str, _Node] | None = None  # the `props` that have work, when there are `props`

    def children(self) -> Iterator[_Node]:
        for group in (self.subs, self.prefix or (), self.fixed or (), (self.props or {}).values(),
                      (self.items, self.additional)):
            yield from (n for n in group if n is not None)

    def item(self, index: int) -> _Node | None:
        if self.prefix is not None and index < len(self.prefix):
            return self.prefix[index]
        if self.fixed is not None:
            return self.fixed[index] if index < len(self.fixed) else self.additional
        return self.items


class Normaliser:
    """The normalisation of one definition's answers (`document` resolved with `resolver`)."""

    def __init__(self, document: Any, resolver: Resolver[Any], formats: FormatRegistry) -> None:
        self._resolver = resolver
        self._formats = formats
        self._nodes: dict[int, _Node] = {}
        self._root = self._node(document)
        self._mark_work()

    def __call__(self, answers: Any) -> Any:
        """The answers with every value of a known format normalised (see AnswerValidator.normalise)."""
        return _run(self._root, answers, 0)

    def _node(self, schema: Any) -> _Node | None:
        if not isinstance(schema, dict):
            return None
        known = self._nodes.get(id(schema))
        if known is not None:
            return known
        node = self._nodes[id(schema)] = _Node(schema)  # registered first: schemas may refer to themselves
        node.subs = tuple(self._node(s) for s in in_place(schema, self._resolver))
        fmt = schema.get("format")
        entry = self._formats.get(fmt) if isinstance(fmt, str) else None
        if entry is not None and entry.normalise is not identity:
            node.normalise = entry.normalise
        props = schema.get("properties")
        if isinstance(props, dict):
            node.props = {k: self._node(v) for k, v in props.items()}
        prefix, items = schema.get("prefixItems"), schema.get("items")
        if isinstance(prefix, list):
            node.prefix = tuple(self._node(s) for s in prefix)
        if isinstance(items, list):
            node.fixed = tuple(self._node(s) for s in items)
            node.additional = self._node(schema.get("additionalItems"))
        else:
            node.items = self._node(items)
        return node

    def _mark_work(self) -> None:
        """`work` for every node that has a normaliser or reaches one (schemas may be recursive)."""
        parents: dict[int, list[_Node]] = {}
        for node in self._nodes.values():
            for child in node.children():
                parents.setdefault(id(child), []).append(node)
        pending = [n for n in self._nodes.values() if n.normalise is not None]
        for node in pending:
            node.work = True
        while pending:
            node = pending.pop()
            for parent in parents.get(id(node), []):
                if not parent.work:
                    parent.work = True
                    pending.append(parent)
        for node in self._nodes.values():
            if node.props is not None:
                node.working = {k: n for k, n in node.props.items() if n is not None and n.work}


def _run(node: _Node | None, value: Any, depth: int) -> Any:
    if node is None or not node.work or depth > MAX_DEPTH:
        return value
    for sub in node.subs:
        value = _run(sub, value, depth + 1)
    if isinstance(value, str):
        return node.normalise(value) if node.normalise is not None else value
    if isinstance(value, dict):
        props = node.working
        if props is not None:
            value = {k: _run(props[k], v, depth + 1) if k in props else v for k, v in value.items()}  # a copy
        return value
    if isinstance(value, list):
        return [_run(node.item(i), v, depth + 1) for i, v in enumerate(value)]
    return value
