"""Authentication (利用者証明用): challenge-response over a server nonce, on the same checks."""

from __future__ import annotations

import secrets

from jpki_testkit import NOW, der, raw_sign

from signing import JpkiVerifier, verify_auth_challenge


def test_auth_challenge_valid(pki):
    challenge = secrets.token_bytes(32)
    result = verify_auth_challenge(pki.auth_anchors(), challenge, raw_sign(pki.keys["auth"], challenge),
                                   der(pki.certs["auth"]), NOW)
    # no revocation source given: a correct answer is indeterminate, never silently valid
    assert (result.status, result.failure) == ("indeterminate", "revocation_not_checked")
    assert [c.ok for c in result.checks if c.name not in ("revocation",)] == [True] * 7


def test_signing_certificate_cannot_log_in(pki):
    challenge = secrets.token_bytes(32)
    result = verify_auth_challenge(pki.auth_anchors(), challenge, raw_sign(pki.keys["valid"], challenge),
                                   der(pki.certs["valid"]), NOW)
    assert (result.status, result.failure) == ("invalid", "wrong_policy")


def test_wrong_challenge_and_short_challenge(pki):
    challenge = secrets.token_bytes(32)
    signature = raw_sign(pki.keys["auth"], challenge)
    other = verify_auth_challenge(pki.auth_anchors(), secrets.token_bytes(32), signature, der(pki.certs["auth"]), NOW)
    assert other.failure == "signature_mismatch"
    short = verify_auth_challenge(pki.auth_anchors(), b"1234", raw_sign(pki.keys["auth"], b"1234"),
                                  der(pki.certs["auth"]), NOW)
    assert (short.status, short.failure) == ("invalid", "binding_failed")


def test_auth_certificate_never_signs_an_application(pki, payload):
    # even when the auth root is (wrongly) configured among the signing anchors
    anchors = pki.auth_anchors()
    result = JpkiVerifier(anchors, purpose="sign").verify(
        payload, "raw-pkcs1v15", raw_sign(pki.keys["auth"], payload), der(pki.certs["auth"]), NOW)
    assert (result.status, result.failure) == ("invalid", "wrong_purpose")
