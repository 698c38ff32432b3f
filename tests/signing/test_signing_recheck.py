"""Re-checking a stored indeterminate verdict by issuer and serial, with revocation data issued after receipt."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509 import ocsp
from jpki_testkit import DAY, NOW, der, make_crl, raw_sign

from signing import (
    CrlFolderChecker,
    FirstDecisive,
    JpkiVerifier,
    NotChecked,
    OcspChecker,
    TrustAnchors,
    is_recheckable,
    recheck_revocation,
)
from signing.recheck import APPENDED_KEYS

LATER = NOW + timedelta(hours=1)  # when the re-check runs
ISSUED = NOW + timedelta(minutes=30)  # a CRL issued after the receipt time


def later():
    return LATER


def stored(pki, payload, name="valid"):
    """The record a best_effort procedure stores when revocation could not be checked at receipt."""
    result = JpkiVerifier(pki.sign_anchors(), NotChecked()).verify(
        payload, "raw-pkcs1v15", raw_sign(pki.keys[name], payload), der(pki.certs[name]), NOW)
    assert (result.status, result.failure) == ("indeterminate", "revocation_not_checked")
    return result.to_dict()


def crl_checker(pki, tmp_path, **kwargs):
    kwargs = {"last_update": ISSUED, "next_update": NOW + 2 * DAY, **kwargs}
    folder = pki.crl_folder(tmp_path / "crl", pki.standard_crl(**kwargs), make_crl(pki.root1, **kwargs))
    return CrlFolderChecker(folder, clock=later)


def test_the_record_names_the_issuing_anchor(pki, payload):
    record = stored(pki, payload)
    assert record["certificate"]["issuer_fingerprint_sha256"] == pki.root2.cert.fingerprint(hashes.SHA256()).hex()
    assert record["verifier_version"] == "1.1.0"


@pytest.mark.parametrize(("name", "status", "failure"), [
    ("valid", "valid", None),
    ("revoked", "invalid", "revoked"),  # revoked ten days before the receipt
    ("revoked_later", "valid", None),  # revoked a day after the receipt: valid when signed
    ("gen1", "valid", None),  # the older root generation, its own CRL
])
def test_recheck_with_a_crl_issued_after_receipt(pki, payload, tmp_path, name, status, failure):
    record = stored(pki, payload, name)
    assert is_recheckable(record)
    outcome = recheck_revocation(record, pki.sign_anchors(), crl_checker(pki, tmp_path))
    assert (outcome.status, outcome.failure, outcome.final) == (status, failure, True), outcome.reason
    assert outcome.evidence is not None and outcome.evidence.checked_at == LATER
    entry = outcome.to_dict()
    assert entry["status"] == status and entry["revocation"]["status"] == ("revoked" if failure else "good")


def test_a_crl_older_than_the_receipt_settles_nothing(pki, payload, tmp_path):
    record = stored(pki, payload, "valid")
    outcome = recheck_revocation(record, pki.sign_anchors(), crl_checker(pki, tmp_path, last_update=NOW - DAY))
    assert (outcome.status, outcome.failure, outcome.final) == ("indeterminate", "revocation_unknown", False)
    assert "no CRL issued after" in outcome.reason


def test_records_of_verifier_1_0_0_are_rechecked_through_the_chain_check(pki, payload, tmp_path):
    record = stored(pki, payload, "revoked")
    del record["certificate"]["issuer_fingerprint_sha256"]  # the shape verifier 1.0.0 stored
    outcome = recheck_revocation(record, pki.sign_anchors(), crl_checker(pki, tmp_path))
    assert (outcome.status, outcome.failure) == ("invalid", "revoked")


def test_an_anchor_no_longer_configured_settles_nothing(pki, payload, tmp_path):
    record = stored(pki, payload, "valid")
    outcome = recheck_revocation(record, TrustAnchors([pki.root1.cert]), crl_checker(pki, tmp_path))
    assert (outcome.status, outcome.final) == ("indeterminate", False)
    assert "not among the configured anchors" in outcome.reason


def test_only_indeterminate_revocation_verdicts_are_rechecked(pki, payload, tmp_path):
    record = stored(pki, payload, "valid")
    assert not is_recheckable({**record, "status": "valid", "failure": None})
    assert not is_recheckable({**record, "failure": "untrusted_chain"})
    broken = {**record, "checks": [{**c, "ok": False} if c["name"] == "chain" else c for c in record["checks"]]}
    assert not is_recheckable(broken)
    outcome = recheck_revocation(broken, pki.sign_anchors(), crl_checker(pki, tmp_path))
    assert (outcome.status, outcome.evidence) == ("indeterminate", None)


def test_recheck_by_ocsp_asks_by_serial(pki, payload):
    serial = pki.certs["revoked"].serial_number
    responder = pki.responder(status={serial: (ocsp.OCSPCertStatus.REVOKED, NOW - 10 * DAY,
                                               x509.ReasonFlags.affiliation_changed)}, this_update=ISSUED)
    checker = OcspChecker("http://ocsp.test.invalid/", responder.transport, clock=later)
    outcome = recheck_revocation(stored(pki, payload, "revoked"), pki.sign_anchors(), checker)
    assert (outcome.status, outcome.failure) == ("invalid", "revoked")
    request = ocsp.load_der_ocsp_request(responder.requests[0])
    assert request.serial_number == serial
    # the CertID asked by hash is the one cryptography builds from the certificate itself
    expected = ocsp.OCSPRequestBuilder().add_certificate(pki.certs["revoked"], pki.root2.cert,
                                                          request.hash_algorithm).build()
    assert (request.issuer_name_hash, request.issuer_key_hash) == (expected.issuer_name_hash,
                                                                   expected.issuer_key_hash)


def test_an_ocsp_answer_from_before_the_receipt_settles_nothing(pki, payload):
    responder = pki.responder(this_update=NOW - timedelta(hours=1))
    checker = OcspChecker("http://ocsp.test.invalid/", responder.transport, clock=later)
    outcome = recheck_revocation(stored(pki, payload, "valid"), pki.sign_anchors(), checker)
    assert (outcome.status, outcome.final) == ("indeterminate", False) and "predates" in outcome.reason


def test_first_decisive_falls_back_from_an_unreachable_responder_to_the_crl(pki, payload, tmp_path):
    def unreachable(url: str, body: bytes) -> bytes:
        raise OSError("connection refused")

    chain = FirstDecisive([OcspChecker("http://ocsp.test.invalid/", unreachable, clock=later),
                           crl_checker(pki, tmp_path)], clock=later)
    outcome = recheck_revocation(stored(pki, payload, "revoked"), pki.sign_anchors(), chain)
    assert (outcome.status, outcome.failure) == ("invalid", "revoked")
    assert outcome.evidence is not None and outcome.evidence.source == "crl:crl0.crl"
    both_unknown = FirstDecisive([OcspChecker("http://ocsp.test.invalid/", unreachable, clock=later),
                                  CrlFolderChecker(tmp_path / "empty", clock=later)], clock=later)
    evidence = both_unknown.check(pki.certs["valid"], pki.root2.cert, NOW)
    assert evidence.status == "unknown" and evidence.source.startswith("ocsp:") and "connection refused" in evidence.detail
    assert FirstDecisive([NotChecked()]).check(pki.certs["valid"], pki.root2.cert, NOW).status == "not_checked"
    with pytest.raises(ValueError):
        FirstDecisive([])


def test_the_keys_a_recheck_appends_are_the_ones_the_command_writes():
    from forms_engine.signatures import recheck

    assert (recheck._REVOCATION_RECHECKS, recheck._FINAL) == APPENDED_KEYS
