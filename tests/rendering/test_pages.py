"""The resident pages over HTTP: catalogue, forms, errors, 追加/削除, filing once, CSRF, headers, escaping."""

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
    encode,
    engine_parts,
    fill_and_submit,
    minimal,
    sample_ids,
    write_definition,
)
from .htmlform import HtmlForm, post_items

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")


def hidden(html: str) -> list[tuple[str, str]]:
    return [(n, v) for n, v in HtmlForm(html).hidden() if n in ("_csrf", "_token")]


def title_of(html: str) -> str:
    found = re.search(r"<title>(.*?)</title>", html, re.S)
    assert found is not None
    return found.group(1)


def submissions(client: TestClient) -> list[Submission]:
    with Session(client.app.state.forms_engine.engine) as session:  # type: ignore[attr-defined]
        return list(session.exec(select(Submission)).all())


def labels_escaped(client: TestClient, procedure_id: str, html: str) -> None:
    definition, validator = engine_parts(client, procedure_id)
    for f in build_form(definition, validator, {}, []).fields():
        assert str(escape(f.label)) in html, f.label


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


@pytest.mark.parametrize("procedure_id", sample_ids())
def test_every_sample_renders(app_factory: AppFactory, procedure_id: str) -> None:
    client = app_factory(SAMPLES_DIR)
    page = client.get(f"/procedures/{procedure_id}")
    assert page.status_code == 200
    assert '<html lang="ja">' in page.text and page.text.count("<h1") == 1
    assert not HtmlForm(page.text).problems()
    labels_escaped(client, procedure_id, page.text)


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


@pytest.mark.parametrize("name", corpus_names())
def test_every_corpus_schema_renders(corpus_client: TestClient, name: str) -> None:
    procedure_id = f"rjsf-{name.lower()}"
    page = corpus_client.get(f"/procedures/{procedure_id}")
    assert page.status_code == 200
    assert not HtmlForm(page.text).problems()
    labels_escaped(corpus_client, procedure_id, page.text)
    data_file = CORPUS / f"{name}.data.json"
    if data_file.exists():  # the corpus' own data renders too (values kept, whatever their validity)
        data = json.loads(data_file.read_text(encoding="utf-8"))
        items = encode(corpus_client, procedure_id, data)
        again = corpus_client.post(f"/procedures/{procedure_id}",
                                   data=post_items(hidden(page.text) + items + [("_action", "refresh:")]))
        assert again.status_code == 200
        assert not HtmlForm(again.text).problems()


def sample_with_fixture() -> list[tuple[Path, str, Path]]:
    cases = [(SAMPLES_DIR, i, SAMPLE_FIXTURES / f"{i}.valid.json") for i in sample_ids()
             if (SAMPLE_FIXTURES / f"{i}.valid.json").exists()]
    return [*cases, (OWN_DEFINITIONS, "kitchen-sink", OWN_FIXTURES / "kitchen-sink.valid.json")]


@pytest.mark.parametrize(("folder", "procedure_id", "fixture"), sample_with_fixture(),
                         ids=[c[1] for c in sample_with_fixture()])
def test_valid_answers_filled_through_the_form_reach_the_completion_page(
        app_factory: AppFactory, folder: Path, procedure_id: str, fixture: Path) -> None:
    client = app_factory(folder)
    definition, _ = engine_parts(client, procedure_id)
    answers = json.loads(fixture.read_text(encoding="utf-8"))
    if definition.meta.signature == "required":
        form = HtmlForm(client.get(f"/procedures/{procedure_id}").text)
        response = client.post(f"/procedures/{procedure_id}", data=post_items(
            [(n, v) for n, v in form.hidden() if n.startswith("_")] + encode(client, procedure_id, answers)))
        assert response.status_code == 200, response.text[:3000]
        assert "電子署名の手順をまだ利用できません" in response.text
        assert submissions(client) == []
        return
    response, _ = fill_and_submit(client, procedure_id, answers)
    location = response.headers["location"]
    assert re.fullmatch(rf"/procedures/{procedure_id}/complete/\d{{4}}-\d{{4}}-\d{{4}}", location)
    done = client.get(location)
    assert done.status_code == 200
    receipt = location.rsplit("/", 1)[1]
    assert "受付番号" in done.text and receipt in done.text
    assert f"/api/v1/receipts/{receipt}.pdf?token=" in done.text
    assert title_of(done.text).startswith("申請完了 - ")
    (stored,) = submissions(client)
    assert stored.receipt_number == receipt


