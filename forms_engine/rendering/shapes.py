"""What a definition's fields are, whatever the answers: the facts a form page reads from the schema (the parts
of a field, its widget, label, hint, the order of an object's properties), read once per definition and kept.

A page is built from the schema and the answers; most of the work is reading the schema, the same for every
resident. `Shapes` remembers those readings per definition (and format and widget registry), keyed by the
identity of the schema objects they were read from: nothing of an answer is ever kept here. Conditional
parts (`if`/`then`, `dependentSchemas`, a `oneOf` picked by an answer) are still worked out per page.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable, Iterable, Set
from dataclasses import dataclass
from typing import Any, TypeVar

from forms_engine.definitions.schemas import Definition
from forms_engine.definitions.sensitivity import is_sensitive
from forms_engine.rendering import schema_nav as sn
from forms_engine.rendering.schema_nav import Part, SchemaNav, nav_for
from forms_engine.rendering.widgets import Widget, WidgetRegistry
from forms_engine.validation.formats import FormatRegistry

T = TypeVar("T")
MAX_FACTS = 20_000
"""Facts kept per definition at most (a schema has a bounded number of parts; this only guards the bound)."""
MAX_DEFINITIONS = 64
"""Definitions whose shapes are kept at once (a catalogue has a few; tests build many)."""
_CONDITIONAL = ("if", "dependentSchemas", "dependencies", "oneOf", "anyOf")
TEXT_LIKE = frozenset({"text", "textarea", "number", "email", "tel", "postal-code", "my-number", "corporate-number"})
Control = tuple[str, str | None, str | None, bool | None, str, str | None]
"""A control's (type, inputmode, autocomplete, spellcheck, css class, accept)."""


@dataclass(frozen=True)
class FieldShape:
    """What a field is whatever its answer."""

    ids: frozenset[int]  # the schema objects behind the field (a recursive schema stops where they repeat)
    kind: str
    widget: Widget
    nullable: bool
    title: str | None
    hint: str | None
    control: Control


def key_of(parts: Iterable[Part]) -> tuple[Hashable, ...]:
    """The schema objects (and the answers they depend on) behind a list of parts."""
    return tuple((id(p.schema), p.triggers) for p in parts)


class Shapes:
    """One definition's schema, read for forms: `SchemaNav` with what it found remembered."""

    def __init__(self, definition: Definition, formats: FormatRegistry | None, widgets: WidgetRegistry) -> None:
        self.definition = definition  # held: the schema objects whose ids key the facts stay alive
        self.formats = formats
        self.widgets = widgets
        self.nav = nav_for(definition, formats)
        self._facts: dict[Hashable, Any] = {}

    def fact(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()`, once per key (a key names the schema objects the fact is read from)."""
        if key in self._facts:
            found: T = self._facts[key]
            return found
        computed = compute()
        if len(self._facts) < MAX_FACTS:
            self._facts[key] = computed
        return computed

    def flatten(self, parts: list[Part]) -> list[Part]:
        """`SchemaNav.flatten` (a new list: callers may change it)."""
        return list(self.fact(("flatten", key_of(parts)), lambda: tuple(self.nav.flatten(parts))))

    def conditional(self, parts: list[Part], key: Hashable | None = None) -> bool:
        """Whether a part has a keyword that makes more parts apply depending on the answers."""
        return self.fact(("conditional", key if key is not None else key_of(parts)),
                         lambda: any(k in p.schema for p in parts for k in _CONDITIONAL))

    def child_parts(self, parts: list[Part], token: str | int) -> list[Part]:
        return list(self.fact(("child", key_of(parts), token), lambda: tuple(self.nav.child_parts(parts, token))))


_SHAPES: dict[tuple[int, int, int], Shapes] = {}


def shapes_for(definition: Definition, formats: FormatRegistry | None, widgets: WidgetRegistry) -> Shapes:
    """The shapes of this definition, read with these registries (kept for the most recent definitions)."""
    key = (id(definition), id(formats), id(widgets))
    found = _SHAPES.get(key)
    if found is None or found.definition is not definition or found.formats is not formats \
            or found.widgets is not widgets:
        found = Shapes(definition, formats, widgets)
        while len(_SHAPES) >= MAX_DEFINITIONS:
            with contextlib.suppress(KeyError, RuntimeError, StopIteration):
                _SHAPES.pop(next(iter(_SHAPES)))
        _SHAPES[key] = found
    return found


def control_attributes(nav: SchemaNav, parts: list[Part], kind: str, kinds: Set[str]) -> Control:
    """(type, inputmode, autocomplete, spellcheck, css, accept) of a control of this widget and these parts."""
    if kind in ("date", "wareki-date"):
        # bday-* only where the definition says the date is the resident's own (not a child's, a dog's)
        forced = sn.first(parts, "x-autocomplete")
        return "text", None, "bday" if forced == "bday" else None, None, "", None
    if kind == "file":
        accept = sn.first(parts, "x-accept")
        return "text", None, None, None, "", ",".join(accept) if isinstance(accept, list) else None
    if kind not in TEXT_LIKE:
        return "text", None, None, None, "", None
    fmt = sn.first(parts, "format")
    found = nav.formats.get(fmt) if nav.formats is not None and isinstance(fmt, str) else None
    entry = (found.autocomplete, found.inputmode) if found is not None else None
    inputmode = {"number": "numeric" if "number" not in kinds else "decimal", "tel": "tel",
                 "email": "email", "postal-code": "numeric", "my-number": "numeric",
                 "corporate-number": "numeric"}.get(kind, entry[1] if entry else None)
    autocomplete = {"email": "email", "tel": "tel", "postal-code": "postal-code",
                    "my-number": "off", "corporate-number": "off"}.get(kind, entry[0] if entry else None)
    if kind == "textarea":
        autocomplete = None
    forced = sn.first(parts, "x-autocomplete")
    if isinstance(forced, str) and forced != "off":  # "off" (someone else's answer): the page builder withholds
        autocomplete = forced
    elif is_sensitive(p.schema for p in parts):
        autocomplete = "off"
    css = {"postal-code": "input--short", "number": "input--medium", "tel": "input--medium",
           "my-number": "input--medium", "corporate-number": "input--medium"}.get(kind, "")
    return ({"email": "email", "tel": "tel"}.get(kind, "text"), inputmode, autocomplete,
            False if kind not in ("text", "textarea") else None, css, None)
