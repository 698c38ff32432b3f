"""Signed procedures through the API: request → signature by the card (test PKI) → submission."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from forms_engine.models import SigningRequest, Submission
from tests.signing.jpki_testkit import Pki, der, make_cms, raw_sign

from .conftest import ANSWERS, HOLDER_ADDRESS, HOLDER_NAME

BASE = "/api/v1/procedures/jidou-teate"


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


def test_a_request_is_read_by_its_code_as_typed(signed_client: TestClient, pki: Pki) -> None:
    created = signed_client.post(f"{BASE}/signing-requests", json={"answers": ANSWERS}).json()
    request_id = created["id"]
    assert len(request_id) == 20 and set(request_id) <= set("23456789ABCDEFGHJKMNPQRSTUVWXYZ")
    typed = "-".join(request_id[i:i + 4] for i in range(0, 20, 4)).lower()
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in request_id[:10]) + " " + request_id[10:]
    for spelling in (request_id, typed, full_width):
        found = signed_client.get(f"/api/v1/signing-requests/{spelling}")
        assert found.status_code == 200, spelling
        assert found.json() == {"id": request_id, "status": "pending", "payload": created["payload"],
                                "digest_sha256": created["digest_sha256"], "expires_at": created["expires_at"]}
        assert found.headers["cache-control"] == "no-store"
    payload = base64.b64decode(created["payload"])
    assert hashlib.sha256(payload).hexdigest() == created["digest_sha256"]
    verdict = signed_client.post(f"/api/v1/signing-requests/{typed}", json={
        "format": "raw-pkcs1v15", "signature": base64.b64encode(raw_sign(pki.keys["valid"], payload)).decode(),
        "certificate": base64.b64encode(der(pki.certs["valid"])).decode()})
    assert verdict.status_code == 200 and verdict.json()["status"] == "valid"
    after = signed_client.get(f"/api/v1/signing-requests/{request_id}").json()
    assert after["status"] == "valid" and after["payload"] is None  # the answers are not handed out again
    unknown = signed_client.get("/api/v1/signing-requests/AAAA-BBBB")
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["keyword"] == "not_found"


def test_a_malformed_body_leaves_the_request_usable(signed_client: TestClient, pki: Pki) -> None:
    created = signed_client.post(f"{BASE}/signing-requests", json={"answers": ANSWERS}).json()
    bad = signed_client.post(f"/api/v1/signing-requests/{created['id']}", json={
        "format": "raw-pkcs1v15", "signature": "not base64!", "certificate": "AAAA"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["keyword"] == "contentEncoding"
    assert signed_client.get(f"/api/v1/signing-requests/{created['id']}").json()["status"] == "pending"
    payload = base64.b64decode(created["payload"])
    good = signed_client.post(f"/api/v1/signing-requests/{created['id']}", json={
        "format": "raw-pkcs1v15", "signature": base64.b64encode(raw_sign(pki.keys["valid"], payload)).decode(),
        "certificate": base64.b64encode(der(pki.certs["valid"])).decode()})
    assert good.status_code == 200 and good.json()["status"] == "valid"


@pytest.mark.parametrize("fmt", ["raw-pkcs1v15", "cms-detached"])
def test_only_the_asked_holder_fields_are_stored(signed_client: TestClient, pki: Pki, db_engine: Engine,
                                                  fmt: str) -> None:
    created = signed_client.post(f"{BASE}/signing-requests", json={"answers": ANSWERS}).json()
    payload = base64.b64decode(created["payload"])
    if fmt == "raw-pkcs1v15":
        body = {"format": fmt, "signature": base64.b64encode(raw_sign(pki.keys["valid"], payload)).decode(),
                "certificate": base64.b64encode(der(pki.certs["valid"])).decode()}
    else:  # the certificate travels inside the CMS only
        cms = make_cms(payload, [(pki.certs["valid"], pki.keys["valid"])])
        body = {"format": fmt, "signature": base64.b64encode(cms).decode()}
    verdict = signed_client.post(f"/api/v1/signing-requests/{created['id']}", json=body)
    assert verdict.json()["status"] == "valid" and "holder" not in verdict.json()  # never in an API answer
    filed = signed_client.post(f"{BASE}/submissions", json={"answers": ANSWERS, "signing_request": created["id"]})
    assert filed.status_code == 201, filed.text
    with Session(db_engine) as s:
        stored = s.get(Submission, filed.json()["id"])
        assert stored is not None and stored.signature is not None
        record = stored.signature
    # jidou-teate asks for name, address and birth date: not the sex the certificate also holds
    assert record["holder"] == {"name": HOLDER_NAME, "address": HOLDER_ADDRESS, "birth_date": "1990-01-01"}


def test_no_holder_field_is_read_from_a_refused_certificate(signed_client: TestClient, pki: Pki,
                                                             db_engine: Engine) -> None:
    request_id, verdict = sign(signed_client, pki, cert="forged")  # carries the HOLDER, not trusted
    assert verdict["status"] == "invalid"
    with Session(db_engine) as s:
        stored = s.get(SigningRequest, request_id)
        assert stored is not None and stored.result is not None
        assert "holder" not in stored.result
