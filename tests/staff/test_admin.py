"""Staff administration pages: a department's admins list its staff, add accounts (password typed twice) or give
an existing account a role, grant and revoke each role, disable and enable accounts whose roles all lie in
departments they manage; nothing in another department (404, as an unknown id); nobody locks themselves out;
every change is audited without the password; disabling ends sessions and stops API tokens; CSRF everywhere."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, select

from forms_engine.models import ApiToken, AuditEntry, StaffAccount
from forms_engine.staff import repository
from forms_engine.staff.admin import OTHER_DEPARTMENTS, SELF_DISABLE, SELF_LAST_ADMIN
from forms_engine.staff.schemas import ROLES
from tests.rendering.htmlform import post_items
from tests.staff.conftest import PASSWORD, add_staff, csrf, engine_of, logged_in, login, token_for

NEW_PASSWORD = "a brand new password 1"
NOT_FOUND_TEXT = "見つかりません"


def _audit(client: TestClient, prefixes: tuple[str, ...] = ("staff.role.", "staff.account.")
           ) -> list[tuple[str, str, str, dict[str, Any]]]:
    """The audit entries of staff administration (`forms-engine staff add` writes staff.add / staff.grant)."""
    with Session(engine_of(client)) as session:
        return [(e.actor, e.action, e.target, dict(e.details)) for e in
                session.exec(select(AuditEntry).order_by(AuditEntry.seq)) if e.action.startswith(prefixes)]


def _account(client: TestClient, login_name: str) -> StaffAccount:
    with Session(engine_of(client)) as session:
        found = repository.account_by_login(session, login_name)
        assert found is not None
        session.expunge(found)
        return found


def _roles(client: TestClient, login_name: str) -> dict[str, frozenset[str]]:
    with Session(engine_of(client)) as session:
        return repository.roles_of(session, _account(client, login_name).id)


def _post(browser: TestClient, url: str, fields: list[tuple[str, str]]) -> Response:
    token = csrf(browser.get("/staff/tokens").text)
    return browser.post(url, data=post_items([("_csrf", token), *fields]), follow_redirects=False)


def _account_url(client: TestClient, department: str, login_name: str) -> str:
    return f"/staff/admin/{department}/accounts/{_account(client, login_name).id}"


@pytest.fixture
def staffed(client: TestClient) -> TestClient:
    """alice: admin of dept-a; bob: viewer in dept-a; carol: viewer in dept-b; dave: viewer in both."""
    add_staff(client, "alice", ("dept-a", "admin"))
    add_staff(client, "bob", ("dept-a", "viewer"))
    add_staff(client, "carol", ("dept-b", "viewer"))
    add_staff(client, "dave", ("dept-a", "viewer"), ("dept-b", "viewer"))
    return logged_in(client, "alice")


def test_the_bar_links_staff_administration_only_for_admins(client: TestClient, staffed: TestClient) -> None:
    assert 'href="/staff/admin"' in staffed.get("/staff/").text
    bob = logged_in(client, "bob")
    assert 'href="/staff/admin"' not in bob.get("/staff/").text
    for url in ("/staff/admin", "/staff/admin/dept-a", _account_url(client, "dept-a", "bob")):
        answer = bob.get(url)
        assert answer.status_code == 404 and NOT_FOUND_TEXT in answer.text


def test_an_admin_lists_the_staff_of_their_department_and_nothing_else(client: TestClient,
                                                                        staffed: TestClient) -> None:
    home = staffed.get("/staff/admin")
    assert home.status_code == 200 and 'href="/staff/admin/dept-a"' in home.text and "dept-b" not in home.text
    page = staffed.get("/staff/admin/dept-a")
    assert page.status_code == 200
    logins = re.findall(r'<h3 class="procedure__title"><a href="[^"]+">([^<]+)</a>', page.text)
    assert logins == ["alice", "bob", "dave"]
    assert "記録なし" in page.text  # bob never logged in
    own = staffed.get(_account_url(client, "dept-a", "bob"))
    assert own.status_code == 200 and "閲覧（viewer）" in own.text
    unknown = staffed.get("/staff/admin/no-such-department")
    other = staffed.get("/staff/admin/dept-b")
    carol_here = staffed.get(_account_url(client, "dept-a", "carol"))
    carol_there = staffed.get(_account_url(client, "dept-b", "carol"))
    no_account = staffed.get("/staff/admin/dept-a/accounts/00000000-0000-0000-0000-000000000000")
    answers = [unknown, other, carol_here, carol_there, no_account]
    assert {a.status_code for a in answers} == {404}
    assert len({a.text.replace(a.url.path, "") for a in answers}) == 1  # the same page, but for its address


def test_pages_need_a_login(client: TestClient, staffed: TestClient) -> None:
    answer = TestClient(client.app).get("/staff/admin/dept-a", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/staff/login?next=")


def test_a_new_account_gets_an_argon2id_password_and_can_log_in(client: TestClient, staffed: TestClient) -> None:
    answer = _post(staffed, "/staff/admin/dept-a/accounts", [
        ("login", "erin"), ("password", NEW_PASSWORD), ("password_confirm", NEW_PASSWORD), ("role", "reviewer")])
    assert answer.status_code == 303
    assert answer.headers["location"] == _account_url(client, "dept-a", "erin") + "?notice=created"
    assert "アカウントを作り" in staffed.get(answer.headers["location"]).text
    assert _account(client, "erin").password_hash.startswith("$argon2id$")
    assert _roles(client, "erin") == {"dept-a": frozenset({"reviewer"})}
    assert login(TestClient(client.app), "erin", NEW_PASSWORD).status_code == 303
    entry = _audit(client)[-1]
    assert entry == ("staff:alice", "staff.account.create", "staff:erin", {"department": "dept-a", "role": "reviewer"})
    assert NEW_PASSWORD not in str(_audit(client, ("",)))


def test_an_existing_account_gets_a_role_without_a_password(client: TestClient, staffed: TestClient) -> None:
    answer = _post(staffed, "/staff/admin/dept-a/accounts", [
        ("login", "carol"), ("password", ""), ("password_confirm", ""), ("role", "exporter")])
    assert answer.status_code == 303 and answer.headers["location"].endswith("?notice=granted")
    assert _roles(client, "carol") == {"dept-a": frozenset({"exporter"}), "dept-b": frozenset({"viewer"})}
    assert login(TestClient(client.app), "carol").status_code == 303  # the password did not change
    assert _audit(client)[-1] == ("staff:alice", "staff.role.grant", "staff:carol",
                                  {"department": "dept-a", "role": "exporter"})


@pytest.mark.parametrize(("fields", "errors"), [
    ({"login": "", "password": "", "password_confirm": "", "role": ""},
     {"login": "ログインIDは64文字以内", "password": "パスワードを入力してください", "role": "付ける役割を選んでください"}),
    ({"login": "erin", "password": "short", "password_confirm": "short", "role": "viewer"},
     {"password": "12 文字以上"}),
    ({"login": "erin", "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD + "x", "role": "viewer"},
     {"password_confirm": "確認のパスワードが一致しません"}),
    ({"login": "carol", "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD, "role": "viewer"},
     {"password": "既にあるアカウントです"}),
    ({"login": "bob", "password": "", "password_confirm": "", "role": "viewer"},
     {"role": "既にこの部署で「閲覧（viewer）」の役割"}),
    ({"login": "erin", "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD, "role": "superuser"},
     {"role": "付ける役割を選んでください"}),
])
def test_refused_additions_show_each_error_next_to_its_field(client: TestClient, staffed: TestClient,
                                                             fields: dict[str, str], errors: dict[str, str]) -> None:
    before = _audit(client)
    answer = _post(staffed, "/staff/admin/dept-a/accounts", list(fields.items()))
    assert answer.status_code == 422
    html = answer.text
    assert 'id="error-summary"' in html and 'data-focus="error-summary"' in html
    assert "<title>エラー: " in html
    for field, message in errors.items():
        found = re.search(rf'<p class="field__error" id="{field}-error">.*?</p>', html)
        assert found is not None and message in found.group(0), (field, html[:3000])
    target = "role-viewer" if "role" in errors and len(errors) == 1 else next(iter(errors))
    assert f'<a href="#{target}">' in html
    assert html.count('class="field__error"') == len(errors)
    if fields["password"]:
        assert fields["password"] not in html  # a password is never sent back
    assert f'value="{fields["login"]}"' in html
    assert _audit(client) == before
    if fields["login"] == "erin":
        assert _no_account(client, "erin")


def _no_account(client: TestClient, login_name: str) -> bool:
    with Session(engine_of(client)) as session:
        return repository.account_by_login(session, login_name) is None


def test_each_of_the_five_roles_is_granted_and_revoked(client: TestClient, staffed: TestClient) -> None:
    url = _account_url(client, "dept-a", "dave")
    for role in ROLES[1:]:
        answer = _post(staffed, f"{url}/roles", [("role", role), ("action", "grant")])
        assert (answer.status_code, answer.headers["location"]) == (303, f"{url}?notice=granted")
    assert _roles(client, "dave") == {"dept-a": frozenset(ROLES), "dept-b": frozenset({"viewer"})}
    for role in ROLES[:-1]:
        answer = _post(staffed, f"{url}/roles", [("role", role), ("action", "revoke")])
        assert (answer.status_code, answer.headers["location"]) == (303, f"{url}?notice=revoked")
    assert _roles(client, "dave") == {"dept-a": frozenset({"admin"}), "dept-b": frozenset({"viewer"})}
    actions = [(e[1], e[3]["role"]) for e in _audit(client) if e[2] == "staff:dave"]
    assert actions == [("staff.role.grant", r) for r in ROLES[1:]] + [("staff.role.revoke", r) for r in ROLES[:-1]]
    again = _post(staffed, f"{url}/roles", [("role", "admin"), ("action", "grant")])
    assert again.headers["location"] == f"{url}?notice=unchanged" and len(_audit(client)) == 8


def test_revoking_the_last_role_in_the_department_leaves_the_list(client: TestClient, staffed: TestClient) -> None:
    url = _account_url(client, "dept-a", "bob")
    answer = _post(staffed, f"{url}/roles", [("role", "viewer"), ("action", "revoke")])
    assert (answer.status_code, answer.headers["location"]) == (303, "/staff/admin/dept-a?notice=removed")
    assert staffed.get(url).status_code == 404
    assert ">bob</a>" not in staffed.get("/staff/admin/dept-a").text


def test_an_admin_cannot_remove_their_own_last_admin_role(client: TestClient, staffed: TestClient) -> None:
    url = _account_url(client, "dept-a", "alice")
    answer = _post(staffed, f"{url}/roles", [("role", "admin"), ("action", "revoke")])
    assert answer.status_code == 422 and SELF_LAST_ADMIN in answer.text and '<a href="#role-admin">' in answer.text
    assert _roles(client, "alice") == {"dept-a": frozenset({"admin"})}
    add_staff(client, "alice", ("dept-b", "admin"))  # an admin elsewhere too: dept-a's may go
    answer = _post(staffed, f"{url}/roles", [("role", "admin"), ("action", "revoke")])
    assert answer.status_code == 303 and answer.headers["location"] == "/staff/admin/dept-a?notice=removed"
    assert _roles(client, "alice") == {"dept-b": frozenset({"admin"})}


def test_an_admin_cannot_disable_themselves(client: TestClient, staffed: TestClient) -> None:
    url = _account_url(client, "dept-a", "alice")
    assert SELF_DISABLE in staffed.get(url).text and 'id="status-button"' not in staffed.get(url).text
    answer = _post(staffed, f"{url}/status", [("action", "disable")])
    assert answer.status_code == 422 and SELF_DISABLE in answer.text
    assert not _account(client, "alice").disabled


def test_accounts_with_roles_elsewhere_cannot_be_disabled(client: TestClient, staffed: TestClient) -> None:
    url = _account_url(client, "dept-a", "dave")
    page = staffed.get(url)
    assert OTHER_DEPARTMENTS in page.text and 'id="status-button"' not in page.text
    answer = _post(staffed, f"{url}/status", [("action", "disable")])
    assert answer.status_code == 422 and OTHER_DEPARTMENTS in answer.text and '<a href="#status">' in answer.text
    assert not _account(client, "dave").disabled
    add_staff(client, "alice", ("dept-b", "admin"))
    assert _post(staffed, f"{url}/status", [("action", "disable")]).status_code == 303
    assert _account(client, "dave").disabled


def test_disabling_ends_sessions_and_stops_tokens_enabling_lets_the_account_log_in(
        client: TestClient, staffed: TestClient) -> None:
    bob = logged_in(client, "bob")
    secret = token_for(client, "bob")
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/staff/procedures/alpha/submissions", headers=headers).status_code == 200
    url = _account_url(client, "dept-a", "bob")
    answer = _post(staffed, f"{url}/status", [("action", "disable")])
    assert (answer.status_code, answer.headers["location"]) == (303, f"{url}?notice=disabled")
    assert bob.get("/staff/", follow_redirects=False).status_code == 303
    assert client.get("/api/v1/staff/procedures/alpha/submissions", headers=headers).status_code == 401
    assert login(TestClient(client.app), "bob").status_code == 401
    assert "無効" in staffed.get(url).text
    assert _audit(client)[-1] == ("staff:alice", "staff.account.disable", "staff:bob",
                                  {"department": "dept-a", "sessions_ended": 1, "tokens_revoked": 1})
    answer = _post(staffed, f"{url}/status", [("action", "enable")])
    assert (answer.status_code, answer.headers["location"]) == (303, f"{url}?notice=enabled")
    assert login(TestClient(client.app), "bob").status_code == 303
    assert client.get("/api/v1/staff/procedures/alpha/submissions", headers=headers).status_code == 401  # revoked
    assert _audit(client)[-1] == ("staff:alice", "staff.account.enable", "staff:bob", {"department": "dept-a"})


def test_a_disabled_accounts_live_token_is_refused(client: TestClient) -> None:
    """auth.bearer refuses a disabled account's token even when the token itself was never revoked."""
    add_staff(client, "bob", ("dept-a", "viewer"))
    headers = {"Authorization": f"Bearer {token_for(client, 'bob')}"}
    url = "/api/v1/staff/procedures/alpha/submissions"
    assert client.get(url, headers=headers).status_code == 200
    with Session(engine_of(client)) as session:
        assert repository.set_disabled(session, _account(client, "bob").id, True)
        session.commit()
        assert all(t.revoked_at is None for t in session.exec(select(ApiToken)))
    assert client.get(url, headers=headers).status_code == 401


