"""From posted form fields back to answers, the 追加/削除 buttons, and the inverse (answers to fields).

Types come from the schema: a number is parsed when it parses (after NFKC, so full-width digits
work), otherwise the text is kept so validation reports a type error and the page shows what was
typed. Empty inputs leave the answer out. List items keep their index (`@length` says how many items
the page showed), empty items become `{}` (objects) or `null`.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from forms_engine.definitions.schemas import Definition
from forms_engine.rendering import schema_nav as sn
from forms_engine.rendering.dates import join_date
from forms_engine.rendering.defaults import new_item
from forms_engine.rendering.schema_nav import Part, nav_for
from forms_engine.rendering.views import (
    ROOT_NAME,
    FieldView,
    FormView,
    option_value,
    parse_pointer,
    pointer_of,
    split_name,
)

_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
_MINUS = str.maketrans({"−": "-", "‐": "-", "ー": "-", "－": "-"})
_DATE_PARTS = ("year", "month", "day", "era")


def to_number(text: str, *, integer: bool) -> int | float | None:
    cleaned = unicodedata.normalize("NFKC", text).strip().translate(_MINUS)
    if _GROUPED.fullmatch(cleaned):
        cleaned = cleaned.replace(",", "")
    if _INTEGER.fullmatch(cleaned):
        return int(cleaned)
    if not integer and _DECIMAL.fullmatch(cleaned):
        number = float(cleaned)
        return number if number == number and abs(number) != float("inf") else None
    return None


def convert(text: str, parts: list[Part]) -> Any:
    """One typed value in the type the schema asks for, or the text as typed when it is not one."""
    for choice, _ in sn.choices(parts) or []:
        if option_value(choice) == text:
            return choice
    kinds = sn.types(parts, union=True)
    if kinds & {"integer", "number"}:
        number = to_number(text, integer="number" not in kinds)
        if number is not None:
            return number
    if "boolean" in kinds and text in ("true", "false"):
        return text == "true"
    return text


class _Parser:
    def __init__(self, definition: Definition) -> None:
        self.nav = nav_for(definition)
        self._cache: dict[tuple[Any, ...], list[Part]] = {}

    def parts(self, path: list[str | int]) -> list[Part]:
        key = tuple(path)
        if key not in self._cache:
            self._cache[key] = self.nav.loose_at(path)
        return self._cache[key]

    def strict(self, path: list[str | int]) -> list[Part]:
        """The parts that describe `path` whatever the other answers are (no conditional branch)."""
        key = ("strict", *path)
        if key not in self._cache:
            parts = self.nav.flatten([self.nav.root])
            for token in path:
                parts = self.nav.child_parts(parts, token)
            self._cache[key] = parts
        return self._cache[key]

    def typed_path(self, pointer: str) -> list[str | int]:
        path: list[str | int] = []
        for token in parse_pointer(pointer):
            is_list = "array" in sn.types(self.parts(path), union=True)
            path.append(int(token) if is_list and token.isdigit() else token)
        return path

    def is_object(self, path: list[str | int]) -> bool:
        kinds = sn.types(self.parts(path), union=True)
        return "object" in kinds and "null" not in kinds

    def required_here(self, path: list[str | int]) -> bool:
        """Whether the parent asks for this answer whatever else is answered (its own `required`)."""
        if not path:
            return True
        if isinstance(path[-1], int):
            return True
        return path[-1] in sn.required(self.strict(path[:-1]))

    def parse(self, items: Iterable[tuple[str, str]]) -> Any:
        values: dict[str, list[str]] = {}
        dates: dict[str, dict[str, str]] = {}
        lengths: dict[str, int] = {}
        for name, raw in items:
            if name.startswith("_") or not isinstance(raw, str):
                continue
            pointer, suffix = split_name(name)
            if suffix in _DATE_PARTS:
                dates.setdefault(pointer, {})[suffix] = raw
            elif suffix == "length":
                lengths[pointer] = int(raw) if raw.isdigit() else 0
            elif suffix is None:
                values.setdefault(pointer, []).append(raw)
        root: dict[str, Any] = {"": MISSING_ROOT}
        for pointer, n in sorted(lengths.items(), key=lambda kv: len(kv[0])):
            path = self.typed_path(pointer)
            for i in range(min(n, 500)):
                self.put(root, [*path, i], None, placeholder=True)
        for pointer, parts in dates.items():
            joined = join_date(parts.get("year", ""), parts.get("month", ""), parts.get("day", ""), parts.get("era"))
            if joined is not None:
                self.put(root, self.typed_path(pointer), joined)
        for pointer, texts in values.items():
            path = self.typed_path(pointer)
            kinds = sn.types(self.parts(path), union=True)
            filled = [t for t in texts if t.strip()]
            if "array" in kinds and sn.choices(self.nav.child_parts(self.parts(path), 0)) is not None:
                if filled:
                    item_parts = self.nav.flatten(self.nav.child_parts(self.parts(path), 0), loose=True)
                    self.put(root, path, [convert(t, item_parts) for t in filled])
            elif filled:
                self.put(root, path, convert(filled[-1], self.parts(path)))
            elif "null" in kinds and self.required_here(path):
                self.put(root, path, None)
        answers = root[""]
        if answers is MISSING_ROOT:
            answers = {} if self.is_object([]) else None
        self.implicit(answers, [])
        return self.prune(answers, [])

    def put(self, root: dict[str, Any], path: list[str | int], value: Any, *, placeholder: bool = False) -> None:
        container: Any = root
        key: str | int = ""
        for depth, token in enumerate(path):
            current = container[key]
            if current is MISSING_ROOT or current is None or not isinstance(current, dict | list):
                current = [] if isinstance(token, int) else {}
                container[key] = current
            if isinstance(token, int):
                if not isinstance(current, list):
                    return
                while len(current) <= token:
                    current.append(self.empty_item([*path[:depth], len(current)]))
            elif not isinstance(current, dict):
                return
            elif token not in current:
                current[token] = MISSING_ROOT
            container, key = current, token
        if placeholder:
            if container[key] is MISSING_ROOT:
                container[key] = self.empty_item(path)
        else:
            container[key] = value

    def empty_item(self, path: list[str | int]) -> Any:
        return {} if self.is_object(path) else None

    def implicit(self, value: Any, path: list[str | int]) -> None:
        """Values shown as text are answered implicitly: `const` (without a widget) and `readOnly` defaults."""
        if isinstance(value, list):
            for i, item in enumerate(value):
                self.implicit(item, [*path, i])
            return
        if not isinstance(value, dict):
            return
        declared = sn.properties(self.strict(path))
        for name, subs in declared.items():
            parts = self.nav.flatten(subs)
            if name not in value and sn.first(parts, "x-widget") is None:
                consts = [p.schema["const"] for p in parts if "const" in p.schema]
                if consts:
                    value[name] = copy.deepcopy(consts[0])
                elif sn.first(parts, "readOnly") is True and sn.first(parts, "default") is not None:
                    value[name] = copy.deepcopy(sn.first(parts, "default"))
        for name, child in value.items():
            self.implicit(child, [*path, name])

    def prune(self, value: Any, path: list[str | int]) -> Any:
        """Drop what was never filled in: empty optional objects and unanswered keys."""
        if isinstance(value, list):
            return [self.prune(v, [*path, i]) for i, v in enumerate(value)]
        if not isinstance(value, dict):
            return value
        out: dict[str, Any] = {}
        for name, child in value.items():
            if child is MISSING_ROOT:
                continue
            pruned = self.prune(child, [*path, name])
            if pruned == {} and not self.required_here([*path, name]):
                continue
            out[name] = pruned
        return out


MISSING_ROOT: Any = type("Unset", (), {"__repr__": lambda self: "UNSET"})()


def parse_form(definition: Definition, form_items: Iterable[tuple[str, str]]) -> Any:
    """The answers a posted form carries (form fields named by JSON pointer, see views.py)."""
    return _Parser(definition).parse(form_items)


def parse_choices(form_items: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Which set of fields the resident picked for each `oneOf`/`anyOf` of objects (`…@choice`)."""
    picked: dict[str, int] = {}
    for name, value in form_items:
        _, suffix = split_name(name)
        if suffix is not None and suffix.startswith("choice") and isinstance(value, str) and value.isdigit():
            picked[name] = int(value)
    return picked


