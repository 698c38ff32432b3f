"""Every rule of japanese-data.md on the resident's pages, and the same value through the API: numbers and
codes (郵便番号, 電話番号, マイナンバー, 法人番号), フリガナ, 氏名 kept as typed, JIS X 0213 with 備考.

Each case is typed into a step page as a resident would (full-width, with hyphens and brackets) and read back
from the confirmation page, or its message read next to the field; the API gets the same value and must store
the same answer or give the same message. Dates and 開庁日 are in test_japanese_dates_html.py, 「住所を自動入力」
in test_postal_autofill_html.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from .conftest import minimal
from .jp import Resident, api_errors, api_file, app_fixture, errors_of, latest, stored, value_in, values_of

P = "japanese"
NAME = {"title": "氏名", "x-widget": "name", "type": "object",
        "properties": {"family": {"type": "string", "title": "姓", "maxLength": 20},
                       "given": {"type": "string", "title": "名", "maxLength": 20}},
        "required": ["family"]}
DOCUMENT = minimal(P, {
    "name": NAME,
    "kana": {"title": "フリガナ", "type": "string", "format": "katakana"},
    "registered_name": {"title": "住民票の氏名", "type": "string", "x-charset": "jisx0213", "maxLength": 40},
    "remarks": {"title": "備考", "type": "string", "maxLength": 400,
                "description": "住民票の氏名に使えない字があるときは、正しい字をここに書いてください。"},
    "postal_code": {"title": "郵便番号", "type": "string", "format": "jp-postal-code"},
    "phone": {"title": "電話番号", "type": "string", "format": "jp-phone"},
    # opted out of the default masking and encryption: these tests look at the number as normalised
    "my_number": {"title": "個人番号", "type": "string", "format": "jp-my-number", "x-sensitive": False},
    "corporate_number": {"title": "法人番号", "type": "string", "format": "jp-corporate-number"},
    "note": {"title": "連絡事項", "type": "string", "maxLength": 100},
}, ["name"], steps=[
    {"id": "who", "title": "申請者", "properties": ["name", "kana", "registered_name", "remarks"]},
    {"id": "numbers", "title": "番号と連絡先", "properties": ["postal_code", "phone", "my_number", "corporate_number"]},
    {"id": "other", "title": "その他", "properties": ["note"]},
])
YAMADA = [("/name/family", "山田")]

app = app_fixture(DOCUMENT, P)

# (field, label on the confirmation, typed, stored and shown)
NORMALISED = [
    ("postal_code", "郵便番号", "1000001", "100-0001"),
    ("postal_code", "郵便番号", "１００－０００１", "100-0001"),
    ("postal_code", "郵便番号", "100−0001", "100-0001"),  # U+2212 MINUS SIGN, which NFKC keeps
    ("postal_code", "郵便番号", "〒100‐0001", "100-0001"),  # the postal mark and U+2010 HYPHEN
    ("postal_code", "郵便番号", " 100 0001 ", "100-0001"),
    ("phone", "電話番号", "03-1234-5678", "03-1234-5678"),  # fixed line
    ("phone", "電話番号", "０３（１２３４）５６７８", "03-1234-5678"),
    ("phone", "電話番号", "0422ー51ー2345", "0422-51-2345"),  # the long vowel mark typed as a hyphen
    ("phone", "電話番号", "090 1234 5678", "090-1234-5678"),  # mobile
    ("phone", "電話番号", "05012345678", "050-1234-5678"),  # IP phone
    ("phone", "電話番号", "0120444444", "0120-444-444"),  # toll free
    ("phone", "電話番号", "０５７０－０００－０００", "0570-000-000"),  # ナビダイヤル
    ("phone", "電話番号", "+81 3 1234 5678", "03-1234-5678"),
    ("kana", "フリガナ", "やまだ はなこ", "ヤマダ ハナコ"),  # hiragana
    ("kana", "フリガナ", "ﾔﾏﾀﾞ ﾊﾅｺ", "ヤマダ ハナコ"),  # half-width
    ("kana", "フリガナ", " やまだ\u3000 はなこ ", "ヤマダ ハナコ"),  # mixed spaces collapse into one
    ("kana", "フリガナ", "すずき ゆーこ", "スズキ ユーコ"),  # ー kept
    ("my_number", "個人番号", "1234 5678 9018", "123456789018"),
    ("my_number", "個人番号", "１２３４－５６７８－９０１８", "123456789018"),
    ("corporate_number", "法人番号", "7000012050002", "7000012050002"),
    ("corporate_number", "法人番号", "4011-0010-98993", "4011001098993"),
    ("corporate_number", "法人番号", "２１２０９０１００７４０２", "2120901007402"),
]
STEP_OF = {"kana": "who", "registered_name": "who", "remarks": "who", "postal_code": "numbers", "phone": "numbers",
           "my_number": "numbers", "corporate_number": "numbers"}

# (field, typed, the message next to the field and in the API's 422)
REFUSED = [
    ("postal_code", "12345", "郵便番号は7桁の数字で入力してください（例：100-0013）"),
    ("postal_code", "100-00011", "郵便番号は7桁の数字で入力してください（例：100-0013）"),
    ("phone", "03-1234-567", "電話番号は0から始まる10桁または11桁の電話番号で入力してください（例：03-1234-5678、090-1234-5678）"),
    ("phone", "0990-12-3456", "電話番号は0から始まる10桁または11桁の電話番号で入力してください（例：03-1234-5678、090-1234-5678）"),
    ("kana", "山田 はなこ", "フリガナの「山」はカタカナではありません。カタカナで入力してください（例：ヤマダ ハナコ）"),
    ("kana", "やまだ1", "フリガナの「1」はカタカナではありません。カタカナで入力してください（例：ヤマダ ハナコ）"),
    ("kana", "Yamada", "フリガナの「Y」はカタカナではありません。カタカナで入力してください（例：ヤマダ ハナコ）"),
    ("my_number", "123456789010", "個人番号は12桁の数字で入力してください。番号に誤りがないか、マイナンバーカードまたは通知カードでご確認ください"),
    ("my_number", "1234 5678 901", "個人番号は12桁の数字で入力してください。番号に誤りがないか、マイナンバーカードまたは通知カードでご確認ください"),
    ("corporate_number", "7000012050003", "法人番号は13桁の数字で入力してください。番号は国税庁法人番号公表サイトで確認できます（例：7000012050002）"),
    ("registered_name", "𠮷田 花子", "住民票の氏名の「𠮷」はこの手続では使えません。代わりの字で入力し、正しい字は備考欄に書いてください"),
    ("registered_name", "髙橋 一郎", "住民票の氏名の「髙」はこの手続では使えません。代わりの字で入力し、正しい字は備考欄に書いてください"),
    ("registered_name", "葛\U000e0100西 一郎", "住民票の氏名の「葛\U000e0100」はこの手続では使えません。代わりの字で入力し、正しい字は備考欄に書いてください"),
]


def steps_with(field: str, typed: str) -> list[tuple[str, list[tuple[str, str]]]]:
    answers: dict[str, list[tuple[str, str]]] = {"who": list(YAMADA), "numbers": [], "other": []}
    answers[STEP_OF[field]].append((f"/{field}", typed))
    return list(answers.items())


@pytest.mark.parametrize(("field", "label", "typed", "shown"), NORMALISED,
                         ids=[f"{c[0]}:{c[2]}" for c in NORMALISED])
def test_a_value_typed_in_any_spelling_is_shown_normalised_and_the_api_stores_the_same(
        app: FastAPI, field: str, label: str, typed: str, shown: str) -> None:
    resident = Resident(app, P)
    confirm = resident.go(steps_with(field, typed))
    assert values_of(confirm.text)[label] == shown
    assert value_in(resident.client.get(resident.url(STEP_OF[field])).text, f"/{field}") == typed  # kept as typed
    response = api_file(app, P, {"name": {"family": "山田"}, field: typed})
    assert response.status_code == 201, response.text
    assert stored(app, response.json()["id"])[field] == shown


@pytest.mark.parametrize(("field", "typed", "message"), REFUSED, ids=[f"{c[0]}:{c[1]}" for c in REFUSED])
def test_a_wrong_value_is_named_next_to_its_field_and_in_the_api_error(app: FastAPI, field: str, typed: str,
                                                                         message: str) -> None:
    resident = Resident(app, P)
    step = STEP_OF[field]
    response = resident.post(step, (YAMADA if step == "who" else []) + [(f"/{field}", typed)])
    assert response.status_code == 422
    assert errors_of(response.text) == {f"f-{field}": message}
    assert value_in(response.text, f"/{field}") == typed  # shown again as typed, to be corrected
    assert api_errors(api_file(app, P, {"name": {"family": "山田"}, field: typed})) == {f"/{field}": message}


def test_the_kana_message_in_english_names_the_character(app: FastAPI) -> None:
    resident = Resident(app, P, **{"Accept-Language": "en"})
    response = resident.post("who", [*YAMADA, ("/kana", "山田")])
    expected = "Enter フリガナ in katakana: “山” is not katakana (for example ヤマダ ハナコ)"
    assert errors_of(response.text) == {"f-kana": expected}
    assert api_errors(api_file(app, P, {"name": {"family": "山田"}, "kana": "山田"}, "en")) == {"/kana": expected}


def test_the_done_when_example_through_the_step_pages(app: FastAPI) -> None:
    """A resident types 「１００－０００１」, 「０３（１２３４）５６７８」, 「やまだ はなこ」 and 「1234 5678 9018」 and sees
    100-0001, 03-1234-5678, ヤマダ ハナコ and 123456789018 on the confirmation page."""
    resident = Resident(app, P)
    confirm = resident.go([
        ("who", [("/name/family", "山田"), ("/name/given", "花子"), ("/kana", "やまだ はなこ")]),
        ("numbers", [("/postal_code", "１００－０００１"), ("/phone", "０３（１２３４）５６７８"),
                     ("/my_number", "1234 5678 9018")]),
        ("other", []),
    ])
    values = values_of(confirm.text)
    assert (values["郵便番号"], values["電話番号"], values["フリガナ"], values["個人番号"]) == (
        "100-0001", "03-1234-5678", "ヤマダ ハナコ", "123456789018")
    resident.file(confirm)
    assert {k: v for k, v in latest(app).answers.items() if k != "name"} == {
        "kana": "ヤマダ ハナコ", "postal_code": "100-0001", "phone": "03-1234-5678", "my_number": "123456789018"}


# -- 氏名: never normalised ------------------------------------------------------------------------------
TAKA, SAKI, YOSHI, KAMI_COMPAT, KATSU_IVS = "\u9ad9", "\ufa11", "\U00020bb7", "\ufa19", "\u845b\U000e0100"


def test_names_are_kept_byte_for_byte_on_every_page_and_when_filed(app: FastAPI) -> None:
    family, given = TAKA + SAKI, YOSHI + KAMI_COMPAT + KATSU_IVS  # 髙﨑 𠮷神葛󠄀: compatibility ideograph, IVS
    resident = Resident(app, P)
    back = resident.post("who", [("/name/family", family), ("/name/given", given), ("/kana", "タカサキ"),
                                 ("_action", "save")])
    assert back.status_code == 303
    page = resident.client.get(resident.url("who")).text
    assert value_in(page, "/name/family").encode() == family.encode()
    assert value_in(page, "/name/given").encode() == given.encode()
    confirm = resident.go([("numbers", []), ("other", [])])
    shown = values_of(confirm.text)["氏名"]
    assert shown.encode("utf-8") == f"{family} {given}".encode()
    assert "\u795e" not in confirm.text  # U+FA19 was not turned into U+795E
    resident.file(confirm)
    name = latest(app).answers["name"]
    assert (name["family"].encode(), name["given"].encode()) == (family.encode(), given.encode())
    assert len(name["given"]) == 4 and len(given.encode("utf-8")) == 4 + 3 + 3 + 4


def test_api_keeps_the_same_names_byte_for_byte(app: FastAPI) -> None:
    name = {"family": TAKA + SAKI, "given": YOSHI + KAMI_COMPAT + KATSU_IVS}
    response = api_file(app, P, {"name": name})
    assert response.status_code == 201, response.text
    kept = stored(app, response.json()["id"])["name"]
    assert [kept["family"].encode(), kept["given"].encode()] == [name["family"].encode(), name["given"].encode()]


def test_a_character_outside_jis_x_0213_goes_to_remarks(app: FastAPI) -> None:
    resident = Resident(app, P)
    refused = resident.post("who", [*YAMADA, ("/registered_name", f"{YOSHI}田 花子")])
    assert errors_of(refused.text)["f-registered_name"].endswith("正しい字は備考欄に書いてください")
    assert '<label class="field__label" for="f-remarks">備考' in refused.text  # the field the message points to
    confirm = resident.go([
        ("who", [*YAMADA, ("/registered_name", "吉田 花子"), ("/remarks", f"住民票の氏名の「吉」は正しくは「{YOSHI}」です")]),
        ("numbers", []), ("other", [])])
    values = values_of(confirm.text)
    assert values["住民票の氏名"] == "吉田 花子"
    assert values["備考"].encode() == f"住民票の氏名の「吉」は正しくは「{YOSHI}」です".encode()
    accepted = api_file(app, P, {"name": {"family": "吉田"}, "registered_name": "吉田 花子",
                                 "remarks": f"正しくは「{YOSHI}」"})
    assert accepted.status_code == 201, accepted.text


@pytest.mark.parametrize("value", ["高橋 一郎", f"{SAKI}田", f"{KAMI_COMPAT}田", "ｶﾅ"])
def test_characters_of_jis_x_0213_pass_on_both_paths(app: FastAPI, value: str) -> None:
    resident = Resident(app, P)
    assert resident.post("who", [*YAMADA, ("/registered_name", value)]).status_code == 303
    assert api_file(app, P, {"name": {"family": "山田"}, "registered_name": value}).status_code == 201


def test_a_control_character_in_a_name_is_refused_on_both_paths(app: FastAPI) -> None:
    resident = Resident(app, P)
    message = "姓に目に見えない制御文字が含まれています。制御文字を取り除いて入力し直してください"
    response = resident.post("who", [("/name/family", "山\u0007田")])
    assert errors_of(response.text) == {"f-name-family": message}
    answers: dict[str, Any] = {"name": {"family": "山\u0007田"}}
    assert api_errors(api_file(app, P, answers)) == {"/name/family": message}