@pytest.mark.parametrize(("department", "who", "path", "fields"), [
    ("dept-a", "carol", "roles", [("role", "reviewer"), ("action", "grant")]),
    ("dept-b", "carol", "roles", [("role", "reviewer"), ("action", "grant")]),
    ("dept-b", "carol", "status", [("action", "disable")]),
    ("dept-b", "dave", "roles", [("role", "viewer"), ("action", "revoke")]),
])
def test_changes_in_another_department_answer_404_and_change_nothing(
        client: TestClient, staffed: TestClient, department: str, who: str, path: str,
        fields: list[tuple[str, str]]) -> None:
    before = (_roles(client, who), _account(client, who).disabled, _audit(client))
    answer = _post(staffed, f"{_account_url(client, department, who)}/{path}", fields)
    assert answer.status_code == 404 and NOT_FOUND_TEXT in answer.text
    added = _post(staffed, f"/staff/admin/{department}/accounts" if department == "dept-b" else
                  "/staff/admin/no-such/accounts", [("login", "zed"), ("password", NEW_PASSWORD),
                                                    ("password_confirm", NEW_PASSWORD), ("role", "admin")])
    assert added.status_code == 404
    assert (_roles(client, who), _account(client, who).disabled, _audit(client)) == before
    assert _no_account(client, "zed")


