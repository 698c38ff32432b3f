"""Shared by the staff tests: two test procedures in two departments, staff accounts, logging in through the
login page, bearer tokens and submissions filed through the resident API."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session

from forms_engine.models import StaffAccount
from forms_engine.staff.auth import StaffAuth
from forms_engine.staff.passwords import hash_password
from tests.rendering.htmlform import HtmlForm, post_items

DEFS = Path(__file__).resolve().parent / "definitions"
PASSWORD = "correct horse battery staple"
MY_NUMBER = "123456789018"
ALPHA = {"name": "山田 太郎", "my_number": MY_NUMBER, "note": "窓口で受け取り",
         "bank": {"branch": "本店", "account": "1234567"}, "visit_date": "2025-04-01"}
ClientFactory = Callable[..., TestClient]


@pytest.fixture
def client(make_client: ClientFactory) -> TestClient:
    return make_client(DEFS)


def engine_of(client: TestClient) -> Any:
    return client.app.state.forms_engine.engine  # type: ignore[attr-defined]


def state_of(client: TestClient) -> Any:
    return client.app.state.forms_engine  # type: ignore[attr-defined]


def add_staff(client: TestClient, login: str, *grants: tuple[str, str], password: str = PASSWORD) -> None:
    """An account holding these (department, role) grants; without grants, an account holding no role."""
    state = state_of(client)
    with Session(state.engine) as session:
        if not grants:
            session.add(StaffAccount(id=str(uuid.uuid4()), login=login, password_hash=hash_password(password)))
        auth = StaffAuth(session, state.settings, state.secret_key)
        for department, role in grants:
            auth.add_staff(login, password, department, role, "test")
        session.commit()


def token_for(client: TestClient, login: str, name: str = "test") -> str:
    state = state_of(client)
    with Session(state.engine) as session:
        auth = StaffAuth(session, state.settings, state.secret_key)
        account = auth.account_by_login(login)
        assert account is not None
        _, secret = auth.create_token(account.id, name, "test")
        session.commit()
    return secret


def csrf(html: str) -> str:
    found = [v for n, v in HtmlForm(html).hidden() if n == "_csrf"]
    assert found, html[:2000]
    return found[0]


def login(client: TestClient, name: str, password: str = PASSWORD, next_url: str = "/staff/") -> Response:
    page = client.get("/staff/login")
    assert page.status_code == 200, page.text[:1000]
    return client.post("/staff/login", data=post_items([
        ("_csrf", csrf(page.text)), ("login", name), ("password", password), ("next", next_url)]),
        follow_redirects=False)


def logged_in(client: TestClient, name: str) -> TestClient:
    """Another browser on the same engine, logged in as ``name``."""
    browser = TestClient(client.app)
    answer = login(browser, name)
    assert answer.status_code == 303, answer.text[:2000]
    return browser


def file(client: TestClient, procedure: str = "alpha", answers: dict[str, Any] | None = None) -> str:
    answer = client.post(f"/api/v1/procedures/{procedure}/submissions",
                         json={"answers": answers if answers is not None else (ALPHA if procedure == "alpha"
                                                                              else {"name": "佐藤 花子"})})
    assert answer.status_code == 201, answer.text
    number: str = answer.json()["receipt_number"]
    return number
