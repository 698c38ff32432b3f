"""`x-staff-search`: allowed on a leaf or a compound of leaves; refused (file, pointer, message; every misuse
collected) on a sensitive answer, anything inside or holding one, a file, an array, a yes/no, a nested object."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from forms_engine.definitions.staff_search import search_fields, searchable_values
from tests.conftest import SAMPLES_DIR
from tests.definitions.test_linter import BASE, lint

NAME = {"title": "氏名", "x-widget": "name", "type": "object",
        "properties": {"family": {"type": "string", "title": "姓"}, "given": {"type": "string", "title": "名"}}}
SENSITIVE = "機微な項目"
NOT_LEAF = "文字・数字だけからなるまとまり"


def with_fields(**fields: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        doc["properties"].update(fields)
        doc["x-procedure"]["steps"][1]["properties"].extend(fields)
    return change


def changed(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    change(doc)
    return doc


def test_leaves_and_compounds_of_leaves_are_accepted_and_named_by_title(tmp_path: Path) -> None:
    doc = changed(with_fields(
        applicant={**NAME, "x-staff-search": True},
        phone={"type": "string", "title": "電話番号", "format": "jp-phone", "x-widget": "tel", "x-staff-search": True},
        count={"type": "integer", "title": "人数", "x-staff-search": True},
        kind2={"$ref": "#/$defs/kind", "x-staff-search": True, "type": "string"},
        bank={"type": "object", "title": "振込先", "properties": {
            "branch": {"type": "string", "title": "支店名", "x-staff-search": True},
            "account": {"type": "string", "title": "口座番号", "x-sensitive": True}}},
        note2={"type": "string", "title": "備考2", "x-staff-search": False}))
    assert lint(tmp_path, doc) == []
    assert [f.title for f in search_fields(doc)] == ["氏名", "電話番号", "人数", "種別", "振込先の支店名"]
    answers = {"applicant": {"family": "山田", "given": "花子"}, "phone": "090-1234-5678", "count": 3,
               "bank": {"branch": "本店", "account": "1234567"}, "note2": "searchable? no", "name": "x"}
    assert searchable_values(doc, answers) == [
        ("/applicant", "山田 花子"), ("/phone", "090-1234-5678"), ("/count", "3"), ("/bank/branch", "本店")]


@pytest.mark.parametrize(("fields", "pointer", "words"), [
    ({"mn": {"type": "string", "title": "個人番号", "format": "jp-my-number", "x-staff-search": True}},
     "/properties/mn/x-staff-search", SENSITIVE),
    ({"secret": {"type": "string", "title": "秘密", "x-sensitive": True, "x-staff-search": True}},
     "/properties/secret/x-staff-search", SENSITIVE),
    ({"box": {"type": "object", "title": "まとまり", "x-sensitive": True, "properties": {
        "inner": {"type": "string", "title": "中", "x-staff-search": True}}}},
     "/properties/box/properties/inner/x-staff-search", SENSITIVE),
    ({"person": {"type": "object", "title": "本人", "x-staff-search": True, "properties": {
        "name": {"type": "string", "title": "氏名"}, "mn": {"type": "string", "format": "jp-my-number"}}}},
     "/properties/person/x-staff-search", SENSITIVE),
    ({"hidden": {"$ref": "#/$defs/plain", "x-sensitive": True}},
     "/$defs/plain/x-staff-search", SENSITIVE),
    ({"upload": {"type": "string", "title": "委任状", "x-widget": "file", "x-accept": ["application/pdf"],
                 "x-staff-search": True}}, "/properties/upload/x-staff-search", "ファイル"),
    ({"tags": {"type": "array", "title": "タグ", "items": {"type": "string"}, "x-staff-search": True}},
     "/properties/tags/x-staff-search", NOT_LEAF),
    ({"yes": {"type": "boolean", "title": "はい", "x-widget": "yes-no", "x-staff-search": True}},
     "/properties/yes/x-staff-search", NOT_LEAF),
    ({"deep": {"type": "object", "title": "入れ子", "x-staff-search": True, "properties": {
        "inner": {"type": "object", "properties": {"leaf": {"type": "string"}}}}}},
     "/properties/deep/x-staff-search", NOT_LEAF),
    ({"odd": {"type": "string", "title": "変", "x-staff-search": "yes"}}, "/properties/odd/x-staff-search",
     "true か false"),
])
def test_misuse_is_refused_at_its_pointer(tmp_path: Path, fields: dict[str, Any], pointer: str, words: str) -> None:
    def change(doc: dict[str, Any]) -> None:
        with_fields(**fields)(doc)
        doc["$defs"]["plain"] = {"type": "string", "title": "平文", "x-staff-search": True}

    problems = lint(tmp_path, changed(change))
    assert [(file, ptr) for file, ptr, _ in problems] == [("def0.json", pointer)], problems
    assert words in problems[0][2]


def test_every_misuse_is_collected(tmp_path: Path) -> None:
    doc = changed(with_fields(
        mn={"type": "string", "format": "jp-my-number", "x-staff-search": True},
        up={"type": "string", "x-widget": "file", "x-staff-search": True},
        tags={"type": "array", "items": {"type": "string"}, "x-staff-search": True}))
    assert sorted(ptr for _, ptr, _ in lint(tmp_path, doc)) == [
        "/properties/mn/x-staff-search", "/properties/tags/x-staff-search", "/properties/up/x-staff-search"]


def test_an_answer_sensitive_by_its_place_is_never_given_out_even_unlinted() -> None:
    doc = changed(with_fields(secret={"type": "string", "x-sensitive": True, "x-staff-search": True},
                              mn={"type": "string", "format": "jp-my-number", "x-staff-search": True}))
    assert searchable_values(doc, {"secret": "秘密", "mn": "123456789018"}) == []
    assert search_fields(doc) == []


def test_the_samples_choose_names_furigana_and_phones() -> None:
    for path in sorted(SAMPLES_DIR.glob("*.json")):
        titles = [f.title for f in search_fields(json.loads(path.read_text(encoding="utf-8")))]
        assert any("氏名" in t or "団体名" in t for t in titles), (path.name, titles)
        assert any("フリガナ" in t for t in titles) and any("電話番号" in t for t in titles), (path.name, titles)
