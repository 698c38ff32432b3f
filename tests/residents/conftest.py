"""Shared by the resident tests: the test PKI's authentication root and CRL on disk, an engine that logs
residents in, and a resident who logs in through the pages while the card app signs over the API."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, select

from forms_engine.models import AuthChallenge, ResidentAccount, ResidentCertificate, ResidentSession
from tests.rendering.htmlform import HtmlForm, post_items
from tests.signing.jpki_testkit import Pki, build_pki, der, raw_sign

CODE = re.compile(r'<p class="panel__number" id="auth-code" data-challenge="([A-Z0-9]{20})">')
ClientFactory = Callable[..., TestClient]


@pytest.fixture(scope="session")
def pki() -> Pki:
    return build_pki()


@pytest.fixture
def auth_anchors(tmp_path: Path, pki: Pki) -> Path:
    folder = tmp_path / "auth-anchors"
    folder.mkdir()
    (folder / "auth-root.pem").write_bytes(pki.auth_root.cert.public_bytes(serialization.Encoding.PEM))
    return folder


@pytest.fixture
def auth_crl(tmp_path: Path, pki: Pki) -> Path:
    """The authentication root's current CRL (it lists ``auth_revoked``)."""
    return pki.crl_folder(tmp_path / "crl", pki.auth_crl())


@pytest.fixture
def client(make_client: ClientFactory, auth_anchors: Path, auth_crl: Path) -> TestClient:
    return make_client(jpki_auth_anchors=auth_anchors, crl_dir=auth_crl)


def engine_of(client: TestClient) -> Any:
    return client.app.state.forms_engine.engine  # type: ignore[attr-defined]


def another_browser(client: TestClient) -> TestClient:
    """The same engine seen from another browser (its own cookies)."""
    return TestClient(client.app)


def csrf(html: str) -> str:
    found = [v for n, v in HtmlForm(html).hidden() if n == "_csrf"]
    assert found, html[:2000]
    return found[0]


def post_form(client: TestClient, url: str, page: Response | str) -> Response:
    """Press a page's button posting to ``url`` (with the page's CSRF token), without following."""
    html = page if isinstance(page, str) else page.text
    return client.post(url, data=post_items([("_csrf", csrf(html))]), follow_redirects=False)


def start_login(client: TestClient) -> tuple[str, Response]:
    """「ログインを始める」: (the challenge id, the page showing the code)."""
    login = client.get("/login")
    assert login.status_code == 200, login.text[:2000]
    started = post_form(client, "/login", login)
    assert started.status_code == 303 and started.headers["location"] == "/login", started.text[:2000]
    code_page = client.get("/login")
    found = CODE.search(code_page.text)
    assert found is not None, code_page.text[:3000]
    return found.group(1), code_page


def card_app_signs(client: TestClient, pki: Pki, challenge_id: str, cert: str = "auth",
                   key: str | None = None) -> Response:
    """What the card app does with the code: read the nonce, sign it with the authentication key, post it."""
    typed = "-".join(challenge_id[i:i + 4] for i in range(0, 20, 4)).lower()  # as a resident may type it
    found = client.get(f"/api/v1/auth/challenges/{typed}")
    assert found.status_code == 200, found.text
    nonce = base64.b64decode(found.json()["nonce"])
    return client.post(f"/api/v1/auth/challenges/{found.json()['id']}", json={
        "signature": base64.b64encode(raw_sign(pki.keys[key or cert], nonce)).decode(),
        "certificate": base64.b64encode(der(pki.certs[cert])).decode()})


def login(client: TestClient, pki: Pki, cert: str = "auth") -> Response:
    """The whole login: the code, the card app, 「ログイン状態を確認する」; the answer to that button."""
    challenge_id, code_page = start_login(client)
    verdict = card_app_signs(client, pki, challenge_id, cert)
    assert verdict.status_code == 200, verdict.text
    return post_form(client, "/login/check", code_page)


def logged_in(client: TestClient, pki: Pki, cert: str = "auth") -> Response:
    checked = login(client, pki, cert)
    assert checked.status_code == 303 and checked.headers["location"] == "/my", checked.text[:3000]
    history = client.get("/my")
    assert history.status_code == 200, history.text[:2000]
    return history


def rows(client: TestClient, model: Any) -> list[Any]:
    with Session(engine_of(client)) as session:
        return list(session.exec(select(model)).all())


def accounts(client: TestClient) -> list[ResidentAccount]:
    return rows(client, ResidentAccount)


def certificates(client: TestClient) -> list[ResidentCertificate]:
    return rows(client, ResidentCertificate)


def sessions(client: TestClient) -> list[ResidentSession]:
    return rows(client, ResidentSession)


def challenges(client: TestClient) -> list[AuthChallenge]:
    return rows(client, AuthChallenge)
