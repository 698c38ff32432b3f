"""`forms-engine signatures recheck` on both databases: submissions stored with an indeterminate signature
(児童手当, revocation best_effort, no CRL at receipt) decided later from a CRL issued after the receipt."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient
from jpki_testkit import DAY, Pki, der, make_crl, raw_sign
from sqlalchemy import Engine
from sqlmodel import Session, select

from forms_engine.cli import main
from forms_engine.models import Submission
from forms_engine.signatures.recheck import recheck_all
from forms_engine.submissions.service import submission_digest
from signing import CrlFolderChecker, TrustAnchors

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "tests" / "fixtures" / "samples"
ANSWERS = json.loads((SAMPLES / "jidou-teate.valid.json").read_text(encoding="utf-8"))
DOG = json.loads((SAMPLES / "dog-registration.valid.json").read_text(encoding="utf-8"))


@pytest.fixture
def anchors(tmp_path: Path, pki: Pki) -> Path:
    folder = tmp_path / "anchors"
    folder.mkdir()
    for i, root in enumerate((pki.root1, pki.root2)):
        (folder / f"root{i}.pem").write_bytes(root.cert.public_bytes(serialization.Encoding.PEM))
    return folder


@pytest.fixture
def unchecked_client(make_client: Callable[..., TestClient], anchors: Path) -> TestClient:
    """An engine with signing anchors and no revocation source: signatures are stored indeterminate."""
    return make_client(jpki_sign_anchors=anchors, jpki_allow_test_policy=True)


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch, anchors: Path, tmp_path: Path) -> Path:
    """The command's environment: the same anchors, and a CRL folder (filled by each test)."""
    crl = tmp_path / "crl"
    crl.mkdir()
    monkeypatch.setenv("FORMS_ENGINE_JPKI_SIGN_ANCHORS", str(anchors))
    monkeypatch.setenv("FORMS_ENGINE_JPKI_ALLOW_TEST_POLICY", "true")
    monkeypatch.setenv("FORMS_ENGINE_CRL_DIR", str(crl))
    monkeypatch.setenv("FORMS_ENGINE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("FORMS_ENGINE_JPKI_OCSP_URL", raising=False)
    return crl


def file_signed(client: TestClient, pki: Pki, cert: str) -> str:
    """Sign 児童手当 with ``cert`` through the API and file it: its 受付番号."""
    created = client.post("/api/v1/procedures/jidou-teate/signing-requests", json={"answers": ANSWERS})
    assert created.status_code == 201, created.text
    body = created.json()
    payload = base64.b64decode(body["payload"])
    verdict = client.post(f"/api/v1/signing-requests/{body['id']}", json={
        "format": "raw-pkcs1v15", "signature": base64.b64encode(raw_sign(pki.keys[cert], payload)).decode(),
        "certificate": base64.b64encode(der(pki.certs[cert])).decode()})
    assert verdict.json()["status"] == "indeterminate", verdict.text
    filed = client.post("/api/v1/procedures/jidou-teate/submissions",
                        json={"answers": ANSWERS, "signing_request": body["id"]})
    assert filed.status_code == 201, filed.text
    return str(filed.json()["receipt_number"])


def fresh_crls(pki: Pki, folder: Path, **kwargs: Any) -> None:
    """root2's CRL (revoking ``revoked`` ten days ago) and root1's, issued just now: after every receipt."""
    issued = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)  # X.509 times have whole seconds
    times = {"last_update": issued, "next_update": issued + DAY, **kwargs}
    pki.crl_folder(folder, pki.standard_crl(**times), make_crl(pki.root1, **times))


def stored(engine: Engine) -> dict[str, Submission]:
    with Session(engine) as session:
        return {s.receipt_number: s for s in session.exec(select(Submission)).all()}


def run(db_url: str, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, list[str], str]:
    code = main(["signatures", "recheck", "--database-url", db_url, *extra])
    captured = capsys.readouterr()
    return code, [line for line in captured.out.splitlines() if line], captured.err


