"""Login with the 利用者証明用 certificate: challenge-response through the pages and the card app's API, on
SQLite and PostgreSQL. The test PKI's authentication root is the only anchor; its CRL lists ``auth_revoked``."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session

from forms_engine.models import AuthChallenge
from tests.rendering.conftest import main_of, title_of
from tests.signing.jpki_testkit import Pki

from .conftest import (
    ClientFactory,
    accounts,
    another_browser,
    card_app_signs,
    certificates,
    challenges,
    engine_of,
    logged_in,
    login,
    post_form,
    sessions,
    start_login,
)


def notice_of(html: str, element_id: str = "problem") -> str:
    found = re.search(rf'<div class="notice[^"]*" id="{element_id}"[^>]*>(.*?)</div>', html, re.S)
    assert found is not None, main_of(html)
    return re.sub(r"<[^>]+>|\s+", "", found.group(1))


def test_first_login_opens_an_account_linked_to_the_certificate(client: TestClient, pki: Pki) -> None:
    challenge_id, code_page = start_login(client)
    assert title_of(code_page.text) == "ログインの手順 - forms-engine 見本市"
    assert "-<wbr>".join(challenge_id[i:i + 4] for i in range(0, 20, 4)) in code_page.text
    assert "ログイン状態を確認する" in code_page.text
    verdict = card_app_signs(client, pki, challenge_id)
    body = verdict.json()
    assert (body["status"], body["failure"], body["accepted"], body["outcome"]) == (
        "valid", None, True, "account_created")
    assert [c["name"] for c in body["checks"]][:3] == ["limits", "binding", "challenge"]
    checked = post_form(client, "/login/check", code_page)
    assert checked.status_code == 303 and checked.headers["location"] == "/my"
    history = client.get("/my")
    assert history.status_code == 200 and title_of(history.text) == "申請履歴 - forms-engine 見本市"
    assert "まだ申請はありません" in history.text
    (account,) = accounts(client)
    (linked,) = certificates(client)
    cert = pki.certs["auth"]
    assert linked.account_id == account.id
    assert linked.fingerprint_sha256 == cert.fingerprint(hashes.SHA256()).hex()
    assert (linked.issuer, linked.serial) == (cert.issuer.rfc4514_string(), format(cert.serial_number, "x"))
    assert account.last_login_at is not None


def test_the_same_certificate_logs_in_to_the_same_account(client: TestClient, pki: Pki) -> None:
    logged_in(client, pki)
    post_form(client, "/logout", client.get("/my"))
    second = another_browser(client)
    logged_in(second, pki)
    challenge_id, _ = start_login(another_browser(client))
    assert card_app_signs(client, pki, challenge_id).json()["outcome"] == "logged_in"
    assert len(accounts(client)) == 1 and len(certificates(client)) == 1
    assert {s.account_id for s in sessions(client)} == {accounts(client)[0].id}


def refused(client: TestClient, pki: Pki, cert: str) -> tuple[dict[str, object], str]:
    challenge_id, code_page = start_login(client)
    verdict = card_app_signs(client, pki, challenge_id, cert)
    assert verdict.status_code == 200, verdict.text
    checked = post_form(client, "/login/check", code_page)
    assert checked.status_code == 403, checked.text[:2000]
    assert "fe_resident" not in checked.headers.get("set-cookie", "")
    assert client.get("/my", follow_redirects=False).headers["location"] == "/login"
    assert accounts(client) == [] and sessions(client) == []
    return verdict.json(), notice_of(checked.text)


def test_an_expired_certificate_cannot_log_in(client: TestClient, pki: Pki) -> None:
    verdict, notice = refused(client, pki, "auth_expired")
    assert (verdict["status"], verdict["failure"], verdict["accepted"]) == ("invalid", "expired", False)
    assert notice == "ログインできませんでした理由カードの利用者証明用電子証明書の有効期限が切れているか、まだ有効になっていません。".replace("理由", "")


def test_a_certificate_of_another_policy_cannot_log_in(client: TestClient, pki: Pki) -> None:
    verdict, notice = refused(client, pki, "auth_wrong_policy")
    assert (verdict["status"], verdict["failure"]) == ("invalid", "wrong_policy")
    assert "利用者証明用電子証明書ではありません" in notice


def test_the_signing_certificate_cannot_log_in(client: TestClient, pki: Pki) -> None:
    verdict, notice = refused(client, pki, "valid")  # the 署名用 certificate, with the 基本4情報
    assert (verdict["status"], verdict["failure"]) == ("invalid", "wrong_policy")
    assert notice.endswith("利用者証明用電子証明書ではありません（署名用電子証明書ではログインできません）。")
    (challenge,) = challenges(client)
    assert challenge.verified_account_id is None and challenge.result is not None
    assert "試験" not in str(challenge.result)  # nothing of the holder's data is kept


def test_a_revoked_certificate_cannot_log_in(client: TestClient, pki: Pki) -> None:
    verdict, notice = refused(client, pki, "auth_revoked")
    assert (verdict["status"], verdict["failure"]) == ("invalid", "revoked")
    assert "失効しています" in notice


def test_a_signature_by_another_key_cannot_log_in(client: TestClient, pki: Pki) -> None:
    challenge_id, _ = start_login(client)
    verdict = card_app_signs(client, pki, challenge_id, "auth", key="auth_other")
    assert (verdict.json()["failure"], verdict.json()["accepted"]) == ("signature_mismatch", False)


def test_a_challenge_is_single_use(client: TestClient, pki: Pki) -> None:
    challenge_id, _ = start_login(client)
    assert card_app_signs(client, pki, challenge_id).json()["accepted"] is True
    again = card_app_signs(client, pki, challenge_id)
    assert again.status_code == 410
    assert again.json()["errors"][0]["keyword"] == "gone"
    unknown = client.post("/api/v1/auth/challenges/ABCDEFGHJKMNPQRSTUVW", json={"signature": "AAAA"})
    assert unknown.status_code == 404


def test_an_expired_challenge_is_gone(client: TestClient, pki: Pki) -> None:
    challenge_id, code_page = start_login(client)
    table = AuthChallenge.__table__  # type: ignore[attr-defined]
    with Session(engine_of(client)) as session:
        session.execute(update(table).where(table.c.id == challenge_id)
                        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        session.commit()
    assert card_app_signs(client, pki, challenge_id).status_code == 410
    checked = post_form(client, "/login/check", code_page)
    assert checked.status_code == 410
    assert notice_of(checked.text) == "コードの有効期限が切れました有効期限（5分）が切れました。もう一度始めてください。"
    assert sessions(client) == []
    assert client.get("/login").text.count('id="auth-code"') == 0  # back to 「ログインを始める」


def test_pressing_check_before_the_app_signed_says_so(client: TestClient, pki: Pki) -> None:
    challenge_id, code_page = start_login(client)
    early = post_form(client, "/login/check", code_page)
    assert early.status_code == 200
    assert re.search(r'id="auth-status" role="status" tabindex="-1">まだ確認できていません', early.text)
    card_app_signs(client, pki, challenge_id)
    assert post_form(client, "/login/check", early).headers["location"] == "/my"


def test_only_the_browser_that_started_the_login_gets_the_session(client: TestClient, pki: Pki) -> None:
    challenge_id, code_page = start_login(client)
    card_app_signs(client, pki, challenge_id)
    stranger = another_browser(client)
    page = stranger.get("/login")
    stranger.cookies.set("fe_auth", f"{challenge_id}.guessed-claim")
    assert post_form(stranger, "/login/check", page).headers["location"] == "/login"
    assert sessions(client) == []
    pending = str(client.cookies.get("fe_auth"))
    assert post_form(client, "/login/check", code_page).headers["location"] == "/my"
    client.cookies.set("fe_auth", pending)  # a double click: the second request still carries the code's cookie
    assert post_form(client, "/login/check", code_page).headers["location"] == "/my"
    assert len(sessions(client)) == 1


def test_forms_need_their_csrf_token(client: TestClient) -> None:
    assert client.post("/login", data={"_csrf": "forged"}).status_code == 403
    assert client.post("/logout", data={}).status_code == 403
    assert challenges(client) == []


def test_the_session_cookie(make_client: ClientFactory, auth_anchors: Path, auth_crl: Path, pki: Pki) -> None:
    client = make_client(jpki_auth_anchors=auth_anchors, crl_dir=auth_crl)
    cookies = login(client, pki).headers.get_list("set-cookie")
    (session_cookie,) = [c for c in cookies if c.startswith("fe_resident=")]
    assert "HttpOnly" in session_cookie and "SameSite=lax" in session_cookie and "Path=/" in session_cookie
    assert "Secure" not in session_cookie and "Max-Age" not in session_cookie  # http: a browser-session cookie
    (stored,) = sessions(client)
    token = str(client.cookies.get("fe_resident"))
    assert stored.id == hashlib.sha256(token.encode()).hexdigest()  # only the token's hash is kept
    served = make_client(jpki_auth_anchors=auth_anchors, crl_dir=auth_crl, public_origin="https://forms.example")
    https = TestClient(served.app, base_url="https://testserver")
    cookies = login(https, pki).headers.get_list("set-cookie")
    (session_cookie,) = [c for c in cookies if c.startswith("fe_resident=")]
    assert "Secure" in session_cookie and "HttpOnly" in session_cookie


def test_logout_ends_the_session(client: TestClient, pki: Pki) -> None:
    history = logged_in(client, pki)
    token = client.cookies.get("fe_resident")
    out = post_form(client, "/logout", history)
    assert out.status_code == 303 and out.headers["location"] == "/login?notice=logged_out"
    assert notice_of(client.get("/login?notice=logged_out").text, "notice") == "ログアウトしました。"
    assert client.get("/my", follow_redirects=False).headers["location"] == "/login"
    replay = another_browser(client)
    replay.cookies.set("fe_resident", str(token))
    assert replay.get("/my", follow_redirects=False).headers["location"] == "/login"
    (ended,) = sessions(client)
    assert ended.ended_at is not None


def test_an_idle_session_times_out(client: TestClient, pki: Pki) -> None:
    logged_in(client, pki)
    table = __import__("forms_engine.models", fromlist=["ResidentSession"]).ResidentSession.__table__
    with Session(engine_of(client)) as session:
        session.execute(update(table).values(last_seen_at=datetime.now(UTC) - timedelta(minutes=31)))
        session.commit()
    gone = client.get("/my", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"] == "/login?notice=timeout"
    page = client.get("/login?notice=timeout")
    assert notice_of(page.text, "notice") == "一定時間（30分）操作がなかったため、ログアウトしました。もう一度ログインしてください。"
    (ended,) = sessions(client)
    assert ended.ended_at is not None
    assert client.get("/my", follow_redirects=False).headers["location"] == "/login"


def test_activity_keeps_a_session_alive(client: TestClient, pki: Pki) -> None:
    logged_in(client, pki)
    table = __import__("forms_engine.models", fromlist=["ResidentSession"]).ResidentSession.__table__
    with Session(engine_of(client)) as session:
        session.execute(update(table).values(last_seen_at=datetime.now(UTC) - timedelta(minutes=29)))
        session.commit()
    assert client.get("/my").status_code == 200
    (alive,) = sessions(client)
    assert datetime.now(UTC) - alive.last_seen_at < timedelta(minutes=1)


def test_without_authentication_anchors_nobody_logs_in(make_client: ClientFactory) -> None:
    client = make_client()
    page = client.get("/login")
    assert "この環境ではマイナンバーカードでログインできません" in page.text
    assert 'action="/login"' not in page.text
    assert post_form(client, "/login", client.get("/resume")).status_code == 422  # a token from another page
    api = client.post("/api/v1/auth/challenges")
    assert api.status_code == 422
    assert "利用者証明用の信頼点が設定されていません" in api.json()["errors"][0]["message"]
    assert challenges(client) == []


def test_unknown_revocation_refuses_unless_best_effort(make_client: ClientFactory, auth_anchors: Path,
                                                       pki: Pki) -> None:
    strict = make_client(jpki_auth_anchors=auth_anchors)  # no CRL, no OCSP: revocation not checked
    verdict, _ = refused(strict, pki, "auth")
    assert (verdict["status"], verdict["failure"]) == ("indeterminate", "revocation_not_checked")
    lenient = make_client(jpki_auth_anchors=auth_anchors, jpki_auth_revocation="best_effort")
    challenge_id, _ = start_login(lenient)
    body = card_app_signs(lenient, pki, challenge_id).json()
    assert (body["status"], body["accepted"], body["outcome"]) == ("indeterminate", True, "account_created")


def test_the_api_describes_a_challenge_for_the_card_app(client: TestClient) -> None:
    created = client.post("/api/v1/auth/challenges")
    assert created.status_code == 201
    body = created.json()
    assert set(body) == {"id", "nonce", "expires_at"} and len(body["id"]) == 20
    described = client.get(f"/api/v1/auth/challenges/{body['id']}").json()
    assert described == {**body, "purpose": "login", "status": "pending"}
    assert client.get("/api/v1/auth/challenges/unknown").status_code == 404
