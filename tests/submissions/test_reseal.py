"""`forms-engine submissions reseal`: legacy rows stored in clear get sealed, envelopes of an old key are
re-encrypted with the current one (after which the old key can leave the key file), in batches, idempotent,
audited; a value that does not decrypt stops the run naming its 受付番号, leaving that submission as it was."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from forms_engine.cli import main
from forms_engine.config import Settings
from forms_engine.models import AuditEntry, Submission, SubmissionRevision
from forms_engine.submissions.commands import ResealStopped, reseal_all
from forms_engine.submissions.protection import Keyring, ProtectionError, unseal
from tests.submissions.test_protection import ANSWERS, DEFS, HIDDEN, MY_NUMBER, file, raw_answers

ENVELOPE = {"$enc", "kid", "n", "c"}


@pytest.fixture
def client(make_client: Any) -> TestClient:
    answer: TestClient = make_client(DEFS)
    return answer


def key_file(tmp_path: Path) -> Path:
    return tmp_path / "data" / "keys" / "answers.key"


def fresh_keyring(tmp_path: Path) -> Keyring:
    """The key file as it is now (the app's Settings keep the keyring they read at start)."""
    return Settings(data_dir=tmp_path / "data").answers_keyring()


def rows(engine: Engine) -> dict[str, Submission]:
    with Session(engine) as session:
        found = {s.receipt_number: s for s in session.exec(select(Submission)).all()}
        session.expunge_all()
    return found


def document_of(client: TestClient) -> Any:
    return client.app.state.forms_engine.catalogue.get("protected").document  # type: ignore[attr-defined]


def store_in_clear(engine: Engine, submission_id: str, answers: Any) -> None:
    """As a submission filed before encryption existed was stored."""
    with Session(engine) as session:
        session.execute(sa.update(Submission).where(Submission.id == submission_id)  # type: ignore[arg-type]
                        .values(answers=answers))
        session.commit()


def reseal_entries(engine: Engine) -> list[dict[str, Any]]:
    with Session(engine) as session:
        return [e.details for e in session.exec(select(AuditEntry).where(AuditEntry.action == "submissions.reseal"))]


def run(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setenv("FORMS_ENGINE_DATA_DIR", str(tmp_path / "data"))
    return main(["submissions", "reseal", "--database-url", engine.url.render_as_string(hide_password=False),
                 *args])


def test_legacy_rows_in_clear_are_sealed(client: TestClient, db_engine: Engine, db_url: str, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    legacy = [file(client) for _ in range(3)]
    for created in legacy[:2]:
        store_in_clear(db_engine, created["id"], ANSWERS)
    assert MY_NUMBER.encode() in raw_answers(client, db_url)

    assert run(db_engine, tmp_path, monkeypatch, "--dry-run", "--batch", "2") == 0
    err = capsys.readouterr().err
    assert "3 件を確認、対象 2 件（平文を暗号化 6 項目" in err and "変更していません" in err
    assert MY_NUMBER.encode() in raw_answers(client, db_url) and reseal_entries(db_engine) == []

    assert run(db_engine, tmp_path, monkeypatch, "--batch", "2") == 0  # two batches, each committed
    assert "3 件を確認、更新 2 件（平文を暗号化 6 項目" in capsys.readouterr().err
    raw = raw_answers(client, db_url)
    for value in HIDDEN:
        assert value.encode() not in raw, value
    ring = fresh_keyring(tmp_path)
    for row in rows(db_engine).values():
        assert set(row.answers["my_number"]) == ENVELOPE
        assert unseal(row.answers, document_of(client), row.id, ring) == ANSWERS
    (entry,) = reseal_entries(db_engine)
    assert entry == {"examined": 3, "submissions": 2, "sealed": 6, "rekeyed": 0, "revisions": 0,
                     "key_id": ring.current_id, "stopped_at": None}
    before = {n: r.answers for n, r in rows(db_engine).items()}
    assert run(db_engine, tmp_path, monkeypatch) == 0  # idempotent: a second run changes nothing
    assert "更新 0 件" in capsys.readouterr().err
    assert {n: r.answers for n, r in rows(db_engine).items()} == before


def test_a_rotated_key_reseals_so_the_old_one_can_go(client: TestClient, db_engine: Engine, tmp_path: Path) -> None:
    created = [file(client) for _ in range(2)]
    path = key_file(tmp_path)
    old_line = path.read_text(encoding="ascii").strip()
    old_id = old_line.partition(":")[0]
    path.write_text(f"new-2026:{base64.b64encode(os.urandom(32)).decode()}\n{old_line}\n", encoding="ascii")
    counts = reseal_all(db_engine, fresh_keyring(tmp_path), batch=1)
    assert (counts.examined, counts.submissions, counts.sealed, counts.rekeyed) == (2, 2, 0, 6)
    path.write_text(path.read_text(encoding="ascii").replace(old_line, ""), encoding="ascii")  # old key removed
    only_new = fresh_keyring(tmp_path)
    with pytest.raises(ProtectionError):
        only_new.decrypt({"$enc": "aesgcm", "kid": old_id, "n": "", "c": ""}, b"", "old")
    for row in rows(db_engine).values():
        assert {row.answers[k]["kid"] for k in ("my_number", "secret_word")} == {"new-2026"}
        assert unseal(row.answers, document_of(client), row.id, only_new) == ANSWERS
    assert {r.id for r in rows(db_engine).values()} == {c["id"] for c in created}
    assert reseal_all(db_engine, only_new).submissions == 0  # nothing left under another key


def test_a_value_that_does_not_decrypt_stops_the_run_with_its_receipt_number(
        client: TestClient, db_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    created = [file(client) for _ in range(3)]
    path = key_file(tmp_path)
    old_line = path.read_text(encoding="ascii").strip()
    path.write_text(f"new-2026:{base64.b64encode(os.urandom(32)).decode()}\n{old_line}\n", encoding="ascii")
    broken = sorted(created, key=lambda c: c["id"])[1]
    before = rows(db_engine)[broken["receipt_number"]].answers
    damaged = {**before, "my_number": {**before["my_number"], "c": base64.b64encode(os.urandom(40)).decode()}}
    store_in_clear(db_engine, broken["id"], damaged)

    assert run(db_engine, tmp_path, monkeypatch) == 1
    err = capsys.readouterr().err
    assert f"受付番号 {broken['receipt_number']}: submission {broken['id']}, answer /my_number" in err
    assert "この申請は変更していません" in err
    after = rows(db_engine)
    assert after[broken["receipt_number"]].answers == damaged  # left exactly as it was
    first = sorted(created, key=lambda c: c["id"])[0]
    assert after[first["receipt_number"]].answers["my_number"]["kid"] == "new-2026"  # the one before it is kept
    (entry,) = reseal_entries(db_engine)
    assert entry["stopped_at"] == broken["receipt_number"] and entry["rekeyed"] == 3
    with pytest.raises(ResealStopped, match=broken["receipt_number"]):
        reseal_all(db_engine, fresh_keyring(tmp_path), dry_run=True)


def add_revision(engine: Engine, submission_id: str, answers: Any) -> str:
    """An earlier version (補正前) of a submission, as a correction keeps it: sealed to the same submission."""
    with Session(engine) as session:
        submission = session.get(Submission, submission_id)
        assert submission is not None
        revision = SubmissionRevision(id=f"rev-{submission_id[:8]}", submission_id=submission_id, number=1,
                                      answers=answers, procedure_version=submission.procedure_version,
                                      definition_sha256=submission.definition_sha256, signature=None,
                                      filed_at=submission.received_at, replaced_at=submission.received_at)
        session.add(revision)
        session.commit()
        return revision.id


def revision_answers(engine: Engine, revision_id: str) -> Any:
    with Session(engine) as session:
        found = session.get(SubmissionRevision, revision_id)
        assert found is not None
        return found.answers


def test_earlier_versions_are_resealed_with_their_submission(client: TestClient, db_engine: Engine,
                                                             tmp_path: Path) -> None:
    """A correction keeps the answers it replaced: they are sealed and re-keyed too, or removing an old key
    would make them unreadable."""
    legacy, rotated = file(client), file(client)
    in_clear = add_revision(db_engine, legacy["id"], ANSWERS)
    sealed_old = add_revision(db_engine, rotated["id"], rows(db_engine)[rotated["receipt_number"]].answers)
    path = key_file(tmp_path)
    old_line = path.read_text(encoding="ascii").strip()
    path.write_text(f"new-2026:{base64.b64encode(os.urandom(32)).decode()}\n{old_line}\n", encoding="ascii")
    counts = reseal_all(db_engine, fresh_keyring(tmp_path))
    assert (counts.examined, counts.submissions, counts.revisions) == (2, 2, 2)
    path.write_text(path.read_text(encoding="ascii").replace(old_line, ""), encoding="ascii")
    only_new = fresh_keyring(tmp_path)
    for revision_id, submission_id in ((in_clear, legacy["id"]), (sealed_old, rotated["id"])):
        stored = revision_answers(db_engine, revision_id)
        assert stored["my_number"]["kid"] == "new-2026"
        assert unseal(stored, document_of(client), submission_id, only_new) == ANSWERS
    assert reseal_all(db_engine, only_new).revisions == 0
