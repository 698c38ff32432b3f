"""Signed procedures through the API: request → signature by the card (test PKI) → submission."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from forms_engine.models import Submission
from tests.conftest import FIXTURES
from tests.signing.jpki_testkit import Pki, build_pki, der, make_crl, raw_sign

ANSWERS = json.loads((FIXTURES / "samples" / "jidou-teate.valid.json").read_text(encoding="utf-8"))
BASE = "/api/v1/procedures/jidou-teate"


@pytest.fixture(scope="module")
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
    return make_client(jpki_sign_anchors=anchors, jpki_allow_test_policy=True, crl_dir=crl_dir)


def sign(client: TestClient, pki: Pki, cert: str = "valid", answers: Any = None) -> tuple[str, dict[str, Any]]:
    created = client.post(f"{BASE}/signing-requests", json={"answers": answers or ANSWERS})
    assert created.status_code == 201, created.text
    body = created.json()
    payload = base64.b64decode(body["payload"])
    assert hashlib.sha256(payload).hexdigest() == body["digest_sha256"]
    verdict = client.post(f"/api/v1/signing-requests/{body['id']}", json={
        "format": "raw-pkcs1v15", "signature": base64.b64encode(raw_sign(pki.keys[cert], payload)).decode(),
        "certificate": base64.b64encode(der(pki.certs[cert])).decode()})
    assert verdict.status_code == 200, verdict.text
    return body["id"], verdict.json()


def test_signed_child_allowance_is_filed_with_its_verified_record(signed_client: TestClient, pki: Pki,
                                                                   db_engine: Engine) -> None:
    request_id, verdict = sign(signed_client, pki)
    assert verdict["status"] == "valid" and verdict["failure"] is None
    assert [c["name"] for c in verdict["checks"]][:3] == ["limits", "binding", "profile"]
    filed = signed_client.post(f"{BASE}/submissions", json={"answers": ANSWERS, "signing_request": request_id})
    assert filed.status_code == 201, filed.text
    with Session(db_engine) as s:
        stored = s.get(Submission, filed.json()["id"])
        assert stored is not None and stored.signature is not None
        record = stored.signature
    assert record["status"] == "valid" and record["signing_request"] == request_id
    assert record["certificate"]["serial"] == format(pki.certs["valid"].serial_number, "x")
    assert record["revocation"]["status"] == "good"
    again = signed_client.post(f"{BASE}/submissions", json={"answers": ANSWERS, "signing_request": request_id})
    assert again.status_code == 422  # a signature files once


def test_a_signing_request_is_single_use(signed_client: TestClient, pki: Pki) -> None:
    request_id, _ = sign(signed_client, pki)
    replay = signed_client.post(f"/api/v1/signing-requests/{request_id}", json={
        "format": "raw-pkcs1v15", "signature": "AAAA", "certificate": "AAAA"})
    assert replay.status_code == 410
    assert signed_client.post("/api/v1/signing-requests/unknown", json={
        "format": "raw-pkcs1v15", "signature": "AAAA"}).status_code == 404


def test_an_expired_signing_request_is_gone(make_client: Callable[..., TestClient], anchors: Path, pki: Pki) -> None:
    client = make_client(jpki_sign_anchors=anchors, jpki_allow_test_policy=True, signing_request_ttl_seconds=0)
    created = client.post(f"{BASE}/signing-requests", json={"answers": ANSWERS}).json()
    payload = base64.b64decode(created["payload"])
    response = client.post(f"/api/v1/signing-requests/{created['id']}", json={
        "format": "raw-pkcs1v15", "signature": base64.b64encode(raw_sign(pki.keys["valid"], payload)).decode(),
        "certificate": base64.b64encode(der(pki.certs["valid"])).decode()})
    assert response.status_code == 410


def test_answers_other_than_the_signed_ones_are_refused(signed_client: TestClient, pki: Pki, db_engine: Engine) -> None:
    request_id, _ = sign(signed_client, pki)
    changed = {**ANSWERS, "phone": "03-9999-0000"}
    response = signed_client.post(f"{BASE}/submissions", json={"answers": changed, "signing_request": request_id})
    assert response.status_code == 422 and response.json()["errors"][0]["pointer"] == "/signing_request"


def test_a_revoked_certificate_is_refused(signed_client: TestClient, pki: Pki) -> None:
    request_id, verdict = sign(signed_client, pki, cert="revoked")
    assert verdict["status"] == "invalid" and verdict["failure"] == "revoked"
    response = signed_client.post(f"{BASE}/submissions", json={"answers": ANSWERS, "signing_request": request_id})
    assert response.status_code == 422


def test_unknown_revocation_is_stored_for_recheck_under_best_effort(
    make_client: Callable[..., TestClient], anchors: Path, pki: Pki, db_engine: Engine
) -> None:
    client = make_client(jpki_sign_anchors=anchors, jpki_allow_test_policy=True)  # no CRL: not checked
    request_id, verdict = sign(client, pki)
    assert verdict["status"] == "indeterminate"
    filed = client.post(f"{BASE}/submissions", json={"answers": ANSWERS, "signing_request": request_id})
    assert filed.status_code == 201  # jidou-teate says revocation: best_effort
    with Session(db_engine) as s:
        stored = s.get(Submission, filed.json()["id"])
        assert stored is not None and stored.signature is not None
        assert stored.signature["status"] == "indeterminate"


def test_without_trust_anchors_signed_procedures_are_refused_clearly(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    response = client.post(f"{BASE}/signing-requests", json={"answers": ANSWERS})
    assert response.status_code == 422
    assert "信頼点が設定されていません" in response.json()["errors"][0]["message"]
    response = client.post(f"{BASE}/submissions", json={"answers": ANSWERS})
    assert response.status_code == 422
    assert "信頼点が設定されていません" in response.json()["errors"][0]["message"]
