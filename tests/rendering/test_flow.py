"""Step by step to the completion page: each step validates its own part, back and 「変更」 lose nothing, the
confirmation words answers as the receipt does and checks them all, filing happens once."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from forms_engine.rendering.parsing import parse_form
from forms_engine.submissions.protection import unseal

from .conftest import (
    OWN_DEFINITIONS,
    OWN_FIXTURES,
    SAMPLE_FIXTURES,
    SAMPLES_DIR,
    csrf_of,
    drafts_of,
    encode,
    engine_parts,
    file_through,
    main_of,
    minimal,
    sample_ids,
    start,
    step_urls,
    submissions,
    title_of,
    walk,
    write_definition,
)
from .htmlform import HtmlForm, post_items

ClientFactory = Callable[..., TestClient]
PERSON = "/procedures/kitchen-sink/steps/person"
DETAILS = "/procedures/kitchen-sink/steps/details"
CONFIRM = "/procedures/kitchen-sink/confirm"


def fixture(name: str) -> Any:
    folder = OWN_FIXTURES if name == "kitchen-sink" else SAMPLE_FIXTURES
    return json.loads((folder / f"{name}.valid.json").read_text(encoding="utf-8"))


def cases() -> list[tuple[Path, str]]:
    return [(SAMPLES_DIR, i) for i in sample_ids() if (SAMPLE_FIXTURES / f"{i}.valid.json").exists()] + [
        (OWN_DEFINITIONS, "kitchen-sink")]


def values_of(html: str) -> dict[str, str]:
    """The confirmation's answers: dt -> dd text (tags dropped), the first of each label."""
    rows = re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", main_of(html), re.S)
    found: dict[str, str] = {}
    for label, value in rows:
        found.setdefault(label, re.sub(r"<[^>]+>|\s+", " ", value).strip())
    return found


@pytest.mark.parametrize(("folder", "procedure_id"), cases(), ids=[c[1] for c in cases()])
def test_each_procedure_walked_step_by_step_to_completion(make_client: ClientFactory, folder: Path,
                                                          procedure_id: str) -> None:
    client = make_client(folder, organisation_name="試験市")
    definition, validator = engine_parts(client, procedure_id)
    answers = fixture(procedure_id)
    steps = definition.meta.steps or []
    first = start(client, procedure_id)
    assert title_of(first.text) == f"{steps[0].title}（1/{len(steps)}） - {definition.title} - 試験市"
    assert f"ステップ 1 / {len(steps)}" in first.text
    confirm = walk(client, procedure_id, answers, page=first)
    assert title_of(confirm.text) == f"申請内容の確認 - {definition.title} - 試験市"
    assert "まだ申請は完了していません" in confirm.text and "<dl" in confirm.text
    assert [re.sub("<[^>]+>", "", h) for h in re.findall(r'<h2 id="answers-\d+">(.*?)</h2>', confirm.text)] == [
        s.title for s in steps]
    form = HtmlForm(confirm.text)
    assert form.primary().attrs["text"] == "この内容で申請する" and not form.problems()
    response = client.post(form.action, data=post_items(form.hidden()), follow_redirects=False)
    if definition.meta.signature == "required":  # the signing flow is not here: an honest notice, nothing filed
        assert response.status_code == 200 and "電子署名の手順をまだ利用できません" in response.text
        assert 'data-focus="notice"' in response.text and submissions(client) == []
        return
    location = response.headers["location"]
    assert response.status_code == 303, response.text[:2000]
    assert re.fullmatch(rf"/procedures/{procedure_id}/complete/\d{{4}}-\d{{4}}-\d{{4}}", location)
    done = client.get(location)
    receipt = location.rsplit("/", 1)[1]
    assert done.status_code == 200 and title_of(done.text) == f"申請完了 - {definition.title} - 試験市"
    assert f'<p class="panel__number" id="receipt-number">{receipt}</p>' in done.text
    assert f"/api/v1/receipts/{receipt}.pdf?token=" in done.text and "このあとの流れ" in done.text
    if definition.meta.processing_days:
        assert f"{definition.meta.processing_days}開庁日（" in done.text
    (stored,) = submissions(client)
    assert stored.receipt_number == receipt
    expected = validator.normalise(answers)
    for key, value in expected.items():
        if isinstance(value, list) and all(isinstance(v, str) for v in value):  # checkboxes keep the form's order
            assert sorted(stored.answers[key]) == sorted(value), key
        elif not str(value).startswith("att_"):
            assert stored.answers[key] == value, key
    (draft,) = drafts_of(client)
    assert draft.submitted_receipt_number == receipt and draft.answers is None


