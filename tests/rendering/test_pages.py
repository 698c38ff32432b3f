"""The resident pages over HTTP: catalogue, start page, step pages, errors, 追加/削除, uploads, CSRF, headers,
escaping, languages. The walk from start to completion is in test_flow.py, drafts in test_drafts.py."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlmodel import Session, select

from forms_engine.models import Attachment, Submission
from forms_engine.rendering.parsing import parse_form
from forms_engine.rendering.security import csrf_token
from forms_engine.rendering.service import build_form
from forms_engine.rendering.views import field_id

from .conftest import (
    CORPUS,
    OWN_DEFINITIONS,
    OWN_FIXTURES,
    PDF,
    SAMPLE_FIXTURES,
    SAMPLES_DIR,
    AppFactory,
    corpus_names,
    csrf_of,
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

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
PERSON = "/procedures/kitchen-sink/steps/person"
DETAILS = "/procedures/kitchen-sink/steps/details"


def labels_escaped(client: TestClient, procedure_id: str, html: str) -> None:
    definition, validator = engine_parts(client, procedure_id)
    for f in build_form(definition, validator, {}, []).fields():
        assert str(escape(f.label)) in html, f.label


def every_step(client: TestClient, procedure_id: str) -> str:
    """Start, then every step page as it first shows (checked for forbidden markup): their HTML together."""
    html = start(client, procedure_id).text
    for url in step_urls(client, procedure_id):
        page = client.get(url)
        assert page.status_code == 200, url
        assert '<html lang="ja">' in page.text and page.text.count("<h1") == 1
        assert not HtmlForm(page.text).problems()
        html += page.text
    return html


@pytest.fixture
def sink(app_factory: AppFactory) -> TestClient:
    return app_factory(OWN_DEFINITIONS, organisation_name="試験市")


def test_catalogue_lists_the_open_procedures(app_factory: AppFactory) -> None:
    client = app_factory(SAMPLES_DIR)
    page = client.get("/")
    assert page.status_code == 200
    for procedure_id in sample_ids():
        definition, _ = engine_parts(client, procedure_id)
        assert f'href="/procedures/{procedure_id}"' in page.text
        assert str(escape(definition.title)) in page.text
        assert str(escape(definition.meta.department_name)) in page.text
    assert title_of(page.text) == f"手続の一覧 - {client.app.state.forms_engine.settings.organisation_name}"  # type: ignore[attr-defined]


def test_start_page_says_what_the_procedure_is(sink: TestClient) -> None:
    page = sink.get("/procedures/kitchen-sink")
    assert page.status_code == 200 and title_of(page.text) == "試験用の届出 - 試験市"
    html = page.text
    for words in ("<h1>試験用の届出</h1>", "描画の試験に使う", "試験課", "1,200円", "5開庁日", "試験課 03-0000-9999",
                  "申請する人", "内容", "申請内容の確認", 'href="/resume"'):
        assert words in html, words
    form = HtmlForm(html)
    assert not form.problems() and form.action == "/procedures/kitchen-sink"
    assert form.primary().attrs["text"] == "申請を始める"
    assert [n for n, _ in form.hidden()] == ["_csrf"]


@pytest.mark.parametrize("procedure_id", sample_ids())
def test_every_sample_renders(app_factory: AppFactory, procedure_id: str) -> None:
    client = app_factory(SAMPLES_DIR)
    labels_escaped(client, procedure_id, every_step(client, procedure_id))


@pytest.fixture(scope="module")
def corpus_client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    from forms_engine.bootstrap import build_app
    from forms_engine.config import Settings

    folder = tmp_path_factory.mktemp("corpus")
    for name in corpus_names():
        schema = json.loads((CORPUS / f"{name}.schema.json").read_text(encoding="utf-8"))
        wrapped = {"$schema": "http://json-schema.org/draft-07/schema#", **schema,
                   "x-procedure": {"id": f"rjsf-{name.lower()}", "version": "1.0.0", "department": "test",
                                   "department_name": "試験"}}
        (folder / f"{name}.json").write_text(json.dumps(wrapped, ensure_ascii=False), encoding="utf-8")
    return TestClient(build_app(Settings(data_dir=tmp_path_factory.mktemp("corpus-data"), definitions_dir=folder)))


# Valid answers for the corpus schemas whose own data is invalid or empty (see the corpus README).
FILLABLE = {
    "errors": {"firstName": "12345678", "active": True, "skills": ["karate", "aikido"],
               "multipleChoicesList": ["foo", "bar"]},
    "ifThenElse": {"animal": "Fish", "food": "worms", "water": "lake"},
    "oneOf": {"lorem": "dolor"},
    "references": {"billing_address": {"street_address": "21, Jump Street", "city": "Babel", "state": "Neverland"},
                   "tree": {"name": "root", "children": [{"name": "leaf"}]}},
    "validation": {"firstName": "Chuck", "pass1": "abc", "pass2": "abc", "age": 20},
}
# Where the form starts from a `default` its own `minItems` refuses, the resident adds the missing items.
COMPLETED = {"arrays": {"defaultsAndMinItems": ["carp", "trout", "bream", "unidentified", "unidentified"]}}


@pytest.mark.parametrize("name", corpus_names())
def test_every_corpus_schema_renders_and_files(corpus_client: TestClient, name: str) -> None:
    """Each third-party schema renders, with its own data too; valid answers are filled in, confirmed, filed."""
    client = TestClient(corpus_client.app)  # a browser of its own: one draft per procedure and browser
    procedure_id = f"rjsf-{name.lower()}"
    labels_escaped(client, procedure_id, every_step(client, procedure_id))
    data_file = CORPUS / f"{name}.data.json"
    data = json.loads(data_file.read_text(encoding="utf-8")) if data_file.exists() else {}
    (url,) = step_urls(client, procedure_id)
    page = client.get(url)
    again = client.post(url, data=post_items(csrf_of(page.text) + encode(client, procedure_id, data)
                                             + [("_action", "refresh:")]))
    assert again.status_code == 200 and not HtmlForm(again.text).problems()
    filer = TestClient(corpus_client.app)  # a fresh draft: the form as it starts, with its defaults
    answers = FILLABLE.get(name, {**data, **COMPLETED.get(name, {})} if isinstance(data, dict) else data)
    filed, confirm = file_through(filer, procedure_id, answers)
    assert "まだ申請は完了していません" in confirm.text
    assert filed.status_code == 303 and "/complete/" in filed.headers["location"], filed.text[:2000]
    assert filer.get(filed.headers["location"]).status_code == 200


def test_a_step_page_has_title_counter_back_link_and_buttons(sink: TestClient) -> None:
    first = start(sink, "kitchen-sink")
    assert str(first.url).endswith(PERSON)
    assert title_of(first.text) == "申請する人（1/2） - 試験用の届出 - 試験市"
    page = sink.get(DETAILS)
    html = page.text
    assert title_of(html) == "内容（2/2） - 試験用の届出 - 試験市"
    assert "ステップ 2 / 2" in html and "<h1>内容</h1>" in html and "届出の内容です。" in html
    assert f'<a class="back-link" href="{PERSON}" data-back>戻る</a>' in html
    assert html.index("back-link") < html.index("<main")
    form = HtmlForm(html)
    assert form.action == DETAILS and not form.problems()
    assert form.primary().attrs["text"] == "次へ進む" and form.primary().attrs.get("class") == "button"
    # after the fields: 一時保存, then the same step in English (saving what was typed)
    assert [b.value for b in form.main_buttons if b.name == "_action"][-2:] == ["save", "language:en"]
    assert '<section' not in main_of(html) and "/name/family" not in form.fillable()  # only this step's fields


def test_invalid_post_returns_the_step_with_errors_and_values_kept(sink: TestClient) -> None:
    page = start(sink, "kitchen-sink")
    person = sink.post(PERSON, data=post_items([*csrf_of(page.text), ("/name/family", "<山田>"),
                                                ("/birth_date@year", "2025"), ("/birth_date@month", "2"),
                                                ("/birth_date@day", "30")]))
    assert person.status_code == 422
    assert title_of(person.text) == "エラー: 申請する人（1/2） - 試験用の届出 - 試験市"
    form = HtmlForm(person.text)
    assert form.named("/name/family")[0].value == "<山田>" and "&lt;山田&gt;" in person.text
    assert [form.named(f"/birth_date@{p}")[0].value for p in ("year", "month", "day")] == ["2025", "2", "30"]
    assert "届出の種類" not in person.text  # the next step's required answers are not this step's errors
    response = sink.post(DETAILS, data=post_items([*csrf_of(page.text), ("/count", "３人"), ("/kind", "new"),
                                                   ("/has_pet", "true")]))
    assert response.status_code == 422
    html = response.text
    assert title_of(html) == "エラー: 内容（2/2） - 試験用の届出 - 試験市"
    main = main_of(html)
    assert main.index('class="error-summary"') < main.index("<h1")
    assert 'tabindex="-1"' in main[:300] and 'role="alert"' in main[:300] and 'data-focus="error-summary"' in html
    form = HtmlForm(html)
    assert not form.problems()
    assert form.named("/count")[0].value == "３人"
    assert [c.checked for c in form.named("/kind")] == [True, False]
    links = re.findall(r'<li><a href="#([^"]+)">([^<]+)</a></li>', html)
    count = int(re.search(r"入力内容に問題があります（(\d+)件）", html).group(1))  # type: ignore[union-attr]
    assert len(links) == count > 0
    for target, message in links:
        assert f'id="{target}"' in html
        assert re.search(rf'<p class="field__error" id="[^"]+--error"><span class="visually-hidden">エラー：</span>'
                         rf'[^<]*{re.escape(message)}', html), message
    targets = [t for t, _ in links]
    assert targets.index("f-count") < targets.index("f-pet_name") < targets.index("f-agree--0")
    assert "f-name-family" not in targets
    assert 'aria-describedby="f-count--error"' in html and 'aria-invalid="true"' in html
    assert "ペットの名前は必須です" in html  # revealed by the answer and reported
    again = HtmlForm(sink.get(PERSON).text)  # the draft kept the first step as typed
    assert again.named("/name/family")[0].value == "<山田>"
    assert submissions(sink) == []


def test_add_and_remove_buttons_rerender_without_losing_anything(sink: TestClient) -> None:
    page = start(sink, "kitchen-sink")
    base = [*csrf_of(page.text), ("/note", "メモ"), ("/kind", "change"), ("/children@length", "0")]
    added = sink.post(DETAILS, data=post_items([*base, ("_action", "add:/children")]))
    assert added.status_code == 200 and "error-summary" not in added.text
    form = HtmlForm(added.text)
    assert form.named("/children@length")[0].value == "1" and form.named("/children/0/name/family")
    assert form.named("/note")[0].value == "メモ" and [c.checked for c in form.named("/kind")] == [False, True]
    assert 'data-focus="f-children-0-name-family"' in added.text and "子どもを1件追加しました。" in added.text
    second = [*form.current(), ("/children/0/name/family", "一郎"), ("_action", "add:/children")]
    form = HtmlForm(sink.post(DETAILS, data=post_items(
        [(n, v) for n, v in second if n != "/children/0/name/family" or v])).text)
    third = [(n, "二郎" if n == "/children/1/name/family" else v) for n, v in form.current()]
    removed = sink.post(DETAILS, data=post_items([*third, ("_action", "remove:/children/0")]))
    assert removed.status_code == 200
    form = HtmlForm(removed.text)
    assert form.named("/children@length")[0].value == "1"
    assert form.named("/children/0/name/family")[0].value == "二郎" and not form.named("/children/1/name/family")
    assert form.named("/note")[0].value == "メモ"
    kept = HtmlForm(sink.get(DETAILS).text)  # every 追加/削除 saved the draft
    assert kept.named("/children/0/name/family")[0].value == "二郎" and kept.named("/note")[0].value == "メモ"
    assert submissions(sink) == []


def test_completion_page_only_for_the_browser_that_filed(sink: TestClient) -> None:
    answers = json.loads((OWN_FIXTURES / "kitchen-sink.valid.json").read_text(encoding="utf-8"))
    filed, _ = file_through(sink, "kitchen-sink", answers)
    location = filed.headers["location"]
    done = sink.get(location)
    assert "5開庁日" in done.text and "試験課 03-0000-9999" in done.text
    assert TestClient(sink.app).get(location).status_code == 404
    assert sink.get(location.replace("kitchen-sink", "nothing")).status_code == 404


def test_csrf_failure_is_refused_in_japanese(sink: TestClient) -> None:
    page = start(sink, "kitchen-sink")
    for url in (PERSON, "/procedures/kitchen-sink", "/procedures/kitchen-sink/confirm", "/resume"):
        for csrf in ([], [("_csrf", "0" * 64)]):
            response = sink.post(url, data=post_items([*csrf, ("/kind", "new")]))
            assert response.status_code == 403, url
            assert "送信を受け付けられませんでした" in response.text
            assert response.headers["content-security-policy"] == CSP
    other = TestClient(sink.app)  # another browser: its cookie does not match this token
    assert other.post(PERSON, data=post_items(csrf_of(page.text))).status_code == 403
    assert submissions(sink) == []


def test_security_headers_and_no_inline_code(sink: TestClient) -> None:
    start(sink, "kitchen-sink")
    for url in ("/", "/procedures/kitchen-sink", PERSON, DETAILS, "/resume", "/procedures/nothing"):
        response = sink.get(url)
        assert response.headers["content-security-policy"] == CSP, url
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert response.headers["cache-control"] == "no-store"
        assert " style=" not in response.text and "<style" not in response.text
        assert not HtmlForm(response.text).inline_scripts
    assert sink.get("/procedures/nothing").status_code == 404
    assert "ページが見つかりません" in sink.get("/procedures/nothing").text
    assert sink.get("/procedures/kitchen-sink/steps/nothing").status_code == 404
    css = sink.get("/static/forms.css")
    assert css.status_code == 200 and ":focus-visible" in css.text and "@media print" in css.text
    assert sink.get("/static/forms.js").status_code == 200


def test_a_title_with_script_is_shown_as_text(app_factory: AppFactory, tmp_path: Path) -> None:
    evil = "<script>alert(1)</script>"
    document = minimal("xss", {"q": {"title": evil, "description": f"説明{evil}", "type": "string",
                                     "enum": [evil, "b"]}}, title=f"手続{evil}", summary=evil, steps=[
        {"id": "s", "title": evil, "properties": ["q"]}], contact=evil)
    client = app_factory(write_definition(tmp_path / "defs", document))
    pages = [client.get("/").text, client.get("/procedures/xss").text, start(client, "xss").text]
    for html in pages:
        assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_closed_procedure(app_factory: AppFactory, tmp_path: Path) -> None:
    document = minimal("closed", {"q": {"title": "質問", "type": "string"}}, closes_at="2000-01-01T00:00:00+09:00")
    client = app_factory(write_definition(tmp_path / "defs", document))
    assert 'href="/procedures/closed"' not in client.get("/").text
    page = client.get("/procedures/closed")
    assert page.status_code == 200 and "この手続は現在受け付けていません" in page.text
    # a resident who opened the form before it closed still holds a valid CSRF pair
    client.cookies.set("fe_csrf", "b" * 43)
    csrf = csrf_token(client.app.state.forms_engine.secret_key, "b" * 43)  # type: ignore[attr-defined]
    for url in ("/procedures/closed", "/procedures/closed/steps/form"):
        response = client.post(url, data={"_csrf": csrf, "/q": "x"})
        assert response.status_code == 409 and "受付期間外です" in response.text


def test_file_upload_is_checked_kept_and_claimed(sink: TestClient) -> None:
    page = start(sink, "kitchen-sink")
    assert 'enctype="multipart/form-data"' not in page.text  # the file is asked in the second step
    details = sink.get(DETAILS)
    assert 'enctype="multipart/form-data"' in details.text
    base = csrf_of(details.text)
    wrong = sink.post(DETAILS, data=post_items([*base, ("/kind", "new")]),
                      files={"/attachment": ("写真.png", b"\x89PNG\r\n\x1a\n....", "image/png")})
    assert wrong.status_code == 422 and "添付書類はPDFのファイルを選んでください" in wrong.text
    big = sink.post(DETAILS, data=post_items(base), files={
        "/attachment": ("大きい.pdf", PDF + b"0" * 3000, "application/pdf")})
    assert "添付書類のファイルが大きすぎます。" in big.text
    good = sink.post(DETAILS, data=post_items([*base, ("/kind", "new")]),
                     files={"/attachment": ("委任状.pdf", PDF, "application/pdf")})
    assert good.status_code == 422  # other answers are missing; the file is kept
    kept = HtmlForm(good.text).named("/attachment")
    assert kept[0].type == "hidden" and kept[0].value.startswith("att_") and "アップロード済み：委任状.pdf" in good.text
    back = HtmlForm(sink.get(DETAILS).text).named("/attachment")  # kept in the draft too
    assert back[0].type == "hidden" and back[0].value == kept[0].value
    engine = sink.app.state.forms_engine.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        assert len(session.exec(select(Attachment)).all()) == 1
    answers = json.loads((OWN_FIXTURES / "kitchen-sink.valid.json").read_text(encoding="utf-8"))
    answers["attachment"] = kept[0].value
    filed, confirm = file_through(sink, "kitchen-sink", answers)
    assert "委任状.pdf" in confirm.text
    assert filed.status_code == 303
    with Session(engine) as session:
        (attachment,) = session.exec(select(Attachment)).all()
        (submission,) = session.exec(select(Submission)).all()
        assert attachment.submission_id == submission.id and attachment.name == "委任状.pdf"
        assert submission.answers["attachment"] == attachment.id
    other = TestClient(sink.app)
    page = start(other, "kitchen-sink")
    stale = other.post(DETAILS, data=post_items([*csrf_of(page.text), ("/attachment", attachment.id)]))
    assert "添付書類のファイルをもう一度選んでください" in stale.text


def test_english_labels_and_language_kept_across_pages(app_factory: AppFactory) -> None:
    client = app_factory(SAMPLES_DIR)
    definition, _ = engine_parts(client, "dog-registration")
    html = client.get("/procedures/dog-registration", headers={"Accept-Language": "en"}).text
    assert '<html lang="en">' in html and "Start your application" in html
    assert definition.meta.title_en is not None and str(escape(definition.meta.title_en)) in html
    browser = app_factory(SAMPLES_DIR)
    browser.get("/procedures/dog-registration?lang=en")
    step = start(browser, "dog-registration")  # no query any more: the choice is kept
    assert '<html lang="en">' in step.text and "Phone number" in step.text and "Step 1 of 3" in step.text


def sample_invalid() -> list[str]:
    return [i for i in sample_ids() if (SAMPLE_FIXTURES / f"{i}.invalid.json").exists()]


@pytest.mark.parametrize("procedure_id", sample_invalid())
def test_invalid_sample_answers_are_reported_on_their_fields(app_factory: AppFactory, procedure_id: str) -> None:
    client = app_factory(SAMPLES_DIR)
    definition, validator = engine_parts(client, procedure_id)
    answers = json.loads((SAMPLE_FIXTURES / f"{procedure_id}.invalid.json").read_text(encoding="utf-8"))
    items = encode(client, procedure_id, answers)
    page = start(client, procedure_id)
    for url in step_urls(client, procedure_id):  # each step posted with everything: it keeps its own part
        response = client.post(url, data=post_items(csrf_of(page.text) + items), follow_redirects=False)
        assert response.status_code in (303, 422)
    confirm = client.get(f"/procedures/{procedure_id}/confirm", follow_redirects=False)
    assert confirm.status_code == 303 and "check=1" in confirm.headers["location"]  # nothing invalid is confirmed
    posted = parse_form(definition, items)  # what a form can carry (e.g. no value outside the options)
    errors = validator.validate(validator.normalise(posted))
    html, links = "", []
    for url in step_urls(client, procedure_id):
        shown = client.get(f"{url}?check=1")
        assert shown.status_code in (200, 422) and not HtmlForm(shown.text).problems()
        if shown.status_code == 422:
            assert title_of(shown.text).startswith("エラー: ")
        html += shown.text
        links += re.findall(r'<li><a href="#([^"]+)">', shown.text)
    assert len(links) == len(errors) > 0
    for error in errors:
        assert f'id="{field_id([int(t) if t.isdigit() else t for t in error.pointer.split("/")[1:]])}--error"' \
            in html, error
    pointers_file = SAMPLE_FIXTURES / f"{procedure_id}.invalid-pointers.json"
    if pointers_file.exists():
        expected = set(json.loads(pointers_file.read_text(encoding="utf-8")))
        assert expected & {e.pointer for e in errors}
    assert submissions(client) == []


def test_walk_helper_reaches_the_confirmation(sink: TestClient) -> None:
    answers = json.loads((OWN_FIXTURES / "kitchen-sink.valid.json").read_text(encoding="utf-8"))
    del answers["attachment"]
    confirm = walk(sink, "kitchen-sink", answers)
    assert title_of(confirm.text) == "申請内容の確認 - 試験用の届出 - 試験市"