def apply_action(definition: Definition, answers: Any, choices: Mapping[str, int],
                 action: str) -> tuple[Any, dict[str, int], str | None]:
    """「追加」 (`add:/list`), 「削除」 (`remove:/list/1`) or a refresh after choosing (`refresh:/contact`):
    the answers and choices after it, and the pointer it changed (None when the action does not apply)."""
    verb, _, pointer = action.partition(":")
    if verb == "refresh":  # show the fields of what was just chosen, nothing else changes
        return answers, dict(choices), pointer
    nav = nav_for(definition)
    answers = copy.deepcopy(answers)
    new_choices = dict(choices)
    tokens = parse_pointer(pointer)
    if verb == "remove" and tokens and tokens[-1].isdigit():
        list_pointer, index = pointer_of(list(tokens[:-1])), int(tokens[-1])
        target = _at(answers, tokens[:-1])
        if isinstance(target, list) and 0 <= index < len(target):
            del target[index]
            new_choices = _shift_choices(choices, list_pointer, index)
            return answers, new_choices, list_pointer
        return answers, new_choices, None
    if verb == "add":
        parts = nav.flatten([nav.root])
        path: list[str | int] = []
        for token in tokens:
            key: str | int = int(token) if "array" in sn.types(parts, union=True) and token.isdigit() else token
            parts = nav.child_parts(parts, key)
            path.append(key)
        maximum = sn.first(parts, "maxItems")
        if not tokens and not isinstance(answers, list):
            answers = []
        holder = _ensure(answers, path) if tokens else answers
        if isinstance(holder, list) and (not isinstance(maximum, int) or len(holder) < maximum):
            item_parts = nav.child_parts(parts, len(holder))
            if item_parts:
                holder.append(new_item(nav, item_parts))
                return answers, new_choices, pointer
    return answers, new_choices, None