def test_signature_required_is_not_faked(app_factory: AppFactory, tmp_path: Path) -> None:
    folder = write_definition(tmp_path / "defs", minimal("signed", {"note": {"title": "内容", "type": "string"}},
                                                         ["note"], signature="required"))
    client = app_factory(folder)
    page = client.get("/procedures/signed")
    assert "電子署名の手順をまだ利用できない" in page.text
    response = client.post("/procedures/signed", data=post_items([*hidden(page.text), ("/note", "お願い")]))
    assert response.status_code == 200
    assert "電子署名の手順をまだ利用できません" in response.text and 'data-focus="notice"' in response.text
    assert 'value="お願い"' in response.text
    assert submissions(client) == []


def test_invalid_post_returns_the_page_with_errors_and_values_kept(sink: TestClient) -> None:
    page = sink.get("/procedures/kitchen-sink")
    items = [*hidden(page.text), ("/name/family", "<山田>"), ("/count", "３人"), ("/birth_date@year", "2025"), ("/birth_date@month", "2"), ("/birth_date@day", "30"), ("/kind", "new"), ("/has_pet", "true")]
    response = sink.post("/procedures/kitchen-sink", data=post_items(items))
    assert response.status_code == 422
    html = response.text
    assert title_of(html) == "エラー: 申請内容の入力 - 試験用の届出 - 試験市"
    main = html[html.index("<main"):]
    assert main.index('class="error-summary"') < main.index("<h1")
    assert 'tabindex="-1"' in main[:300] and 'role="alert"' in main[:300] and 'data-focus="error-summary"' in html
    form = HtmlForm(html)
    assert not form.problems()
    assert form.named("/name/family")[0].value == "<山田>" and "&lt;山田&gt;" in html
    assert form.named("/count")[0].value == "３人"
    assert [form.named(f"/birth_date@{p}")[0].value for p in ("year", "month", "day")] == ["2025", "2", "30"]
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
    assert 'aria-describedby="f-count--error"' in html and 'aria-invalid="true"' in html
    assert 'aria-describedby="f-email' not in html  # not in error, no hint: no aria-describedby
    assert "ペットの名前は必須です" in html  # revealed by the answer and reported
    assert submissions(sink) == []


def test_add_and_remove_buttons_rerender_without_losing_anything(sink: TestClient) -> None:
    page = sink.get("/procedures/kitchen-sink")
    base = [*hidden(page.text), ("/note", "メモ"), ("/kind", "change"), ("/children@length", "0")]
    added = sink.post("/procedures/kitchen-sink", data=post_items([*base, ("_action", "add:/children")]))
    assert added.status_code == 200 and "error-summary" not in added.text
    form = HtmlForm(added.text)
    assert form.named("/children@length")[0].value == "1" and form.named("/children/0/name/family")
    assert form.named("/note")[0].value == "メモ" and [c.checked for c in form.named("/kind")] == [False, True]
    assert 'data-focus="f-children-0-name-family"' in added.text and "子どもを1件追加しました。" in added.text
    second = [*form.current(), ("/children/0/name/family", "一郎"), ("_action", "add:/children")]
    form = HtmlForm(sink.post("/procedures/kitchen-sink", data=post_items(
        [(n, v) for n, v in second if n != "/children/0/name/family" or v])).text)
    third = form.current()
    third = [(n, "二郎" if n == "/children/1/name/family" else v) for n, v in third]
    removed = sink.post("/procedures/kitchen-sink", data=post_items([*third, ("_action", "remove:/children/0")]))
    assert removed.status_code == 200
    form = HtmlForm(removed.text)
    assert form.named("/children@length")[0].value == "1"
    assert form.named("/children/0/name/family")[0].value == "二郎" and not form.named("/children/1/name/family")
    assert form.named("/note")[0].value == "メモ"
    assert submissions(sink) == []


