"""Drafts: 一時保存 and its resume code, resuming in another browser, retention of at least 20 hours, purge."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session, select

from forms_engine.cli import main
from forms_engine.config import Settings
from forms_engine.drafts.schemas import DraftState, Purged
from forms_engine.drafts.service import (
    ALPHABET,
    DraftService,
    code_hash,
    format_code,
    normalise_code,
    purge_with_uploads,
    well_formed,
)
from forms_engine.models import Attachment, Draft
from forms_engine.submissions.protection import Keyring

from .conftest import (
    PDF,
    SAMPLE_FIXTURES,
    SAMPLES_DIR,
    csrf_of,
    drafts_of,
    encode,
    engine_parts,
    file_through,
    minimal,
    start,
    submissions,
    title_of,
    walk,
    write_definition,
)
from .htmlform import HtmlForm, post_items

ClientFactory = Callable[..., TestClient]
DOG = "/procedures/dog-registration"
CODE = re.compile(r'<p class="panel__number" id="resume-code">([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})</p>')


def dog_answers() -> dict[str, object]:
    return dict(json.loads((SAMPLE_FIXTURES / "dog-registration.valid.json").read_text(encoding="utf-8")))


def step_items(client: TestClient, answers: dict[str, object], step: int) -> list[tuple[str, str]]:
    definition, _ = engine_parts(client, "dog-registration")
    names = set((definition.meta.steps or [])[step].properties)
    return [(n, v) for n, v in encode(client, "dog-registration", answers) if n.split("/")[1].split("@")[0] in names]


def save_after_two_steps(client: TestClient) -> tuple[str, dict[str, object]]:
    """Steps 1 and 2 done, something typed on step 3, then 「一時保存」: the resume code shown."""
    answers = dog_answers()
    csrf = csrf_of(start(client, "dog-registration").text)
    for step, url in enumerate(("owner", "dog")):
        response = client.post(f"{DOG}/steps/{url}", data=post_items(csrf + step_items(client, answers, step)),
                               follow_redirects=False)
        assert response.status_code == 303, response.text[:2000]
    third = [("/rabies_vaccinated", str(answers["rabies_vaccinated"])), ("_action", "save")]
    saved = client.post(f"{DOG}/steps/health", data=post_items(csrf + third), follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == f"{DOG}/saved"
    page = client.get(saved.headers["location"])
    assert title_of(page.text).startswith("入力内容を一時保存しました - 犬の登録申請")
    found = CODE.search(page.text)
    assert found is not None, page.text
    code = found.group(1)
    assert f'href="/resume/{code}"' in page.text and f"http://127.0.0.1:8000/resume/{code}" in page.text
    assert "72時間" in page.text and not HtmlForm(page.text).problems()
    assert HtmlForm(page.text).forms == [("get", f"{DOG}/steps/health")]
    return code, answers


def test_resume_by_code_in_a_fresh_browser_loses_nothing(make_client: ClientFactory) -> None:
    client = make_client(SAMPLES_DIR)
    code, answers = save_after_two_steps(client)
    other = TestClient(client.app)  # another device: no cookies at all
    form = other.get("/resume")
    assert form.status_code == 200 and title_of(form.text) == "入力の再開 - forms-engine 見本市"
    assert HtmlForm(form.text).primary().attrs["text"] == "入力を再開する"
    typed = code.lower().replace("-", "ー").translate(str.maketrans("abcdefghijklmnopqrstuvwxyz0123456789",
                                                                    "ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ０１２３４５６７８９"))
    resumed = other.post("/resume", data=post_items([*csrf_of(form.text), ("code", typed)]), follow_redirects=False)
    assert resumed.status_code == 303 and resumed.headers["location"] == f"{DOG}/steps/health"  # where it was left
    health = HtmlForm(other.get(f"{DOG}/steps/health").text)
    assert [c.value for c in health.named("/rabies_vaccinated") if c.checked] == [answers["rabies_vaccinated"]]
    owner = HtmlForm(other.get(f"{DOG}/steps/owner").text)
    assert owner.named("/owner_name/family")[0].value == "山田"
    confirm = walk(other, "dog-registration", answers, page=other.get(f"{DOG}/steps/health"))
    filed = other.post(f"{DOG}/confirm", data=post_items(csrf_of(confirm.text)), follow_redirects=False)
    assert filed.status_code == 303 and other.get(filed.headers["location"]).status_code == 200
    (stored,) = submissions(client)
    _, validator = engine_parts(client, "dog-registration")
    assert stored.answers == validator.normalise(answers)


def test_resume_link_fills_the_code_in(make_client: ClientFactory) -> None:
    client = make_client(SAMPLES_DIR)
    code, _ = save_after_two_steps(client)
    other = TestClient(client.app)
    page = other.get(f"/resume/{code}")
    assert page.status_code == 200 and "この再開コードで入力を再開します" in page.text
    form = HtmlForm(page.text)
    assert form.named("code")[0].value == code and not form.problems()
    resumed = other.post("/resume", data=post_items(form.current()), follow_redirects=False)
    assert resumed.headers["location"] == f"{DOG}/steps/health"


def test_an_unknown_or_expired_code_is_refused_in_japanese(make_client: ClientFactory) -> None:
    client = make_client(SAMPLES_DIR)
    code, _ = save_after_two_steps(client)
    other = TestClient(client.app)
    csrf = csrf_of(other.get("/resume").text)
    for typed, message in (("", "再開コードを入力してください"), ("ABC", "再開コードは英字と数字の12文字です"),
                           ("2345-6789-ABCD", "この再開コードの入力内容は見つかりませんでした")):
        refused = other.post("/resume", data=post_items([*csrf, ("code", typed)]))
        assert refused.status_code == 422 and message in refused.text, typed
        assert title_of(refused.text) == "エラー: 入力の再開 - forms-engine 見本市"
        assert 'data-focus="error-summary"' in refused.text and 'aria-invalid="true"' in refused.text
        assert HtmlForm(refused.text).named("code")[0].value == typed
    engine = client.app.state.forms_engine.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        (draft,) = session.exec(select(Draft)).all()
        draft.expires_at = datetime.now(UTC) - timedelta(minutes=1)
        session.add(draft)
        session.commit()
    expired = other.post("/resume", data=post_items([*csrf, ("code", code)]))
    assert expired.status_code == 422 and "保存期限を過ぎた入力内容は削除されています" in expired.text
    assert client.get(f"{DOG}/steps/owner", follow_redirects=False).headers["location"] == DOG  # gone here too


def test_the_code_is_stored_only_hashed(make_client: ClientFactory) -> None:
    client = make_client(SAMPLES_DIR)
    code, _ = save_after_two_steps(client)
    (draft,) = drafts_of(client)
    plain = normalise_code(code)
    assert well_formed(plain) and set(plain) <= set(ALPHABET) and not set(plain) & set("01ILO")
    assert draft.resume_code_sha256 == code_hash("test-secret", plain)
    assert plain not in json.dumps([draft.id, draft.answers, draft.state, draft.resume_code_sha256])
    assert format_code(plain) == code and normalise_code("ａｂｃｄ－ｅｆｇｈ　ｊｋｍｎ") == "ABCDEFGHJKMN"


def test_a_forged_draft_cookie_is_ignored(make_client: ClientFactory) -> None:
    client = make_client(SAMPLES_DIR)
    save_after_two_steps(client)
    (draft,) = drafts_of(client)
    other = TestClient(client.app)
    other.cookies.set("fe_draft_dog-registration", f"{draft.id}.ABCDEFGHJKMN.{'0' * 32}")
    assert other.get(f"{DOG}/steps/owner", follow_redirects=False).headers["location"] == DOG


def test_resuming_a_submitted_draft_shows_its_completion(make_client: ClientFactory) -> None:
    client = make_client(SAMPLES_DIR)
    code, answers = save_after_two_steps(client)
    filed, _ = file_through(client, "dog-registration", answers)
    other = TestClient(client.app)
    resumed = other.post("/resume", data=post_items([*csrf_of(other.get("/resume").text), ("code", code)]),
                         follow_redirects=False)
    assert resumed.headers["location"] == filed.headers["location"]
    assert other.get(resumed.headers["location"]).status_code == 200
    assert "既に申請済みです" in other.get(f"{DOG}/confirm").text and len(submissions(client)) == 1


def db_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_expired_drafts_are_purged_by_the_command(make_client: ClientFactory, db_engine: Engine,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    client = make_client(SAMPLES_DIR)
    for _ in range(3):
        start(TestClient(client.app), "dog-registration")
    with Session(db_engine) as session:
        old = session.exec(select(Draft)).first()
        assert old is not None
        old.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        session.add(old)
        session.commit()
        gone = old.id
    assert main(["drafts", "purge", "--database-url", db_url(db_engine)]) == 0
    assert "1 件の期限切れの下書きを削除しました" in capsys.readouterr().err
    assert gone not in {d.id for d in drafts_of(client)} and len(drafts_of(client)) == 2


def test_drafts_are_kept_at_least_20_hours(db_engine: Engine, make_client: ClientFactory,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError):
        Settings(draft_retention_hours=19)
    monkeypatch.setenv("FORMS_ENGINE_DRAFT_RETENTION_HOURS", "20")
    assert Settings().draft_retention_hours == 20
    monkeypatch.delenv("FORMS_ENGINE_DRAFT_RETENTION_HOURS")
    assert Settings().draft_retention_hours == 72
    client = make_client(SAMPLES_DIR)
    definition, _ = engine_parts(client, "dog-registration")
    assert definition is not None
    now = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)
    with Session(db_engine) as session:
        keyring = Keyring({"k1": os.urandom(32)})
        service = DraftService(session, "k", retention_hours=1, keyring=keyring)  # asked for less: 20 hours all the same
        started = service.start(definition, {}, DraftState(), now=now)
        assert started.draft.expires_at - now == timedelta(hours=20)
        later = now + timedelta(hours=5)
        service.save(started.draft, definition, {"breed": "柴"}, DraftState("dog"), now=later)
        session.commit()
        assert started.draft.expires_at == later + timedelta(hours=20)
        assert service.start(definition, {}, DraftState(), now=later + timedelta(hours=19, minutes=59))
        assert service.get("dog-registration", started.draft.id, now=later + timedelta(hours=19, minutes=59))
        session.commit()
        assert service.get("dog-registration", started.draft.id, now=later + timedelta(hours=20)) is None
        service.start(definition, {}, DraftState(), now=later + timedelta(hours=20, seconds=1))  # purges on the way
        session.commit()
        assert session.get(Draft, started.draft.id) is None


def test_every_post_refreshes_the_retention(make_client: ClientFactory, tmp_path: Path) -> None:
    client = make_client(SAMPLES_DIR, draft_retention_hours=30)
    csrf = csrf_of(start(client, "dog-registration").text)
    (before,) = drafts_of(client)
    client.post(f"{DOG}/steps/owner", data=post_items([*csrf, ("/phone", "090")]))
    (after,) = drafts_of(client)
    assert after.updated_at >= before.updated_at and after.expires_at - after.updated_at == timedelta(hours=30)
    assert after.answers["phone"] == "090"
    cookie = next(c for c in client.cookies.jar if c.name == "fe_draft_dog-registration")
    assert cookie.expires is not None and cookie.expires - datetime.now(UTC).timestamp() > 29 * 3600


# -- purge: the uploads of expired drafts go with them -------------------------------------------------
UPLOADS = "/procedures/upload-test"


def upload_definition(folder: Path) -> Path:
    return write_definition(folder, minimal("upload-test", {
        "note": {"type": "string", "title": "備考"},
        "doc": {"type": "string", "title": "委任状", "x-widget": "file", "x-accept": ["application/pdf"]},
    }))


def draft_with_upload(client: TestClient, name: str) -> tuple[str, str]:
    """A new browser's draft holding one uploaded PDF: (draft id, attachment id)."""
    csrf = csrf_of(start(client, "upload-test").text)
    posted = client.post(f"{UPLOADS}/steps/form", data=post_items([*csrf, ("/note", f"{name}の備考")]),
                         files={"/doc": (f"{name}.pdf", PDF, "application/pdf")}, follow_redirects=False)
    assert posted.status_code == 303, posted.text[:2000]
    (draft,) = [d for d in drafts_of(client) if d.answers and d.answers.get("note") == f"{name}の備考"]
    return draft.id, str(draft.answers["doc"])


