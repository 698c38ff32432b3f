"""Masking by column, for the CSV writer of staff without the ``sensitive`` role and of the CLI.

Whether an answer is sensitive depends only on where it sits, never on what it says
(`definitions.sensitivity`, the one rule). So instead of walking every submission beside its schema, the
places are found once per definition version: `sensitive_pointers` is asked about a probe that holds a
value at every field of the column tree (one item per array), and each pointer it gives becomes a schema
place (array indices as ``[]``). A cell under such a place shows ``MASK`` when it holds a value. A value whose
shape the columns do not describe (an object where a leaf was expected) is masked through
`staff.service.mask_sensitive` for its row instead, so nothing sensitive can slip through a gap here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from forms_engine.definitions.sensitivity import sensitive_pointers
from forms_engine.exports.columns import Node, Path

ARRAY = "[]"
MASK = "●●●●"
"""What a masked cell shows: `staff.service.MASK`, repeated here so that a CSV export need not import the staff
service (tests/exports/test_lean_imports.py checks that the two agree)."""


def _probe(node: Node) -> Any:
    if node.kind == "object":
        return {key: _probe(child) for key, child in node.children.items()}
    if node.kind == "array" and node.item is not None:
        return [_probe(node.item)]
    return "x"


def _place(probe: Any, pointer: str) -> Path:
    out: list[str | int] = []
    node = probe
    for raw in pointer.split("/")[1:] if pointer else []:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            out.append(ARRAY)
            node = node[int(token)]
        else:
            out.append(token)
            node = node[token] if isinstance(node, Mapping) else None
    return tuple(out)


def hidden_places(document: Mapping[str, Any], tree: Node) -> frozenset[Path]:
    """The schema places (keys, ``[]`` for array items) of the sensitive answers of this definition."""
    probe = _probe(tree)
    return frozenset(_place(probe, pointer) for pointer in sensitive_pointers(document, probe))


def place_of(path: Path) -> Path:
    return tuple(ARRAY if isinstance(step, int) else step for step in path)


def hidden_prefix(path: Path, hidden: frozenset[Path]) -> int | None:
    """How many steps of ``path`` lead to the sensitive answer it lies in (0: the answers whole); None if none."""
    if not hidden:
        return None
    place = place_of(path)
    for length in range(len(place) + 1):
        if place[:length] in hidden:
            return length
    return None