def test_double_post_with_the_same_token_files_once(sink: TestClient) -> None:
    answers = json.loads((OWN_FIXTURES / "kitchen-sink.valid.json").read_text(encoding="utf-8"))
    del answers["attachment"]
    page = sink.get("/procedures/kitchen-sink")
    data = post_items(hidden(page.text) + encode(sink, "kitchen-sink", answers))
    first = sink.post("/procedures/kitchen-sink", data=data, follow_redirects=False)
    second = sink.post("/procedures/kitchen-sink", data=data, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert len(submissions(sink)) == 1
    changed = dict(data, **{"/note": "戻って書き直しました"})
    third = sink.post("/procedures/kitchen-sink", data=changed, follow_redirects=False)
    assert third.status_code == 303 and third.headers["location"] == first.headers["location"]
    assert len(submissions(sink)) == 1
    assert sink.get(first.headers["location"]).status_code == 200


def test_completion_page_only_for_the_browser_that_filed(sink: TestClient, app_factory: AppFactory) -> None:
    answers = json.loads((OWN_FIXTURES / "kitchen-sink.valid.json").read_text(encoding="utf-8"))
    del answers["attachment"]
    page = sink.get("/procedures/kitchen-sink")
    filed = sink.post("/procedures/kitchen-sink", data=post_items(hidden(page.text) + encode(
        sink, "kitchen-sink", answers)), follow_redirects=False)
    location = filed.headers["location"]
    done = sink.get(location)
    assert "5開庁日" in done.text and "試験課 03-0000-9999" in done.text
    stranger = TestClient(sink.app)
    assert stranger.get(location).status_code == 404
    assert sink.get(location.replace("kitchen-sink", "nothing")).status_code == 404


def test_csrf_failure_is_refused_in_japanese(sink: TestClient) -> None:
    page = sink.get("/procedures/kitchen-sink")
    token = [(n, v) for n, v in hidden(page.text) if n == "_token"]
    for csrf in ([], [("_csrf", "0" * 64)]):
        response = sink.post("/procedures/kitchen-sink", data=post_items(token + csrf + [("/kind", "new")]))
        assert response.status_code == 403
        assert "送信を受け付けられませんでした" in response.text
        assert response.headers["content-security-policy"] == CSP
    other = TestClient(sink.app)  # another browser: its cookie does not match this token
    response = other.post("/procedures/kitchen-sink", data=post_items(hidden(page.text)))
    assert response.status_code == 403
    assert submissions(sink) == []


def test_security_headers_and_no_inline_code(sink: TestClient) -> None:
    for url in ("/", "/procedures/kitchen-sink", "/procedures/nothing"):
        response = sink.get(url)
        assert response.headers["content-security-policy"] == CSP, url
        assert "unsafe-inline" not in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert " style=" not in response.text and "<style" not in response.text
        assert not HtmlForm(response.text).inline_scripts
    assert sink.get("/procedures/nothing").status_code == 404
    assert "ページが見つかりません" in sink.get("/procedures/nothing").text
    css = sink.get("/static/forms.css")
    assert css.status_code == 200 and ":focus-visible" in css.text and "@media print" in css.text
    assert sink.get("/static/forms.js").status_code == 200


def test_a_title_with_script_is_shown_as_text(app_factory: AppFactory, tmp_path: Path) -> None:
    evil = "<script>alert(1)</script>"
    document = minimal("xss", {"q": {"title": evil, "description": f"説明{evil}", "type": "string",
                                     "enum": [evil, "b"]}}, title=f"手続{evil}", summary=evil, steps=[
        {"id": "s", "title": evil, "properties": ["q"]}], contact=evil)
    client = app_factory(write_definition(tmp_path / "defs", document))
    for url in ("/", "/procedures/xss"):
        html = client.get(url).text
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
    response = client.post("/procedures/closed", data={"_csrf": csrf, "_token": "t" * 32, "/q": "x"})
    assert response.status_code == 409 and "受付期間外です" in response.text


def test_file_upload_is_checked_kept_and_claimed(sink: TestClient) -> None:
    page = sink.get("/procedures/kitchen-sink")
    assert 'enctype="multipart/form-data"' in page.text
    base = hidden(page.text)
    wrong = sink.post("/procedures/kitchen-sink", data=post_items([*base, ("/kind", "new")]),
                      files={"/attachment": ("写真.png", b"\x89PNG\r\n\x1a\n....", "image/png")})
    assert wrong.status_code == 422 and "添付書類はPDFのファイルを選んでください" in wrong.text
    big = sink.post("/procedures/kitchen-sink", data=post_items(base), files={
        "/attachment": ("大きい.pdf", PDF + b"0" * 3000, "application/pdf")})
    assert "添付書類のファイルが大きすぎます。" in big.text
    good = sink.post("/procedures/kitchen-sink", data=post_items([*base, ("/kind", "new")]),
                     files={"/attachment": ("委任状.pdf", PDF, "application/pdf")})
    assert good.status_code == 422  # other answers are missing; the file is kept
    form = HtmlForm(good.text)
    kept = form.named("/attachment")
    assert kept[0].type == "hidden" and kept[0].value.startswith("att_") and "アップロード済み：委任状.pdf" in good.text
    engine = sink.app.state.forms_engine.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        assert len(session.exec(select(Attachment)).all()) == 1
    answers = json.loads((OWN_FIXTURES / "kitchen-sink.valid.json").read_text(encoding="utf-8"))
    answers["attachment"] = kept[0].value
    filed = sink.post("/procedures/kitchen-sink", data=post_items(
        [(n, v) for n, v in form.hidden() if n.startswith("_")] + encode(sink, "kitchen-sink", answers)),
        follow_redirects=False)
    assert filed.status_code == 303
    with Session(engine) as session:
        (attachment,) = session.exec(select(Attachment)).all()
        (submission,) = session.exec(select(Submission)).all()
        assert attachment.submission_id == submission.id and attachment.name == "委任状.pdf"
        assert submission.answers["attachment"] == attachment.id
    stale = sink.post("/procedures/kitchen-sink", data=post_items([*hidden(sink.get("/procedures/kitchen-sink").text), ("/attachment", attachment.id)]))
    assert "添付書類のファイルをもう一度選んでください" in stale.text


def test_english_labels(app_factory: AppFactory) -> None:
    client = app_factory(SAMPLES_DIR)
    definition, _ = engine_parts(client, "dog-registration")
    html = client.get("/procedures/dog-registration", headers={"Accept-Language": "en"}).text
    assert '<html lang="en">' in html and "Phone number" in html
    assert definition.meta.title_en is not None and str(escape(definition.meta.title_en)) in html


def sample_invalid() -> list[str]:
    return [i for i in sample_ids() if (SAMPLE_FIXTURES / f"{i}.invalid.json").exists()]


@pytest.mark.parametrize("procedure_id", sample_invalid())
def test_invalid_sample_answers_are_reported_on_their_fields(app_factory: AppFactory, procedure_id: str) -> None:
    client = app_factory(SAMPLES_DIR)
    definition, validator = engine_parts(client, procedure_id)
    answers = json.loads((SAMPLE_FIXTURES / f"{procedure_id}.invalid.json").read_text(encoding="utf-8"))
    items = encode(client, procedure_id, answers)
    page = client.get(f"/procedures/{procedure_id}")
    response = client.post(f"/procedures/{procedure_id}", data=post_items(hidden(page.text) + items))
    assert response.status_code == 422
    assert title_of(response.text).startswith("エラー: ")
    assert not HtmlForm(response.text).problems()
    posted = parse_form(definition, items)  # what a form can carry (e.g. no value outside the options)
    errors = validator.validate(validator.normalise(posted))
    links = re.findall(r'<li><a href="#([^"]+)">', response.text)
    assert len(links) == len(errors) > 0
    for error in errors:
        assert f'id="{field_id([int(t) if t.isdigit() else t for t in error.pointer.split("/")[1:]])}--error"' \
            in response.text, error
    pointers_file = SAMPLE_FIXTURES / f"{procedure_id}.invalid-pointers.json"
    if pointers_file.exists():
        expected = set(json.loads(pointers_file.read_text(encoding="utf-8")))
        assert expected & {e.pointer for e in errors}
    assert submissions(client) == []
