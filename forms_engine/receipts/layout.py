"""Answers as printed rows: (definition document, answers) -> ordered ``Row(depth, label, value_text)``.

Order: the steps of ``x-procedure.steps``; inside a step, the order of ``properties`` as moved by
``x-order`` (see ``_order_key``). Each step opens with a heading row (depth 0); answers sit at
depth 1 and deeper. A heading row has ``value_text`` None (a step, a nested group, an array item).
Without steps there are no step headings. Answers that no step holds, and answers the definition
does not describe, come last under 「その他の項目」 so that nothing given is left off the receipt.
Properties declared only in conditional branches (then/else, dependentSchemas, oneOf/anyOf) print
only when answered.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple
from urllib.parse import unquote

from forms_engine.definitions.sensitivity import is_sensitive
from forms_engine.japanese.wareki import display_iso_date, format_jst

__all__ = ["MASKED", "OTHER_HEADING", "UNANSWERED", "Row", "Words", "build_rows"]

UNANSWERED = "未入力"
MASKED = "********（非表示）"
OTHER_HEADING = "その他の項目"
YES, NO = "はい", "いいえ"
LIST_SEPARATOR = "、"

_NAME_KEYS = frozenset({"family", "given"})
_ADDRESS_KEYS = frozenset({"postal_code", "prefecture", "city", "street", "building"})

Schema = Mapping[str, Any]


class Words(NamedTuple):
    """The layout's own words (the receipt is Japanese; the resident's English confirmation page passes its own)."""

    unanswered: str = UNANSWERED
    yes: str = YES
    no: str = NO
    list_separator: str = LIST_SEPARATOR
    other_heading: str = OTHER_HEADING


class Row(NamedTuple):
    depth: int
    label: str
    value_text: str | None  # None: a heading


def build_rows(
    definition: Schema,
    answers: Mapping[str, Any] | None,
    *,
    mask_sensitive: bool = False,
    attachment_names: Mapping[str, str] | None = None,
    words: Words | None = None,
) -> list[Row]:
    """The rows of a receipt. ``attachment_names`` maps attachment ids to file names for `file` answers."""
    return _Builder(definition, mask_sensitive, attachment_names or {}, words or Words()).top(answers or {})


def _order_key(schema: Schema, index: int) -> tuple[int, int, int]:
    """``x-order`` counts on the same scale as the position in ``properties`` (0, 1, 2, …): a property
    without it keeps its position; on a tie the property that states ``x-order`` comes first."""
    order = schema.get("x-order")
    if isinstance(order, int) and not isinstance(order, bool):
        return order, 0, index
    return index, 1, index


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, Mapping):
        return all(_is_empty(item) for item in value.values())
    if isinstance(value, list | tuple):
        return len(value) == 0
    return False


class _Builder:
    def __init__(self, root: Schema, mask: bool, attachment_names: Mapping[str, str], words: Words) -> None:
        self.root = root
        self.mask = mask
        self.attachment_names = attachment_names
        self.words = words

    # -- schemas ---------------------------------------------------------------------------------

    def resolve(self, schema: Any) -> Schema:
        """Follow local ``$ref``s; keywords beside a ``$ref`` win over the target's (2020-12)."""
        if not isinstance(schema, Mapping):
            return {}
        seen: set[str] = set()
        result: Schema = schema
        while isinstance(result.get("$ref"), str):
            ref = result["$ref"]
            target = None if ref in seen else self._target(ref)
            seen.add(ref)
            siblings = {key: value for key, value in result.items() if key != "$ref"}
            if not isinstance(target, Mapping):
                return siblings
            result = {**target, **siblings}
        return result

    def _target(self, ref: str) -> Any:
        if not ref.startswith("#"):
            return None  # only local references: a definition is one self-contained document
        fragment = unquote(ref[1:])
        if not fragment.startswith("/"):
            return self._anchor(self.root, fragment) if fragment else self.root
        node: Any = self.root
        for token in fragment[1:].split("/"):
            token = token.replace("~1", "/").replace("~0", "~")
            if isinstance(node, Mapping) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                return None
        return node

    def _anchor(self, node: Any, name: str) -> Any:
        if isinstance(node, Mapping):
            if node.get("$anchor") == name:
                return node
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            return None
        for child in children:
            found = self._anchor(child, name)
            if found is not None:
                return found
        return None

    def properties(self, schema: Schema) -> list[tuple[str, Schema, bool]]:
        """(name, schema, declared) in display order; ``declared`` False for conditional ones."""
        found: dict[str, tuple[Schema, bool, int]] = {}
        self._collect(schema, True, found, set())
        ordered = sorted(found.items(), key=lambda item: (not item[1][1], _order_key(item[1][0], item[1][2])))
        return [(name, sub, declared) for name, (sub, declared, _) in ordered]

    def _collect(self, raw: Any, declared: bool, found: dict[str, tuple[Schema, bool, int]], seen: set[int]) -> None:
        if id(raw) in seen:  # a branch that refers back to its parent
            return
        seen.add(id(raw))
        schema = self.resolve(raw)
        props = schema.get("properties")
        if isinstance(props, Mapping):
            for name, sub in props.items():
                sub = self.resolve(sub)
                if name in found:
                    old, old_declared, index = found[name]
                    found[name] = ({**sub, **old}, old_declared or declared, index)
                else:
                    found[name] = (sub, declared, len(found))
        for keyword, always in (("allOf", True), ("anyOf", False), ("oneOf", False)):
            branches = schema.get(keyword)
            if isinstance(branches, list):
                for branch in branches:
                    self._collect(branch, declared and always, found, seen)
        for keyword in ("then", "else"):
            if keyword in schema:
                self._collect(schema[keyword], False, found, seen)
        dependent = schema.get("dependentSchemas")
        if isinstance(dependent, Mapping):
            for branch in dependent.values():
                self._collect(branch, False, found, seen)

    # -- rows ------------------------------------------------------------------------------------

    def top(self, answers: Mapping[str, Any]) -> list[Row]:
        rows: list[Row] = []
        props = self.properties(self.resolve(self.root))
        procedure = self.root.get("x-procedure")
        steps = procedure.get("steps") if isinstance(procedure, Mapping) else None
        placed: set[str] = set()
        if isinstance(steps, list) and steps:
            for step in steps:
                if not isinstance(step, Mapping):
                    continue
                members = set(step.get("properties") or ())
                chosen = [prop for prop in props if prop[0] in members and prop[0] not in placed]
                title = str(step.get("title") or step.get("id") or "")
                rows.append(Row(0, title, None))
                # A step that holds one group named like the step: its fields, without a second heading.
                lone = len(chosen) == 1 and str(chosen[0][1].get("title") or chosen[0][0]) == title
                self._fields(rows, 1, chosen, answers, False, flatten=lone)
                placed.update(name for name, _, _ in chosen)
            rest = [prop for prop in props if prop[0] not in placed]
            other_rows: list[Row] = []
            self._fields(other_rows, 1, rest, answers, False, skip_unanswered=True)
            self._extras(other_rows, 1, {name for name, _, _ in props}, answers, False)
            if other_rows:
                rows.append(Row(0, self.words.other_heading, None))
                rows.extend(other_rows)
        else:
            self._fields(rows, 1, props, answers, False)
            self._extras(rows, 1, {name for name, _, _ in props}, answers, False)
        return rows

    def _fields(
        self,
        rows: list[Row],
        depth: int,
        props: Sequence[tuple[str, Schema, bool]],
        values: Mapping[str, Any],
        sensitive: bool,
        skip_unanswered: bool = False,
        flatten: bool = False,
    ) -> None:
        for name, schema, declared in props:
            value = values.get(name)
            if (not declared or skip_unanswered) and _is_empty(value):
                continue
            self.value(rows, depth, str(schema.get("title") or name), schema, value, sensitive, flatten)

    def _extras(self, rows: list[Row], depth: int, known: set[str], values: Mapping[str, Any], sensitive: bool) -> None:
        for name, value in values.items():
            if name not in known and not _is_empty(value):
                self.value(rows, depth, str(name), {}, value, sensitive)

    def value(
        self, rows: list[Row], depth: int, label: str, schema: Any, value: Any, sensitive: bool, flatten: bool = False
    ) -> None:
        """Rows for one answer; ``flatten``: a group's fields at ``depth`` without its own heading."""
        schema = self.resolve(schema)
        sensitive = sensitive or is_sensitive([schema])
        if _is_empty(value):
            rows.append(Row(depth, label, self.words.unanswered))
        elif sensitive and self.mask:
            rows.append(Row(depth, label, MASKED))
        elif isinstance(value, Mapping):
            compact = self.compact_object(schema, value)
            if compact is not None:
                rows.append(Row(depth, label, compact))
            elif flatten:
                self.object_fields(rows, depth, schema, value, sensitive)
            else:
                rows.append(Row(depth, label, None))
                self.object_fields(rows, depth + 1, schema, value, sensitive)
        elif isinstance(value, list | tuple):
            self.array(rows, depth, label, schema, list(value), sensitive)
        else:
            rows.append(Row(depth, label, self.scalar(schema, value)))

    def object_fields(self, rows: list[Row], depth: int, schema: Schema, value: Mapping[str, Any], sensitive: bool) -> None:
        props = self.properties(schema)
        self._fields(rows, depth, props, value, sensitive)
        self._extras(rows, depth, {name for name, _, _ in props}, value, sensitive)

    def array(self, rows: list[Row], depth: int, label: str, schema: Schema, items: list[Any], sensitive: bool) -> None:
        raw_items = schema.get("items")
        item_schema = self.resolve(raw_items if isinstance(raw_items, Mapping) else {})
        if not any(isinstance(item, Mapping) for item in items):
            texts = [self.scalar(item_schema, item) for item in items if not _is_empty(item)]
            rows.append(Row(depth, label, self.words.list_separator.join(texts) or self.words.unanswered))
            return
        item_title = str(item_schema.get("title") or "")
        if item_title and item_title != label:
            rows.append(Row(depth, label, None))
            depth += 1
        for number, item in enumerate(items, start=1):
            self.value(rows, depth, f"{item_title or label} {number}", item_schema, item, sensitive)

    def compact_object(self, schema: Schema, value: Mapping[str, Any]) -> str | None:
        """One line for 氏名 ``{family, given}`` and 住所 ``{postal_code, …}``; None for other objects."""
        keys = set(value)
        properties = schema.get("properties")
        declared: Mapping[str, Any] = properties if isinstance(properties, Mapping) else {}
        if self.mask and any(is_sensitive([self.resolve(sub)]) for sub in declared.values()):
            return None
        widget = schema.get("x-widget")
        if keys <= _NAME_KEYS and (widget in ("name", "furigana") or (declared and set(declared) <= _NAME_KEYS)):
            parts = [self.text(value.get(key)) for key in ("family", "given")]
            return " ".join(part for part in parts if part)
        if keys <= _ADDRESS_KEYS and (widget == "address" or (declared and set(declared) <= _ADDRESS_KEYS)):
            postal = self.text(value.get("postal_code"))
            place = "".join(self.text(value.get(key)) for key in ("prefecture", "city", "street"))
            parts = [f"〒{postal}" if postal else "", place, self.text(value.get("building"))]
            return " ".join(part for part in parts if part)
        return None

    @staticmethod
    def text(value: Any) -> str:
        return "" if value is None else str(value).strip()

    def scalar(self, schema: Schema, value: Any) -> str:
        if _is_empty(value):
            return self.words.unanswered
        title = self.choice_title(schema, value)
        if title is not None:
            return title
        if isinstance(value, bool):
            return self.words.yes if value else self.words.no
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            return str(int(value)) if math.isfinite(value) and value.is_integer() else repr(value)
        if isinstance(value, str):
            return self.string(schema, value)
        return json.dumps(value, ensure_ascii=False, sort_keys=True)

    def string(self, schema: Schema, value: str) -> str:
        fmt = schema.get("format")
        if fmt == "date" or schema.get("x-widget") in ("date", "wareki-date"):
            return display_iso_date(value)
        if fmt == "date-time":
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return value
            return format_jst(moment) if moment.tzinfo is not None else value
        if schema.get("x-widget") == "file" or "x-accept" in schema:
            name = self.attachment_names.get(value)
            return f"{name}（添付書類を参照）" if name else f"添付ファイル（ID {value}）"
        return value

    def choice_title(self, schema: Schema, value: Any) -> str | None:
        for keyword in ("oneOf", "anyOf"):
            branches = schema.get(keyword)
            if not isinstance(branches, list):
                continue
            for branch in branches:
                branch = self.resolve(branch)
                if "const" in branch and _same(branch["const"], value):
                    return str(branch.get("title") or self.scalar({}, value))
        return None


def _same(left: Any, right: Any) -> bool:
    """JSON equality: ``True`` is not ``1``, but ``1`` is ``1.0``."""
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    return bool(left == right)
