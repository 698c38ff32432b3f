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
_TEXT_LIKE = {"text", "textarea", "number", "email", "tel", "postal-code", "my-number", "corporate-number"}
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
    builder = _Builder(definition, SchemaNav(definition, validator.formats), widgets or default_widgets(), lang,
                       choices or {}, attachments or {})
    return builder.build(answers, errors)


class _Builder:
    def __init__(self, definition: Definition, nav: SchemaNav, widgets: WidgetRegistry, lang: str,
                 choices: Mapping[str, int], attachments: Mapping[str, Mapping[str, Any]]) -> None:
        self.definition = definition
        self.nav = nav
        self.widgets = widgets
        self.lang = lang
        self.choices = choices
        self.attachments = attachments
        self.used: set[str] = set()

    def build(self, answers: Any, errors: list[FieldError]) -> FormView:
        parts = self.nav.flatten([self.nav.root])
        meta = self.definition.meta
        title = (meta.title_en if self.lang == "en" and meta.title_en else None) or self.definition.title
        description = self.text_of(parts, "description")
        if "object" in sn.types(parts):
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
        if self.lang == "en":
            english = sn.first(parts, f"x-{key}-en")
            if isinstance(english, str):
                return english
        value = sn.first(parts, key)
        return value if isinstance(value, str) else None

    def hint(self, parts: list[Part], widget: str) -> str | None:
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
            x_order = sn.first(self.nav.flatten(declared[names[i]]), "x-order")
            return x_order if isinstance(x_order, int) and not isinstance(x_order, bool) else i

        ordered = [names[i] for i in sorted(range(len(names)), key=rank)]
        if not path and self.definition.meta.steps:
            stepped = [n for s in self.definition.meta.steps for n in s.properties if n in declared]
            ordered = stepped + [n for n in ordered if n not in stepped]
        return ordered

    def object_fields(self, path: list[str | int], parts: list[Part], value: Any, depth: int,
                      refs: frozenset[int], exclude: frozenset[str] = frozenset()) -> list[FieldView]:
        obj = value if isinstance(value, dict) else {}
        applied = self.nav.applied(parts, obj)
        declared = sn.properties(parts)
        every = sn.properties(applied)
        needed = sn.required(applied) | sn.dependent_required(applied, obj)
        order = self.order(path, declared)
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
            child_parts = self.nav.flatten(every[name])
            child_value = obj.get(name, MISSING)
            ids = frozenset(id(p.schema) for p in child_parts)
            if ids & refs and empty(child_value):
                continue  # a recursive schema: only as deep as the answers go
            view = self.field([*path, name], child_parts, child_value, name, name in needed, depth + 1, refs)
            if view is not None:
                fields.append(view)
        shown = exclude | frozenset(order)
        k = 0
        for part in applied:
            for _, branches in sn.object_alternatives(self.nav, part, set(every)):
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
            bparts = self.nav.flatten([branches[chosen]])
            kinds = sn.types(bparts)
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
            names = set(sn.properties(self.nav.flatten([b])))
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

    def choose(self, parts: list[Part]) -> str:
        kinds = sn.types(parts)
        offered = sn.choices(parts)
        item_choices = sn.choices(self.nav.child_parts(parts, 0)) if "array" in kinds else None
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
        if any(sn.object_alternatives(self.nav, p, set()) for p in parts):
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
        if depth > MAX_DEPTH:
            return None
        refs = refs | frozenset(id(p.schema) for p in parts)
        kind = self.choose(parts)
        widget = self.widget(kind)
        pointer = pointer_of(path)
        nullable = "null" in sn.types(parts) and kind not in ("readonly", "alternatives")
        view = FieldView(pointer, self.unique(field_id(path)), name_of(pointer), widget.name, widget.macro,
                         widget.group, self.text_of(parts, "title") or fallback_label,
                         required=None if kind == "readonly" or required is None else required and not nullable,
                         hint=self.hint(parts, kind), key=path[-1] if path else None)
        if kind in _TEXT_LIKE or kind in ("date", "wareki-date", "file"):
            self.control(view, parts, path, value)
        elif kind in ("radio", "select", "yes-no", "checkboxes", "consent"):
            self.options(view, parts, value)
        elif kind == "readonly":
            const = [p.schema["const"] for p in parts if "const" in p.schema]
            view.value = display(const[0] if const else value if not empty(value) else sn.first(parts, "default"))
        elif kind == "array":
            self.items(view, path, parts, value, depth, refs)
        elif kind == "alternatives":
            own = [b for p in parts for _, bs in sn.object_alternatives(self.nav, p, set()) for b in bs]
            alt = self.alternatives(path, own, value, 0, depth, refs, frozenset())
            alt.label, alt.required, alt.hint, alt.key = view.label, view.required, view.hint, view.key
            return alt
        else:
            view.children = self.object_fields(path, parts, value, depth, refs)
            tokens = PARENT_TOKENS.get(kind, {})
            for child in view.children:
                if isinstance(child.key, str) and child.key in tokens and child.autocomplete is None:
                    child.autocomplete = tokens[child.key]
            if len(view.children) == 1 and view.children[0].widget == "alternatives" and not sn.properties(parts):
                alt = view.children[0]
                alt.label, alt.required, alt.hint, alt.key = view.label, view.required, view.hint, view.key
                return alt
        return view

    def control(self, view: FieldView, parts: list[Part], path: list[str | int], value: Any) -> None:
        kind = view.widget
        fmt = sn.first(parts, "format")
        entry = self.nav_format(fmt)
        view.value = display(value)
        if kind in ("date", "wareki-date"):
            view.parts = split_date(value, wareki=kind == "wareki-date")
            # bday-* only where the definition says the date is the resident's own (not a child's, a dog's)
            forced = sn.first(parts, "x-autocomplete")
            if isinstance(forced, str) and forced.startswith("bday"):
                view.autocomplete = "bday"
            return
        if kind == "file":
            accept = sn.first(parts, "x-accept")
            view.accept = ",".join(accept) if isinstance(accept, list) else None
            info = self.attachments.get(value) if isinstance(value, str) else None
            view.upload = dict(info) if info is not None else None
            return
        kinds = sn.types(parts)
        view.input_type = {"email": "email", "tel": "tel"}.get(kind, "text")
        view.inputmode = {"number": "numeric" if "number" not in kinds else "decimal", "tel": "tel",
                          "email": "email", "postal-code": "numeric", "my-number": "numeric",
                          "corporate-number": "numeric"}.get(kind, entry[1] if entry else None)
        view.autocomplete = {"email": "email", "tel": "tel", "postal-code": "postal-code",
                             "my-number": "off", "corporate-number": "off"}.get(kind, entry[0] if entry else None)
        if kind == "textarea":
            view.autocomplete = None
        forced = sn.first(parts, "x-autocomplete")
        if isinstance(forced, str):
            view.autocomplete = forced
        elif sn.first(parts, "x-sensitive") is True:
            view.autocomplete = "off"
        if kind not in ("text", "textarea"):
            view.spellcheck = False
        view.css = {"postal-code": "input--short", "number": "input--medium", "tel": "input--medium",
                    "my-number": "input--medium", "corporate-number": "input--medium"}.get(kind, "")

    def nav_format(self, fmt: Any) -> tuple[str | None, str | None] | None:
        registry = self.nav.formats
        entry = registry.get(fmt) if registry is not None and isinstance(fmt, str) else None
        return (entry.autocomplete, entry.inputmode) if entry is not None else None

    def options(self, view: FieldView, parts: list[Part], value: Any) -> None:
        kind = view.widget
        if kind == "consent":
            view.options = [Option(f"{view.id}--0", "true", text(self.lang, "agree"), value is True)]
            return
        source = self.nav.child_parts(parts, 0) if kind == "checkboxes" else parts
        offered = sn.choices(source)
        if offered is None:  # yes-no on a plain boolean
            offered = [(True, text(self.lang, "yes")), (False, text(self.lang, "no"))]
        picked = {option_value(v) for v in value} if isinstance(value, list) else (
            set() if empty(value) and value is not None else {option_value(value)})
        for i, (choice, label) in enumerate(offered):
            shown = label if label is not None else self.choice_label(choice)
            view.options.append(Option(f"{view.id}--{i}", option_value(choice), shown, option_value(choice) in picked))

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
            item_parts = self.nav.child_parts(parts, i)
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
        if self.nav.child_parts(parts, count) and (not isinstance(maximum, int) or count < maximum):
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
