"""Staff login (CSRF, one generic message, a limit per login and client network kept in the database),
the session cookie's flags, idle timeout and absolute lifetime, logout, and API tokens (shown once, revoked)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from forms_engine.models import AuditEntry, StaffSession
from tests.staff.conftest import (
    DEFS,
    PASSWORD,
    ClientFactory,
    add_staff,
    csrf,
    engine_of,
    file,
    logged_in,
    login,
)

GENERIC = "ログインIDまたはパスワードが正しくありません。"


def _audit(client: TestClient) -> list[tuple[str, str, str]]:
    with Session(engine_of(client)) as session:
        return [(e.actor, e.action, e.target) for e in session.exec(select(AuditEntry).order_by(AuditEntry.seq))]


def test_login_sets_a_strict_httponly_session_cookie_and_is_audited(client: TestClient) -> None:
    add_staff(client, "alice", ("dept-a", "viewer"))
    answer = login(client, "alice", next_url="/staff/procedures/alpha")
    assert answer.status_code == 303 and answer.headers["location"] == "/staff/procedures/alpha"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("fe_staff=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Path=/" in cookie and "Secure" not in cookie and "Max-Age" not in cookie
    assert client.get("/staff/").status_code == 200
    assert _audit(client)[-1] == ("staff:alice", "login.success", "staff:alice")


def test_https_origin_gets_a_host_prefixed_secure_cookie(make_client: ClientFactory) -> None:
    client = make_client(DEFS, public_origin="https://forms.example.lg.jp")
    add_staff(client, "alice", ("dept-a", "viewer"))
    cookie = login(client, "alice").headers["set-cookie"]
    assert cookie.startswith("__Host-fe_staff=") and "Secure" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie


def test_wrong_password_and_unknown_login_get_the_same_answer(client: TestClient) -> None:
    add_staff(client, "alice", ("dept-a", "viewer"))
    wrong = login(client, "alice", "not the password at all")
    unknown = login(client, "mallory", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert GENERIC in wrong.text and GENERIC in unknown.text
    assert "set-cookie" not in wrong.headers or "fe_staff" not in wrong.headers["set-cookie"]
    assert _audit(client)[-2:] == [("login:alice", "login.failure", "staff:alice"),
                                   ("login:mallory", "login.failure", "staff:mallory")]


def test_login_needs_the_csrf_token(client: TestClient) -> None:
    add_staff(client, "alice", ("dept-a", "viewer"))
    client.get("/staff/login")
    answer = client.post("/staff/login", data={"login": "alice", "password": PASSWORD}, follow_redirects=False)
    assert answer.status_code == 403


def test_next_never_leaves_the_staff_pages(client: TestClient) -> None:
    add_staff(client, "alice", ("dept-a", "viewer"))
    for target in ("https://evil.example/", "//evil.example/staff/", "/my", "/staff\\..\\x"):
        browser = TestClient(client.app)
        assert login(browser, "alice", next_url=target).headers["location"] == "/staff/"


def test_wrong_passwords_are_limited_per_login_and_network(make_client: ClientFactory) -> None:
    client = make_client(DEFS, staff_login_max_failures=3, staff_login_window_minutes=15)
    add_staff(client, "alice", ("dept-a", "viewer"))
    add_staff(client, "bob", ("dept-a", "viewer"))
    for _ in range(3):
        assert login(client, "alice", "wrong wrong wrong").status_code == 401
    limited = login(client, "alice")  # even the right password, until the window passes
    assert limited.status_code == 429 and 0 < int(limited.headers["retry-after"]) <= 15 * 60
    assert login(TestClient(client.app), "bob").status_code == 303  # another login is not affected
    assert _audit(client)[-2][1] == "login.limited"
    with engine_of(client).begin() as conn:  # the window passes
        table = sa.table("staff_login_attempts", sa.column("attempted_at", sa.DateTime(timezone=True)))
        conn.execute(sa.update(table).values(attempted_at=datetime.now(UTC) - timedelta(minutes=16)))
    assert login(client, "alice").status_code == 303


def _age_session(client: TestClient, **changes: datetime) -> None:
    table = StaffSession.__table__  # type: ignore[attr-defined]
    with engine_of(client).begin() as conn:
        conn.execute(sa.update(table).values(**changes))


def test_idle_session_times_out(client: TestClient) -> None:
    add_staff(client, "alice", ("dept-a", "viewer"))
    browser = logged_in(client, "alice")
    _age_session(client, last_seen_at=datetime.now(UTC) - timedelta(minutes=31))
    answer = browser.get("/staff/", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/staff/login?next=%2Fstaff%2F&notice=timeout"
    page = browser.get("/staff/login?notice=timeout")
    assert "30分間操作がなかったため、ログアウトしました。" in page.text


def test_session_ends_after_its_absolute_lifetime_even_when_active(client: TestClient) -> None:
    add_staff(client, "alice", ("dept-a", "viewer"))
    browser = logged_in(client, "alice")
    _age_session(client, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert browser.get("/staff/", follow_redirects=False).status_code == 303


def test_logout_ends_the_session_on_the_server(client: TestClient) -> None:
    add_staff(client, "alice", ("dept-a", "viewer"))
    browser = logged_in(client, "alice")
    cookie = browser.cookies.get("fe_staff")
    home = browser.get("/staff/")
    out = browser.post("/staff/logout", data={"_csrf": csrf(home.text)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/staff/login?notice=logged_out"
    replay = TestClient(client.app, cookies={"fe_staff": cookie})  # the old cookie no longer works
    assert replay.get("/staff/", follow_redirects=False).status_code == 303
    assert _audit(client)[-1][1] == "logout"


def test_tokens_are_shown_once_work_and_can_be_revoked(client: TestClient) -> None:
    add_staff(client, "alice", ("dept-a", "viewer"))
    number = file(client)
    browser = logged_in(client, "alice")
    page = browser.get("/staff/tokens")
    created = browser.post("/staff/tokens", data={"_csrf": csrf(page.text), "name": "基幹連携"})
    assert created.status_code == 201
    token = created.text.split('<code id="token-value">')[1].split("</code>")[0]
    assert token.startswith("fest_") and len(token) > 40
    again = browser.get("/staff/tokens")
    assert token not in again.text and "基幹連携" in again.text
    url = f"/api/v1/staff/submissions/{number}"
    assert client.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    token_id = again.text.split('action="/staff/tokens/')[1].split("/revoke")[0]
    revoked = browser.post(f"/staff/tokens/{token_id}/revoke", data={"_csrf": csrf(again.text)},
                           follow_redirects=False)
    assert revoked.status_code == 303 and revoked.headers["location"] == "/staff/tokens?notice=revoked"
    assert client.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    with Session(engine_of(client)) as session:  # only the digest is stored
        stored = session.exec(sa.text("SELECT token_sha256 FROM api_tokens")).all()  # type: ignore[call-overload]
    assert token not in str(stored)
    actions = [a for _, a, _ in _audit(client)]
    assert actions[-3:] == ["token.create", "submission.view", "token.revoke"]