def test_recheck_decides_revoked_and_good_once_and_keeps_the_history(
    unchecked_client: TestClient, pki: Pki, configured: Path, db_url: str, db_engine: Engine,
    capsys: pytest.CaptureFixture[str],
) -> None:
    good = file_signed(unchecked_client, pki, "valid")
    revoked = file_signed(unchecked_client, pki, "revoked")
    unsigned = unchecked_client.post("/api/v1/procedures/dog-registration/submissions", json={"answers": DOG})
    assert unsigned.status_code == 201
    before = stored(db_engine)
    digests = {number: submission_digest(s) for number, s in before.items()}

    # a CRL issued before the receipts settles nothing: nothing is written
    fresh_crls(pki, configured, last_update=datetime.now(UTC) - DAY)
    code, lines, err = run(db_url, capsys)
    assert code == 0
    assert sorted(lines) == sorted([f"{good}  indeterminate → indeterminate  still unknown (crl:{configured}: "
                                    f"no CRL issued after {before[good].signature['received_at']} yet: the newest "
                                    f"was issued {lines_issued(configured)})",
                                    f"{revoked}  indeterminate → indeterminate  still unknown (crl:{configured}: "
                                    f"no CRL issued after {before[revoked].signature['received_at']} yet: the newest "
                                    f"was issued {lines_issued(configured)})"])
    assert "2 件を再確認しました" in err and "確定 0 件" in err and "未確定のまま 2 件" in err
    assert {n: s.signature for n, s in stored(db_engine).items()} == {n: s.signature for n, s in before.items()}

    fresh_crls(pki, configured)
    code, lines, err = run(db_url, capsys)
    assert code == 0
    assert len(lines) == 2
    by_number = {line.split("  ")[0]: line for line in lines}
    assert by_number[good].startswith(f"{good}  indeterminate → valid  not revoked at the receipt time (crl:crl0.crl")
    assert by_number[revoked].startswith(f"{revoked}  indeterminate → invalid  revoked at ")
    assert "affiliationChanged" in by_number[revoked]
    assert "確定 2 件（有効 1, 無効 1）" in err and "未確定のまま 0 件" in err

    after = stored(db_engine)
    for number, (status, revocation) in {good: ("valid", "good"), revoked: ("invalid", "revoked")}.items():
        record, original = after[number].signature, before[number].signature
        assert record is not None and original is not None
        # the original verification is kept as it was, the recheck appended
        assert {k: v for k, v in record.items() if k not in ("revocation_rechecks", "final")} == original
        assert record["status"] == "indeterminate" and record["revocation"]["status"] == "not_checked"
        (entry,) = record["revocation_rechecks"]
        assert (entry["status"], entry["revocation"]["status"]) == (status, revocation)
        assert entry["revocation"]["source"] == "crl:crl0.crl"
        assert record["final"]["status"] == status
        assert record["final"]["failure"] == (None if status == "valid" else "revoked")
        assert submission_digest(after[number]) == digests[number]  # the receipt's QR code still matches
    assert after[unsigned.json()["receipt_number"]].signature is None

    # idempotent: a second run finds nothing left to decide and changes nothing
    code, lines, err = run(db_url, capsys)
    assert (code, lines) == (0, [])
    assert "0 件を再確認しました" in err
    assert {n: s.signature for n, s in stored(db_engine).items()} == {n: s.signature for n, s in after.items()}


def lines_issued(folder: Path) -> str:
    return x509.load_der_x509_crl((folder / "crl0.crl").read_bytes()).last_update_utc.isoformat()


def test_recheck_of_one_procedure_only(unchecked_client: TestClient, pki: Pki, configured: Path, db_url: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    file_signed(unchecked_client, pki, "valid")
    fresh_crls(pki, configured)
    assert run(db_url, capsys, "--procedure", "dog-registration")[:2] == (0, [])
    code, lines, _ = run(db_url, capsys, "--procedure", "jidou-teate")
    assert code == 0 and len(lines) == 1 and "indeterminate → valid" in lines[0]


def test_concurrent_runs_decide_each_submission_once(unchecked_client: TestClient, pki: Pki, anchors: Path,
                                                    tmp_path: Path, db_engine: Engine) -> None:
    numbers = [file_signed(unchecked_client, pki, name) for name in ("valid", "revoked", "valid")]
    crl = tmp_path / "crl-concurrent"
    fresh_crls(pki, crl)
    trust = TrustAnchors.load(anchors, allow_test_policy=True)
    results: list[int] = []

    def worker() -> None:
        lines = recheck_all(db_engine, trust, CrlFolderChecker(crl))
        results.append(sum(1 for line in lines if line.changed))

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(results) == 3  # three submissions, each decided by exactly one run
    after = stored(db_engine)
    assert [len(after[n].signature["revocation_rechecks"]) for n in numbers] == [1, 1, 1]
    assert [after[n].signature["final"]["status"] for n in numbers] == ["valid", "invalid", "valid"]


def test_without_a_revocation_source_the_command_says_so(monkeypatch: pytest.MonkeyPatch, anchors: Path,
                                                         db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("FORMS_ENGINE_JPKI_SIGN_ANCHORS", str(anchors))
    monkeypatch.delenv("FORMS_ENGINE_CRL_DIR", raising=False)
    monkeypatch.delenv("FORMS_ENGINE_JPKI_OCSP_URL", raising=False)
    code, lines, err = run(db_url, capsys)
    assert (code, lines) == (1, [])
    assert "失効確認の手段が設定されていません" in err and "FORMS_ENGINE_CRL_DIR" in err


def test_without_signing_anchors_the_command_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                     db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("FORMS_ENGINE_JPKI_SIGN_ANCHORS", raising=False)
    monkeypatch.setenv("FORMS_ENGINE_CRL_DIR", str(tmp_path))
    code, _, err = run(db_url, capsys)
    assert code == 1 and "FORMS_ENGINE_JPKI_SIGN_ANCHORS" in err
