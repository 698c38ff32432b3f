"""Isolation: a staff member sees only the procedures of departments where they hold a role. Another
department's id answers exactly like an unknown one (404), on every staff endpoint and page; without a
role it is 404 too; without logging in the API answers 401 and pages go to the login page."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.staff.conftest import add_staff, file, logged_in, token_for

UNKNOWN_NUMBER = "0000-0000-0000"  # a valid 受付番号 (Damm check digit 0) that was never issued


def _api_urls(alpha: str, beta: str) -> dict[str, tuple[str, str]]:
    """(own department's URL, another department's URL) per endpoint; ``unknown`` variants below."""
    return {
        "list": ("/api/v1/staff/procedures/alpha/submissions", "/api/v1/staff/procedures/beta/submissions"),
        "detail": (f"/api/v1/staff/submissions/{alpha}", f"/api/v1/staff/submissions/{beta}"),
        "receipt": (f"/api/v1/staff/receipts/{alpha}.pdf", f"/api/v1/staff/receipts/{beta}.pdf"),
    }


UNKNOWN_API = {
    "list": "/api/v1/staff/procedures/no-such-procedure/submissions",
    "detail": f"/api/v1/staff/submissions/{UNKNOWN_NUMBER}",
    "receipt": f"/api/v1/staff/receipts/{UNKNOWN_NUMBER}.pdf",
}
NOT_FOUND_BODY = {"errors": [{"pointer": "", "keyword": "not_found", "message": "見つかりません"}]}


@pytest.fixture
def filed(client: TestClient) -> tuple[str, str]:
    add_staff(client, "alice", ("dept-a", "viewer"))
    add_staff(client, "nobody")
    return file(client, "alpha"), file(client, "beta")


@pytest.mark.parametrize("endpoint", ["list", "detail", "receipt"])
def test_api_answers_404_for_another_department_as_for_an_unknown_id(
        client: TestClient, filed: tuple[str, str], endpoint: str) -> None:
    own, other = _api_urls(*filed)[endpoint]
    headers = {"Authorization": f"Bearer {token_for(client, 'alice')}"}
    assert client.get(own, headers=headers).status_code == 200
    denied = client.get(other, headers=headers)
    unknown = client.get(UNKNOWN_API[endpoint], headers=headers)
    assert denied.status_code == unknown.status_code == 404
    assert denied.json() == unknown.json() == NOT_FOUND_BODY
    assert denied.headers["content-length"] == unknown.headers["content-length"]


@pytest.mark.parametrize("endpoint", ["list", "detail", "receipt"])
def test_api_answers_404_to_staff_without_any_role(client: TestClient, filed: tuple[str, str], endpoint: str) -> None:
    headers = {"Authorization": f"Bearer {token_for(client, 'nobody')}"}
    for url in _api_urls(*filed)[endpoint]:
        answer = client.get(url, headers=headers)
        assert (answer.status_code, answer.json()) == (404, NOT_FOUND_BODY)


@pytest.mark.parametrize("endpoint", ["list", "detail", "receipt"])
def test_api_answers_401_without_credentials(client: TestClient, filed: tuple[str, str], endpoint: str) -> None:
    own, _ = _api_urls(*filed)[endpoint]
    for headers in ({}, {"Authorization": "Bearer fest_not-a-token"}, {"Authorization": "Basic YWxpY2U6eA=="}):
        answer = client.get(own, headers=headers)
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"] == 'Bearer realm="forms-engine staff"'
        assert answer.json()["errors"][0]["keyword"] == "unauthorized"


def test_api_accepts_the_session_of_a_logged_in_browser(client: TestClient, filed: tuple[str, str]) -> None:
    browser = logged_in(client, "alice")
    alpha, beta = filed
    assert browser.get(f"/api/v1/staff/receipts/{alpha}.pdf").status_code == 200
    assert browser.get(f"/api/v1/staff/receipts/{beta}.pdf").status_code == 404


def _page_urls(alpha: str, beta: str) -> dict[str, tuple[str, str, str]]:
    return {
        "list": ("/staff/procedures/alpha", "/staff/procedures/beta", "/staff/procedures/no-such-procedure"),
        "detail": (f"/staff/submissions/{alpha}", f"/staff/submissions/{beta}",
                   f"/staff/submissions/{UNKNOWN_NUMBER}"),
    }


@pytest.mark.parametrize("page", ["list", "detail"])
def test_pages_answer_404_for_another_department_as_for_an_unknown_id(
        client: TestClient, filed: tuple[str, str], page: str) -> None:
    own, other, unknown = _page_urls(*filed)[page]
    browser = logged_in(client, "alice")
    assert browser.get(own).status_code == 200
    denied, missing = browser.get(other), browser.get(unknown)
    assert denied.status_code == missing.status_code == 404
    assert denied.text == missing.text.replace(unknown, other)  # the same page but for its own address
    nobody = logged_in(client, "nobody")
    for url in (own, other):
        assert nobody.get(url).status_code == 404


@pytest.mark.parametrize("page", ["list", "detail"])
def test_pages_send_strangers_to_the_login_page(client: TestClient, filed: tuple[str, str], page: str) -> None:
    own, other, _ = _page_urls(*filed)[page]
    for url in (own, other):
        answer = client.get(url, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/staff/login?next=%2Fstaff%2F")


def test_home_lists_only_my_departments_procedures(client: TestClient, filed: tuple[str, str]) -> None:
    home = logged_in(client, "alice").get("/staff/")
    assert home.status_code == 200
    assert 'href="/staff/procedures/alpha"' in home.text
    assert "/staff/procedures/beta" not in home.text
    empty = logged_in(client, "nobody").get("/staff/")
    assert 'id="procedures-empty"' in empty.text and "/staff/procedures/" not in empty.text
    for url in ("/staff/", "/staff/tokens"):
        assert client.get(url, follow_redirects=False).headers["location"].startswith("/staff/login?next=")


def test_a_token_cannot_be_revoked_by_another_staff_member(client: TestClient, filed: tuple[str, str]) -> None:
    from tests.staff.conftest import csrf

    token = token_for(client, "alice")
    alice = logged_in(client, "alice")
    listed = alice.get("/staff/tokens").text
    token_id = listed.split('action="/staff/tokens/')[1].split("/revoke")[0]
    nobody = logged_in(client, "nobody")
    page = nobody.get("/staff/tokens")
    answer = nobody.post(f"/staff/tokens/{token_id}/revoke", data={"_csrf": csrf(page.text)}, follow_redirects=False)
    assert answer.status_code == 404
    assert client.get("/api/v1/staff/procedures/alpha/submissions",
                      headers={"Authorization": f"Bearer {token}"}).status_code == 200