@pytest.mark.parametrize("path", ["accounts", "accounts/{bob}/roles", "accounts/{bob}/status"])
def test_every_form_needs_the_csrf_token(client: TestClient, staffed: TestClient, path: str) -> None:
    url = "/staff/admin/dept-a/" + path.replace("{bob}", _account(client, "bob").id)
    fields = {"login": "zed", "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD, "role": "viewer",
              "action": "disable" if path.endswith("status") else "grant"}
    for token in (None, "not-the-token"):
        data = {**fields, **({"_csrf": token} if token else {})}
        assert staffed.post(url, data=data, follow_redirects=False).status_code == 403
    assert _no_account(client, "zed") and not _account(client, "bob").disabled
    assert _roles(client, "bob") == {"dept-a": frozenset({"viewer"})} and _audit(client) == []


def test_the_list_shows_disabled_accounts_and_last_logins(client: TestClient, staffed: TestClient) -> None:
    logged_in(client, "bob")
    _post(staffed, f"{_account_url(client, 'dept-a', 'bob')}/status", [("action", "disable")])
    page = staffed.get("/staff/admin/dept-a").text
    start = page.index(">bob</a>")
    bob = page[start:page.index("</li>", start)]
    assert "<dd>無効</dd>" in bob and "記録なし" not in bob and "令和" in bob
    assert PASSWORD not in page


