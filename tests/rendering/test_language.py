"""The language link: 「English」 on Japanese pages, 「日本語」 on English ones; GET /language sets the `lang` cookie
and goes back to a page of this site only. English pages use `title_en`, `x-title-en` and `x-description-en` and
fall back to the Japanese text; no word of the Japanese page chrome is left on them."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from forms_engine.rendering.texts import TEXTS

from .conftest import SAMPLE_FIXTURES, SAMPLES_DIR, main_of, minimal, start, title_of, walk
from .htmlform import HtmlForm, post_items
from .jp import app_fixture, build, value_in, values_of

P = "bilingual"
DOCUMENT = minimal(P, {
    "phone": {"title": "電話番号", "x-title-en": "Phone number", "description": "日中に連絡がとれる番号",
              "x-description-en": "A number we can reach you on in the daytime", "type": "string", "format": "jp-phone"},
    "nickname": {"title": "呼び名", "description": "窓口でお呼びする名前", "type": "string"},
    "urgent": {"title": "急ぎ", "x-title-en": "Urgent", "type": "boolean"},
    "kind": {"title": "種類", "x-title-en": "Kind", "oneOf": [{"const": "new", "title": "新規", "x-title-en": "New"},
                                                             {"const": "renew", "title": "更新"}]},
    "moved_on": {"title": "転入日", "x-title-en": "Moving-in date", "type": "string", "format": "date"},
}, ["phone"], title="二か国語の手続", title_en="A Bilingual Procedure", summary="試験用", summary_en="For tests")
DOCUMENT |= {"description": "試験のための手続です。", "x-description-en": "A procedure for tests."}
LINK = re.compile(r'<a class="site-header__lang" href="([^"]+)" lang="([a-z]+)" hreflang="([a-z]+)">([^<]+)</a>')

app = app_fixture(DOCUMENT, P)


def link_of(page: str) -> tuple[str, str, str, str]:
    [found] = LINK.findall(page)
    return html.unescape(found[0]), found[1], found[2], found[3]


def test_japanese_pages_offer_english_and_the_link_comes_back_here(app: FastAPI) -> None:
    client = TestClient(app)
    page = start(client, P)
    assert '<html lang="ja">' in page.text
    assert link_of(page.text) == (f"/language?to=en&next={quote(f'/procedures/{P}/steps/form', safe='/')}", "en", "en",
                                  "English")
    switched = client.get(link_of(page.text)[0], follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == f"/procedures/{P}/steps/form"
    cookie = switched.headers["set-cookie"]
    assert cookie.startswith("lang=en;") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Max-Age=31536000" in cookie and "Path=/" in cookie
    english = client.get(switched.headers["location"])
    assert '<html lang="en">' in english.text
    assert link_of(english.text) == (f"/language?to=ja&next={quote(f'/procedures/{P}/steps/form', safe='/')}", "ja", "ja",
                                     "日本語")
    back = client.get(link_of(english.text)[0], follow_redirects=True)
    assert '<html lang="ja">' in back.text and client.cookies["lang"] == "ja"


def test_the_choice_beats_the_browsers_accept_language(app: FastAPI) -> None:
    client = TestClient(app, headers={"Accept-Language": "ja,en;q=0.5"})
    client.get("/language?to=en&next=/", follow_redirects=False)
    assert '<html lang="en">' in client.get("/").text


def test_query_strings_survive_the_round_trip_without_a_lang_parameter(app: FastAPI) -> None:
    client = TestClient(app)
    page = client.get(f"/procedures/{P}?x=1&lang=ja")
    target = link_of(page.text)[0]
    assert target == f"/language?to=en&next={quote(f'/procedures/{P}?x=1&lang=ja', safe='/')}"
    response = client.get(target, follow_redirects=False)
    assert response.headers["location"] == f"/procedures/{P}?x=1"  # `lang=ja` would undo the choice


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)",
                                    "evil.example", "", "/%0d%0aSet-Cookie:x=1", "http:/x"])
def test_next_must_be_a_path_of_this_site(app: FastAPI, target: str) -> None:
    response = TestClient(app).get("/language", params={"to": "en", "next": target}, follow_redirects=False)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/") and not location.startswith("//") and "evil" not in location
    assert "\r" not in location and "\n" not in location


def test_an_unknown_language_changes_nothing(app: FastAPI) -> None:
    response = TestClient(app).get("/language?to=fr&next=/", follow_redirects=False)
    assert response.status_code == 303 and "set-cookie" not in response.headers


def test_english_pages_use_the_english_texts_and_fall_back_to_japanese(app: FastAPI) -> None:
    client = TestClient(app)
    client.get("/language?to=en&next=/", follow_redirects=False)
    catalogue = client.get("/").text
    assert "A Bilingual Procedure" in catalogue and "For tests" in catalogue and "二か国語の手続" not in catalogue
    about = client.get(f"/procedures/{P}").text
    assert "A procedure for tests." in about and "試験のための手続です。" not in about
    assert "試験のための手続です。" in TestClient(app).get(f"/procedures/{P}").text
    step = start(client, P)
    assert title_of(step.text).startswith("Your answers (1/1) - A Bilingual Procedure - ")
    main = main_of(step.text)
    assert "Phone number" in main and "A number we can reach you on in the daytime" in main
    assert "電話番号" not in main and "日中に連絡がとれる番号" not in main
    assert "呼び名" in main and "窓口でお呼びする名前" in main  # no English given: the Japanese label and hint
    refused = client.post(HtmlForm(step.text).action, data=post_items(HtmlForm(step.text).hidden()))
    assert "Enter Phone number" in refused.text and "(required)" in refused.text


def chrome_left(page: str, document: object) -> list[str]:
    """Japanese words of the page chrome (texts.py) on an English page that the definition does not itself use."""
    own = json.dumps(document, ensure_ascii=False)
    body = html.unescape(re.sub(r"<[^>]+>", "\n", page))
    english = set(TEXTS["en"].values())
    words = {w.split("{")[0].strip() for w in TEXTS["ja"].values() if w not in english}
    return sorted(w for w in words if len(w) >= 2 and w in body and w not in own and w != "forms-engine 見本市")


@pytest.mark.parametrize("procedure_id", ["dog-registration", "sodai-gomi"])
def test_every_page_of_a_sample_renders_in_english(tmp_path: Path, procedure_id: str) -> None:
    client = TestClient(build(SAMPLES_DIR, tmp_path))
    client.get("/language?to=en&next=/", follow_redirects=False)
    document = json.loads((SAMPLES_DIR / f"{procedure_id}.json").read_text(encoding="utf-8"))
    answers = json.loads((SAMPLE_FIXTURES / f"{procedure_id}.valid.json").read_text(encoding="utf-8"))
    pages = {"catalogue": client.get("/"), "start": client.get(f"/procedures/{procedure_id}"),
             "resume": client.get("/resume")}
    first = start(client, procedure_id)
    pages["step"] = first
    pages["step-errors"] = client.post(HtmlForm(first.text).action, data=post_items(HtmlForm(first.text).hidden()))
    saved = client.post(HtmlForm(first.text).action, data=post_items([*HtmlForm(first.text).hidden(),
                                                                      ("_action", "save")]))
    pages["saved"] = saved
    confirm = walk(client, procedure_id, answers, page=client.get(HtmlForm(first.text).action))
    pages["confirm"] = confirm
    form = HtmlForm(confirm.text)
    pages["complete"] = client.post(form.action, data=post_items(form.hidden()))
    for name, response in pages.items():
        assert response.status_code in (200, 422), (name, response.status_code)
        assert '<html lang="en">' in response.text, name
        assert link_of(response.text)[1:] == ("ja", "ja", "日本語"), name
        assert chrome_left(response.text, document) == [], name
    assert "Application received" in pages["complete"].text


def test_the_english_confirmation_uses_the_english_labels_and_words(app: FastAPI) -> None:
    client = TestClient(app)
    client.get("/language?to=en&next=/", follow_redirects=False)
    step = start(client, P)
    items = [("/phone", "03-1234-5678"), ("/urgent", "true"), ("/kind", "new"), ("/moved_on@year", "2025"),
             ("/moved_on@month", "4"), ("/moved_on@day", "1")]
    posted = client.post(HtmlForm(step.text).action, data=post_items(HtmlForm(step.text).hidden() + items),
                         follow_redirects=False)
    assert posted.status_code == 303, posted.text[:2000]
    confirm = client.get(posted.headers["location"]).text
    rows = values_of(confirm)
    assert rows == {"Phone number": "03-1234-5678", "呼び名": "Not answered", "Urgent": "Yes", "Kind": "New",
                    "Moving-in date": "1 April 2025"}
    japanese = TestClient(app)
    step = start(japanese, P)
    posted = japanese.post(HtmlForm(step.text).action, data=post_items(HtmlForm(step.text).hidden() + items),
                           follow_redirects=False)
    rows = values_of(japanese.get(posted.headers["location"]).text)
    assert rows == {"電話番号": "03-1234-5678", "呼び名": "未入力", "急ぎ": "はい", "種類": "新規", "転入日": "令和7年（2025年）4月1日"}


def test_switching_language_on_a_step_keeps_what_was_typed(app: FastAPI) -> None:
    client = TestClient(app)
    step = start(client, P)
    form = HtmlForm(step.text)
    [button] = [b for b in form.buttons() if b.value.startswith("language:")]
    assert button.value == "language:en" and button.attrs.get("lang") == "en"
    typed = [*form.hidden(), ("/phone", "０３（１２３４）５６７８"), ("/nickname", "はなこ")]
    switched = client.post(form.action, data=post_items([*typed, ("_action", button.value)]),
                           follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == f"/procedures/{P}/steps/form"
    assert switched.headers["set-cookie"].startswith("lang=en;")
    english = client.get(switched.headers["location"])
    assert '<html lang="en">' in english.text and "エラー" not in english.text  # saved, not checked yet
    assert value_in(english.text, "/phone") == "０３（１２３４）５６７８" and value_in(english.text, "/nickname") == "はなこ"
    [back] = [b for b in HtmlForm(english.text).buttons() if b.value.startswith("language:")]
    assert back.value == "language:ja" and back.attrs.get("lang") == "ja"
    # from the confirmation page's 「変更」 link the step returns there afterwards
    returned = client.post(form.action + "?return=confirm", data=post_items([*typed, ("_action", "language:ja")]),
                           follow_redirects=False)
    assert returned.headers["location"] == f"/procedures/{P}/steps/form?return=confirm"
    assert client.cookies["lang"] == "ja"


def test_an_unknown_language_on_a_step_saves_and_changes_nothing_else(app: FastAPI) -> None:
    client = TestClient(app)
    form = HtmlForm(start(client, P).text)
    switched = client.post(form.action, data=post_items([*form.hidden(), ("/nickname", "たろう"),
                                                         ("_action", "language:fr")]), follow_redirects=False)
    assert switched.status_code == 303
    assert not [c for c in switched.headers.get_list("set-cookie") if c.startswith("lang=")]
    page = client.get(switched.headers["location"])
    assert '<html lang="ja">' in page.text and value_in(page.text, "/nickname") == "たろう"
