"""Sensitive answers sealed in drafts: never in the database in clear at any step (start, save, resume, submit),
read back in clear by the pages (resume on another device), bound to their draft, purged with their uploads."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from forms_engine.cli import main
from forms_engine.drafts.schemas import DraftState
from forms_engine.drafts.service import DraftService
from forms_engine.models import Draft
from forms_engine.submissions.protection import (
    Keyring,
    ProtectionError,
    draft_owner,
    seal,
    seal_found,
    unseal,
    unseal_found,
)

from .conftest import PDF, csrf_of, minimal, start, walk, write_definition
from .htmlform import HtmlForm, post_items

ClientFactory = Callable[..., TestClient]
DEFS = Path(__file__).resolve().parent.parent / "submissions" / "definitions"
BASE = "/procedures/protected"
MY_NUMBER = "987654321018"
SECRET = "ひみつのあいことば42"
CHILD_NUMBER = "111122223333"
ANSWERS = {"name": "山田 太郎", "my_number": MY_NUMBER, "secret_word": SECRET,
           "children": [{"name": "山田 花子", "my_number": CHILD_NUMBER}]}
HIDDEN = (MY_NUMBER, SECRET, CHILD_NUMBER)
CODE = re.compile(r'id="resume-code">([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})</p>')


def engine_of(client: TestClient) -> Engine:
    engine: Engine = client.app.state.forms_engine.engine  # type: ignore[attr-defined]
    return engine


def keyring_of(client: TestClient) -> Keyring:
    ring: Keyring = client.app.state.forms_engine.settings.answers_keyring()  # type: ignore[attr-defined]
    return ring


def raw_database(client: TestClient, db_url: str) -> bytes:
    """What the database holds: the SQLite files' bytes (journal included), or PostgreSQL's text of every
    column answers are kept in."""
    if db_url.startswith("sqlite"):
        engine_of(client).dispose()
        path = Path(db_url.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    queries = ("SELECT coalesce(answers::text, '') FROM drafts", "SELECT coalesce(answers::text, '') FROM submissions",
               "SELECT encode(payload, 'escape') || coalesce(result::text, '') FROM signing_requests")
    with engine_of(client).connect() as conn:
        return "\n".join(v for q in queries for v in conn.execute(sa.text(q)).scalars()).encode()


def assert_nothing_in_clear(client: TestClient, db_url: str, step: str) -> None:
    raw = raw_database(client, db_url)
    for value in HIDDEN:  # as UTF-8, and as JSON's \u escapes (how SQLite's JSON columns keep non-ASCII)
        escaped = json.dumps(value).strip('"')
        for spelled in (value, escaped, escaped.lower()):
            assert spelled.encode() not in raw, f"{value} in clear after {step}"


def stored_draft(client: TestClient) -> Draft:
    with Session(engine_of(client)) as session:
        (draft,) = session.exec(sa.select(Draft)).scalars().all()  # type: ignore[call-overload]
        session.expunge(draft)
        return draft  # type: ignore[no-any-return]


def test_no_step_writes_a_sensitive_answer_in_clear_and_resuming_elsewhere_shows_it(
        make_client: ClientFactory, db_url: str) -> None:
    client = make_client(DEFS)
    first = start(client, "protected")
    assert first.url.path == f"{BASE}/steps/person"
    assert_nothing_in_clear(client, db_url, "start")
    csrf = csrf_of(first.text)
    person = [("/name", ANSWERS["name"]), ("/my_number", MY_NUMBER), ("/secret_word", SECRET)]
    assert client.post(f"{BASE}/steps/person", data=post_items(csrf + person),
                       follow_redirects=False).status_code == 303
    assert_nothing_in_clear(client, db_url, "the first step")
    draft = stored_draft(client)
    assert set(draft.answers["my_number"]) == {"$enc", "kid", "n", "c"}
    assert draft.answers["name"] == ANSWERS["name"]  # only what is sensitive is sealed
    assert unseal_found(draft.answers, draft_owner(draft.id), keyring_of(client), "d")["my_number"] == MY_NUMBER
    children = [("/children@length", "1"), ("/children/0/name", "山田 花子"), ("/children/0/my_number", CHILD_NUMBER),
                ("_action", "save")]
    saved = client.post(f"{BASE}/steps/other", data=post_items(csrf + children), follow_redirects=False)
    assert saved.status_code == 303, saved.text[:2000]
    found = CODE.search(client.get(saved.headers["location"]).text)
    assert found is not None
    assert_nothing_in_clear(client, db_url, "一時保存")

    other = TestClient(client.app)  # another device
    form = other.get("/resume")
    resumed = other.post("/resume", data=post_items([*csrf_of(form.text), ("code", found.group(1))]),
                         follow_redirects=False)
    assert resumed.status_code == 303, resumed.text[:2000]
    assert_nothing_in_clear(client, db_url, "resume")
    person_page = HtmlForm(other.get(f"{BASE}/steps/person").text)
    assert person_page.named("/my_number")[0].value == MY_NUMBER  # the page shows the value in clear
    confirm = walk(other, "protected", ANSWERS, page=other.get(f"{BASE}/steps/other"))
    # the confirmation shows sensitive values masked but for their end: read from the clear answers
    assert "********1018" in confirm.text and "*******とば42" in confirm.text and "********3333" in confirm.text
    assert_nothing_in_clear(client, db_url, "the confirmation page")
    filed = other.post(f"{BASE}/confirm", data=post_items(HtmlForm(confirm.text).hidden()), follow_redirects=False)
    assert filed.status_code == 303 and "/complete/" in filed.headers["location"], filed.text[:2000]
    assert_nothing_in_clear(client, db_url, "submit")
    assert stored_draft(client).answers is None


def test_the_service_hands_out_clear_answers_and_never_writes_them(make_client: ClientFactory,
                                                                   db_engine: Engine) -> None:
    client = make_client(DEFS)
    definition = client.app.state.forms_engine.catalogue.get("protected")  # type: ignore[attr-defined]
    ring = keyring_of(client)
    with Session(db_engine) as session:
        service = DraftService(session, "k", 72, ring)
        started = service.start(definition, {"name": "a", "my_number": MY_NUMBER}, DraftState("person"))
        assert started.draft.answers == {"name": "a", "my_number": MY_NUMBER}
        started.draft.answers["secret_word"] = SECRET  # a caller changing what it was handed: never written
        session.commit()
        service.save(started.draft, definition, ANSWERS, DraftState("other"))
        assert started.draft.answers == ANSWERS and started.draft.state == {"step": "other", "choices": {}}
        session.commit()
        draft_id = started.draft.id
    with Session(db_engine) as session:
        again = DraftService(session, "k", 72, ring).get("protected", draft_id)
        assert again is not None and again.answers == ANSWERS
        again.answers = dict(ANSWERS, name="changed")
        session.commit()
    with db_engine.connect() as conn:
        text = conn.execute(sa.text("SELECT answers FROM drafts")).scalar_one()
    stored = text if isinstance(text, dict) else json.loads(text)
    assert stored["name"] == ANSWERS["name"] and stored["my_number"]["$enc"] == "aesgcm"
    for value in HIDDEN:
        assert value not in str(stored)


def test_draft_and_submission_envelopes_do_not_stand_in_for_each_other() -> None:
    ring = Keyring({"k1": os.urandom(32)})
    document = {"type": "object", "properties": {"a": {"format": "jp-my-number"}}}
    as_submission = seal({"a": MY_NUMBER}, document, "abc", ring)
    with pytest.raises(ProtectionError, match=r"draft abc, answer /a: the sealed answer does not decrypt"):
        unseal_found(as_submission, draft_owner("abc"), ring, "draft abc")
    as_draft = seal_found({"a": MY_NUMBER}, ["/a"], draft_owner("abc"), ring)
    with pytest.raises(ProtectionError, match=r"submission abc, answer /a"):
        unseal(as_draft, document, "abc", ring)
    assert unseal_found(as_draft, draft_owner("abc"), ring, "draft abc") == {"a": MY_NUMBER}


def test_a_draft_that_no_longer_decrypts_reads_as_gone(make_client: ClientFactory, db_engine: Engine) -> None:
    client = make_client(DEFS)
    definition = client.app.state.forms_engine.catalogue.get("protected")  # type: ignore[attr-defined]
    with Session(db_engine) as session:
        started = DraftService(session, "k", 72, keyring_of(client)).start(definition, ANSWERS, DraftState())
        session.commit()
    with Session(db_engine) as session:  # the key was removed from the key file
        assert DraftService(session, "k", 72, Keyring({"other": os.urandom(32)})).get(
            "protected", started.draft.id) is None


# -- purge: an upload may sit inside a sealed answer ------------------------------------------------------
UPLOADS = "/procedures/sealed-upload"


def sealed_upload_definition(folder: Path) -> Path:
    return write_definition(folder, minimal("sealed-upload", {
        "my_number": {"type": "string", "title": "個人番号", "format": "jp-my-number"},
        "card": {"type": "string", "title": "マイナンバーカードの写し", "x-widget": "file", "x-sensitive": True,
                 "x-accept": ["application/pdf"]},
    }))


def ids(engine: Engine, query: str) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(sa.text(query)).scalars())


DRAFTS = "SELECT id FROM drafts"
UNCLAIMED = "SELECT id FROM attachments WHERE submission_id IS NULL"


def draft_of(client: TestClient, engine: Engine, number: str, with_file: bool) -> tuple[str, str | None]:
    """A new browser's draft of sealed-upload: (its id, the attachment id when a file was uploaded)."""
    drafts_before, files_before = ids(engine, DRAFTS), ids(engine, UNCLAIMED)
    csrf = csrf_of(start(client, "sealed-upload").text)
    files = {"/card": ("card.pdf", PDF, "application/pdf")} if with_file else None
    posted = client.post(f"{UPLOADS}/steps/form", data=post_items([*csrf, ("/my_number", number)]), files=files,
                         follow_redirects=False)
    assert posted.status_code == 303, posted.text[:2000]
    (draft_id,) = ids(engine, DRAFTS) - drafts_before
    new_files = ids(engine, UNCLAIMED) - files_before
    assert len(new_files) == (1 if with_file else 0)
    return draft_id, next(iter(new_files), None)


