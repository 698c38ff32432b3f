"""Every JSON Schema keyword that can fail has a Japanese and an English message naming the field and saying
how to fix it: each is provoked through AnswerValidator.validate, on draft 2020-12 and draft-07."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from forms_engine.definitions.dialects import DRAFT_07 as D07
from forms_engine.definitions.dialects import DRAFT_2020_12 as D20
from forms_engine.definitions.service import DefinitionCatalogue
from forms_engine.validation import messages
from forms_engine.validation.formats import default_registry
from tests.conftest import load_catalogue

# The keywords of draft 2020-12 and draft-07 that can make an instance fail ("false" is a false schema).
FAILING_KEYWORDS = {
    "type", "enum", "const", "minLength", "maxLength", "pattern", "format", "minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "multipleOf", "minItems", "maxItems", "uniqueItems", "contains", "minContains", "maxContains",
    "minProperties", "maxProperties", "required", "dependentRequired", "dependencies", "additionalProperties",
    "unevaluatedProperties", "unevaluatedItems", "propertyNames", "not", "oneOf", "anyOf", "allOf", "if", "false",
    "items", "additionalItems",
}
TITLE = {"title": "テスト項目", "x-title-en": "Test field"}
INNER = {"title": "内側", "x-title-en": "Inner"}

# (case, dialect, schema of the field /f, its value, pointer, keyword reported, Japanese, English)
CASES: list[tuple[str, str, dict[str, Any], Any, str, str, str, str]] = [
    ("type", D20, {"type": "integer"}, "x", "/f", "type",
     "テスト項目は整数（半角数字）で入力してください", "Test field must be a whole number"),
    ("enum", D20, {"enum": ["a", "b"]}, "c", "/f", "enum",
     "テスト項目は選択肢の中から選んでください", "Select Test field from the options"),
    ("const", D20, {"const": "a"}, "b", "/f", "const",
     "テスト項目は「a」でなければなりません", 'Test field must be "a"'),
    ("minLength", D20, {"type": "string", "minLength": 3}, "ab", "/f", "minLength",
     "テスト項目は3文字以上で入力してください", "Test field must be at least 3 characters"),
    ("maxLength", D20, {"type": "string", "maxLength": 2}, "abc", "/f", "maxLength",
     "テスト項目は2文字以内で入力してください", "Test field must be 2 characters or fewer"),
    ("pattern", D20, {"type": "string", "pattern": "^[0-9]+$"}, "x", "/f", "pattern",
     "テスト項目の形式が正しくありません。説明にある形式で入力し直してください", "Test field is not in the right format: enter it as the hint says"),
    ("pattern-example", D20, {"type": "string", "pattern": "^[0-9]+$", "examples": ["0123"]}, "x", "/f", "pattern",
     "テスト項目の形式が正しくありません。例にならって入力してください（例：0123）", "Test field is not in the right format: enter it like the example (0123)"),
    ("minimum", D20, {"type": "integer", "minimum": 1}, 0, "/f", "minimum",
     "テスト項目は1以上の値を入力してください", "Test field must be 1 or more"),
    ("maximum", D20, {"type": "integer", "maximum": 1}, 2, "/f", "maximum",
     "テスト項目は1以下の値を入力してください", "Test field must be 1 or less"),
    ("exclusiveMinimum", D20, {"type": "integer", "exclusiveMinimum": 1}, 1, "/f", "exclusiveMinimum",
     "テスト項目は1より大きい値を入力してください", "Test field must be more than 1"),
    ("exclusiveMaximum", D20, {"type": "integer", "exclusiveMaximum": 1}, 1, "/f", "exclusiveMaximum",
     "テスト項目は1より小さい値を入力してください", "Test field must be less than 1"),
    ("multipleOf", D20, {"type": "integer", "multipleOf": 5}, 7, "/f", "multipleOf",
     "テスト項目は5の倍数で入力してください", "Test field must be a multiple of 5"),
    ("minItems", D20, {"type": "array", "minItems": 2}, [1], "/f", "minItems",
     "テスト項目は2件以上入力してください", "Enter at least 2 entries for Test field"),
    ("maxItems", D20, {"type": "array", "maxItems": 1}, [1, 2], "/f", "maxItems",
     "テスト項目は1件以内にしてください", "Enter 1 entries or fewer for Test field"),
    ("uniqueItems", D20, {"type": "array", "uniqueItems": True}, [1, 1], "/f", "uniqueItems",
     "テスト項目に同じものが重複しています。重複を取り除いてください", "Test field contains duplicates: remove them"),
    ("contains", D20, {"type": "array", "contains": {"const": "x"}}, ["a"], "/f", "contains",
     "テスト項目には条件に合うものを1件以上入れてください", "Add at least one matching entry to Test field"),
    ("minContains", D20, {"type": "array", "contains": {"const": "x"}, "minContains": 2}, ["x", "a"], "/f", "minContains",
     "テスト項目には条件に合うものを2件以上入れてください", "Add at least 2 matching entries to Test field"),
    ("maxContains", D20, {"type": "array", "contains": {"const": "x"}, "maxContains": 1}, ["x", "x"], "/f", "maxContains",
     "テスト項目の条件に合うものは1件以内にしてください", "Test field may have at most 1 matching entries: remove the others"),
    ("minProperties", D20, {"type": "object", "minProperties": 1}, {}, "/f", "minProperties",
     "テスト項目は1項目以上入力してください", "Test field needs at least 1 fields"),
    ("maxProperties", D20, {"type": "object", "maxProperties": 1}, {"a": 1, "b": 2}, "/f", "maxProperties",
     "テスト項目は1項目以内にしてください", "Test field accepts at most 1 fields"),
    ("required", D20, {"type": "object", "properties": {"g": INNER}, "required": ["g"]}, {}, "/f/g", "required",
     "内側は必須です", "Enter Inner"),
    ("dependentRequired", D20, {"type": "object", "properties": {"a": {}, "g": INNER}, "dependentRequired": {"a": ["g"]}}, {"a": 1}, "/f/g", "required",
     "内側は必須です", "Enter Inner"),
    ("dependencies", D07, {"type": "object", "properties": {"a": {}, "g": INNER}, "dependencies": {"a": ["g"]}}, {"a": 1}, "/f/g", "required",
     "内側は必須です", "Enter Inner"),
    ("dependencies-schema", D07, {"type": "object", "properties": {"a": {}, "g": INNER}, "dependencies": {"a": {"required": ["g"]}}}, {"a": 1}, "/f/g", "required",
     "内側は必須です", "Enter Inner"),
    ("additionalProperties", D20, {"type": "object", "properties": {}, "additionalProperties": False}, {"extra": 1}, "/f/extra", "additionalProperties",
     "「extra」という項目は受け付けていません。取り除いてください", '"extra" is not a field of this form: remove it'),
    ("unevaluatedProperties", D20, {"type": "object", "allOf": [{"properties": {"a": {}}}], "unevaluatedProperties": False}, {"a": 1, "zz": 2}, "/f/zz", "unevaluatedProperties",
     "「zz」という項目は受け付けていません。取り除いてください", '"zz" is not a field of this form: remove it'),
    ("unevaluatedItems", D20, {"type": "array", "prefixItems": [{}], "unevaluatedItems": False}, [1, 2], "/f", "unevaluatedItems",
     "テスト項目に受け付けていない項目があります。余分なものを取り除いてください", "Test field has entries this form does not accept: remove the extra ones"),
    ("propertyNames", D20, {"type": "object", "propertyNames": {"maxLength": 3}}, {"toolong": 1}, "/f/toolong", "propertyNames",
     "テスト項目の項目名「toolong」は使えません。取り除いてください", 'Test field cannot have a field named "toolong": remove it'),
    ("not", D20, {"not": {"const": "x"}}, "x", "/f", "not",
     "テスト項目にその値は使えません。別の値を入力してください", "Test field cannot take that value: enter another one"),
    ("oneOf", D20, {"oneOf": [{"type": "string"}, {"maxLength": 5}]}, "ab", "/f", "oneOf",
     "テスト項目はどれか1つの形式に合わせて入力してください", "Test field must match one of the allowed forms"),
    ("oneOf-choice", D20, {"oneOf": [{"const": "a", "title": "A"}, {"const": "b", "title": "B"}]}, "c", "/f", "oneOf",
     "テスト項目は選択肢の中から選んでください", "Select Test field from the options"),
    ("anyOf", D20, {"anyOf": [{"type": "integer"}, {"type": "boolean"}]}, "x", "/f", "type",
     "テスト項目は整数（半角数字）で入力してください", "Test field must be a whole number"),
    ("anyOf-choice", D20, {"anyOf": [{"const": "a", "title": "A"}, {"const": "b", "title": "B"}]}, "c", "/f", "anyOf",
     "テスト項目は選択肢の中から選んでください", "Select Test field from the options"),
    ("allOf", D20, {"allOf": [{"type": "string"}, {"minLength": 3}]}, "ab", "/f", "minLength",
     "テスト項目は3文字以上で入力してください", "Test field must be at least 3 characters"),
    ("if-then", D20, {"type": "object", "properties": {"k": {}, "g": INNER}, "if": {"properties": {"k": {"const": "b"}}, "required": ["k"]}, "then": {"required": ["g"]}}, {"k": "b"}, "/f/g", "required",
     "内側は必須です", "Enter Inner"),
    ("if-else", D20, {"type": "object", "properties": {"k": {}, "g": INNER}, "if": {"properties": {"k": {"const": "b"}}, "required": ["k"]}, "else": {"properties": {"g": {"maxLength": 1}}}}, {"k": "a", "g": "xx"}, "/f/g", "maxLength",
     "内側は1文字以内で入力してください", "Inner must be 1 characters or fewer"),
    ("false", D20, {"type": "object", "properties": {"k": {}}, "if": {"required": ["k"]}, "then": False}, {"k": 1}, "/f", "false",
     "テスト項目はこの手続では入力できません。取り除いてください", "Test field cannot be given in this procedure: remove it"),
    ("false-property", D20, {"type": "object", "properties": {"g": False}}, {"g": 1}, "/f/g", "false",
     "gはこの手続では入力できません。取り除いてください", "g cannot be given in this procedure: remove it"),
    ("items-false", D20, {"type": "array", "prefixItems": [{}], "items": False}, [1, 2], "/f", "items",
     "テスト項目は1件以内にしてください", "Enter 1 entries or fewer for Test field"),
    ("additionalItems", D07, {"type": "array", "items": [{}], "additionalItems": False}, [1, 2], "/f", "additionalItems",
     "テスト項目は1件以内にしてください", "Enter 1 entries or fewer for Test field"),
    ("type-07", D07, {"type": "integer"}, "x", "/f", "type",
     "テスト項目は整数（半角数字）で入力してください", "Test field must be a whole number"),
    ("exclusiveMinimum-07", D07, {"type": "integer", "exclusiveMinimum": 1}, 1, "/f", "exclusiveMinimum",
     "テスト項目は1より大きい値を入力してください", "Test field must be more than 1"),
    ("contains-07", D07, {"type": "array", "contains": {"const": "x"}}, ["a"], "/f", "contains",
     "テスト項目には条件に合うものを1件以上入れてください", "Add at least one matching entry to Test field"),
    ("propertyNames-07", D07, {"type": "object", "propertyNames": {"pattern": "^[a-z]+$"}}, {"A1": 1}, "/f/A1", "propertyNames",
     "テスト項目の項目名「A1」は使えません。取り除いてください", 'Test field cannot have a field named "A1": remove it'),
    ("if-then-07", D07, {"type": "object", "properties": {"k": {}, "g": INNER}, "if": {"required": ["k"]}, "then": {"required": ["g"]}}, {"k": 1}, "/f/g", "required",
     "内側は必須です", "Enter Inner"),
]
FORMAT_BAD = {"regex": "(", "jp-postal-code": "12"}


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> DefinitionCatalogue:
    folder = tmp_path_factory.mktemp("messages")
    fields = [(case, dialect, schema) for case, dialect, schema, *_ in CASES]
    fields += [(f"format-{name}", D20, {"type": "string", "format": name}) for name in default_registry().names()]
    for case, dialect, schema in fields:
        doc = {"$schema": dialect, "title": "メッセージの手続", "type": "object",
               "x-procedure": {"id": case.lower(), "version": "1.0.0", "department": "d", "department_name": "課"},
               "properties": {"f": {**TITLE, **schema}}}
        (folder / f"{case.lower()}.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return load_catalogue([Path(folder)])


def test_the_cases_cover_every_failing_keyword() -> None:
    covered = {case.split("-")[0] for case, *_ in CASES}
    assert covered >= FAILING_KEYWORDS - {"format"}  # formats: one case per registered format below


@pytest.mark.parametrize(("case", "dialect", "schema", "value", "pointer", "keyword", "ja", "en"), CASES,
                         ids=[c[0] for c in CASES])
def test_each_keyword_has_a_message_naming_the_field(catalogue: DefinitionCatalogue, case: str, dialect: str,
                                                     schema: dict[str, Any], value: Any, pointer: str, keyword: str,
                                                     ja: str, en: str) -> None:
    validator = catalogue.validator(case.lower())
    found = {lang: [(e.pointer, e.keyword, e.message) for e in validator.validate({"f": value}, lang)]
             for lang in ("ja", "en")}
    assert found == {"ja": [(pointer, keyword, ja)], "en": [(pointer, keyword, en)]}
    name = pointer.removeprefix("/f/")
    if pointer == "/f":
        title = ("テスト項目", "Test field")
    elif schema.get("properties", {}).get(name) == INNER:
        title = ("内側", "Inner")
    else:  # a field the schema does not describe is named by its key
        title = (name, name)
    assert title[0] in ja and title[1] in en
    assert ja != messages.render("other", "ja", title[0]) and en != messages.render("other", "en", title[1])


@pytest.mark.parametrize("name", sorted(default_registry().names()))
def test_each_registered_format_has_its_own_message(catalogue: DefinitionCatalogue, name: str) -> None:
    entry = default_registry().get(name)
    assert entry is not None
    validator = catalogue.validator(f"format-{name}")
    bad = FORMAT_BAD.get(name, "not valid!!")
    for lang, template in (("ja", entry.message_ja), ("en", entry.message_en)):
        [error] = validator.validate({"f": bad}, lang)
        assert (error.pointer, error.keyword) == ("/f", "format")
        title = "テスト項目" if lang == "ja" else "Test field"
        # a format that can name the wrong character does (test_katakana.py checks those messages)
        assert error.message == entry.message(lang, title, entry.normalise(bad))
        assert entry.culprit is not None or error.message == template.format(title=title)
        assert error.message != messages.render("format", lang, "テスト項目" if lang == "ja" else "Test field")


def test_format_messages_differ_from_each_other() -> None:
    registry = default_registry()
    entries = [registry.get(n) for n in registry.names()]
    assert len({e.message_ja for e in entries if e}) == len({e.message_en for e in entries if e}) == len(entries)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_catalogue_entry_names_the_field(lang: str) -> None:
    catalogue = messages.CATALOGUES[lang]
    assert set(catalogue) == set(messages.CATALOGUES["ja"])
    assert all("{title}" in text for text in catalogue.values())
