"""`forms-engine check`: every kind of broken definition is reported at the right pointer."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from forms_engine.cli import main
from forms_engine.definitions.linter import lint_paths
from forms_engine.definitions.service import lint_context
from forms_engine.rendering.widgets import default_widgets
from forms_engine.validation.formats import default_registry
from tests.conftest import SAMPLES_DIR

BASE: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "試験の手続",
    "type": "object",
    "x-procedure": {
        "id": "lint-base", "version": "1.0.0", "department": "shimin", "department_name": "市民課",
        "steps": [{"id": "a", "title": "本人", "properties": ["name", "zip"]},
                  {"id": "b", "title": "内容", "properties": ["note", "kind"]}],
    },
    "properties": {
        "name": {"type": "string", "title": "氏名"},
        "zip": {"type": "string", "title": "郵便番号", "format": "jp-postal-code", "x-widget": "postal-code"},
        "note": {"type": "string", "title": "備考", "pattern": "^[^<>]*$"},
        "kind": {"$ref": "#/$defs/kind"},
    },
    "$defs": {"kind": {"title": "種別", "enum": ["a", "b"]}},
    "required": ["name"],
}


def lint(tmp_path: Path, *docs: dict[str, Any]) -> list[tuple[str, str, str]]:
    for i, doc in enumerate(docs):
        (tmp_path / f"def{i}.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    _, problems = lint_paths([tmp_path], lint_context(default_widgets(), default_registry()))
    return [(Path(p.file).name, p.pointer, p.message) for p in problems]


def broken(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    change(doc)
    return doc


def test_the_base_definition_is_valid(tmp_path: Path) -> None:
    assert lint(tmp_path, BASE) == []


@pytest.mark.parametrize(
    ("change", "pointer", "words"),
    [
        (lambda d: d["x-procedure"].update(colour="red"), "/x-procedure/colour", "x-procedure に無いキー"),
        (lambda d: d["x-procedure"].update(signature="maybe"), "/x-procedure/signature", "使えない値"),
        (lambda d: d["x-procedure"].pop("department"), "/x-procedure/department", "必須のキー"),
        (lambda d: d["x-procedure"].update(id="Bad_ID"), "/x-procedure/id", "英小文字"),
        (lambda d: d["x-procedure"].update(version="1.0"), "/x-procedure/version", "セマンティック"),
        (lambda d: d["required"].append("ghost"), "/required/1", "'ghost' が properties にありません"),
        (lambda d: d["x-procedure"]["steps"][1]["properties"].append("nowhere"),
         "/x-procedure/steps/1/properties/2", "知らない項目 'nowhere'"),
        (lambda d: d["x-procedure"]["steps"][0]["properties"].remove("zip"), "/properties/zip", "どのステップにもありません"),
        (lambda d: d["x-procedure"]["steps"][1]["properties"].append("name"),
         "/x-procedure/steps/1/properties/2", "ステップ 1 にもあります"),
        (lambda d: d["properties"]["name"].update({"x-widget": "slider"}), "/properties/name/x-widget", "'slider' はありません"),
        (lambda d: d["properties"]["note"].update(pattern="^([a-z$"), "/properties/note/pattern", "正規表現として不正"),
        (lambda d: d["properties"].update(kind={"$ref": "#/$defs/missing"}), "/properties/kind/$ref", "見つかりません"),
        (lambda d: d["properties"]["name"].update(type="text"), "/properties/name/type", "JSON Schema として不正"),
        (lambda d: d["properties"]["name"].update(format="jp-nonsense"), "/properties/name/format", "知らない形式"),
        (lambda d: d.pop("x-procedure"), "/x-procedure", "x-procedure がありません"),
    ],
)
def test_each_problem_is_reported_at_its_pointer(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], pointer: str, words: str
) -> None:
    problems = lint(tmp_path, broken(change))
    assert any(ptr == pointer and words in msg for _, ptr, msg in problems), problems


NAME_WIDGET = {"type": "object", "title": "氏名", "x-widget": "name",
               "properties": {"family": {"type": "string", "title": "姓"}, "given": {"type": "string", "title": "名"}}}


def with_field(field: dict[str, Any]) -> dict[str, Any]:
    return broken(lambda d: d["properties"].update(name=copy.deepcopy(field)))


@pytest.mark.parametrize(
    "field",
    [
        {**NAME_WIDGET, "x-autocomplete": "off"},  # someone else's name
        {"type": "array", "title": "児童", "x-autocomplete": "off", "items": NAME_WIDGET},
        {"type": "string", "title": "生年月日", "format": "date", "x-widget": "wareki-date", "x-autocomplete": "bday"},
        {"type": "string", "title": "生年月日", "format": "date", "x-autocomplete": "bday"},
        {"type": "string", "title": "配偶者の生年月日", "format": "date", "x-widget": "wareki-date", "x-autocomplete": "off"},
        {"type": "string", "title": "団体名", "x-autocomplete": "organization"},
        {"type": "string", "title": "電話番号", "format": "jp-phone", "x-widget": "tel", "x-autocomplete": "off"},
    ],
)
def test_x_autocomplete_values_that_are_allowed(tmp_path: Path, field: dict[str, Any]) -> None:
    assert lint(tmp_path, with_field(field)) == []


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ({**NAME_WIDGET, "x-autocomplete": "family-name"},
         "x-autocomplete 'family-name' は書けません。氏名・住所などのまとまりや選択肢には、"
         "申請する本人以外の人についての項目であることを示す \"off\" だけを書けます"),
        ({"type": "array", "title": "児童", "x-autocomplete": "on", "items": NAME_WIDGET},
         "x-autocomplete 'on' は書けません。氏名・住所などのまとまりや選択肢には、"
         "申請する本人以外の人についての項目であることを示す \"off\" だけを書けます"),
        ({"type": "string", "title": "生年月日", "format": "date", "x-widget": "wareki-date", "x-autocomplete": "bday-year"},
         "日付の x-autocomplete 'bday-year' は使えません。申請する本人の生年月日は \"bday\"、"
         "本人以外の人の日付は \"off\" にしてください"),
        ({"type": "string", "title": "氏名", "x-autocomplete": "full-name"},
         "x-autocomplete 'full-name' は HTML の autocomplete の値ではありません"
         "（例: organization、tel、email。本人以外の人についての項目は \"off\"）"),
        ({"type": "string", "title": "氏名", "x-autocomplete": True},
         "x-autocomplete は文字列です（\"off\"、\"bday\" または HTML の autocomplete の値）"),
    ],
)
def test_x_autocomplete_values_that_are_refused_at_their_pointer(tmp_path: Path, field: dict[str, Any],
                                                                   message: str) -> None:
    assert lint(tmp_path, with_field(field)) == [("def0.json", "/properties/name/x-autocomplete", message)]


def test_x_autocomplete_is_checked_where_it_stands_deep_in_the_schema(tmp_path: Path) -> None:
    field = {"type": "array", "title": "児童",
             "items": {"type": "object", "title": "児童", "properties": {
                 "name": {**NAME_WIDGET, "x-autocomplete": "off"},
                 "birth_date": {"type": "string", "title": "生年月日", "format": "date", "x-autocomplete": "bday-day"}}}}
    assert [(p, m.split("。")[0]) for _, p, m in lint(tmp_path, with_field(field))] == [
        ("/properties/name/items/properties/birth_date/x-autocomplete", "日付の x-autocomplete 'bday-day' は使えません")]


def test_a_required_inside_then_may_name_the_parents_property(tmp_path: Path) -> None:
    doc = broken(lambda d: d.update({"if": {"properties": {"kind": {"const": "a"}}}, "then": {"required": ["note"]}}))
    assert lint(tmp_path, doc) == []
    doc = broken(lambda d: d.update({"if": {"properties": {"kind": {"const": "a"}}}, "then": {"required": ["nope"]}}))
    assert [p[1] for p in lint(tmp_path, doc)] == ["/then/required/0"]


def test_every_problem_is_collected_not_only_the_first(tmp_path: Path) -> None:
    def many(d: dict[str, Any]) -> None:
        d["x-procedure"]["version"] = "one"
        d["required"].append("ghost")
        d["properties"]["name"]["x-widget"] = "slider"

    pointers = {p[1] for p in lint(tmp_path, broken(many))}
    assert {"/x-procedure/version", "/required/1", "/properties/name/x-widget"} <= pointers


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    problems = lint(tmp_path, BASE, BASE)
    assert ("def1.json", "/x-procedure/id", "id 'lint-base' は " + str(tmp_path / "def0.json") + " でも使われています") in problems


def test_unreadable_json_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{"title": "x",\n  oops}', encoding="utf-8")
    _, problems = lint_paths([tmp_path], lint_context(default_widgets(), default_registry()))
    assert len(problems) == 1 and "2行" in problems[0].message


def test_folder_definitions_resolve_refs_beside_them(tmp_path: Path) -> None:
    folder = tmp_path / "with-parts"
    folder.mkdir()
    doc = broken(lambda d: d["properties"].update(kind={"$ref": "parts.json#/$defs/kind"}))
    (folder / "procedure.json").write_text(json.dumps(doc), encoding="utf-8")
    (folder / "parts.json").write_text(json.dumps({"$defs": {"kind": {"enum": ["x"]}}}), encoding="utf-8")
    _, problems = lint_paths([tmp_path], lint_context(default_widgets(), default_registry()))
    assert problems == []
    (folder / "parts.json").write_text(json.dumps({"$defs": {}}), encoding="utf-8")
    _, problems = lint_paths([tmp_path], lint_context(default_widgets(), default_registry()))
    assert [p.pointer for p in problems] == ["/properties/kind/$ref"]


def test_check_command_prints_file_pointer_message_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORMS_ENGINE_DATA_DIR", str(tmp_path / "nodata"))
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken(lambda d: d["x-procedure"].update(version="1"))), encoding="utf-8")
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{path}: /x-procedure/version: version '1' は")


def test_check_accepts_every_sample(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                    tmp_path: Path) -> None:
    monkeypatch.setenv("FORMS_ENGINE_DATA_DIR", str(tmp_path / "nodata"))
    assert len(list(SAMPLES_DIR.glob("*.json"))) >= 6
    assert main(["check", str(SAMPLES_DIR)]) == 0, capsys.readouterr().out


def test_check_accepts_every_corpus_schema(corpus_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FORMS_ENGINE_DATA_DIR", str(tmp_path / "nodata"))
    assert main(["check", str(corpus_dir)]) == 0


def test_the_third_party_corpus_is_there() -> None:
    """The corpus lives in ../shared beside the checkout; without it the corpus tests would prove nothing."""
    from tests.conftest import CORPUS, corpus_names

    assert len(corpus_names()) >= 29, f"corpus not found at {CORPUS} (set FORMS_ENGINE_SHARED_DIR)"
