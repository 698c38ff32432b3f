"""The confirmation page's answers: what each step holds, worded as the receipt words it.

The receipt's formatter (`receipts.layout.build_rows`) words every value: choices by their title,
はい/いいえ, dates as 「令和7年（2025年）4月1日」 (`date` and `wareki-date` alike, see
docs/adr/0004-dates-on-pages-and-receipts.md), names and addresses on one line, 未入力. It is called once
per question, so each gets its 「変更」 link. What differs from the resident's PDF is prepared here before
it: a sensitive value (`definitions.sensitivity`: `x-sensitive`, a マイナンバー) keeps its last four characters visible (the resident typed it and may check it)
instead of being hidden whole, and on an English page a date reads 「1 April 2025」.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from forms_engine.definitions.schemas import Definition
from forms_engine.definitions.sensitivity import is_sensitive
from forms_engine.receipts.layout import Row, Words, build_rows
from forms_engine.rendering import schema_nav as sn
from forms_engine.rendering.flow import ROOT, Layout, StepRef, questions
from forms_engine.rendering.schema_nav import Part, SchemaNav, nav_for
from forms_engine.rendering.texts import text
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


def western_date(value: str, lang: str = "ja") -> str:
    """「2025-04-01」 -> 「2025年4月1日」 (「1 April 2025」 in English; anything else as it is)."""
    found = _ISO_DATE.fullmatch(value)
    if found is None:
        return value
    try:
        day = date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        return value
    if lang == "en":
        return f"{day.day} {calendar.month_name[day.month]} {day.year}"
    return f"{day.year}年{day.month}月{day.day}日"


def english_titles(value: Any) -> Any:
    """A copy of a schema whose `title`s are its `x-title-en`s where it gives them (labels and choices)."""
    if isinstance(value, list):
        return [english_titles(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: english_titles(v) for k, v in value.items()}
    if isinstance(value.get("x-title-en"), str):
        out["title"] = value["x-title-en"]
    return out


def words_for(lang: str) -> Words | None:
    """The layout's words on an English page (None: the receipt's Japanese ones)."""
    if lang != "en":
        return None
    return Words(unanswered=text(lang, "unanswered"), yes=text(lang, "yes"), no=text(lang, "no"),
                 list_separator=text(lang, "list_separator"), other_heading=text(lang, "other_answers"))


class _Presenter:
    """Answers prepared for the receipt's formatter: sensitive tails; dates in English on an English page."""

    def __init__(self, nav: SchemaNav, lang: str = "ja") -> None:
        self.nav = nav
        self.lang = lang
        self.masked = False

    def value(self, parts: list[Part], value: Any, sensitive: bool, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            return value
        parts = self.nav.flatten(parts, loose=True)
        sensitive = sensitive or is_sensitive(p.schema for p in parts)
        if isinstance(value, dict):
            parts = self.nav.applied(parts, value)
            return {k: self.value(self.nav.child_parts(parts, k), v, sensitive, depth + 1) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(self.nav.child_parts(parts, i), v, sensitive, depth + 1) for i, v in enumerate(value)]
        if isinstance(value, str) and sensitive:
            self.masked = True
            return mask_tail(value)
        if isinstance(value, str) and sn.first(parts, "format") == "date" and self.lang == "en":
            return western_date(value, self.lang)
        return value


def confirmation(definition: Definition, formats: FormatRegistry, layout: Layout, answers: Any,
                 attachment_names: Mapping[str, str],
                 change_url: Callable[[StepRef, FieldView], str], lang: str = "ja") -> Confirmation:
    """Per step, each question it shows with its answer (normalised answers expected); in English, labels
    and choices by their `x-title-en` where given."""
    nav = nav_for(definition, formats)
    presenter = _Presenter(nav, lang)
    shown = presenter.value([nav.root], answers, False, 0)
    document = definition.document if isinstance(definition.document, dict) else {}
    words = words_for(lang)
    out: list[StepAnswers] = []
    for step, section in zip(layout.steps, layout.view.sections, strict=True):
        lines: list[Answer] = []
        for top in section.fields:
            for key, question in questions(top):
                rows = (_root_rows(document, shown, words) if key == ROOT
                        else _rows(nav, document, key, shown, attachment_names, words))
                for line in _tree(rows):
                    line.change_url = change_url(step, question)
                    lines.append(line)
        out.append(StepAnswers(step, lines))
    return Confirmation(out, presenter.masked)


def _rows(nav: SchemaNav, document: Mapping[str, Any], key: str, answers: Any,
          attachment_names: Mapping[str, str], words: Words | None = None) -> list[Row]:
    """The receipt rows of one top-level answer: the definition cut down to that one question."""
    declared = document.get("properties")
    schema: Any = declared.get(key) if isinstance(declared, Mapping) else None
    if not isinstance(schema, Mapping):  # asked only under a condition (then/else, dependentSchemas, …)
        parts = sn.properties(nav.applied(nav.flatten([nav.root], loose=True), answers)).get(key, [])
        schema = parts[0].schema if parts else {}
    alone = {k: v for k, v in document.items() if k not in _OTHER_QUESTIONS}
    alone["properties"] = {key: schema}
    value = answers.get(key) if isinstance(answers, Mapping) else None
    return build_rows(english_titles(alone) if words is not None else alone, {key: value} if value is not None else {},
                      attachment_names=attachment_names, words=words)


def _root_rows(document: Mapping[str, Any], answer: Any, words: Words | None = None) -> list[Row]:
    """A definition whose answer is not an object: its one answer as one question."""
    shared = {k: document[k] for k in ("$defs", "definitions") if k in document}
    question = {k: v for k, v in document.items() if k not in ("$defs", "definitions", "x-procedure", "$schema")}
    alone = {**shared, "properties": {"answer": question}}
    return build_rows(english_titles(alone) if words is not None else alone, {"answer": answer}, words=words)


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
