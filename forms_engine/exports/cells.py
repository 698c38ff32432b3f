"""The CSV cells of one definition version, compiled once: a plan mirroring the column tree turns a row's
answers into its cells with no walk of the schema, no path lookups per column, and no per-row masking walk.

The plan gives exactly what `columns.lookup` / `columns.text` / the masked prefix of `masking` give column by
column (`compile_cells` checks its column order against the layout's); a value whose shape the columns do not
describe (an object or a list where a leaf was expected, while masking by column) raises `Unusual`, and the
writer then takes that one row through the general path. An array holding more items than its columns allow
raises `Overflow`. Also here: the JST time of a stored UTC moment, cached by the hour, and the JSON answers
read with orjson (a float of 2**63 or more in a cell may have been an integer orjson could not hold: `Unusual`,
and the general path reads that row's answers with `json.loads`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from forms_engine.exports import columns as cols

JST = ZoneInfo("Asia/Tokyo")
RISKY_FIRST = frozenset(("=", "+", "-", "@", "\t", "\r"))
_LEAF, _MASKED, _NESTED = 0, 1, 2
_HOURS = 20_000  # cached UTC hours (about two years and a quarter of filings) before the cache starts over
_INEXACT = float(2**63)  # orjson reads a larger integer as a float

Emit = Callable[[Any, list[str]], None]


class Unusual(Exception):
    """A value whose shape the columns do not describe: the row is written by the general path."""


class Overflow(Exception):
    """An array holds more items than its columns allow."""


def parse_answers(text: str) -> Any:
    """The stored JSON answers, fast: as `json.loads` reads them, except that an integer beyond 64 bits comes
    back as a float (of magnitude 2**63 or more, which the cells refuse as `Unusual`). What orjson refuses
    and Python's json accepts (NaN, huge exponents) is read by `json.loads`."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def exact_answers(text: str) -> Any:
    """The stored JSON answers exactly as `json.loads` reads them (integers of any size)."""
    return json.loads(text)


class JstClock:
    """``YYYY-MM-DD HH:MM:SS`` in JST of a stored UTC moment ``YYYY-MM-DD HH:MM:SS[.ffffff]``. Zone offsets
    are looked up once per UTC hour: where the offset is whole hours and the same for the whole hour, the
    minutes and seconds are the UTC ones and only the hour's text is cached."""

    def __init__(self, zone: ZoneInfo = JST) -> None:
        self.zone = zone
        self._hours: dict[str, str] = {}

    def __call__(self, utc: str) -> str:
        hour = self._hours.get(utc[:13])
        if hour is not None:
            return hour + utc[13:19]
        moment = datetime.fromisoformat(utc).replace(tzinfo=UTC).astimezone(self.zone)
        start = moment.replace(minute=0, second=0, microsecond=0)
        offset, later = start.utcoffset(), (start + timedelta(seconds=3599.999999)).astimezone(self.zone).utcoffset()
        if offset is not None and offset == later and offset.total_seconds() % 3600 == 0 \
                and utc[13:14] == utc[16:17] == ":" and len(utc) >= 19:
            if len(self._hours) >= _HOURS:
                self._hours.clear()
            self._hours[utc[:13]] = moment.strftime("%Y-%m-%d %H")
        return moment.strftime("%Y-%m-%d %H:%M:%S")


def compile_cells(tree: cols.Node, counts: Mapping[cols.Path, int], hidden: Callable[[cols.Path], bool],
                  by_column: bool, mask: str, expected: list[cols.Path]) -> Emit:
    """``emit(answers, out)`` appends the cells of ``expected`` (the layout's column paths, in order) to ``out``.
    ``hidden(place)``: the schema place (``[]`` for array items) is a sensitive answer, shown as ``mask``."""
    paths: list[cols.Path] = []

    def other(value: Any) -> str:
        if (by_column and isinstance(value, (dict, list))) or (value.__class__ is float and abs(value) >= _INEXACT):
            raise Unusual
        cell = cols.text(value)
        return "'" + cell if cell[:1] in RISKY_FIRST else cell

    def build(node: cols.Node, path: cols.Path, shape: cols.Path) -> tuple[int, Emit, int]:
        """(kind, emit, number of columns) of this node."""
        start = len(paths)
        if hidden(shape):
            _walk_paths(node, counts, path, shape, paths)
            width = len(paths) - start
            shown, blank = [mask] * width, [""] * width
            return _MASKED, lambda value, out: out.extend(blank if value is None else shown), width
        if node.kind == "object":
            parts = [(key, *build(child, (*path, key), (*shape, key))) for key, child in node.children.items()]
            blanks = [""] * (len(paths) - start)
            plan = [(key, kind, emit) for key, kind, emit, _ in parts]
            if any(kind == _MASKED for _, kind, _ in plan):
                masked = {key: ([mask] * width, [""] * width) for key, kind, _, width in parts if kind == _MASKED}
            else:
                masked = {}

            def emit_object(value: Any, out: list[str]) -> None:
                if value.__class__ is not dict:
                    out.extend(blanks)
                    return
                get = value.get
                for key, kind, emit in plan:
                    found = get(key)
                    if kind == _LEAF:
                        if found is None:
                            out.append("")
                        elif found.__class__ is str:
                            out.append("'" + found if found[:1] in RISKY_FIRST else found)
                        else:
                            out.append(other(found))
                    elif kind == _MASKED:
                        out.extend(masked[key][0] if found is not None else masked[key][1])
                    else:
                        emit(found, out)

            return _NESTED, emit_object, len(blanks)
        if node.kind == "array" and node.item is not None:
            allowed = counts.get(shape, 0)
            items = [build(node.item, (*path, index), (*shape, "[]"))[1] for index in range(allowed)]
            blanks = [""] * (len(paths) - start)

            def emit_array(value: Any, out: list[str]) -> None:
                if isinstance(value, list) and len(value) > allowed:
                    raise Overflow
                if value.__class__ is not list:
                    out.extend(blanks)
                    return
                length = len(value)
                for index, emit in enumerate(items):
                    emit(value[index] if index < length else None, out)

            return _NESTED, emit_array, len(blanks)
        paths.append(path)

        def emit_leaf(value: Any, out: list[str]) -> None:
            if value is None:
                out.append("")
            elif value.__class__ is str:
                out.append("'" + value if value[:1] in RISKY_FIRST else value)
            else:
                out.append(other(value))

        return _LEAF, emit_leaf, 1

    emit = build(tree, (), ())[1]
    if paths != expected:
        raise RuntimeError("the compiled CSV cells do not follow the layout's columns")
    return emit


def _walk_paths(node: cols.Node, counts: Mapping[cols.Path, int], path: cols.Path, shape: cols.Path,
                into: list[cols.Path]) -> None:
    """The column paths under ``node`` in layout order (as `columns.layout` walks them)."""
    if node.kind == "object":
        for key, child in node.children.items():
            _walk_paths(child, counts, (*path, key), (*shape, key), into)
    elif node.kind == "array" and node.item is not None:
        for index in range(counts.get(shape, 0)):
            _walk_paths(node.item, counts, (*path, index), (*shape, "[]"), into)
    else:
        into.append(path)
