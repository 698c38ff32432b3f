"""The steps of a procedure, without HTTP: which answers each step holds, a step's page, merging what a
step posted into the draft, and the errors that belong to one step.

A step holds the top-level answers its `properties` name, and the questions that appear after one of
them (conditional questions follow their trigger, see service.py). Without `x-procedure.steps` the
form is one step holding everything. Validation always runs over the whole draft, so a condition
whose `if` looks at an earlier step still applies; only the errors of the step at hand are shown.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from forms_engine.definitions.schemas import Definition
from forms_engine.rendering.errors import place_errors
from forms_engine.rendering.service import build_form
from forms_engine.rendering.texts import text
from forms_engine.rendering.views import FieldView, FormView, parse_pointer
from forms_engine.rendering.widgets import WidgetRegistry
from forms_engine.validation.schemas import FieldError
from forms_engine.validation.service import AnswerValidator

SINGLE_STEP = "form"
"""The id of the one step of a procedure that declares no steps."""
ROOT = ""
"""The key of answers that are not an object's properties (a non-object root, a root choice of field sets)."""


@dataclass(frozen=True)
class StepRef:
    index: int
    id: str
    title: str
    description: str | None
    properties: tuple[str, ...]
    count: int

    @property
    def number(self) -> int:
        return self.index + 1

    @property
    def last(self) -> bool:
        return self.index == self.count - 1


def steps_of(definition: Definition, lang: str = "ja") -> list[StepRef]:
    steps = definition.meta.steps or []
    if not steps:
        return [StepRef(0, SINGLE_STEP, text(lang, "form_page"), None, (), 1)]
    return [StepRef(i, s.id, s.title, s.description, tuple(s.properties), len(steps)) for i, s in enumerate(steps)]


def top_key(pointer: str) -> str:
    tokens = parse_pointer(pointer)
    return tokens[0] if tokens else ROOT


def questions(field: FieldView) -> Iterator[tuple[str, FieldView]]:
    """(top-level key, field) of the questions a top-level field asks: a choice between sets of fields
    at the root asks the questions of the chosen set."""
    if field.pointer:
        yield top_key(field.pointer), field
    elif field.widget == "alternatives":
        for child in field.children:
            yield from questions(child)
    else:
        yield ROOT, field


class Layout:
    """The whole form for some answers, cut into its steps."""

    def __init__(self, view: FormView, steps: list[StepRef]) -> None:
        self.view = view
        self.steps = steps
        self.shown: dict[str, int] = {}
        self.alternatives: list[set[str]] = []
        for index, section in enumerate(view.sections):
            names: set[str] = set()
            for f in section.fields:
                if not f.pointer:
                    self.shown.setdefault(ROOT, index)
                for key, _ in questions(f):
                    self.shown.setdefault(key, index)
                names.update(sub.name for sub in f.walk() if sub.widget == "alternatives")
            self.alternatives.append(names)
        self._declared = {name: s.index for s in steps for name in s.properties}

    def keys(self, index: int) -> set[str]:
        """The top-level answers step `index` holds (shown there, or named by its `properties`)."""
        found = {k for k, i in self.shown.items() if i == index}
        return found | {k for k, i in self._declared.items() if i == index}

    def owner(self, pointer: str) -> int:
        """The step an answer (or an error about it) belongs to; what no step holds goes to the last."""
        key = top_key(pointer)
        if key in self.shown:
            return self.shown[key]
        return self._declared.get(key, len(self.steps) - 1)


class Flow:
    """One procedure's steps, in one language, with the engine's validator and widgets. A Flow serves one
    request (`rendering.context.flow_for`): it remembers the last few layouts it built, because merging a
    posted step, finding the step's errors and drawing its page ask for the layout of the same answers."""

    _REMEMBERED = 4

    def __init__(self, definition: Definition, validator: AnswerValidator, widgets: WidgetRegistry,
                 lang: str = "ja") -> None:
        self.definition = definition
        self.validator = validator
        self.widgets = widgets
        self.lang = lang
        self.steps = steps_of(definition, lang)
        self._layouts: dict[str, Layout] = {}

    def step(self, step_id: str) -> StepRef | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def layout(self, answers: Any, choices: Mapping[str, int],
               attachments: Mapping[str, Mapping[str, Any]] | None = None) -> Layout:
        """The whole form for these answers. Which step holds what is fixed when the layout is made (errors
        placed later on its fields by `page` change no step's keys), so the same layout serves again."""
        key = json.dumps([answers, sorted(choices.items()), attachments or {}], sort_keys=True,
                         ensure_ascii=False, default=repr)
        found = self._layouts.get(key)
        if found is None:
            view = build_form(self.definition, self.validator, answers, [], self.lang, choices=choices,
                              widgets=self.widgets, attachments=attachments)
            found = Layout(view, self.steps)
            if len(self._layouts) >= self._REMEMBERED:
                self._layouts.pop(next(iter(self._layouts)))
            self._layouts[key] = found
        return found

    def page(self, layout: Layout, index: int, errors: list[FieldError]) -> FormView:
        """The view of one step, its errors placed on its fields and listed in its error summary."""
        section = layout.view.sections[index]
        summary = place_errors(section.fields, errors, self.lang)
        multipart = any(f.widget == "file" for top in section.fields for f in top.walk())
        return FormView(layout.view.title, layout.view.description, [section], summary, multipart)

    def merge(self, answers: Any, choices: Mapping[str, int], index: int, posted: Any,
              posted_choices: Mapping[str, int]) -> tuple[Any, dict[str, int]]:
        """The draft after step `index` posted: its answers replace the step's, the others stay; answers to
        questions no longer shown anywhere (a condition that stopped holding) are dropped."""
        if not isinstance(posted, dict):
            return posted, dict(posted_choices)
        before = self.layout(answers, choices)
        held = before.keys(index)
        kept = {k: v for k, v in answers.items() if k not in held} if isinstance(answers, dict) else {}
        picked = {n: v for n, v in choices.items() if n not in before.alternatives[index]}
        picked.update(posted_choices)
        own = held | self.layout({**kept, **posted}, picked).keys(index)  # a post answers only its own step
        merged: dict[str, Any] = {**kept, **{k: v for k, v in posted.items() if k in own}}
        for _ in range(3):  # dropping an answer may hide a question that depended on it
            shown = self.layout(merged, picked).shown
            pruned = {k: v for k, v in merged.items() if k in shown}
            if pruned == merged:
                break
            merged = pruned
        return merged, picked

    def errors(self, answers: Any, choices: Mapping[str, int], index: int | None = None) -> list[FieldError]:
        """Every error of the draft (index None), or only those of one step."""
        found = self.validator.validate(self.validator.normalise(answers), self.lang)
        if index is None or not found:
            return found
        layout = self.layout(answers, choices)
        return [e for e in found if layout.owner(e.pointer) == index]

    def first_step_with_errors(self, answers: Any, choices: Mapping[str, int]) -> StepRef | None:
        found = self.validator.validate(self.validator.normalise(answers), self.lang)
        if not found:
            return None
        layout = self.layout(answers, choices)
        return self.steps[min(layout.owner(e.pointer) for e in found)]
