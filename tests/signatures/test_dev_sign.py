"""`forms-engine dev-sign`: the TEST identity it makes, and signing a pending request as a card client would
(over the API only), in-process through a TestClient and as the real command against a served engine."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from forms_engine.cli import main
from forms_engine.models import Submission
from forms_engine.signatures.commands import DevSignError, dev_sign, load_identity
from forms_engine.signatures.devkit import DevIdentity, make_identity
from signing import holder_fields
from signing.jpki import SIGN_TEST_POLICY

from .conftest import ANSWERS

ClientFactory = Callable[..., TestClient]
BASE = "/api/v1/procedures/jidou-teate"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def identity(tmp_path_factory: pytest.TempPathFactory) -> DevIdentity:
    return make_identity(tmp_path_factory.mktemp("dev-identity"))


def engine_for(make_client: ClientFactory, identity: DevIdentity, **settings: object) -> TestClient:
    return make_client(jpki_sign_anchors=identity.anchors, jpki_allow_test_policy=True, crl_dir=identity.crl_dir,
                       **settings)


def new_request(client: TestClient) -> str:
    created = client.post(f"{BASE}/signing-requests", json={"answers": ANSWERS})
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def test_make_identity_writes_a_labelled_test_ca_and_identity(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "try"
    assert main(["dev-sign", "--make-identity", str(folder)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("TEST: これはテスト用の署名です") and "FORMS_ENGINE_JPKI_ALLOW_TEST_POLICY=1" in out
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        "README.txt", "anchors/forms-engine-test-ca.pem", "crl/forms-engine-test-ca.crl", "identity.p12"]
    assert (folder / "identity.p12").stat().st_mode & 0o777 == 0o600
    ca = x509.load_pem_x509_certificate((folder / "anchors" / "forms-engine-test-ca.pem").read_bytes())
    assert "TEST" in ca.subject.rfc4514_string() and "not JPKI" in ca.subject.rfc4514_string()
    key, cert, extra = pkcs12.load_key_and_certificates((folder / "identity.p12").read_bytes(), None)
    assert key is not None and cert is not None and [c.subject for c in extra] == [ca.subject]
    policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    assert [p.policy_identifier.dotted_string for p in policies] == [SIGN_TEST_POLICY]  # J-LIS's TEST policy only
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    der = cert.public_bytes(Encoding.DER)
    assert holder_fields(der, ["name", "address", "birth_date", "sex"]) == {
        "name": "試験 花子", "address": "東京都千代田区試験町一丁目1番1号", "birth_date": "1990-01-01", "sex": "2"}
    assert main(["dev-sign", "--make-identity", str(folder)]) == 2  # never overwrites an identity
    assert "already exists" in capsys.readouterr().err


def test_a_password_protects_the_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("correct horse\n"))
    assert main(["dev-sign", "--make-identity", str(tmp_path / "p"), "--password-stdin"]) == 0
    data = (tmp_path / "p" / "identity.p12").read_bytes()
    with pytest.raises(DevSignError, match="--password-stdin"):
        load_identity(data, None)
    with pytest.raises(DevSignError, match="パスワードが違います"):
        load_identity(data, b"wrong")
    assert load_identity(data, b"correct horse").certificate.subject.rfc4514_string().startswith("CN=TEST SIGNER")


@pytest.mark.parametrize("fmt", ["raw-pkcs1v15", "cms-detached"])
def test_dev_sign_signs_a_pending_request_like_a_card_client(make_client: ClientFactory, identity: DevIdentity,
                                                             db_engine: Engine, fmt: str) -> None:
    client = engine_for(make_client, identity)
    request_id = new_request(client)
    out = io.StringIO()
    typed = "-".join(request_id[i:i + 4] for i in range(0, 20, 4))  # as the signing page shows it
    signer = load_identity(identity.identity.read_bytes(), None)
    assert dev_sign(typed, signer, fmt, "http://testserver", client=client, out=out) == 0
    assert out.getvalue() == "検証結果 / verdict: valid\n"
    filed = client.post(f"{BASE}/submissions", json={"answers": ANSWERS, "signing_request": request_id})
    assert filed.status_code == 201, filed.text
    with Session(db_engine) as session:
        stored = session.get(Submission, filed.json()["id"])
        assert stored is not None and stored.signature is not None
        assert stored.signature["status"] == "valid" and stored.signature["holder"]["name"] == "試験 花子"
    again = io.StringIO()
    assert dev_sign(request_id, signer, fmt, "http://testserver", client=client, out=again) == 1
    assert again.getvalue() == "この署名要求は署名できません（status: valid）\n"


def test_the_test_identity_is_refused_unless_the_test_policy_is_allowed(make_client: ClientFactory,
                                                                        identity: DevIdentity) -> None:
    client = make_client(jpki_sign_anchors=identity.anchors, crl_dir=identity.crl_dir)  # a production setting
    out = io.StringIO()
    signer = load_identity(identity.identity.read_bytes(), None)
    assert dev_sign(new_request(client), signer, "raw-pkcs1v15", "http://testserver", client=client, out=out) == 1
    assert out.getvalue().startswith("検証結果 / verdict: invalid (wrong_policy)\n  purpose: no sign policy among")


def test_dev_sign_says_what_is_missing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dev-sign", "ABCD"]) == 2
    assert "REQUEST_ID と --identity FILE.p12 を指定してください" in capsys.readouterr().err


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def served(make_client: ClientFactory, identity: DevIdentity) -> Iterator[tuple[str, TestClient]]:
    """The engine behind real HTTP (uvicorn in a thread) on the parametrised database."""
    client = engine_for(make_client, identity)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(client.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}", client
    server.should_exit = True
    thread.join(timeout=10)


@pytest.mark.slow
def test_the_real_command_against_a_served_engine(served: tuple[str, TestClient], identity: DevIdentity) -> None:
    url, client = served
    request_id = new_request(client)
    done = subprocess.run([sys.executable, "-m", "forms_engine.cli", "dev-sign", request_id.lower(),
                           "--identity", str(identity.identity), "--format", "cms-detached", "--url", url],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == "検証結果 / verdict: valid\n" and "TEST" in done.stderr
    assert client.get(f"/api/v1/signing-requests/{request_id}").json()["status"] == "valid"
    offline = subprocess.run([sys.executable, "-m", "forms_engine.cli", "dev-sign", request_id, "--identity",
                              str(identity.identity), "--url", f"http://127.0.0.1:{free_port()}"],
                             capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert offline.returncode == 2 and "に接続できません" in offline.stderr