@pytest.fixture
def sink(make_client: ClientFactory) -> TestClient:
    return make_client(OWN_DEFINITIONS, organisation_name="試験市")


def person_items(client: TestClient) -> list[tuple[str, str]]:
    return [(n, v) for n, v in encode(client, "kitchen-sink", fixture("kitchen-sink")) if n.split("/")[1] in {
        "name", "kana", "address", "birth_date", "era_date", "phone", "email"}]


def test_a_step_validates_only_its_own_fields(sink: TestClient) -> None:
    page = start(sink, "kitchen-sink")
    response = sink.post(PERSON, data=post_items(csrf_of(page.text) + person_items(sink)), follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == DETAILS  # 届出の種類 is not asked yet
    details = sink.post(DETAILS, data=post_items(csrf_of(page.text)), follow_redirects=False)
    assert details.status_code == 422 and "届出の種類は必須です" in details.text and "氏名は必須です" not in details.text


CONDITIONAL = minimal("pets", {
    "has_pet": {"title": "ペットを飼っていますか", "type": "boolean"},
    "pet_name": {"title": "ペットの名前", "type": "string"},
    "note": {"title": "備考", "type": "string"},
}, ["has_pet"], steps=[{"id": "home", "title": "お住まい", "properties": ["has_pet"]},
                       {"id": "pet", "title": "ペット", "properties": ["pet_name", "note"]}])
CONDITIONAL["allOf"] = [{"if": {"properties": {"has_pet": {"const": True}}, "required": ["has_pet"]},
                         "then": {"required": ["pet_name"]}}]


@pytest.fixture
def pets(make_client: ClientFactory, tmp_path: Path) -> TestClient:
    return make_client(write_definition(tmp_path / "defs", CONDITIONAL))


def test_a_condition_on_an_earlier_step_still_applies(pets: TestClient) -> None:
    page = start(pets, "pets")
    csrf = csrf_of(page.text)
    assert pets.post("/procedures/pets/steps/home", data=post_items([*csrf, ("/has_pet", "true")]),
                     follow_redirects=False).headers["location"] == "/procedures/pets/steps/pet"
    refused = pets.post("/procedures/pets/steps/pet", data=post_items([*csrf, ("/note", "よろしく")]))
    assert refused.status_code == 422 and "ペットの名前は必須です" in refused.text
    assert HtmlForm(refused.text).named("/note")[0].value == "よろしく"
    pets.post("/procedures/pets/steps/home", data=post_items([*csrf, ("/has_pet", "false")]))
    done = pets.post("/procedures/pets/steps/pet", data=post_items([*csrf, ("/note", "よろしく")]),
                     follow_redirects=False)
    assert done.headers["location"] == "/procedures/pets/confirm"


def test_the_confirmation_checks_every_step_and_sends_back_to_the_first_in_error(pets: TestClient) -> None:
    page = start(pets, "pets")
    csrf = csrf_of(page.text)
    pets.post("/procedures/pets/steps/home", data=post_items([*csrf, ("/has_pet", "false")]))
    pets.post("/procedures/pets/steps/pet", data=post_items(csrf))
    confirm = pets.get("/procedures/pets/confirm")
    assert confirm.status_code == 200 and values_of(confirm.text)["ペットの名前"] == "未入力"
    changed = pets.post("/procedures/pets/steps/home?return=confirm", data=post_items([*csrf, ("/has_pet", "true")]),
                        follow_redirects=False)
    assert changed.headers["location"] == "/procedures/pets/confirm"
    again = pets.get("/procedures/pets/confirm", follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"] == "/procedures/pets/steps/pet?return=confirm&check=1"
    shown = pets.get(again.headers["location"])
    assert shown.status_code == 422 and "ペットの名前は必須です" in shown.text and 'data-focus="error-summary"' in shown.text
    filed = pets.post("/procedures/pets/confirm", data=post_items(csrf), follow_redirects=False)
    assert filed.status_code == 303 and "/steps/pet" in filed.headers["location"] and submissions(pets) == []
    fixed = pets.post("/procedures/pets/steps/pet?return=confirm", data=post_items([*csrf, ("/pet_name", "ポチ")]),
                      follow_redirects=False)
    assert fixed.headers["location"] == "/procedures/pets/confirm"
    assert values_of(pets.get("/procedures/pets/confirm").text)["ペットの名前"] == "ポチ"


def test_back_keeps_what_was_typed(sink: TestClient) -> None:
    page = start(sink, "kitchen-sink")
    sink.post(PERSON, data=post_items(csrf_of(page.text) + person_items(sink)))
    details = sink.get(DETAILS)
    back_url = re.search(r'<a class="back-link" href="([^"]+)"', details.text).group(1)  # type: ignore[union-attr]
    assert back_url == PERSON
    person = HtmlForm(sink.get(back_url).text)
    assert person.named("/name/family")[0].value == "山田" and person.named("/phone")[0].value == "090-1234-5678"
    assert sink.get("/procedures/kitchen-sink/steps/person").status_code == 200
    first_back = re.search(r'<a class="back-link" href="([^"]+)"', sink.get(PERSON).text).group(1)  # type: ignore[union-attr]
    assert first_back == "/procedures/kitchen-sink"
    went = sink.post(DETAILS, data=post_items([*csrf_of(page.text), ("/note", "戻る前に書いた"), ("_action", "back")]),
                     follow_redirects=False)
    assert went.status_code == 303 and went.headers["location"] == PERSON  # saved without checking
    assert HtmlForm(sink.get(DETAILS).text).named("/note")[0].value == "戻る前に書いた"


def test_change_link_returns_to_the_confirmation(sink: TestClient) -> None:
    confirm = walk(sink, "kitchen-sink", fixture("kitchen-sink"))
    link = f"{PERSON}?return=confirm#f-phone"
    assert f'href="{link}"' in confirm.text
    assert re.search(r'href="/procedures/kitchen-sink/steps/details\?return=confirm#f-children"', confirm.text)
    page = sink.get(link.split("#")[0])
    form = HtmlForm(page.text)
    assert form.action == f"{PERSON}?return=confirm" and 'id="f-phone"' in page.text
    assert f'<a class="back-link" href="{CONFIRM}"' in page.text
    items = [(n, "０８０－１１１１－２２２２" if n == "/phone" else v) for n, v in form.current()]
    response = sink.post(form.action, data=post_items(items), follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == CONFIRM
    values = values_of(sink.get(CONFIRM).text)
    assert values["電話番号"] == "080-1111-2222"
    assert values["ペットの名前"] == "ポチ" and values["生年月日"] == "昭和60年（1985年）4月1日"  # asked under a condition too
    assert values["転入した日"] == "令和元年（2019年）5月1日" and values["関心のある分野"] == "健康、ごみ"


NORMALISED = minimal("normalised", {
    "name": {"title": "氏名", "x-widget": "name", "type": "object",
             "properties": {"family": {"type": "string", "title": "姓"}, "given": {"type": "string", "title": "名"}},
             "required": ["family"]},
    "kana": {"title": "フリガナ", "x-widget": "furigana", "type": "object",
             "properties": {"family": {"type": "string", "format": "katakana", "title": "セイ"},
                            "given": {"type": "string", "format": "katakana", "title": "メイ"}}},
    "postal_code": {"title": "郵便番号", "type": "string", "format": "jp-postal-code"},
    "phone": {"title": "電話番号", "type": "string", "format": "jp-phone"},
    "number": {"title": "番号", "type": "string", "format": "jp-my-number", "x-sensitive": False},  # opted out
    "my_number": {"title": "個人番号", "type": "string", "format": "jp-my-number", "x-sensitive": True},
    "birth_date": {"title": "生年月日", "type": "string", "format": "date", "x-widget": "wareki-date"},
    "moved_on": {"title": "転入日", "type": "string", "format": "date"},
    "kind": {"title": "種類", "oneOf": [{"const": "new", "title": "新規"}, {"const": "renew", "title": "更新"}]},
    "urgent": {"title": "急ぎ", "type": "boolean"},
    "note": {"title": "備考", "type": "string"},
}, ["name", "postal_code"], steps=[
    {"id": "who", "title": "申請者", "properties": ["name", "kana", "postal_code", "phone", "number", "my_number"]},
    {"id": "what", "title": "内容", "properties": ["birth_date", "moved_on", "kind", "urgent", "note"]}])


def test_the_confirmation_shows_normalised_values_as_on_the_receipt(make_client: ClientFactory,
                                                                   tmp_path: Path) -> None:
    client = make_client(write_definition(tmp_path / "defs", NORMALISED))
    page = start(client, "normalised")
    csrf = csrf_of(page.text)
    typed = [("/name/family", "山田"), ("/name/given", "花子"), ("/kana/family", "やまだ"), ("/kana/given", "はなこ"),
             ("/postal_code", "１００－０００１"), ("/phone", "０３（１２３４）５６７８"),
             ("/number", "１２３４ ５６７８ ９０１８"), ("/my_number", "123456789018")]
    assert client.post("/procedures/normalised/steps/who", data=post_items(csrf + typed),
                       follow_redirects=False).status_code == 303
    again = HtmlForm(client.get("/procedures/normalised/steps/who").text)
    assert again.named("/postal_code")[0].value == "１００－０００１"  # the step shows what was typed
    second = [("/birth_date@era", "昭和"), ("/birth_date@year", "６０"), ("/birth_date@month", "4"),
              ("/birth_date@day", "1"), ("/moved_on@year", "2025"), ("/moved_on@month", "4"), ("/moved_on@day", "1"),
              ("/kind", "renew"), ("/urgent", "true")]
    to_confirm = client.post("/procedures/normalised/steps/what", data=post_items(csrf + second),
                             follow_redirects=False)
    assert to_confirm.headers["location"] == "/procedures/normalised/confirm"
    html = client.get("/procedures/normalised/confirm").text
    values = values_of(html)
    assert values["氏名"] == "山田 花子" and values["フリガナ"] == "ヤマダ ハナコ"
    assert values["郵便番号"] == "100-0001" and values["電話番号"] == "03-1234-5678"
    assert values["番号"] == "123456789018" and values["個人番号"] == "********9018"
    assert "123456789018" not in html.replace(values["番号"], "", 1)  # the sensitive one shows its tail only
    assert "下4桁以外" in html
    assert values["生年月日"] == "昭和60年（1985年）4月1日" and values["転入日"] == "令和7年（2025年）4月1日"
    assert values["種類"] == "更新" and values["急ぎ"] == "はい" and values["備考"] == "未入力"
    assert [h for h in re.findall(r'<h2 id="answers-\d+">(.*?)</h2>', html)] == ["申請者", "内容"]
    assert len(re.findall(r">変更<span class=\"visually-hidden\">", html)) == 11
    assert 'href="/procedures/normalised/steps/what?return=confirm#f-birth_date"' in html
    assert not HtmlForm(html).problems()
    filed = client.post("/procedures/normalised/confirm", data=post_items(csrf), follow_redirects=False)
    assert filed.status_code == 303
    (stored,) = submissions(client)
    state = client.app.state.forms_engine  # type: ignore[attr-defined]
    answers = unseal(stored.answers, state.catalogue.get("normalised").document, stored.id,
                     state.settings.answers_keyring())  # the sensitive number is encrypted at rest
    assert stored.answers["my_number"]["$enc"] == "aesgcm"
    assert answers["postal_code"] == "100-0001" and answers["kana"] == {
        "family": "ヤマダ", "given": "ハナコ"} and answers["my_number"] == "123456789018"


def test_double_submit_files_once(sink: TestClient) -> None:
    confirm = walk(sink, "kitchen-sink", fixture("kitchen-sink"))
    data = post_items(csrf_of(confirm.text))
    first = sink.post(CONFIRM, data=data, follow_redirects=False)
    second = sink.post(CONFIRM, data=data, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert len(submissions(sink)) == 1
    assert sink.get(first.headers["location"]).status_code == 200


def test_back_after_submission_shows_already_submitted(sink: TestClient) -> None:
    filed, confirm = file_through(sink, "kitchen-sink", fixture("kitchen-sink"))
    receipt = filed.headers["location"].rsplit("/", 1)[1]
    for url in (CONFIRM, PERSON, DETAILS, "/procedures/kitchen-sink/saved"):
        page = sink.get(url)
        assert page.status_code == 200 and "既に申請済みです" in page.text and receipt in page.text, url
        assert f'href="{filed.headers["location"]}"' in page.text
        assert title_of(page.text).startswith("既に申請済みです - 試験用の届出")
    posted = sink.post(DETAILS, data=post_items([*csrf_of(confirm.text), ("/note", "やり直し")]))
    assert posted.status_code == 409 and "既に申請済みです" in posted.text
    resubmitted = sink.post(CONFIRM, data=post_items(csrf_of(confirm.text)), follow_redirects=False)
    assert resubmitted.headers["location"] == filed.headers["location"]
    assert len(submissions(sink)) == 1
    fresh = start(sink, "kitchen-sink")  # a new application starts from an empty form
    assert str(fresh.url).endswith(PERSON) and HtmlForm(fresh.text).named("/name/family")[0].value == ""
    assert len(drafts_of(sink)) == 2


def test_posted_answers_of_other_steps_are_not_taken(sink: TestClient) -> None:
    page = start(sink, "kitchen-sink")
    everything = encode(sink, "kitchen-sink", fixture("kitchen-sink"))
    sink.post(PERSON, data=post_items(csrf_of(page.text) + everything))
    (draft,) = drafts_of(sink)
    assert set(draft.answers) == {"name", "kana", "address", "birth_date", "era_date", "phone", "email"}
    definition, _ = engine_parts(sink, "kitchen-sink")
    assert draft.answers["name"] == parse_form(definition, everything)["name"]
    assert step_urls(sink, "kitchen-sink") == [PERSON, DETAILS]