def attachment_file(engine: Engine, data_dir: Path, attachment_id: str) -> Path | None:
    with Session(engine) as session:
        row = session.get(Attachment, attachment_id)
        return data_dir / "attachments" / row.storage_key if row is not None else None


def expire(engine: Engine, *draft_ids: str) -> None:
    with Session(engine) as session:
        for draft_id in draft_ids:
            draft = session.get(Draft, draft_id)
            assert draft is not None
            draft.expires_at = datetime.now(UTC) - timedelta(seconds=1)
            session.add(draft)
        session.commit()


def test_purge_deletes_the_uploads_only_expired_drafts_held(make_client: ClientFactory, db_engine: Engine,
                                                            tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    client = make_client(upload_definition(tmp_path / "defs"))
    data_dir = tmp_path / "data"
    expired_id, expired_att = draft_with_upload(TestClient(client.app), "期限切れ")
    kept_id, kept_att = draft_with_upload(TestClient(client.app), "保存中")
    filer = TestClient(client.app)
    filed_id, filed_att = draft_with_upload(filer, "申請済み")
    confirm = HtmlForm(filer.get(f"{UPLOADS}/confirm").text)
    assert filer.post(confirm.action, data=post_items(confirm.hidden()), follow_redirects=False).status_code == 303
    shared_id, shared_att = draft_with_upload(TestClient(client.app), "共有")
    # the same file posted back by id (the hidden field of the page) from a browser whose cookie is gone
    other = TestClient(client.app)
    csrf = csrf_of(other.get("/resume").text)
    reposted = other.post(f"{UPLOADS}/steps/form", data=post_items([*csrf, ("/note", "再送"), ("/doc", shared_att)]),
                          follow_redirects=False)
    assert reposted.status_code == 303
    files = {a: attachment_file(db_engine, data_dir, a) for a in (expired_att, kept_att, filed_att, shared_att)}
    assert all(f is not None and f.read_bytes() == PDF for f in files.values())
    expire(db_engine, expired_id, filed_id, shared_id)

    monkeypatch.setenv("FORMS_ENGINE_DATA_DIR", str(data_dir))
    assert main(["drafts", "purge", "--database-url", db_url(db_engine)]) == 0
    assert "3 件の期限切れの下書きを削除しました（添付ファイル 1 件）" in capsys.readouterr().err
    left = {d.id for d in drafts_of(client)}
    assert kept_id in left and not {expired_id, filed_id, shared_id} & left and len(left) == 2
    assert attachment_file(db_engine, data_dir, expired_att) is None
    gone = files[expired_att]
    assert gone is not None and not gone.exists()
    for kept in (kept_att, filed_att, shared_att):  # a live draft's, a submission's, one still named elsewhere
        path = attachment_file(db_engine, data_dir, kept)
        assert path is not None and path.read_bytes() == PDF, kept
    (submission,) = submissions(client)
    assert submission.answers["doc"] == filed_att


def test_rows_go_before_files_and_a_rollback_loses_nothing(make_client: ClientFactory, db_engine: Engine,
                                                          tmp_path: Path) -> None:
    client = make_client(upload_definition(tmp_path / "defs"))
    draft_id, attachment_id = draft_with_upload(TestClient(client.app), "途中")
    path = attachment_file(db_engine, tmp_path / "data", attachment_id)
    assert path is not None
    expire(db_engine, draft_id)
    with Session(db_engine) as session:
        purged = purge_with_uploads(session, keyring=client.app.state.forms_engine.settings.answers_keyring())
        assert purged == Purged(1, [path.relative_to(tmp_path / "data" / "attachments").as_posix()])
        assert path.exists()  # the service touches no file: the caller removes them after its commit
        session.rollback()
    assert {d.id for d in drafts_of(client)} == {draft_id} and path.read_bytes() == PDF
    assert attachment_file(db_engine, tmp_path / "data", attachment_id) == path


def test_new_drafts_purge_only_expired_drafts_without_uploads(make_client: ClientFactory, db_engine: Engine,
                                                             tmp_path: Path) -> None:
    client = make_client(upload_definition(tmp_path / "defs"))
    with_upload, attachment_id = draft_with_upload(TestClient(client.app), "添付あり")
    start(TestClient(client.app), "upload-test")
    (plain,) = [d.id for d in drafts_of(client) if d.id != with_upload]
    expire(db_engine, with_upload, plain)
    start(TestClient(client.app), "upload-test")  # purges on the way
    left = {d.id for d in drafts_of(client)}
    assert with_upload in left and plain not in left and len(left) == 2
    path = attachment_file(db_engine, tmp_path / "data", attachment_id)
    assert path is not None and path.read_bytes() == PDF  # waits for `forms-engine drafts purge`
