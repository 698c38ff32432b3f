"""Revocation checkers: CRL folder (DER/PEM, signature by key, freshness) and OCSP through a fake transport."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from jpki_testkit import DAY, NOW, Issuer, der, make_crl, raw_sign

from signing import CrlFolderChecker, JpkiVerifier, NotChecked, OcspChecker


def clock():
    return NOW


# -- CRL ----------------------------------------------------------------------------------------

def test_crl_good_and_revoked(pki, tmp_path):
    checker = CrlFolderChecker(pki.crl_folder(tmp_path, pki.standard_crl()), clock=clock)
    good = checker.check(pki.certs["valid"], pki.root2.cert, NOW)
    assert good.status == "good" and good.source == "crl:crl0.crl" and good.checked_at == NOW
    revoked = checker.check(pki.certs["revoked"], pki.root2.cert, NOW)
    assert (revoked.status, revoked.reason, revoked.revoked_at) == ("revoked", "affiliationChanged", NOW - 10 * DAY)


def test_crl_revocation_exactly_at_receipt_counts(pki, tmp_path):
    serial = pki.certs["valid"].serial_number
    crl = make_crl(pki.root2, [(serial, NOW, None)])
    checker = CrlFolderChecker(pki.crl_folder(tmp_path, crl), clock=clock)
    evidence = checker.check(pki.certs["valid"], pki.root2.cert, NOW)
    assert (evidence.status, evidence.reason, evidence.revoked_at) == ("revoked", None, NOW)


def test_pem_crl_is_read(pki, tmp_path):
    checker = CrlFolderChecker(pki.crl_folder(tmp_path, pki.standard_crl(), pem=True), clock=clock)
    assert checker.check(pki.certs["revoked"], pki.root2.cert, NOW).status == "revoked"


def test_expired_crl_is_unknown_and_the_verdict_indeterminate(pki, payload, tmp_path):
    crl = pki.standard_crl(last_update=NOW - 10 * DAY, next_update=NOW - DAY)
    checker = CrlFolderChecker(pki.crl_folder(tmp_path, crl), clock=clock)
    evidence = checker.check(pki.certs["revoked"], pki.root2.cert, NOW)
    assert evidence.status == "unknown" and "expired" in evidence.detail
    verifier = JpkiVerifier(pki.sign_anchors(), checker)
    result = verifier.verify(payload, "raw-pkcs1v15", raw_sign(pki.keys["valid"], payload),
                             der(pki.certs["valid"]), NOW)
    assert (result.status, result.failure) == ("indeterminate", "revocation_unknown")


def test_crl_from_the_future_is_not_used(pki, tmp_path):
    crl = pki.standard_crl(last_update=NOW + 2 * DAY, next_update=NOW + 9 * DAY)
    checker = CrlFolderChecker(pki.crl_folder(tmp_path, crl), clock=clock)
    assert checker.check(pki.certs["valid"], pki.root2.cert, NOW).status == "unknown"


def test_newest_usable_crl_wins(pki, tmp_path):
    old = make_crl(pki.root2, [], last_update=NOW - 3 * DAY, next_update=NOW + DAY)
    checker = CrlFolderChecker(pki.crl_folder(tmp_path, old, pki.standard_crl()), clock=clock)
    assert checker.check(pki.certs["revoked"], pki.root2.cert, NOW).status == "revoked"


def test_crl_signed_by_a_look_alike_key_is_ignored(pki, tmp_path):
    # same issuer DN, other key: the CRL does not count, so a revoked certificate is not "good" either
    forged = make_crl(pki.rogue, [])
    checker = CrlFolderChecker(pki.crl_folder(tmp_path, forged), clock=clock)
    evidence = checker.check(pki.certs["revoked"], pki.root2.cert, NOW)
    assert evidence.status == "unknown" and "signed by the issuer" in evidence.detail


def test_crl_of_another_generation_does_not_apply(pki, tmp_path):
    checker = CrlFolderChecker(pki.crl_folder(tmp_path, make_crl(pki.root1)), clock=clock)
    assert checker.check(pki.certs["revoked"], pki.root2.cert, NOW).status == "unknown"
    assert checker.check(pki.certs["gen1"], pki.root1.cert, NOW).status == "good"


def test_crl_folder_is_reread_when_a_file_changes(pki, tmp_path):
    folder = pki.crl_folder(tmp_path, make_crl(pki.root2))
    checker = CrlFolderChecker(folder, clock=clock)
    assert checker.check(pki.certs["revoked"], pki.root2.cert, NOW).status == "good"
    pki.crl_folder(tmp_path, pki.standard_crl())  # overwrites crl0.crl
    assert checker.check(pki.certs["revoked"], pki.root2.cert, NOW).status == "revoked"


def test_unreadable_files_and_missing_folder_are_unknown(pki, tmp_path):
    (tmp_path / "junk.crl").write_bytes(b"not a crl")
    evidence = CrlFolderChecker(tmp_path, clock=clock).check(pki.certs["valid"], pki.root2.cert, NOW)
    assert evidence.status == "unknown" and "junk.crl" in evidence.detail
    missing = CrlFolderChecker(tmp_path / "nope", clock=clock).check(pki.certs["valid"], pki.root2.cert, NOW)
    assert missing.status == "unknown"


def test_not_checked():
    evidence = NotChecked(clock=clock).check(None, None, NOW)  # type: ignore[arg-type]
    assert (evidence.status, evidence.source, evidence.checked_at) == ("not_checked", "none", NOW)


# -- OCSP ---------------------------------------------------------------------------------------

def ocsp_check(pki, responder, name="valid", **kwargs):
    checker = OcspChecker("http://ocsp.test.invalid/", responder.transport, clock=clock, **kwargs)
    return checker.check(pki.certs[name], pki.root2.cert, NOW)


@pytest.mark.parametrize("delegated", [False, True], ids=["issuer-signed", "delegated"])
def test_ocsp_good(pki, delegated):
    responder = pki.responder(delegated=delegated)
    evidence = ocsp_check(pki, responder)
    assert (evidence.status, evidence.source) == ("good", "ocsp:http://ocsp.test.invalid/"), evidence.detail
    request = ocsp.load_der_ocsp_request(responder.requests[0])
    assert request.serial_number == pki.certs["valid"].serial_number
    assert request.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce


def test_ocsp_revoked_and_the_verdict(pki, payload):
    serial = pki.certs["revoked"].serial_number
    responder = pki.responder(status={serial: (ocsp.OCSPCertStatus.REVOKED, NOW - 10 * DAY,
                                               x509.ReasonFlags.affiliation_changed)})
    evidence = ocsp_check(pki, responder, "revoked")
    assert (evidence.status, evidence.reason, evidence.revoked_at) == ("revoked", "affiliationChanged", NOW - 10 * DAY)
    checker = OcspChecker("http://ocsp.test.invalid/", responder.transport, clock=clock)
    result = JpkiVerifier(pki.sign_anchors(), checker).verify(
        payload, "raw-pkcs1v15", raw_sign(pki.keys["revoked"], payload), der(pki.certs["revoked"]), NOW)
    assert (result.status, result.failure) == ("invalid", "revoked")


def test_ocsp_revoked_after_receipt_is_good_at_receipt(pki):
    serial = pki.certs["valid"].serial_number
    responder = pki.responder(status={serial: (ocsp.OCSPCertStatus.REVOKED, NOW + timedelta(hours=1), None)})
    checker = OcspChecker("http://ocsp.test.invalid/", responder.transport, clock=lambda: NOW + timedelta(hours=2))
    evidence = checker.check(pki.certs["valid"], pki.root2.cert, NOW)
    assert evidence.status == "good" and evidence.revoked_at == NOW + timedelta(hours=1)


def test_ocsp_unknown_and_the_verdict(pki, payload):
    serial = pki.certs["valid"].serial_number
    responder = pki.responder(status={serial: (ocsp.OCSPCertStatus.UNKNOWN, None, None)})
    assert ocsp_check(pki, responder).status == "unknown"
    checker = OcspChecker("http://ocsp.test.invalid/", responder.transport, clock=clock)
    result = JpkiVerifier(pki.sign_anchors(), checker).verify(
        payload, "raw-pkcs1v15", raw_sign(pki.keys["valid"], payload), der(pki.certs["valid"]), NOW)
    assert (result.status, result.failure) == ("indeterminate", "revocation_unknown")


def test_ocsp_responder_with_a_look_alike_key_is_refused(pki):
    responder = pki.responder()
    responder.signer = pki.rogue
    evidence = ocsp_check(pki, responder)
    assert evidence.status == "unknown" and "not signed by the issuer" in evidence.detail


def test_ocsp_delegate_needs_the_ocsp_signing_purpose(pki):
    responder = pki.responder(delegated=True)
    responder.signer = Issuer(pki.certs["not_a_responder"], pki.keys["not_a_responder"])
    assert ocsp_check(pki, responder).status == "unknown"


def test_ocsp_delegate_not_included_is_refused(pki):
    responder = pki.responder(delegated=True, include_signer=False)
    assert ocsp_check(pki, responder).status == "unknown"


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"next_update": NOW - DAY, "this_update": NOW - 3 * DAY}, "stale"),
        ({"this_update": NOW + DAY, "next_update": NOW + 3 * DAY}, "future"),
        ({"this_update": NOW - 3 * DAY, "next_update": None}, "older than"),
        ({"wrong_nonce": True}, "nonce"),
    ],
)
def test_ocsp_freshness_and_nonce(pki, changes, words):
    evidence = ocsp_check(pki, pki.responder(**changes))
    assert evidence.status == "unknown" and words in evidence.detail


def test_ocsp_without_nonce_echo_is_accepted_when_fresh(pki):
    assert ocsp_check(pki, pki.responder(echo_nonce=False)).status == "good"


def test_ocsp_with_sha256_cert_id(pki):
    assert ocsp_check(pki, pki.responder(), cert_id_hash=hashes.SHA256()).status == "good"


def test_ocsp_transport_errors_and_refusals_are_unknown(pki):
    def down(url, body):
        raise OSError("connection refused")

    def refusal(url, body):
        return ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED).public_bytes(
            serialization.Encoding.DER)

    for transport, words in [(down, "unreachable"), (refusal, "UNAUTHORIZED"), (lambda u, b: b"junk", "malformed")]:
        checker = OcspChecker("http://ocsp.test.invalid/", transport, clock=clock)
        evidence = checker.check(pki.certs["valid"], pki.root2.cert, NOW)
        assert evidence.status == "unknown" and words in evidence.detail


def test_ocsp_response_for_another_certificate_is_refused(pki):
    responder = pki.responder()
    original = responder.transport

    def swap(url, body):
        request = ocsp.load_der_ocsp_request(body)
        other = ocsp.OCSPRequestBuilder().add_certificate(pki.certs["gen1"], pki.root1.cert, request.hash_algorithm)
        return original(url, other.build().public_bytes(serialization.Encoding.DER))

    responder.certs[pki.certs["gen1"].serial_number] = pki.certs["gen1"]
    checker = OcspChecker("http://ocsp.test.invalid/", swap, clock=clock, use_nonce=False)
    assert checker.check(pki.certs["valid"], pki.root2.cert, NOW).status == "unknown"
