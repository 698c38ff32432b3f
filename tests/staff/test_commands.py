"""`forms-engine staff add` and `forms-engine staff token` on both databases."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from forms_engine.cli import main
from forms_engine.models import ApiToken, StaffAccount, StaffRole
from forms_engine.staff.auth import digest
from forms_engine.staff.passwords import verify_password


def test_add_then_grant_in_another_department(db_url: str, db_engine: Engine, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery staple\n"))
    assert main(["staff", "add", "alice", "--department", "shimin", "--role", "reviewer",
                 "--database-url", db_url]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # an existing account: no password asked
    assert main(["staff", "add", "alice", "--department", "kankyo", "--database-url", db_url]) == 0
    with Session(db_engine) as session:
        account = session.exec(select(StaffAccount)).one()
        roles = {(r.department, r.role) for r in session.exec(select(StaffRole))}
    assert account.login == "alice" and account.password_hash.startswith("$argon2id$")
    assert verify_password(account.password_hash, "correct horse battery staple")
    assert not verify_password(account.password_hash, "correct horse battery stapler")
    assert roles == {("shimin", "reviewer"), ("kankyo", "viewer")}
    assert capsys.readouterr().out == ""


def test_add_refuses_a_short_password_and_an_unknown_role(db_url: str, db_engine: Engine,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["staff", "add", "bob", "--department", "shimin", "--database-url", db_url]) == 1
    assert "12 文字以上" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["staff", "add", "bob", "--department", "shimin", "--role", "root", "--database-url", db_url])
    with Session(db_engine) as session:
        assert session.exec(select(StaffAccount)).all() == []


def test_token_prints_only_the_token(db_url: str, db_engine: Engine, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery staple\n"))
    assert main(["staff", "add", "alice", "--department", "shimin", "--database-url", db_url]) == 0
    capsys.readouterr()
    assert main(["staff", "token", "alice", "--name", "nightly", "--database-url", db_url]) == 0
    out = capsys.readouterr().out
    token = out.strip()
    assert out == token + "\n" and token.startswith("fest_") and " " not in token
    with Session(db_engine) as session:
        stored = session.exec(select(ApiToken)).one()
    assert (stored.name, stored.token_sha256) == ("nightly", digest(token))
    assert main(["staff", "token", "nobody", "--database-url", db_url]) == 1
    assert capsys.readouterr().out == ""
