"""The audit log: views, lists, receipts and logins are appended as one hash chain; `forms-engine audit verify`
says OK, and after one row is changed with SQL (or the newest removed) exits 1 naming the first broken entry."""

from __future__ import annotations

import itertools
import threading

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from forms_engine.audit import service as audit
from forms_engine.cli import main
from forms_engine.models import AuditEntry
from tests.staff.conftest import DEFS, ClientFactory, add_staff, file, logged_in, token_for


def _entries(engine: Engine) -> list[AuditEntry]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEntry).order_by(AuditEntry.seq)))


def test_every_view_is_appended_to_one_chain(make_client: ClientFactory, db_engine: Engine) -> None:
    client = make_client(DEFS)
    add_staff(client, "alice", ("dept-a", "viewer"))
    number = file(client)
    headers = {"Authorization": f"Bearer {token_for(client, 'alice')}"}
    client.get("/api/v1/staff/procedures/alpha/submissions?status=received", headers=headers)
    client.get(f"/api/v1/staff/submissions/{number}", headers=headers)
    client.get(f"/api/v1/staff/receipts/{number}.pdf", headers=headers)
    browser = logged_in(client, "alice")
    browser.get(f"/staff/submissions/{number}")
    browser.get("/staff/procedures/alpha")
    entries = _entries(db_engine)
    assert [(e.seq, e.actor, e.action, e.target) for e in entries] == [
        (1, "test", "staff.add", "staff:alice"),
        (2, "test", "token.create", entries[1].target),
        (3, "staff:alice", "submissions.list", "procedure:alpha"),
        (4, "staff:alice", "submission.view", f"submission:{number}"),
        (5, "staff:alice", "receipt.view", f"submission:{number}"),
        (6, "staff:alice", "login.success", "staff:alice"),
        (7, "staff:alice", "submission.view", f"submission:{number}"),
        (8, "staff:alice", "submissions.list", "procedure:alpha"),
    ]
    assert entries[2].details["status"] == "received" and entries[2].details["count"] == 1
    assert entries[3].details == {"via": "api", "sensitive_shown": False}
    assert entries[0].prev_hash == "0" * 64
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(entries))
    with Session(db_engine) as session:
        assert audit.verify(session) == audit.Verdict(True, 8)


def _three(engine: Engine) -> None:
    with Session(engine) as session:
        for n in range(3):
            audit.append(session, "staff:alice", "submission.view", f"submission:{n}", {"via": "api", "n": n})
        session.commit()


def test_verify_command_finds_a_changed_entry(db_url: str, db_engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    _three(db_engine)
    assert main(["audit", "verify", "--database-url", db_url]) == 0
    with db_engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET actor = 'staff:mallory' WHERE seq = 2"))
    assert main(["audit", "verify", "--database-url", db_url]) == 1
    assert capsys.readouterr().out == (
        "audit log broken at entry 2: the entry was changed after it was written (hash differs)\n")


def test_verify_finds_changed_details_a_removed_entry_and_a_cut_tail(db_engine: Engine) -> None:
    _three(db_engine)
    with db_engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_log WHERE seq = 3"))
    with Session(db_engine) as session:
        verdict = audit.verify(session)
    assert (verdict.ok, verdict.broken_seq) == (False, 3)
    _three(db_engine)  # the head still says 3: appending goes on from there, the gap stays visible
    with Session(db_engine) as session:
        assert audit.verify(session).broken_seq == 3
    with db_engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_log"))
        conn.execute(sa.text("UPDATE audit_head SET seq = 0, hash = :h"), {"h": "0" * 64})
    _three(db_engine)
    table = AuditEntry.__table__  # type: ignore[attr-defined]
    with db_engine.begin() as conn:
        conn.execute(sa.update(table).where(table.c.seq == 1).values(details={"via": "api", "n": 7}))
    with Session(db_engine) as session:
        assert audit.verify(session).broken_seq == 1


def test_parallel_appends_form_one_chain(db_engine: Engine) -> None:
    def work(worker: int) -> None:
        for n in range(5):
            with Session(db_engine) as session:
                audit.append(session, f"staff:w{worker}", "submission.view", f"submission:{n}", {})
                session.commit()

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    entries = _entries(db_engine)
    assert [e.seq for e in entries] == list(range(1, 21))
    with Session(db_engine) as session:
        assert audit.verify(session) == audit.Verdict(True, 20)


def test_unaudited_client_sees_nothing_in_the_log(make_client: ClientFactory, db_engine: Engine) -> None:
    client: TestClient = make_client(DEFS)
    number = file(client)
    assert client.get(f"/api/v1/staff/submissions/{number}").status_code == 401
    assert _entries(db_engine) == []
