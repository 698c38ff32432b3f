"""The rules of a form page, without HTTP: a tree of field view-models from a definition, answers and errors.

Fields follow `x-procedure.steps`, then `properties` (or `x-order`); a question that depends on an
earlier answer (`if`/`then`/`else`, `dependentSchemas`, `dependencies`, a `oneOf` picked out by an
answer) appears right after that answer once it is given, so the next render shows it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from forms_engine.definitions.schemas import Definition
from forms_engine.rendering import schema_nav as sn
from forms_engine.rendering.dates import split_date
from forms_engine.rendering.errors import place_errors
from forms_engine.rendering.schema_nav import Part, SchemaNav
from forms_engine.rendering.shapes import (
    TEXT_LIKE,
    FieldShape,
    Shapes,
    control_attributes,
    key_of,
    shapes_for,
)
from forms_engine.rendering.texts import text
from forms_engine.rendering.views import (
    MISSING,
    FieldView,
    FormView,
    Option,
    Section,
    escape_token,
    field_id,
    name_of,
    option_value,
    pointer_of,
    withhold,
)
from forms_engine.rendering.widgets import Widget, WidgetRegistry, default_widgets
from forms_engine.validation.schemas import FieldError
from forms_engine.validation.service import AnswerValidator

RADIO_MAX = 7
MAX_DEPTH = 32
PARENT_TOKENS = {
    "name": {"family": "family-name", "given": "given-name"},
    "address": {"postal_code": "postal-code", "prefecture": "address-level1", "city": "address-level2",
                "street": "address-line1", "building": "address-line2"},
}
_FORMAT_WIDGETS = {"date": "date", "email": "email", "jp-phone": "tel", "jp-postal-code": "postal-code",
                   "jp-my-number": "my-number", "jp-corporate-number": "corporate-number"}
_NEEDS = {"radio": "choices", "select": "choices", "checkboxes": "item-choices", "yes-no": "boolean",
          "consent": "boolean", "name": "object", "furigana": "object", "address": "object"}


def empty(value: Any) -> bool:
    return value is MISSING or value is None or value == "" or value == {} or value == []


def display(value: Any) -> str:
    if value is MISSING or value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def build_form(
    definition: Definition,
    validator: AnswerValidator,
    answers: Any,
    errors: list[FieldError],
    lang: str = "ja",
    *,
    choices: Mapping[str, int] | None = None,
    widgets: WidgetRegistry | None = None,
    attachments: Mapping[str, Mapping[str, Any]] | None = None,
) -> FormView:
    """The page for these answers: every field with its label, hint, value, widget and error."""
    registry = widgets or _DEFAULT_WIDGETS
    builder = _Builder(definition, shapes_for(definition, validator.formats, registry), registry, lang,
                       choices or {}, attachments or {})
    return builder.build(answers, errors)


_DEFAULT_WIDGETS = default_widgets()


class _Builder:
    """One page. What depends only on the schema is read through `Shapes` (once per definition and language);
    what depends on the answers (values, conditional questions, items, choices made) is worked out here."""

    def __init__(self, definition: Definition, shapes: Shapes, widgets: WidgetRegistry, lang: str,
                 choices: Mapping[str, int], attachments: Mapping[str, Mapping[str, Any]]) -> None:
        self.definition = definition
        self.shapes = shapes
        self.nav: SchemaNav = shapes.nav
        self.widgets = widgets
        self.lang = lang
        self.choices = choices
        self.attachments = attachments
        self.used: set[str] = set()
        self.withheld_views: set[str] = set()  # ids of the fields under `x-autocomplete: off`

    def build(self, answers: Any, errors: list[FieldError]) -> FormView:
        parts = self.shapes.flatten([self.nav.root])
        meta = self.definition.meta
        title = (meta.title_en if self.lang == "en" and meta.title_en else None) or self.definition.title
        description = self.text_of(parts, "description")
        if "object" in self.types(parts):
            fields = self.object_fields([], parts, answers if isinstance(answers, dict) else {}, 0, frozenset())
        else:
            root = self.field([], parts, answers, title, True, 0, frozenset())
            fields = [root] if root is not None else []
        sections = self.sections(fields)
        summary = place_errors(fields, errors)
        multipart = any(f.widget == "file" for top in fields for f in top.walk())
        return FormView(title, description, sections, summary, multipart)

    # -- labels --------------------------------------------------------------------------------
    def text_of(self, parts: list[Part], key: str) -> str | None:
        return self.shapes.fact(("text", self.lang, key, key_of(parts)), lambda: self._text_of(parts, key))

    def _text_of(self, parts: list[Part], key: str) -> str | None:
        if self.lang == "en":
            english = sn.first(parts, f"x-{key}-en")
            if isinstance(english, str):
                return english
        value = sn.first(parts, key)
        return value if isinstance(value, str) else None

    def hint(self, parts: list[Part], widget: str) -> str | None:
        return self.shapes.fact(("hint", self.lang, widget, key_of(parts)), lambda: self._hint(parts, widget))

    def _hint(self, parts: list[Part], widget: str) -> str | None:
        pieces = [self.text_of(parts, "description") or ""]
        examples = sn.first(parts, "examples")
        if isinstance(examples, list) and examples and widget not in ("readonly",):
            pieces.append(text(self.lang, "example") + display(examples[0]))
        if widget == "wareki-date":
            pieces.append(text(self.lang, "wareki_hint"))
        return "　".join(p for p in pieces if p) or None

    def unique(self, candidate: str) -> str:
        found, n = candidate, 1
        while found in self.used:
            n += 1
            found = f"{candidate}--dup{n}"
        self.used.add(found)
        return found

    # -- objects -------------------------------------------------------------------------------
    def order(self, path: list[str | int], declared: dict[str, list[Part]]) -> list[str]:
        names = list(declared)

        def rank(i: int) -> int:
            x_order = sn.first(self.shapes.flatten(declared[names[i]]), "x-order")
            return x_order if isinstance(x_order, int) and not isinstance(x_order, bool) else i

        ordered = [names[i] for i in sorted(range(len(names)), key=rank)]
        if not path and self.definition.meta.steps:
            stepped = [n for s in self.definition.meta.steps for n in s.properties if n in declared]
            ordered = stepped + [n for n in ordered if n not in stepped]
        return ordered

    def object_fields(self, path: list[str | int], parts: list[Part], value: Any, depth: int,
                      refs: frozenset[int], exclude: frozenset[str] = frozenset()) -> list[FieldView]:
        obj = value if isinstance(value, dict) else {}
        key = key_of(parts)
        declared: dict[str, list[Part]] = self.shapes.fact(("properties", key), lambda: sn.properties(parts))
        if self.shapes.conditional(parts, key):
            applied = self.nav.applied(parts, obj)
            every, needed = sn.properties(applied), sn.required(applied)
        else:  # nothing here depends on the answers but `dependentRequired`
            applied, every = parts, declared
            needed = self.shapes.fact(("required", key), lambda: sn.required(parts))
        needed = needed | sn.dependent_required(applied, obj)
        order = list(self.shapes.fact(("order", not path, key), lambda: tuple(self.order(path, declared))))
        placed: set[str] = set()
        for name, subs in every.items():
            if name in declared:
                continue
            triggers = [t for s in subs for t in s.triggers if t in order]
            pos = max((order.index(t) for t in triggers), default=len(order) - 1)
            while pos + 1 < len(order) and order[pos + 1] in placed:
                pos += 1
            order.insert(pos + 1, name)
            placed.add(name)
        fields: list[FieldView] = []
        for name in order:
            if name in exclude:
                continue
            child_parts = self.shapes.flatten(every[name])
            child_value = obj.get(name, MISSING)
            if refs and empty(child_value) and any(id(p.schema) in refs for p in child_parts):
                continue  # a recursive schema: only as deep as the answers go
            view = self.field([*path, name], child_parts, child_value, name, name in needed, depth + 1, refs)
            if view is not None:
                fields.append(view)
        shown = exclude | frozenset(order)
        k = 0
        for part in applied:
            for _, branches in self.object_alternatives(part, every):
                fields.append(self.alternatives(path, branches, obj, k, depth, refs, shown))
                k += 1
        return fields

    def alternatives(self, path: list[str | int], branches: list[Part], value: Any, k: int, depth: int,
                     refs: frozenset[int], exclude: frozenset[str]) -> FieldView:
        pointer = pointer_of(path)
        name = f"{name_of(pointer)}@choice{k or ''}"
        widget = self.widget("alternatives")
        view = FieldView(pointer, self.unique(f"{field_id(path)}--alt{k}"), name, widget.name, widget.macro,
                         widget.group, text(self.lang, "alternatives"), key=path[-1] if path else None)
        chosen = self.choices.get(name)
        if chosen is None or not 0 <= chosen < len(branches):
            chosen = self.infer_branch(branches, value)
        for i, branch in enumerate(branches):
            label = self.text_of([branch], "title") or text(self.lang, "alternative", n=i + 1)
            view.options.append(Option(f"{view.id}--{i}", str(i), label, i == chosen))
        if chosen is not None:
            bparts = self.shapes.flatten([branches[chosen]])
            kinds = self.types(bparts)
            if "object" in kinds:
                view.children = self.object_fields(path, bparts, value, depth, refs, exclude)
            elif kinds != {"null"}:
                child = self.field(path, bparts, value, view.options[chosen].label, True, depth + 1, refs)
                view.children = [child] if child is not None else []
        return view

    def infer_branch(self, branches: list[Part], value: Any) -> int | None:
        if empty(value):
            return None
        scores = []
        for i, b in enumerate(branches):
            names = set(sn.properties(self.shapes.flatten([b])))
            overlap = len(names & set(value)) if isinstance(value, dict) else 0
            scores.append((self.nav.valid(b.schema, b.resolver, value), overlap, -i))
        best = max(scores)
        return -best[2] if best[0] or best[1] else None

    # -- one field -----------------------------------------------------------------------------
    def widget(self, name: str) -> Widget:
        found = self.widgets.get(name)
        if found is None:
            raise KeyError(f"widget {name!r} is not registered")
        return found

    def types(self, parts: list[Part]) -> frozenset[str]:
        return self.shapes.fact(("types", key_of(parts)), lambda: frozenset(sn.types(parts)))

    def object_alternatives(self, part: Part, names: Mapping[str, Any]) -> list[tuple[str, list[Part]]]:
        """`oneOf`/`anyOf` between sets of fields of this part, given the properties shown beside it."""
        return self.shapes.fact(("alternatives", key_of([part]), frozenset(names)),
                                lambda: sn.object_alternatives(self.nav, part, set(names)))

    def choose(self, parts: list[Part]) -> str:
        return self.shapes.fact(("widget", key_of(parts)), lambda: self._choose(parts))

    def _choose(self, parts: list[Part]) -> str:
        kinds = self.types(parts)
        offered = sn.choices(parts)
        item_choices = sn.choices(self.shapes.child_parts(parts, 0)) if "array" in kinds else None
        facts = {"choices": offered is not None, "item-choices": item_choices is not None,
                 "boolean": "boolean" in kinds, "object": "object" in kinds}
        forced = sn.first(parts, "x-widget")
        if isinstance(forced, str) and forced in self.widgets and facts.get(_NEEDS.get(forced, ""), True):
            return forced
        if sn.first(parts, "readOnly") is True or (any("const" in p.schema for p in parts) and offered is None):
            return "readonly"
        if "array" in kinds:
            return "checkboxes" if item_choices is not None else "array"
        if offered is not None:
            return "radio" if len(offered) <= RADIO_MAX else "select"
        if "object" in kinds:
            return "group"
        if any(self.object_alternatives(p, {}) for p in parts):
            return "alternatives"
        if kinds == {"null"}:
            return "readonly"
        if "boolean" in kinds:
            return "yes-no"
        if kinds and kinds <= {"integer", "number", "null"}:
            return "number"
        fmt = sn.first(parts, "format")
        if isinstance(fmt, str) and fmt in _FORMAT_WIDGETS:
            return _FORMAT_WIDGETS[fmt]
        max_length = sn.first(parts, "maxLength")
        return "textarea" if isinstance(max_length, int) and max_length > 200 else "text"

    def field(self, path: list[str | int], parts: list[Part], value: Any, fallback_label: str,
              required: bool | None, depth: int, refs: frozenset[int]) -> FieldView | None:
        view = self._field(path, parts, value, fallback_label, required, depth, refs)
        if view is not None and self.withheld(parts):
            withhold(view, self.withheld_views)
        return view

    def withheld(self, parts: list[Part]) -> bool:
        """`x-autocomplete: off`: the answer is about someone other than the resident (a child, a spouse)."""
        return self.shapes.fact(("withheld", key_of(parts)), lambda: bool(sn.first(parts, "x-autocomplete") == "off"))

    def _field(self, path: list[str | int], parts: list[Part], value: Any, fallback_label: str,
               required: bool | None, depth: int, refs: frozenset[int]) -> FieldView | None:
        if depth > MAX_DEPTH:
            return None
        static: FieldShape = self.shapes.fact(("field", self.lang, key_of(parts)), lambda: self.static(parts))
        refs = refs | static.ids
        kind, widget = static.kind, static.widget
        pointer = pointer_of(path)
        view = FieldView(pointer, self.unique(field_id(path)), name_of(pointer), widget.name, widget.macro,
                         widget.group, static.title or fallback_label,
                         required=None if kind == "readonly" or required is None else required and not static.nullable,
                         hint=static.hint, key=path[-1] if path else None)
        if kind in TEXT_LIKE or kind in ("date", "wareki-date", "file"):
            self.control(view, static, value)
        elif kind in ("radio", "select", "yes-no", "checkboxes", "consent"):
            self.options(view, parts, value)
        elif kind == "readonly":
            const = [p.schema["const"] for p in parts if "const" in p.schema]
            view.value = display(const[0] if const else value if not empty(value) else sn.first(parts, "default"))
        elif kind == "array":
            self.items(view, path, parts, value, depth, refs)
        elif kind == "alternatives":
            own = [b for p in parts for _, bs in self.object_alternatives(p, {}) for b in bs]
            alt = self.alternatives(path, own, value, 0, depth, refs, frozenset())
            alt.label, alt.required, alt.hint, alt.key = view.label, view.required, view.hint, view.key
            return alt
        else:
            view.children = self.object_fields(path, parts, value, depth, refs)
            tokens = PARENT_TOKENS.get(kind, {})
            for child in view.children:
                if isinstance(child.key, str) and child.key in tokens and child.purpose is None:
                    child.purpose = tokens[child.key]
                    if child.autocomplete is None and child.id not in self.withheld_views:
                        child.autocomplete = child.purpose
            if len(view.children) == 1 and view.children[0].widget == "alternatives" and not sn.properties(parts):
                alt = view.children[0]
                alt.label, alt.required, alt.hint, alt.key = view.label, view.required, view.hint, view.key
                return alt
        return view

    def static(self, parts: list[Part]) -> FieldShape:
        """What a field is whatever its answer: read once per schema part and language."""
        kind = self.choose(parts)
        nullable = "null" in self.types(parts) and kind not in ("readonly", "alternatives")
        return FieldShape(frozenset(id(p.schema) for p in parts), kind, self.widget(kind), nullable,
                          self.text_of(parts, "title"), self.hint(parts, kind),
                          control_attributes(self.nav, parts, kind, self.types(parts)))

    def control(self, view: FieldView, static: FieldShape, value: Any) -> None:
        kind = view.widget
        view.value = display(value)
        (view.input_type, view.inputmode, view.autocomplete, view.spellcheck, view.css,
         view.accept) = static.control
        view.purpose = view.autocomplete if view.autocomplete != "off" else None
        if kind in ("date", "wareki-date"):
            view.parts = split_date(value, wareki=kind == "wareki-date")
        elif kind == "file":
            info = self.attachments.get(value) if isinstance(value, str) else None
            view.upload = dict(info) if info is not None else None

    def options(self, view: FieldView, parts: list[Part], value: Any) -> None:
        kind = view.widget
        if kind == "consent":
            view.options = [Option(f"{view.id}--0", "true", text(self.lang, "agree"), value is True)]
            return
        offered = self.shapes.fact(("options", self.lang, kind, key_of(parts)), lambda: self.offered(parts, kind))
        picked = {option_value(v) for v in value} if isinstance(value, list) else (
            set() if empty(value) and value is not None else {option_value(value)})
        view.options = [Option(f"{view.id}--{i}", shown_value, label, shown_value in picked)
                        for i, (shown_value, label) in enumerate(offered)]

    def offered(self, parts: list[Part], kind: str) -> tuple[tuple[str, str], ...]:
        """(value as the form sends it, label) of each option of a field."""
        source = self.shapes.child_parts(parts, 0) if kind == "checkboxes" else parts
        offered = sn.choices(source)
        if offered is None:  # yes-no on a plain boolean
            offered = [(True, text(self.lang, "yes")), (False, text(self.lang, "no"))]
        return tuple((option_value(choice), label if label is not None else self.choice_label(choice))
                     for choice, label in offered)

    def choice_label(self, choice: Any) -> str:
        if isinstance(choice, bool):
            return text(self.lang, "yes" if choice else "no")
        if choice is None:
            return "—"
        if isinstance(choice, dict):
            for key in ("title", "label", "name"):
                if isinstance(choice.get(key), str):
                    return str(choice[key])
        return display(choice)

    def items(self, view: FieldView, path: list[str | int], parts: list[Part], value: Any, depth: int,
              refs: frozenset[int]) -> None:
        items = value if isinstance(value, list) else []
        prefix = sn.prefix_length(parts)
        count = max(len(items), prefix)
        minimum = sn.first(parts, "minItems")
        maximum = sn.first(parts, "maxItems")
        view.item_count = count
        for i in range(count):
            item_parts = self.shapes.child_parts(parts, i)
            title = self.text_of(item_parts, "title")
            label = title if i < prefix and title else text(self.lang, "item", label=title or view.label, n=i + 1)
            child = self.field([*path, i], item_parts, items[i] if i < len(items) else MISSING, label, None,
                               depth + 1, refs)
            if child is None:
                continue
            child.label = label
            if i >= prefix and count > (minimum if isinstance(minimum, int) else 0):
                child.remove_action = f"remove:{pointer_of([*path, i])}"
            view.children.append(child)
        if self.shapes.child_parts(parts, count) and (not isinstance(maximum, int) or count < maximum):
            view.add_action = f"add:{view.pointer}"

    # -- page ----------------------------------------------------------------------------------
    def sections(self, fields: list[FieldView]) -> list[Section]:
        steps = self.definition.meta.steps
        if not steps:
            return [Section("section-main", None, None, fields)]
        owner = {n: i for i, s in enumerate(steps) for n in s.properties}
        buckets: list[list[FieldView]] = [[] for _ in steps]
        current = 0
        for f in fields:
            if isinstance(f.key, str) and f.key in owner:
                current = owner[f.key]
            buckets[current].append(f)
        return [Section(f"step-{escape_token(s.id)}", s.title, s.description, b) for s, b in zip(steps, buckets, strict=True)]
