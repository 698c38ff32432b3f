"""Each certificate case of the test PKI gives the verdict the contract requires (raw PKCS#1 signatures)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import pytest
from cryptography.hazmat.primitives import hashes
from jpki_testkit import DAY, NOW, der, raw_sign

from signing import VERIFIER_VERSION, Check, CrlFolderChecker, JpkiVerifier, TrustAnchors, payload_sha256

STEPS = ["limits", "profile", "signature", "purpose", "chain", "time", "revocation"]


def verify(verifier, pki, name, payload, *, received_at=NOW, signature=None, prior_checks=()):
    signature = raw_sign(pki.keys[name], payload) if signature is None else signature
    return verifier.verify(payload, "raw-pkcs1v15", signature, der(pki.certs[name]), received_at,
                           prior_checks=prior_checks)


def test_valid_signature_with_good_crl_is_valid(pki, payload, tmp_path):
    result = verify(pki.verifier(tmp_path), pki, "valid", payload)
    assert (result.status, result.failure) == ("valid", None)
    assert [c.name for c in result.checks] == STEPS
    assert all(c.ok for c in result.checks)
    assert result.revocation is not None and result.revocation.status == "good"
    assert result.payload_sha256 == hashlib.sha256(payload).hexdigest() == payload_sha256(payload)
    assert result.verifier == "jpki" and result.verifier_version == VERIFIER_VERSION
    assert result.certificate is not None
    assert result.certificate.serial == format(pki.certs["valid"].serial_number, "x")
    assert result.certificate.issuer == pki.root2.cert.subject.rfc4514_string()


def test_older_root_generation_with_same_dn_is_found_by_key(pki, payload, tmp_path):
    assert pki.root1.cert.subject == pki.root2.cert.subject
    result = verify(pki.verifier(tmp_path), pki, "gen1", payload)
    assert result.status == "valid", result.checks
    chain = next(c for c in result.checks if c.name == "chain")
    assert pki.root1.cert.fingerprint(hashes.SHA256()).hex() in chain.detail


def test_without_revocation_source_the_result_is_indeterminate(pki, payload):
    result = verify(pki.unchecked(), pki, "valid", payload)
    assert (result.status, result.failure) == ("indeterminate", "revocation_not_checked")
    assert result.revocation is not None and result.revocation.status == "not_checked"
    assert result.checks[-1].ok is None


@pytest.mark.parametrize(
    ("name", "failure", "failed_step"),
    [
        ("expired", "expired", "time"),
        ("not_yet_valid", "not_yet_valid", "time"),
        ("revoked", "revoked", "revocation"),
        ("wrong_policy", "wrong_policy", "purpose"),
        ("no_nonrepudiation", "wrong_purpose", "purpose"),
        ("auth", "wrong_purpose", "purpose"),
        ("rsa1024", "weak_key", "profile"),
        ("critical_unknown", "unknown_critical_extension", "profile"),
        ("sha384", "unsupported_algorithm", "profile"),
        ("forged", "untrusted_chain", "chain"),
        ("sign_under_auth_root", "untrusted_chain", "chain"),
    ],
)
def test_certificate_cases_are_invalid(pki, payload, tmp_path, name, failure, failed_step):
    result = verify(pki.verifier(tmp_path), pki, name, payload)
    assert (result.status, result.failure) == ("invalid", failure), result.checks
    failed = [c for c in result.checks if c.ok is False]
    assert [c.name for c in failed] == [failed_step]
    after = result.checks[result.checks.index(failed[0]) + 1:]
    assert all(c.ok is None and "not performed" in c.detail for c in after)
    assert [c.name for c in result.checks] == STEPS


def test_revoked_certificate_records_reason_and_time(pki, payload, tmp_path):
    result = verify(pki.verifier(tmp_path), pki, "revoked", payload)
    assert result.revocation is not None
    assert result.revocation.status == "revoked"
    assert result.revocation.reason == "affiliationChanged"
    assert result.revocation.revoked_at == NOW - 10 * DAY


def test_revoked_only_after_receipt_is_valid(pki, payload, tmp_path):
    result = verify(pki.verifier(tmp_path), pki, "revoked_later", payload)
    assert result.status == "valid"
    assert result.revocation is not None and result.revocation.status == "good"


def test_revoked_when_received_after_the_revocation(pki, payload, tmp_path):
    # the same certificate received two days later: its revocation (NOW + 1 day) now counts
    crl = pki.standard_crl(next_update=NOW + 10 * DAY)
    verifier = JpkiVerifier(pki.sign_anchors(), CrlFolderChecker(pki.crl_folder(tmp_path / "crl", crl)))
    result = verify(verifier, pki, "revoked_later", payload, received_at=NOW + 2 * DAY)
    assert (result.status, result.failure) == ("invalid", "revoked")
    assert result.revocation is not None and result.revocation.reason == "keyCompromise"


def test_crl_expired_at_receipt_is_indeterminate(pki, payload, tmp_path):
    # the standard CRL's next update is NOW + 1 day: for a receipt two days later it is expired
    result = verify(pki.verifier(tmp_path), pki, "valid", payload, received_at=NOW + 2 * DAY)
    assert (result.status, result.failure) == ("indeterminate", "revocation_unknown")
    assert result.revocation is not None and "expired" in result.revocation.detail


def test_test_policy_is_refused_by_production_anchors(pki, payload, tmp_path):
    result = verify(pki.verifier(tmp_path, allow_test_policy=False), pki, "valid", payload)
    assert (result.status, result.failure) == ("invalid", "wrong_policy")
    assert "test policy refused" in next(c for c in result.checks if c.name == "purpose").detail


def test_tampered_payload_is_invalid(pki, payload, tmp_path):
    signature = raw_sign(pki.keys["valid"], payload)
    tampered = payload.replace(b'"copies":2', b'"copies":3')
    assert tampered != payload
    result = verify(pki.verifier(tmp_path), pki, "valid", tampered, signature=signature)
    assert (result.status, result.failure) == ("invalid", "signature_mismatch")


def test_bare_hash_signature_is_invalid(pki, payload, tmp_path):
    # a signer that hashed the payload and then signed the hash as if it were the message
    bare = raw_sign(pki.keys["valid"], hashlib.sha256(payload).digest())
    result = verify(pki.verifier(tmp_path), pki, "valid", payload, signature=bare)
    assert (result.status, result.failure) == ("invalid", "signature_mismatch")


def test_signature_by_another_key_is_invalid(pki, payload, tmp_path):
    other = raw_sign(pki.keys["gen1"], payload)
    result = verify(pki.verifier(tmp_path), pki, "valid", payload, signature=other)
    assert result.failure == "signature_mismatch"


def test_no_trust_anchors(pki, payload):
    verifier = JpkiVerifier(TrustAnchors.empty())
    result = verify(verifier, pki, "valid", payload)
    assert (result.status, result.failure) == ("invalid", "no_trust_anchors")
    assert result.checks[0].name == "trust_anchors" and result.checks[0].ok is False
    assert "trust anchors are not configured" in result.checks[0].detail


def test_failed_binding_makes_the_result_invalid_and_is_recorded(pki, payload, tmp_path):
    prior = [Check("binding.request", True, "signing request found"), Check("binding.unused", False, "already used")]
    result = verify(pki.verifier(tmp_path), pki, "valid", payload, prior_checks=prior)
    assert (result.status, result.failure) == ("invalid", "binding_failed")
    assert result.checks[1:3] == prior
    undetermined = verify(pki.verifier(tmp_path), pki, "valid", payload, prior_checks=[Check("binding", None, "?")])
    assert undetermined.status == "invalid"


def test_passed_binding_is_recorded_before_the_profile(pki, payload, tmp_path):
    prior = [Check("binding", True, "request unexpired, unused, payload is the stored one")]
    result = verify(pki.verifier(tmp_path), pki, "valid", payload, prior_checks=prior)
    assert result.status == "valid"
    assert [c.name for c in result.checks][:3] == ["limits", "binding", "profile"]


@pytest.mark.parametrize(
    ("fmt", "signature", "cert", "failure"),
    [
        ("xmldsig", b"x", "valid", "bad_format"),
        ("raw-pkcs1v15", b"", "valid", "bad_format"),
        ("raw-pkcs1v15", b"x" * (64 * 1024 + 1), "valid", "too_large"),
        ("raw-pkcs1v15", b"x" * 256, None, "bad_format"),
        ("raw-pkcs1v15", b"x" * 256, b"not a certificate", "bad_format"),
        ("raw-pkcs1v15", b"x" * 256, "trailing", "bad_format"),
        ("raw-pkcs1v15", b"x" * 256, b"\x30" * 70000, "too_large"),
        ("cms-detached", b"\x30\x03\x02\x01\x01", None, "bad_format"),
    ],
)
def test_limits_and_strict_parsing(pki, payload, tmp_path, fmt, signature, cert, failure):
    if cert == "valid":
        cert = der(pki.certs["valid"])
    elif cert == "trailing":
        cert = der(pki.certs["valid"]) + b"\x00"
    result = pki.verifier(tmp_path).verify(payload, fmt, signature, cert, NOW)
    assert (result.status, result.failure) == ("invalid", failure)
    assert result.checks[0].name == "limits" and result.checks[0].ok is False


def test_naive_receipt_time_is_refused(pki, payload, tmp_path):
    with pytest.raises(ValueError, match="timezone-aware"):
        verify(pki.verifier(tmp_path), pki, "valid", payload, received_at=datetime(2026, 1, 1))


def test_result_to_dict_is_json_with_iso_times(pki, payload, tmp_path):
    data = verify(pki.verifier(tmp_path), pki, "revoked", payload).to_dict()
    text = json.dumps(data, ensure_ascii=False)
    assert data["status"] == "invalid" and data["failure"] == "revoked"
    assert data["received_at"] == NOW.isoformat()
    assert datetime.fromisoformat(data["certificate"]["not_after"]) == pki.certs["revoked"].not_valid_after_utc
    assert datetime.fromisoformat(data["revocation"]["revoked_at"]) == NOW - 10 * DAY
    assert {"name", "ok", "detail"} == set(data["checks"][0])
    # the record never carries the 基本4情報 of the SAN
    assert "試験" not in text and "千代田" not in text


class BrokenChecker:
    def check(self, certificate, issuer, at):
        raise RuntimeError("boom")


def test_a_failing_revocation_plugin_is_indeterminate_not_valid(pki, payload):
    verifier = JpkiVerifier(pki.sign_anchors(), BrokenChecker())
    result = verify(verifier, pki, "valid", payload)
    assert (result.status, result.failure) == ("indeterminate", "revocation_unknown")
