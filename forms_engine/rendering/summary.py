"""The confirmation page's answers: what each step holds, worded as the receipt words it.

The receipt's formatter (`receipts.layout.build_rows`) words every value: choices by their title,
はい/いいえ, 和暦 dates, names and addresses on one line, 未入力. It is called once per question, so
each gets its 「変更」 link. Two things differ from the resident's PDF and are prepared here before
it: a `date` (not `wareki-date`) reads 「2025年4月1日」, and an `x-sensitive` value keeps its last
four characters visible (the resident typed it and may check it) instead of being hidden whole.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from forms_engine.definitions.schemas import Definition
from forms_engine.receipts.layout import Row, build_rows
from forms_engine.rendering import schema_nav as sn
from forms_engine.rendering.flow import ROOT, Layout, StepRef, questions
from forms_engine.rendering.schema_nav import Part, SchemaNav
from forms_engine.rendering.views import FieldView
from forms_engine.validation.formats import FormatRegistry

MASK = "*"
VISIBLE_TAIL = 4
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_MAX_DEPTH = 32
# Keywords of the root that would add other questions (or hide the one asked for) in a one-question document.
_OTHER_QUESTIONS = ("properties", "required", "allOf", "anyOf", "oneOf", "if", "then", "else", "not",
                    "dependentSchemas", "dependencies", "dependentRequired", "patternProperties",
                    "additionalProperties", "x-procedure")


@dataclass
class Answer:
    """One line of the confirmation: a label, its value (None for a group of lines), 「変更」 on questions."""

    label: str
    value: str | None
    children: list[Answer] = field(default_factory=list)
    change_url: str | None = None


@dataclass
class StepAnswers:
    step: StepRef
    answers: list[Answer]


@dataclass
class Confirmation:
    steps: list[StepAnswers]
    masked: bool  # some sensitive value shows only its last characters


def mask_tail(value: str) -> str:
    """「123456789018」 -> 「********9018」; short values are hidden whole."""
    tail = value[-VISIBLE_TAIL:] if len(value) > VISIBLE_TAIL else ""
    return MASK * (len(value) - len(tail)) + tail


def western_date(value: str) -> str:
    """「2025-04-01」 -> 「2025年4月1日」 (anything else as it is)."""
    found = _ISO_DATE.fullmatch(value)
    if found is None:
        return value
    try:
        day = date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        return value
    return f"{day.year}年{day.month}月{day.day}日"


class _Presenter:
    """Answers prepared for the receipt's formatter: plain dates in the Western calendar, sensitive tails."""

    def __init__(self, nav: SchemaNav) -> None:
        self.nav = nav
        self.masked = False

    def value(self, parts: list[Part], value: Any, sensitive: bool, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            return value
        parts = self.nav.flatten(parts, loose=True)
        sensitive = sensitive or sn.first(parts, "x-sensitive") is True
        if isinstance(value, dict):
            parts = self.nav.applied(parts, value)
            return {k: self.value(self.nav.child_parts(parts, k), v, sensitive, depth + 1) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(self.nav.child_parts(parts, i), v, sensitive, depth + 1) for i, v in enumerate(value)]
        if isinstance(value, str) and sensitive:
            self.masked = True
            return mask_tail(value)
        if isinstance(value, str) and sn.first(parts, "format") == "date" and sn.first(parts, "x-widget") != "wareki-date":
            return western_date(value)
        return value


def confirmation(definition: Definition, formats: FormatRegistry, layout: Layout, answers: Any,
                 attachment_names: Mapping[str, str],
                 change_url: Callable[[StepRef, FieldView], str]) -> Confirmation:
    """Per step, each question it shows with its answer (normalised answers expected)."""
    nav = SchemaNav(definition, formats)
    presenter = _Presenter(nav)
    shown = presenter.value([nav.root], answers, False, 0)
    document = definition.document if isinstance(definition.document, dict) else {}
    out: list[StepAnswers] = []
    for step, section in zip(layout.steps, layout.view.sections, strict=True):
        lines: list[Answer] = []
        for top in section.fields:
            for key, question in questions(top):
                rows = (_root_rows(document, shown) if key == ROOT
                        else _rows(nav, document, key, shown, attachment_names))
                for line in _tree(rows):
                    line.change_url = change_url(step, question)
                    lines.append(line)
        out.append(StepAnswers(step, lines))
    return Confirmation(out, presenter.masked)


def _rows(nav: SchemaNav, document: Mapping[str, Any], key: str, answers: Any,
          attachment_names: Mapping[str, str]) -> list[Row]:
    """The receipt rows of one top-level answer: the definition cut down to that one question."""
    declared = document.get("properties")
    schema: Any = declared.get(key) if isinstance(declared, Mapping) else None
    if not isinstance(schema, Mapping):  # asked only under a condition (then/else, dependentSchemas, …)
        parts = sn.properties(nav.applied(nav.flatten([nav.root], loose=True), answers)).get(key, [])
        schema = parts[0].schema if parts else {}
    alone = {k: v for k, v in document.items() if k not in _OTHER_QUESTIONS}
    alone["properties"] = {key: schema}
    value = answers.get(key) if isinstance(answers, Mapping) else None
    return build_rows(alone, {key: value} if value is not None else {}, attachment_names=attachment_names)


def _root_rows(document: Mapping[str, Any], answer: Any) -> list[Row]:
    """A definition whose answer is not an object: its one answer as one question."""
    shared = {k: document[k] for k in ("$defs", "definitions") if k in document}
    question = {k: v for k, v in document.items() if k not in ("$defs", "definitions", "x-procedure", "$schema")}
    return build_rows({**shared, "properties": {"answer": question}}, {"answer": answer})


def _tree(rows: list[Row]) -> list[Answer]:
    """Rows with depths -> nested lines (a heading row holds the deeper rows after it)."""
    top: list[Answer] = []
    stack: list[tuple[int, Answer]] = []
    for row in rows:
        line = Answer(row.label, row.value_text)
        while stack and stack[-1][0] >= row.depth:
            stack.pop()
        (stack[-1][1].children if stack else top).append(line)
        stack.append((row.depth, line))
    return top
