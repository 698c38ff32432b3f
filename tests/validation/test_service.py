"""Validation: every failing field once, at its own pointer, with a Japanese message naming it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from forms_engine.validation.service import AnswerValidator
from tests.conftest import load_catalogue

SCHEMA: dict[str, Any] = {
    "title": "検証の手続",
    "type": "object",
    "x-procedure": {"id": "validation-test", "version": "1.0.0", "department": "d", "department_name": "課"},
    "properties": {
        "zip": {"type": "string", "title": "郵便番号", "format": "jp-postal-code"},
        "account": {"type": "string", "title": "口座番号", "pattern": "^[0-9]{7}$",
                    "x-error-messages": {"pattern": "口座番号は半角数字7桁で入力してください"}, "x-title-en": "Account number"},
        "count": {"type": "integer", "title": "通数", "minimum": 1, "maximum": 10},
        "has_spouse": {"type": "boolean", "title": "配偶者の有無"},
        "spouse_name": {"type": "string", "title": "配偶者の氏名", "maxLength": 5},
        "kind": {"title": "種別", "oneOf": [{"const": "a", "title": "本人"}, {"const": "b", "title": "代理人"}]},
        "agent": {"type": "string", "title": "代理人の氏名"},
        "members": {"type": "array", "title": "世帯員", "items": {
            "type": "object", "properties": {"kana": {"type": "string", "title": "フリガナ", "format": "katakana"}},
            "required": ["kana"]}},
        "phone": {"type": "string", "title": "電話番号", "format": "jp-phone"},
    },
    "required": ["zip", "count"],
    "dependentRequired": {"has_spouse": ["spouse_name"]},
    "if": {"properties": {"kind": {"const": "b"}}, "required": ["kind"]},
    "then": {"required": ["agent"]},
}


@pytest.fixture(scope="module")
def validator(tmp_path_factory: pytest.TempPathFactory) -> AnswerValidator:
    folder = tmp_path_factory.mktemp("v")
    (folder / "v.json").write_text(json.dumps(SCHEMA, ensure_ascii=False), encoding="utf-8")
    return load_catalogue([Path(folder)]).validator("validation-test")


def errors(validator: AnswerValidator, answers: Any, lang: str = "ja") -> dict[str, tuple[str, str]]:
    return {e.pointer: (e.keyword, e.message) for e in validator.validate(validator.normalise(answers), lang)}


def test_missing_required_points_at_the_field_and_names_it(validator: AnswerValidator) -> None:
    assert errors(validator, {}) == {"/zip": ("required", "郵便番号は必須です"), "/count": ("required", "通数は必須です")}


def test_dependent_and_conditional_requirements_point_at_the_missing_field(validator: AnswerValidator) -> None:
    found = errors(validator, {"zip": "100-0001", "count": 1, "has_spouse": True, "kind": "b"})
    assert found == {"/spouse_name": ("required", "配偶者の氏名は必須です"), "/agent": ("required", "代理人の氏名は必須です")}


def test_nested_array_items_point_inside(validator: AnswerValidator) -> None:
    found = errors(validator, {"zip": "100-0001", "count": 1, "members": [{"kana": "ヤマダ"}, {}]})
    assert found == {"/members/1/kana": ("required", "フリガナは必須です")}


def test_every_error_is_reported_once_per_field_in_form_order(validator: AnswerValidator) -> None:
    answers = {"zip": "12", "account": "12-34", "count": 0, "spouse_name": "とても長い名前です", "kind": "z",
               "phone": "12345"}
    found = validator.validate(validator.normalise(answers))
    assert [e.pointer for e in found] == ["/zip", "/account", "/count", "/spouse_name", "/kind", "/phone"]
    by = {e.pointer: e for e in found}
    assert by["/account"].message == "口座番号は半角数字7桁で入力してください"  # x-error-messages first
    assert by["/count"].message == "通数は1以上の値を入力してください"
    assert by["/spouse_name"].message == "配偶者の氏名は5文字以内で入力してください"
    assert by["/kind"].message == "種別は選択肢の中から選んでください"
    assert by["/zip"].keyword == "format" and "郵便番号" in by["/zip"].message


def test_type_errors_say_what_to_type(validator: AnswerValidator) -> None:
    assert errors(validator, {"zip": "100-0001", "count": "三"})["/count"] == ("type", "通数は整数（半角数字）で入力してください")


def test_japanese_formats_are_normalised_before_validation(validator: AnswerValidator) -> None:
    answers = validator.normalise({"zip": "１００－０００１", "count": 1, "phone": "０３（１２３４）５６７８",
                                   "members": [{"kana": "やまだ はなこ"}]})
    assert answers["zip"] == "100-0001"
    assert answers["phone"] == "03-1234-5678"
    assert answers["members"][0]["kana"] == "ヤマダ ハナコ"
    assert validator.validate(answers) == []


def test_english_messages(validator: AnswerValidator) -> None:
    found = errors(validator, {"account": "x"}, lang="en")
    assert found["/zip"] == ("required", "Enter 郵便番号")
    assert found["/account"][1] == "口座番号は半角数字7桁で入力してください"  # staff-written message wins
    assert errors(validator, {"zip": "100-0001", "count": 99}, lang="en")["/count"] == ("maximum", "通数 must be 10 or less")
