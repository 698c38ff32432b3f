"""Shared by the signing tests: the test PKI (tests/signing/jpki_testkit.py), anchors and CRLs on disk, and a
resident walking 児童手当 to its confirmation page through the HTML steps."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, select

from forms_engine.drafts.schemas import DraftState
from forms_engine.models import Draft, SigningRequest, Submission
from tests.conftest import FIXTURES
from tests.rendering.conftest import walk
from tests.rendering.htmlform import HtmlForm, post_items
from tests.signing.jpki_testkit import Pki, build_pki, der, make_crl, raw_sign

PROCEDURE = "jidou-teate"
BASE = f"/procedures/{PROCEDURE}"
ANSWERS: dict[str, Any] = json.loads((FIXTURES / "samples" / f"{PROCEDURE}.valid.json").read_text(encoding="utf-8"))
HOLDER_NAME = "試験 花子"  # jpki_testkit.HOLDER
HOLDER_ADDRESS = "東京都千代田区試験町一丁目1番1号"
CODE = re.compile(r'<p class="panel__number" id="signing-code" data-request="([A-Z0-9]{20})">')


@pytest.fixture(scope="session")
def pki() -> Pki:
    return build_pki()


@pytest.fixture
def anchors(tmp_path: Path, pki: Pki) -> Path:
    folder = tmp_path / "anchors"
    folder.mkdir()
    for i, root in enumerate((pki.root1, pki.root2)):
        (folder / f"root{i}.pem").write_bytes(root.cert.public_bytes(serialization.Encoding.PEM))
    return folder


@pytest.fixture
def crl_dir(tmp_path: Path, pki: Pki) -> Path:
    return pki.crl_folder(tmp_path / "crl", pki.standard_crl(), make_crl(pki.root1))


@pytest.fixture
def signed_client(make_client: Callable[..., TestClient], anchors: Path, crl_dir: Path) -> TestClient:
    """An engine that signs: the test PKI's anchors (test policy allowed) and its CRLs."""
    return make_client(jpki_sign_anchors=anchors, jpki_allow_test_policy=True, crl_dir=crl_dir)


def engine_of(client: TestClient) -> Any:
    return client.app.state.forms_engine.engine  # type: ignore[attr-defined]


def to_confirmation(client: TestClient, answers: Any = None) -> Response:
    """A resident fills every step of 児童手当 in the HTML pages: the confirmation page."""
    return walk(client, PROCEDURE, answers or ANSWERS)


def press(client: TestClient, page: Response | str, form_index: int = 0) -> Response:
    """Press the button of the page's n-th post form (with its hidden fields), without following."""
    html = page if isinstance(page, str) else page.text
    form = HtmlForm(html)
    posts = [action for method, action in form.forms if method == "post"]
    fields = hidden_fields_of_form(html, form_index)
    return client.post(posts[form_index], data=post_items(fields), follow_redirects=False)


def hidden_fields_of_form(html: str, index: int) -> list[tuple[str, str]]:
    """The hidden inputs of the n-th post form (HtmlForm gathers every form's controls together)."""
    forms = re.findall(r'<form[^>]*method="post"[^>]*>(.*?)</form>', html, re.S)
    return re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', forms[index])


def start_signing(client: TestClient) -> tuple[str, Response]:
    """From the confirmation page, 「マイナンバーカードで署名する」: (the request id, 「署名の手順」)."""
    confirm = to_confirmation(client)
    pressed = press(client, confirm)
    assert pressed.status_code == 303 and pressed.headers["location"] == f"{BASE}/signing", pressed.text[:2000]
    steps = client.get(f"{BASE}/signing")
    assert steps.status_code == 200, steps.text[:2000]
    found = CODE.search(steps.text)
    assert found is not None, steps.text[:3000]
    return found.group(1), steps


def card_signs(client: TestClient, pki: Pki, request_id: str, cert: str = "valid", key: str | None = None) -> Any:
    """What a card client does: read the request over the API, sign its payload, post the signature."""
    found = client.get(f"/api/v1/signing-requests/{request_id}")
    assert found.status_code == 200 and found.json()["status"] == "pending", found.text
    payload = base64.b64decode(found.json()["payload"])
    verdict = client.post(f"/api/v1/signing-requests/{request_id}", json={
        "format": "raw-pkcs1v15", "signature": base64.b64encode(raw_sign(pki.keys[key or cert], payload)).decode(),
        "certificate": base64.b64encode(der(pki.certs[cert])).decode()})
    assert verdict.status_code == 200, verdict.text
    return verdict.json()


def drafts_of(client: TestClient) -> list[Draft]:
    with Session(engine_of(client)) as session:
        return list(session.exec(select(Draft)).all())


def draft_state(client: TestClient) -> DraftState:
    (draft,) = drafts_of(client)
    return DraftState.from_json(draft.state)


def submissions_of(client: TestClient) -> list[Submission]:
    with Session(engine_of(client)) as session:
        return list(session.exec(select(Submission)).all())


def signing_request(client: TestClient, request_id: str) -> SigningRequest:
    with Session(engine_of(client)) as session:
        found = session.get(SigningRequest, request_id)
        assert found is not None
        return found