def test_sealed_drafts_are_purged_and_their_hidden_uploads_found(make_client: ClientFactory, db_engine: Engine,
                                                                 tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    client = make_client(sealed_upload_definition(tmp_path / "defs"))
    with_file, attachment = draft_of(TestClient(client.app), db_engine, MY_NUMBER, with_file=True)
    without_file, _ = draft_of(TestClient(client.app), db_engine, CHILD_NUMBER, with_file=False)
    with db_engine.connect() as conn:
        text = " ".join(str(v) for v in conn.execute(sa.text("SELECT answers FROM drafts")).scalars())
    assert "att_" not in text and MY_NUMBER not in text  # the upload's id is sealed with the answer
    with Session(db_engine) as session:
        session.execute(sa.update(Draft).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        session.commit()
    start(TestClient(client.app), "sealed-upload")  # a new draft purges on the way: opened, no upload inside
    left = ids(db_engine, DRAFTS)
    assert with_file in left and without_file not in left
    monkeypatch.setenv("FORMS_ENGINE_DATA_DIR", str(tmp_path / "data"))
    url = db_engine.url.render_as_string(hide_password=False)
    assert main(["drafts", "purge", "--database-url", url]) == 0
    assert "1 件の期限切れの下書きを削除しました（添付ファイル 1 件）" in capsys.readouterr().err
    assert with_file not in ids(db_engine, DRAFTS)
    assert attachment is not None and attachment not in ids(db_engine, "SELECT id FROM attachments")
