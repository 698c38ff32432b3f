"""The CSV columns of a procedure: one per leaf field of its definition version(s), titles joined with 「・」,
arrays flattened to numbered columns (「子ども1・氏名」) up to the largest count present.

A field's schema is read with its local ``$ref`` and ``allOf``/``anyOf``/``oneOf``/``then``/``else``/
``dependentSchemas`` branches merged, so conditional fields get columns too. Values are written as stored
(a choice's stored value, not its title; ``true``/``false`` for booleans); a value whose shape the
definition does not describe is written as compact JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

JOIN = "・"
_BRANCHES = ("allOf", "anyOf", "oneOf", "then", "else")
_MAX_DEPTH = 16
Path = tuple[str | int, ...]


@dataclass
class Node:
    key: str
    title: str
    kind: Literal["leaf", "object", "array"] = "leaf"
    children: dict[str, Node] = field(default_factory=dict)
    item: Node | None = None


@dataclass(frozen=True)
class Column:
    header: str
    path: Path


@dataclass(frozen=True)
class Layout:
    """The columns, and every array instance with the count its columns allow (checked on each row)."""

    columns: list[Column]
    arrays: list[tuple[Path, int]]


def _parts(root: Mapping[str, Any], schema: Any) -> list[Mapping[str, Any]]:
    out: list[Mapping[str, Any]] = []
    todo, seen = [schema], set()
    while todo and len(out) < 256:
        part = todo.pop(0)
        if not isinstance(part, Mapping) or id(part) in seen:
            continue
        seen.add(id(part))
        out.append(part)
        ref = part.get("$ref")
        if isinstance(ref, str) and ref.startswith("#"):
            target: Any = root
            for token in [t for t in ref[1:].split("/") if t]:
                token = token.replace("~1", "/").replace("~0", "~")
                target = target.get(token) if isinstance(target, Mapping) else None
            todo.append(target)
        for keyword in _BRANCHES:
            branch = part.get(keyword)
            todo.extend(branch if isinstance(branch, list) else [branch])
        dependent = part.get("dependentSchemas")
        if isinstance(dependent, Mapping):
            todo.extend(dependent.values())
    return out


def _title(parts: list[Mapping[str, Any]], key: str) -> str:
    for part in parts:
        if isinstance(part.get("title"), str) and part["title"].strip():
            return str(part["title"]).strip()
    return key


def _node(root: Mapping[str, Any], key: str, schema: Any, depth: int) -> Node:
    parts = _parts(root, schema)
    node = Node(key, _title(parts, key))
    if depth > _MAX_DEPTH:
        return node
    properties = [p["properties"] for p in parts if isinstance(p.get("properties"), Mapping)]
    items = [p["items"] for p in parts if isinstance(p.get("items"), Mapping)]
    if properties:
        node.kind = "object"
        for found in properties:
            for child_key, child in found.items():
                if child_key not in node.children:
                    node.children[child_key] = _node(root, child_key, child, depth + 1)
                else:
                    _merge(node.children[child_key], _node(root, child_key, child, depth + 1))
    elif items or any(p.get("type") == "array" for p in parts):
        node.kind = "array"
        node.item = _node(root, "", items[0] if items else {}, depth + 1)
    return node


def _merge(into: Node, other: Node) -> None:
    """Fields of an older version (or another branch) that the first one seen lacks."""
    if into.kind == "object" and other.kind == "object":
        for key, child in other.children.items():
            if key in into.children:
                _merge(into.children[key], child)
            else:
                into.children[key] = child
    elif into.kind == "array" and other.kind == "array" and into.item and other.item:
        _merge(into.item, other.item)


def tree(documents: list[Mapping[str, Any]]) -> Node:
    """The fields of these definitions (newest first: its titles and order win)."""
    root = Node("", "", "object")
    for document in documents:
        _merge(root, _node(document, "", document, 0))
    return root


def has_arrays(node: Node) -> bool:
    return node.kind == "array" or any(has_arrays(c) for c in node.children.values())


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def scan(node: Node, value: Any, counts: dict[Path, int], check: Callable[[str, str], None] | None,
         titles: tuple[str, ...] = (), shape: Path = (), hidden: frozenset[Path] = frozenset()) -> None:
    """One pass over one row's answers: the largest count of each array (by its place in the schema), and
    ``check(header, text)`` for every value that gets a column. Below a ``hidden`` (masked) place nothing is
    checked and a masked array gets one column, whatever its length."""
    if shape in hidden:
        if node.kind == "array" and value is not None:
            counts[shape] = max(counts.get(shape, 0), 1)
        return
    if node.kind == "object":
        if isinstance(value, dict):
            for key, child in node.children.items():
                if value.get(key) is not None:
                    scan(child, value[key], counts, check, (*titles, child.title), (*shape, key), hidden)
        elif check is not None and value is not None:
            check(JOIN.join(titles), text(value))
    elif node.kind == "array" and node.item is not None:
        if isinstance(value, list):
            counts[shape] = max(counts.get(shape, 0), len(value))
            for index, item in enumerate(value):
                numbered = (*titles[:-1], f"{titles[-1] if titles else ''}{index + 1}")
                scan(node.item, item, counts, check, numbered, (*shape, "[]"), hidden)
        elif check is not None and value is not None:
            check(JOIN.join(titles), text(value))
    elif check is not None:
        check(JOIN.join(titles), text(value))


def layout(node: Node, counts: Mapping[Path, int]) -> Layout:
    columns: list[Column] = []
    arrays: list[tuple[Path, int]] = []

    def walk(current: Node, titles: tuple[str, ...], path: Path, shape: Path) -> None:
        if current.kind == "object":
            for key, child in current.children.items():
                walk(child, (*titles, child.title), (*path, key), (*shape, key))
        elif current.kind == "array" and current.item is not None:
            count = counts.get(shape, 0)
            arrays.append((path, count))
            for index in range(count):
                numbered = (*titles[:-1], f"{titles[-1] if titles else ''}{index + 1}")
                walk(current.item, numbered, (*path, index), (*shape, "[]"))
        else:
            columns.append(Column(JOIN.join(titles), path))

    walk(node, (), (), ())
    return Layout(columns, arrays)


def lookup(answers: Any, path: Path) -> Any:
    value = answers
    for step in path:
        if step.__class__ is int:
            value = value[step] if value.__class__ is list and step < len(value) else None
        else:
            value = value.get(step) if value.__class__ is dict else None
        if value is None:
            return None
    return value


def overflow(answers: Any, arrays: list[tuple[Path, int]]) -> Iterator[Path]:
    """Arrays longer than their columns allow (a row filed after the counts were taken)."""
    for path, allowed in arrays:
        found = lookup(answers, path)
        if isinstance(found, list) and len(found) > allowed:
            yield path