def test_the_staff_page_states_are_named_in_japanese_on_the_results_page() -> None:
    from forms_engine.accessibility.service import state_label
    from tests.browser.staff_walk import STAFF_STATES

    for state in STAFF_STATES:
        label = state_label(state)
        assert label.startswith("職員用ページ（") and not re.search(r"[a-z]", label.replace("API", "")), label


def test_a_login_created_by_another_admin_meanwhile_is_refused_next_to_the_field(
        client: TestClient, staffed: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from forms_engine.staff.admin import Refused, StaffAdmin
    from forms_engine.staff.schemas import Actor

    actor = Actor(_account(client, "alice").id, "alice", {"dept-a": frozenset({"admin"})})
    monkeypatch.setattr(repository, "account_by_login", lambda session, login: None)  # looked up before it existed
    with Session(engine_of(client)) as session:
        with pytest.raises(Refused) as refused:
            StaffAdmin(session, actor).add("dept-a", "carol", NEW_PASSWORD, NEW_PASSWORD, "viewer")
        assert [field for field, _ in refused.value.problems] == ["login"]
        session.commit()  # the transaction is still usable: nothing was written
    monkeypatch.undo()
    assert _roles(client, "carol") == {"dept-b": frozenset({"viewer"})} and _audit(client) == []
