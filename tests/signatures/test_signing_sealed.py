"""Signing requests at rest: the payload (the answers to sign) and the certificate holder's 基本4情報 encrypted,
bound to the request; what was used or can no longer be filed is purged, nothing a filing still needs."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from forms_engine.cli import main
from forms_engine.models import SigningRequest, Submission
from forms_engine.submissions.protection import (
    ProtectionError,
    seal_bytes,
    seal_value,
    signing_owner,
    unseal_bytes,
)
from signing.canonical import canonical_payload
from tests.signing.jpki_testkit import Pki, der, raw_sign

from .conftest import ANSWERS, HOLDER_ADDRESS, HOLDER_NAME

BASE = "/api/v1/procedures/jidou-teate"
HIDDEN = (ANSWERS["my_number"], ANSWERS["spouse_my_number"], HOLDER_NAME, HOLDER_ADDRESS)


def spellings(value: str) -> list[bytes]:
    """The bytes a value may be stored as: UTF-8, and JSON's \\u escapes (SQLite's JSON columns)."""
    return [value.encode(), json.dumps(value).strip('"').encode(), json.dumps(value).strip('"').lower().encode()]


def raw_database(engine: Engine, db_url: str) -> bytes:
    if db_url.startswith("sqlite"):
        engine.dispose()
        path = Path(db_url.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT payload, coalesce(result::text, '') FROM signing_requests")).all()
    return b"\n".join(bytes(payload) + result.encode() for payload, result in rows)


def create(client: TestClient) -> dict[str, Any]:
    created = client.post(f"{BASE}/signing-requests", json={"answers": ANSWERS})
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


def sign(client: TestClient, pki: Pki, body: dict[str, Any]) -> None:
    payload = base64.b64decode(body["payload"])
    verdict = client.post(f"/api/v1/signing-requests/{body['id']}", json={
        "format": "raw-pkcs1v15", "signature": base64.b64encode(raw_sign(pki.keys["valid"], payload)).decode(),
        "certificate": base64.b64encode(der(pki.certs["valid"])).decode()})
    assert verdict.status_code == 200 and verdict.json()["status"] == "valid", verdict.text


def file(client: TestClient, request_id: str) -> Any:
    return client.post(f"{BASE}/submissions", json={"answers": ANSWERS, "signing_request": request_id})


def stored(engine: Engine, request_id: str) -> SigningRequest | None:
    with Session(engine) as session:
        found = session.get(SigningRequest, request_id)
        if found is not None:
            session.expunge(found)
        return found


def test_payload_and_holder_are_encrypted_at_rest_and_read_back_in_clear(
        signed_client: TestClient, pki: Pki, db_engine: Engine, db_url: str) -> None:
    body = create(signed_client)
    payload = base64.b64decode(body["payload"])
    assert json.loads(payload)["answers"]["my_number"] == ANSWERS["my_number"]  # the card signs the clear bytes
    pending = signed_client.get(f"/api/v1/signing-requests/{body['id']}").json()
    assert pending["status"] == "pending" and pending["payload"] == body["payload"]
    sign(signed_client, pki, body)
    raw = raw_database(db_engine, db_url)
    for value in HIDDEN:
        for spelled in spellings(value):
            assert spelled not in raw, value
    row = stored(db_engine, body["id"])
    assert row is not None and row.result is not None
    assert row.payload.startswith(b'{"$enc"') and row.payload_sha256 == hashlib.sha256(payload).hexdigest()
    assert set(row.result["holder"]) == {"$enc", "kid", "n", "c"} and row.result["status"] == "valid"
    # keyed: a plain digest of answers holding a マイナンバー could be matched against every possible number
    assert row.answers_sha256 != hashlib.sha256(canonical_payload({"answers": ANSWERS})).hexdigest()
    keyring = signed_client.app.state.forms_engine.settings.answers_keyring()  # type: ignore[attr-defined]
    assert unseal_bytes(row.payload, signing_owner(body["id"]), "payload", keyring, "r") == payload
    with pytest.raises(ProtectionError, match="does not decrypt"):  # bound to its request
        unseal_bytes(row.payload, signing_owner("ANOTHER"), "payload", keyring, "r")
    filed = file(signed_client, body["id"])
    assert filed.status_code == 201, filed.text
    with Session(db_engine) as session:
        submission = session.get(Submission, filed.json()["id"])
        assert submission is not None and submission.signature is not None
        assert submission.signature["holder"] == {"name": HOLDER_NAME, "address": HOLDER_ADDRESS,
                                                  "birth_date": "1990-01-01"}


def set_times(engine: Engine, request_id: str, **values: datetime) -> None:
    with Session(engine) as session:
        session.execute(sa.update(SigningRequest).where(SigningRequest.id == request_id)  # type: ignore[arg-type]
                        .values(**values))
        session.commit()


def test_purge_keeps_what_a_filing_still_needs(signed_client: TestClient, pki: Pki, db_engine: Engine,
                                               tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    client, now = signed_client, datetime.now(UTC)
    waiting = create(client)["id"]
    unsigned_long_ago, unsigned_just_now = create(client)["id"], create(client)["id"]
    signed_recently, signed_long_ago, used = create(client), create(client), create(client)
    for body in (signed_recently, signed_long_ago, used):
        sign(client, pki, body)
    assert file(client, used["id"]).status_code == 201
    set_times(db_engine, unsigned_long_ago, expires_at=now - timedelta(hours=2))
    set_times(db_engine, unsigned_just_now, expires_at=now - timedelta(minutes=10))
    set_times(db_engine, signed_recently["id"], expires_at=now - timedelta(hours=1))
    set_times(db_engine, signed_long_ago["id"], expires_at=now - timedelta(hours=73))  # retention 72 h
    late = file(client, signed_long_ago["id"])  # no longer fileable: the purge may take it
    assert late.status_code == 422 and late.json()["errors"][0]["pointer"] == "/signing_request"
    assert "有効期限が切れました" in late.json()["errors"][0]["message"]

    monkeypatch.setenv("FORMS_ENGINE_DATA_DIR", str(tmp_path / "data"))
    assert main(["signatures", "purge", "--database-url", db_engine.url.render_as_string(hide_password=False)]) == 0
    assert "3 件の不要になった署名要求を削除しました" in capsys.readouterr().err
    for gone in (unsigned_long_ago, signed_long_ago["id"], used["id"]):
        assert stored(db_engine, gone) is None, gone
    for kept in (waiting, unsigned_just_now, signed_recently["id"]):
        assert stored(db_engine, kept) is not None, kept
    assert client.get(f"/api/v1/signing-requests/{unsigned_just_now}").json()["status"] == "expired"
    assert file(client, signed_recently["id"]).status_code == 201  # signed in time: still fileable, then used
    create(client)  # a new request purges on the way (like drafts): the used one goes
    assert stored(db_engine, signed_recently["id"]) is None and stored(db_engine, waiting) is not None


def reseal_for_another_request(engine: Engine, keyring: Any, request_id: str, holder: bool) -> None:
    """What a retired key leaves behind: a sealed value that no longer opens for this request."""
    with Session(engine) as session:
        row = session.get(SigningRequest, request_id)
        assert row is not None
        if holder:
            assert row.result is not None
            row.result = {**row.result, "holder": seal_value({"name": "x"}, signing_owner("ANOTHER"), "/holder",
                                                             keyring)}
        else:
            row.payload = seal_bytes(b"{}", signing_owner("ANOTHER"), "payload", keyring)
        session.add(row)
        session.commit()


def test_a_request_that_no_longer_decrypts_asks_to_sign_again(signed_client: TestClient, pki: Pki,
                                                               db_engine: Engine) -> None:
    keyring = signed_client.app.state.forms_engine.settings.answers_keyring()  # type: ignore[attr-defined]
    body = create(signed_client)
    reseal_for_another_request(db_engine, keyring, body["id"], holder=False)
    status = signed_client.get(f"/api/v1/signing-requests/{body['id']}")
    assert status.status_code == 410 and status.json()["errors"][0]["keyword"] == "gone"
    assert "もう一度署名" in status.json()["errors"][0]["message"]
    payload = base64.b64decode(body["payload"])
    verdict = signed_client.post(f"/api/v1/signing-requests/{body['id']}", json={
        "format": "raw-pkcs1v15", "signature": base64.b64encode(raw_sign(pki.keys["valid"], payload)).decode(),
        "certificate": base64.b64encode(der(pki.certs["valid"])).decode()})
    assert verdict.status_code == 410 and verdict.json()["errors"][0]["keyword"] == "gone"
    row = stored(db_engine, body["id"])
    assert row is not None and row.signed_at is None  # nothing was recorded against it

    signed = create(signed_client)
    sign(signed_client, pki, signed)
    reseal_for_another_request(db_engine, keyring, signed["id"], holder=True)
    filed = file(signed_client, signed["id"])
    assert filed.status_code == 422, filed.text
    error = filed.json()["errors"][0]
    assert error["pointer"] == "/signing_request" and "もう一度署名" in error["message"]