def _at(value: Any, tokens: list[str]) -> Any:
    for token in tokens:
        if isinstance(value, list) and token.isdigit() and int(token) < len(value):
            value = value[int(token)]
        elif isinstance(value, dict) and token in value:
            value = value[token]
        else:
            return None
    return value


def _ensure(answers: Any, path: list[str | int]) -> Any:
    holder = answers
    for depth, token in enumerate(path):
        last = depth == len(path) - 1
        if isinstance(holder, dict) and isinstance(token, str):
            if not isinstance(holder.get(token), dict | list):
                holder[token] = [] if last else {}
            holder = holder[token]
        elif isinstance(holder, list) and isinstance(token, int) and token < len(holder):
            if holder[token] is None:
                holder[token] = [] if last else {}
            holder = holder[token]
        else:
            return None
    return holder


def _shift_choices(choices: Mapping[str, int], list_pointer: str, removed: int) -> dict[str, int]:
    out: dict[str, int] = {}
    prefix = list_pointer + "/"
    for name, value in choices.items():
        if name.startswith(prefix):
            head, _, rest = name[len(prefix):].partition("/")
            index_text = head.split("@")[0]
            if index_text.isdigit():
                index = int(index_text)
                if index == removed:
                    continue
                if index > removed:
                    name = prefix + str(index - 1) + head[len(index_text):] + ("/" + rest if rest else "")
        out[name] = value
    return out


# -- the inverse: answers to the fields a browser would post ------------------------------------
def form_items(view: FormView) -> list[tuple[str, str]]:
    """The (name, value) pairs the page's controls hold (what a browser posts back, files aside)."""
    out: list[tuple[str, str]] = []
    for section in view.sections:
        for field in section.fields:
            _items(field, out)
    return out


def _items(f: FieldView, out: list[tuple[str, str]]) -> None:
    if f.widget in ("date", "wareki-date"):
        keys = ("era", "year", "month", "day") if f.widget == "wareki-date" else ("year", "month", "day")
        out.extend((f"{f.name}@{k}", f.parts.get(k, "")) for k in keys)
    elif f.options:
        out.extend((f.name, o.value) for o in f.options if o.selected)
    elif f.widget == "array":
        out.append((f"{f.name}@length", str(f.item_count or 0)))
    elif not f.group and f.widget != "readonly":
        out.append((f.name, f.value))
    for child in f.children:
        _items(child, out)


__all__ = ["ROOT_NAME", "apply_action", "convert", "form_items", "parse_choices", "parse_form", "to_number"]
