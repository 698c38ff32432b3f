"""Which answers are sensitive (特定個人情報 and the like): the one rule, and where such answers sit.

A schema is sensitive when it says ``x-sensitive: true``, or when its ``format`` is ``jp-my-number`` and it
does not say ``x-sensitive: false`` (a マイナンバー is 特定個人情報 by law: sensitive unless the definition opts
out explicitly). Everything under a sensitive schema is sensitive too. Sensitive answers are encrypted at
rest (`submissions.protection`), masked for staff without the ``sensitive`` role and on the resident's 控え,
and never logged.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["SENSITIVE_FORMATS", "SchemaParts", "escape_token", "is_sensitive", "replace_at", "sensitive_pointers", "value_at"]

SENSITIVE_FORMATS = frozenset({"jp-my-number"})
"""Formats sensitive by default (``x-sensitive: false`` on the field turns it off)."""

MAX_DEPTH = 64
"""Answers nested deeper than this are treated as sensitive whole (no legitimate procedure goes so deep)."""
_MAX_PARTS = 256
_BRANCHES = ("allOf", "anyOf", "oneOf", "then", "else")


def is_sensitive(parts: Iterable[Any]) -> bool:
    """The rule, over every schema that describes one answer (a property with its ``$ref`` target,
    ``allOf`` members…): an explicit ``x-sensitive: true`` anywhere wins, then an explicit ``false``,
    then a sensitive ``format``."""
    schemas = [part for part in parts if isinstance(part, Mapping)]
    flags = [schema["x-sensitive"] for schema in schemas if "x-sensitive" in schema]
    if any(flag is True for flag in flags):
        return True
    if any(flag is False for flag in flags):
        return False
    return any(schema.get("format") in SENSITIVE_FORMATS for schema in schemas)


def escape_token(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def sensitive_pointers(document: Mapping[str, Any], answers: Any) -> list[str]:
    """JSON pointers (RFC 6901) of the outermost sensitive answers that hold a value (``None`` is no value).

    Answers are walked beside their schema: local ``$ref``s and every ``allOf``/``anyOf``/``oneOf``/``then``/
    ``else``/``dependentSchemas`` branch, whichever applies, so the verdict depends only on where an answer
    sits, never on what it says. The walk stops at a sensitive answer: the same pointers come out of the
    answers as typed and of the answers with their sensitive values encrypted."""
    if not _marks_anything(document):
        return []
    walker = _Walker(document)
    walker.walk([document], answers, "", 0)
    return walker.found


_MARKED: dict[int, tuple[Any, bool]] = {}
_MAX_MARKED = 256


def _marks_anything(document: Any) -> bool:
    """Whether any object in the document says ``x-sensitive: true`` or has a sensitive ``format``: without one,
    no answer can be sensitive and the walk is skipped. Worked out once per document (held while kept)."""
    found = _MARKED.get(id(document))
    if found is not None and found[0] is document:
        return found[1]
    marked = False
    todo = [document]
    while todo and not marked:
        node = todo.pop()
        if isinstance(node, Mapping):
            fmt = node.get("format")
            marked = node.get("x-sensitive") is True or (isinstance(fmt, str) and fmt in SENSITIVE_FORMATS)
            todo.extend(node.values())
        elif isinstance(node, list):
            todo.extend(node)
    if len(_MARKED) >= _MAX_MARKED:
        _MARKED.clear()
    _MARKED[id(document)] = (document, marked)
    return marked


def _tokens(pointer: str) -> list[str]:
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]] if pointer else []


def value_at(answers: Any, pointer: str) -> Any:
    """The answer at ``pointer`` (one that `sensitive_pointers` gave for these answers)."""
    node = answers
    for token in _tokens(pointer):
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def replace_at(answers: Any, pointers: Iterable[str], change: Callable[[str, Any], Any]) -> Any:
    """A copy of ``answers`` where the value at each pointer is ``change(pointer, value)`` (``answers`` itself
    when there is no pointer). The pointers must not lie one inside another (`sensitive_pointers`' never do)."""
    chosen = list(pointers)
    if not chosen:
        return answers
    out = copy.deepcopy(answers)
    for pointer in chosen:
        tokens = _tokens(pointer)
        if not tokens:
            return change(pointer, out)
        parent = out
        for token in tokens[:-1]:
            parent = parent[int(token)] if isinstance(parent, list) else parent[token]
        key: int | str = int(tokens[-1]) if isinstance(parent, list) else tokens[-1]
        parent[key] = change(pointer, parent[key])
    return out


class SchemaParts:
    """Every schema that describes one answer: the schemas given, their local ``$ref`` targets and in-place
    branches (``allOf``/``anyOf``/``oneOf``/``then``/``else``, and with ``dependents`` the ``dependentSchemas``),
    in the order the document declares them, each once, at most 256."""

    def __init__(self, document: Mapping[str, Any], *, dependents: bool) -> None:
        self.root = document
        self.dependents = dependents

    def target(self, ref: str) -> Any:
        if not ref.startswith("#/") and ref != "#":
            return None
        node: Any = self.root
        for token in ref[2:].split("/") if ref != "#" else []:
            token = token.replace("~1", "/").replace("~0", "~")
            node = node.get(token) if isinstance(node, Mapping) else None
        return node

    def __call__(self, schemas: list[Any]) -> list[Mapping[str, Any]]:
        out: list[Mapping[str, Any]] = []
        todo = list(schemas)
        seen: set[int] = set()
        while todo and len(out) < _MAX_PARTS:
            schema = todo.pop(0)
            if not isinstance(schema, Mapping) or id(schema) in seen:
                continue
            seen.add(id(schema))
            out.append(schema)
            if isinstance(schema.get("$ref"), str):
                todo.append(self.target(schema["$ref"]))
            for keyword in _BRANCHES:
                branch = schema.get(keyword)
                todo.extend(branch if isinstance(branch, list) else [branch])
            for keyword in ("dependentSchemas", "dependencies") if self.dependents else ():
                found = schema.get(keyword)
                if isinstance(found, Mapping):
                    todo.extend(found.values())
        return out


class _Walker:
    def __init__(self, document: Mapping[str, Any]) -> None:
        self.parts = SchemaParts(document, dependents=True)  # any branch that may apply counts
        self.found: list[str] = []

    def walk(self, schemas: list[Any], value: Any, pointer: str, depth: int) -> None:
        parts = self.parts(schemas)
        if depth > MAX_DEPTH or is_sensitive(parts):
            if value is not None:
                self.found.append(pointer)
            return
        if isinstance(value, Mapping):
            for key, child in value.items():
                below = [p["properties"].get(key) for p in parts if isinstance(p.get("properties"), Mapping)]
                below += [p.get("additionalProperties") for p in parts]
                self.walk(below, child, f"{pointer}/{escape_token(key)}", depth + 1)
        elif isinstance(value, list):
            for index, child in enumerate(value):
                below = [p.get("items") for p in parts]
                below += [p["prefixItems"][index] for p in parts
                          if isinstance(p.get("prefixItems"), list) and index < len(p["prefixItems"])]
                below += [p["items"][index] for p in parts if isinstance(p.get("items"), list) and index < len(p["items"])]
                self.walk(below, child, f"{pointer}/{index}", depth + 1)
