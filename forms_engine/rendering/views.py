"""View-models of a form page, and how ids and input names derive from JSON pointers.

Names are JSON pointers (RFC 6901) of the answer: `/children/0/name/family`; the root answer of a
non-object schema is named `$`. A part of an answer carries a suffix after `@`: `/birth_date@year`,
`@month`, `@day`, `@era` (和暦), `/children@length` (how many items the page shows) and
`/contact@choice` (which set of fields the resident picked; `@choice1`… for further sets). Checkboxes repeat their name.

Ids are `f` followed by `-<token>` per pointer token, every character outside `[A-Za-z0-9_]` written
as `_<hex>_`: `/owner_name/family` -> `f-owner_name-family`. Since escaped tokens never contain `-`,
suffixes after `--` cannot collide with a field's id: `f-sex--0` (an option), `f-birth_date--year`,
`f-children--add`, `f-x--hint`, `f-x--error`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

ROOT_NAME = "$"
MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING"})()
"""An answer not given (distinct from `null`)."""
SUFFIXES = ("year", "month", "day", "era", "length", "choice")
_SUFFIX = re.compile(r"year|month|day|era|length|choice\d*")
_ID_SAFE = re.compile(r"[A-Za-z0-9_]")


@lru_cache(maxsize=4096, typed=True)  # the same few property names on every page
def escape_token(token: str | int) -> str:
    text = str(token)
    if not text:
        return "_"
    return "".join(c if _ID_SAFE.fullmatch(c) else f"_{ord(c):x}_" for c in text)


def field_id(path: list[str | int]) -> str:
    return "f" + "".join("-" + escape_token(t) for t in path)


def pointer_of(path: list[str | int]) -> str:
    return "".join("/" + str(t).replace("~", "~0").replace("/", "~1") for t in path)


def parse_pointer(pointer: str) -> list[str]:
    if not pointer:
        return []
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]


def name_of(pointer: str) -> str:
    return pointer or ROOT_NAME


def pointer_of_name(name: str) -> str:
    return "" if name == ROOT_NAME else name


def split_name(name: str) -> tuple[str, str | None]:
    """`/birth_date@year` -> (`/birth_date`, `year`); a name without a known suffix -> (name, None)."""
    base, at, suffix = name.rpartition("@")
    if at and _SUFFIX.fullmatch(suffix) and (base == ROOT_NAME or base.startswith("/")):
        return pointer_of_name(base), suffix
    return pointer_of_name(name), None


def option_value(value: Any) -> str:
    """How a choice travels in a form: strings as they are, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


@dataclass
class Option:
    id: str
    value: str
    label: str
    selected: bool = False


@dataclass
class FieldView:
    """One question on the page: a control, or a group (fieldset) of them."""

    pointer: str
    id: str
    name: str
    widget: str
    macro: str
    group: bool
    label: str
    required: bool | None = None  # None: no ※必須/※任意 marker (list items, structure)
    hint: str | None = None
    errors: list[str] = field(default_factory=list)
    value: str = ""
    parts: dict[str, str] = field(default_factory=dict)  # date parts
    options: list[Option] = field(default_factory=list)
    children: list[FieldView] = field(default_factory=list)
    input_type: str = "text"
    inputmode: str | None = None
    autocomplete: str | None = None  # the token offered to the browser's autofill (None: no attribute)
    purpose: str | None = None  # what the control is for, kept when `x-autocomplete: off` withholds the token
    spellcheck: bool | None = None
    css: str = ""
    accept: str | None = None
    upload: dict[str, Any] | None = None  # the file already uploaded for this field
    add_action: str | None = None
    remove_action: str | None = None
    item_count: int | None = None  # arrays: how many items the page shows (posted back as @length)
    key: str | int | None = None  # the property name or item index this field answers
    notice: str | None = None  # a status message shown with the widget (after 「住所を自動入力」)

    @property
    def error(self) -> str:
        return " ".join(self.errors)

    @property
    def hint_id(self) -> str:
        return f"{self.id}--hint"

    @property
    def error_id(self) -> str:
        return f"{self.id}--error"

    @property
    def describedby(self) -> str | None:
        ids = ([self.error_id] if self.errors else []) + ([self.hint_id] if self.hint else [])
        return " ".join(ids) or None

    @property
    def invalid(self) -> bool:
        return bool(self.errors)

    def part_autocomplete(self, part: str) -> str | None:
        """The token of one box of a date (`bday` -> `bday-month`); none on a 和暦 year, which is not the
        Western year that `bday-year` means (nor on the 元号)."""
        if not self.autocomplete or self.autocomplete == "off":
            return self.autocomplete
        if part not in ("year", "month", "day") or (part == "year" and self.widget == "wareki-date"):
            return None
        return f"{self.autocomplete}-{part}"

    @property
    def focus_id(self) -> str | None:
        """The id of the first control of this field (where an error summary link goes)."""
        if self.widget == "readonly":
            return None
        if self.widget in ("date", "wareki-date"):
            return f"{self.id}--era" if self.widget == "wareki-date" else f"{self.id}--year"
        if self.options and self.widget not in ("select",):
            return self.options[0].id
        if self.group:
            for child in self.children:
                target = child.focus_id
                if target is not None:
                    return target
            return f"{self.id}--add" if self.add_action else None
        return self.id

    def walk(self) -> Iterator[FieldView]:
        yield self
        for child in self.children:
            yield from child.walk()


def withhold(view: FieldView, withheld: set[str]) -> None:
    """No autofill token on this field nor any part of it: the browser's autofill holds the resident's own
    name, address and birthday, which must not land in a child's or a spouse's answer. The tokens are simply
    left out rather than `autocomplete="off"` (which also turns off the browser's memory of typed values) or
    `section-*` (which still offers the resident's own values). `autocomplete="off"` of sensitive numbers
    stays; `purpose` keeps what each part is for (「住所を自動入力」 finds the postal code by it)."""
    for found in view.walk():
        withheld.add(found.id)
        if found.autocomplete != "off":
            found.autocomplete = None


@dataclass
class Section:
    id: str
    title: str | None
    description: str | None
    fields: list[FieldView]


@dataclass
class SummaryItem:
    message: str
    target: str


@dataclass
class FormView:
    title: str
    description: str | None
    sections: list[Section]
    summary: list[SummaryItem]
    multipart: bool
    focus: str | None = None  # id of the element to focus when the page loads (set by the routes)

    def fields(self) -> Iterator[FieldView]:
        for section in self.sections:
            for f in section.fields:
                yield from f.walk()
