"""Names (氏名) are stored exactly as typed: no normalisation, lengths in code points, 4-byte characters kept."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session

from forms_engine.models import Submission
from forms_engine.validation.service import AnswerValidator
from tests.conftest import load_catalogue

YOSHI = "\U00020bb7"  # 𠮷, outside the BMP: 4 bytes in UTF-8
KATSU_IVS = "\u845b\U000e0100"  # 葛 + VS17: one glyph, two code points
KAMI_COMPAT = "\ufa19"  # 神, a CJK compatibility ideograph: NFC/NFKC turn it into U+795E
TAKA = "\u9ad9"  # 髙
SAKI = "\ufa11"  # 﨑

NAMES_DOC: dict[str, Any] = {
    "title": "氏名の手続", "type": "object",
    "x-procedure": {"id": "names", "version": "1.0.0", "department": "d", "department_name": "課"},
    "properties": {
        "applicant": {"title": "氏名", "x-widget": "name", "type": "object",
                      "properties": {"family": {"type": "string", "title": "姓", "maxLength": 2},
                                     "given": {"type": "string", "title": "名", "minLength": 2, "maxLength": 4}},
                      "required": ["family"]},
        "kana": {"title": "フリガナ", "type": "string", "format": "katakana"},
        "others": {"title": "同居人", "type": "array", "items": {"type": "string", "title": "同居人の氏名", "maxLength": 10}},
        "remarks": {"title": "備考", "type": "string", "x-widget": "textarea", "maxLength": 400},
    },
    "required": ["applicant"],
}
TYPED = {
    "applicant": {"family": f"{TAKA}{SAKI}", "given": f"{YOSHI}{KAMI_COMPAT}"},
    "others": [KATSU_IVS + "飾", f"{KAMI_COMPAT}田", "ｶﾀｶﾅ", "か\u3099", "Ａ"],  # half-width, decomposed が, full-width A
    "remarks": f"正しい字は「{YOSHI}」です。\n{KATSU_IVS}（葛の異体字）",
}


@pytest.fixture(scope="module")
def names_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("names")
    (folder / "names.json").write_text(json.dumps(NAMES_DOC, ensure_ascii=False), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def validator(names_dir: Path) -> AnswerValidator:
    return load_catalogue([names_dir]).validator("names")


def test_the_characters_are_what_the_test_says_they_are() -> None:
    assert len(YOSHI) == 1 and len(YOSHI.encode("utf-8")) == 4
    assert len(KATSU_IVS) == 2
    assert unicodedata.normalize("NFC", KAMI_COMPAT) == "\u795e" != KAMI_COMPAT  # why names are never normalised


def test_normalise_leaves_names_untouched(validator: AnswerValidator) -> None:
    assert validator.normalise(TYPED) == TYPED
    assert validator.normalise({"kana": "ﾔﾏﾀﾞ"})["kana"] == "ヤマダ"  # only formats are normalised


@pytest.mark.parametrize(("given", "ok"), [
    (YOSHI * 4, True), (YOSHI * 5, False),  # one code point each, not two UTF-16 units or four bytes
    (KATSU_IVS * 2, True), (KATSU_IVS * 2 + "子", False),  # an IVS sequence counts 2
    (YOSHI, False), (KATSU_IVS, True),  # minLength 2
])
def test_length_is_counted_in_code_points(validator: AnswerValidator, given: str, ok: bool) -> None:
    found = validator.validate({"applicant": {"family": "山", "given": given}})
    assert (found == []) is ok, found


def test_the_length_messages_name_the_field(validator: AnswerValidator) -> None:
    found = validator.validate({"applicant": {"family": f"{KATSU_IVS}{KAMI_COMPAT}", "given": YOSHI}})
    assert [(e.pointer, e.keyword, e.message) for e in found] == [
        ("/applicant/family", "maxLength", "姓は2文字以内で入力してください"),
        ("/applicant/given", "minLength", "名は2文字以上で入力してください"),
    ]


def test_names_come_back_from_the_database_exactly_as_typed(make_client: Callable[..., TestClient], db_engine: Engine,
                                                           names_dir: Path) -> None:
    client = make_client(names_dir)
    # Sent as raw UTF-8 (not \\u escapes), as a browser would.
    body = json.dumps({"answers": TYPED}, ensure_ascii=False).encode("utf-8")
    response = client.post("/api/v1/procedures/names/submissions", content=body,
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 201, response.text
    with Session(db_engine) as session:
        stored = session.get(Submission, response.json()["id"])
        assert stored is not None
        answers = stored.answers
        raw = session.execute(text("select answers from submissions where id = :id"),
                              {"id": stored.id}).scalar_one()
    assert answers == TYPED
    assert answers["applicant"]["given"].encode("utf-8") == b"\xf0\xa0\xae\xb7\xef\xa8\x99"  # 𠮷 U+FA19
    assert answers["applicant"]["family"].encode("utf-8") == f"{TAKA}{SAKI}".encode()
    assert [s.encode("utf-8") for s in answers["others"]] == [s.encode("utf-8") for s in TYPED["others"]]
    assert answers["others"][0].encode("utf-8") == b"\xe8\x91\x9b\xf3\xa0\x84\x80\xe9\xa3\xbe"  # 葛 VS17 飾
    # The column itself, read without the ORM: the same code points on SQLite (JSON text) and PostgreSQL (jsonb).
    assert (json.loads(raw) if isinstance(raw, str) else raw) == TYPED


@pytest.mark.parametrize("name", [YOSHI, KAMI_COMPAT, KATSU_IVS, TAKA, SAKI])
def test_each_character_alone_survives_a_submission(make_client: Callable[..., TestClient], db_engine: Engine,
                                                    names_dir: Path, name: str) -> None:
    response = make_client(names_dir).post("/api/v1/procedures/names/submissions",
                                           json={"answers": {"applicant": {"family": name}}})
    assert response.status_code == 201, response.text
    with Session(db_engine) as session:
        stored = session.get(Submission, response.json()["id"])
        assert stored is not None
        assert stored.answers["applicant"]["family"].encode("utf-8") == name.encode("utf-8")
