"""The reference JPKI verifier: checks 1 and 3–8 of the contract, recorded one by one (check 2 is the caller's).

Fail closed: the first failing check decides the verdict, and the checks after it are recorded as
not performed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtensionOID, SignatureAlgorithmOID

from signing._keys import require_aware
from signing.anchors import TrustAnchors
from signing.canonical import payload_sha256
from signing.cms import CmsError, DetachedCms, parse_detached
from signing.protocols import (
    CertificateInfo,
    Check,
    RevocationChecker,
    RevocationEvidence,
    VerificationResult,
    VerificationStatus,
)
from signing.revocation import NotChecked

__all__ = [
    "AUTH_POLICY",
    "FORMATS",
    "MAX_CERTIFICATE_BYTES",
    "MAX_SIGNATURE_BYTES",
    "SIGN_POLICY",
    "SIGN_TEST_POLICY",
    "VERIFIER_VERSION",
    "JpkiVerifier",
    "Purpose",
    "verify_auth_challenge",
]

VERIFIER_VERSION = "1.1.0"  # 1.1.0: the record names the issuing anchor
FORMATS = frozenset({"raw-pkcs1v15", "cms-detached"})
MAX_SIGNATURE_BYTES = 64 * 1024
MAX_CERTIFICATE_BYTES = 64 * 1024
MIN_RSA_BITS = 2048
MIN_CHALLENGE_BYTES = 16

SIGN_POLICY = "1.2.392.200149.8.5.1.1.20"
SIGN_TEST_POLICY = "1.2.392.200149.8.5.1.0.20"
AUTH_POLICY = "1.2.392.200149.8.5.1.3.30"

Purpose = Literal["sign", "auth"]

#: Critical extensions this verifier understands and enforces (or that carry no constraint for it).
_HANDLED_CRITICAL = frozenset({
    ExtensionOID.KEY_USAGE,
    ExtensionOID.CERTIFICATE_POLICIES,
    ExtensionOID.BASIC_CONSTRAINTS,
    ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
    ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
    ExtensionOID.SUBJECT_KEY_IDENTIFIER,
})
_STEPS = ("limits", "profile", "signature", "purpose", "chain", "time", "revocation")


class _Stop(Exception):
    """A check failed (or was undetermined): stop with this verdict."""

    def __init__(self, status: VerificationStatus, failure: str) -> None:
        super().__init__(failure)
        self.status = status
        self.failure = failure


@dataclass
class _Run:
    """Mutable state of one verification."""

    checks: list[Check]
    certificate: x509.Certificate | None = None
    certificate_der: bytes | None = None
    detached: DetachedCms | None = None
    issuer: x509.Certificate | None = None
    revocation: RevocationEvidence | None = None

    def passed(self, name: str, detail: str) -> None:
        self.checks.append(Check(name, True, detail))

    def fail(self, name: str, failure: str, detail: str, status: VerificationStatus = "invalid") -> _Stop:
        self.checks.append(Check(name, None if status == "indeterminate" else False, detail))
        return _Stop(status, failure)


class JpkiVerifier:
    """Verifies a JPKI signature (``raw-pkcs1v15`` or ``cms-detached``) for one purpose.

    ``anchors`` are the roots of that purpose (all generations); ``revocation`` defaults to
    :class:`NotChecked`, which makes an otherwise good signature ``indeterminate``.
    """

    name = "jpki"

    def __init__(
        self,
        anchors: TrustAnchors,
        revocation: RevocationChecker | None = None,
        purpose: Purpose = "sign",
    ) -> None:
        if purpose not in ("sign", "auth"):
            raise ValueError("purpose must be 'sign' or 'auth'")
        self.anchors = anchors
        self.revocation: RevocationChecker = revocation if revocation is not None else NotChecked()
        self.purpose: Purpose = purpose

    def verify(
        self,
        payload: bytes,
        fmt: str,
        signature: bytes,
        certificate_der: bytes | None,
        received_at: datetime,
        prior_checks: Sequence[Check] = (),
    ) -> VerificationResult:
        """Run checks 1 and 3–8 over ``payload``; ``prior_checks`` are the caller's binding checks (2).

        ``received_at`` is the server's receipt time (timezone-aware); any signer-claimed time is ignored.
        """
        require_aware(received_at, "received_at")
        run = _Run(checks=[])
        status: VerificationStatus = "valid"
        failure: str | None = None
        try:
            self._anchors_configured(run)
            self._limits(run, fmt, signature, certificate_der)
            self._binding(run, prior_checks)
            certificate = run.certificate
            assert certificate is not None and run.certificate_der is not None
            public_key = self._profile(run, certificate)
            self._signature(run, payload, fmt, signature, public_key)
            self._purpose(run, certificate)
            self._chain(run, certificate)
            self._time(run, certificate, received_at)
            self._revocation(run, certificate, received_at)
        except _Stop as stop:
            status, failure = stop.status, stop.failure
        done = {check.name for check in run.checks}
        for step in _STEPS:
            if step not in done:
                run.checks.append(Check(step, None, "not performed: an earlier check decided the result"))
        return VerificationResult(
            status=status,
            failure=failure,
            checks=run.checks,
            certificate=None if run.certificate is None else CertificateInfo.from_certificate(run.certificate, run.issuer),
            revocation=run.revocation,
            payload_sha256=payload_sha256(payload),
            verifier=self.name,
            verifier_version=VERIFIER_VERSION,
            received_at=received_at,
        )

    # -- the checks ---------------------------------------------------------------------------

    def _anchors_configured(self, run: _Run) -> None:
        if len(self.anchors) == 0:
            raise run.fail("trust_anchors", "no_trust_anchors",
                           f"trust anchors are not configured for the {self.purpose} purpose: "
                           "no signature can be verified")

    def _limits(self, run: _Run, fmt: str, signature: bytes, certificate_der: bytes | None) -> None:
        if fmt not in FORMATS:
            raise run.fail("limits", "bad_format", f"unknown signature format {fmt!r}")
        if not signature:
            raise run.fail("limits", "bad_format", "the signature is empty")
        if len(signature) > MAX_SIGNATURE_BYTES:
            raise run.fail("limits", "too_large", f"the signature is larger than {MAX_SIGNATURE_BYTES} bytes")
        if certificate_der is not None and len(certificate_der) > MAX_CERTIFICATE_BYTES:
            raise run.fail("limits", "too_large", f"the certificate is larger than {MAX_CERTIFICATE_BYTES} bytes")
        certificate: x509.Certificate | None = None
        if fmt == "cms-detached":
            try:
                run.detached = parse_detached(signature)
                if certificate_der is None:  # the embedded one, already parsed (strict DER) with the CMS
                    embedded = run.detached.signer_certificate()
                    certificate_der, certificate = embedded.der, embedded.certificate
            except CmsError as error:
                raise run.fail("limits", error.code, error.detail) from None
        if certificate_der is None:
            raise run.fail("limits", "bad_format", "a raw PKCS#1 signature needs the signer's certificate")
        try:
            if certificate is None:
                certificate = x509.load_der_x509_certificate(certificate_der)
            if certificate.public_bytes(Encoding.DER) != certificate_der:
                raise ValueError("not canonical DER")
            _ = list(certificate.extensions)  # parse (and so validate) every extension now
        except ValueError as exc:
            raise run.fail("limits", "bad_format", f"the certificate is not a well-formed DER X.509: {exc}") from None
        run.certificate, run.certificate_der = certificate, certificate_der
        run.passed("limits", f"format {fmt}; signature {len(signature)} bytes; DER certificate parsed")

    def _binding(self, run: _Run, prior_checks: Sequence[Check]) -> None:
        for check in prior_checks:
            run.checks.append(check)
            if check.ok is not True:
                raise _Stop("invalid", "binding_failed")

    def _profile(self, run: _Run, certificate: x509.Certificate) -> rsa.RSAPublicKey:
        key = certificate.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise run.fail("profile", "weak_key", f"the key is {type(key).__name__}, not RSA")
        if key.key_size < MIN_RSA_BITS:
            raise run.fail("profile", "weak_key", f"RSA-{key.key_size} is below {MIN_RSA_BITS} bits")
        if certificate.signature_algorithm_oid != SignatureAlgorithmOID.RSA_WITH_SHA256:
            raise run.fail("profile", "unsupported_algorithm",
                           f"certificate signed with {certificate.signature_algorithm_oid.dotted_string}, "
                           "not sha256WithRSAEncryption")
        unknown = [ext.oid.dotted_string for ext in certificate.extensions
                   if ext.critical and ext.oid not in _HANDLED_CRITICAL]
        if unknown:
            raise run.fail("profile", "unknown_critical_extension",
                           f"unknown critical extension(s): {', '.join(unknown)}")
        try:
            if certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
                raise run.fail("profile", "wrong_purpose", "a CA certificate cannot sign as an end entity")
        except x509.ExtensionNotFound:
            pass
        run.passed("profile", f"RSA-{key.key_size}, sha256WithRSAEncryption, no unknown critical extension")
        return key

    def _signature(self, run: _Run, payload: bytes, fmt: str, signature: bytes, key: rsa.RSAPublicKey) -> None:
        if fmt == "raw-pkcs1v15":
            try:
                key.verify(signature, payload, padding.PKCS1v15(), hashes.SHA256())
            except InvalidSignature:
                raise run.fail("signature", "signature_mismatch",
                               "RSASSA-PKCS1-v1_5/SHA-256 signature does not verify over the payload") from None
            run.passed("signature", "RSASSA-PKCS1-v1_5/SHA-256 signature verifies over the payload")
            return
        assert run.detached is not None and run.certificate is not None
        try:
            detail = run.detached.verify(payload, run.certificate, key)
        except CmsError as error:
            raise run.fail("signature", error.code, error.detail) from None
        run.passed("signature", detail)

    def _purpose(self, run: _Run, certificate: x509.Certificate) -> None:
        try:
            usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
        except x509.ExtensionNotFound:
            raise run.fail("purpose", "wrong_purpose", "the certificate has no keyUsage") from None
        if not usage.digital_signature:
            raise run.fail("purpose", "wrong_purpose", "keyUsage lacks digitalSignature")
        if self.purpose == "sign" and not usage.content_commitment:
            raise run.fail("purpose", "wrong_purpose",
                           "keyUsage lacks nonRepudiation: not a signing (署名用) certificate")
        try:
            policies = {
                policy.policy_identifier.dotted_string
                for policy in certificate.extensions.get_extension_for_class(x509.CertificatePolicies).value
            }
        except x509.ExtensionNotFound:
            raise run.fail("purpose", "wrong_policy", "the certificate has no certificatePolicies") from None
        allowed = {AUTH_POLICY} if self.purpose == "auth" else {SIGN_POLICY}
        if self.purpose == "sign" and self.anchors.allow_test_policy:
            allowed.add(SIGN_TEST_POLICY)
        if self.purpose == "sign" and AUTH_POLICY in policies:
            raise run.fail("purpose", "wrong_policy", "an authentication (利用者証明用) certificate cannot sign")
        matched = sorted(policies & allowed)
        if not matched:
            test_note = " (test policy refused: these are not test anchors)" if SIGN_TEST_POLICY in policies else ""
            raise run.fail("purpose", "wrong_policy",
                           f"no {self.purpose} policy among {', '.join(sorted(policies)) or 'none'}{test_note}")
        run.passed("purpose", f"{self.purpose}: keyUsage and policy {matched[0]} match")

    def _chain(self, run: _Run, certificate: x509.Certificate) -> None:
        issuer = self.anchors.find_issuer(certificate)
        if issuer is None:
            candidates = len(self.anchors.candidates(certificate))
            raise run.fail("chain", "untrusted_chain",
                           f"not issued by a configured trust anchor ({candidates} candidate(s) by key identifier, "
                           "none verifies the certificate's signature)")
        run.issuer = issuer
        fingerprint = issuer.fingerprint(hashes.SHA256()).hex()
        run.passed("chain", f"issued directly by anchor {issuer.subject.rfc4514_string()} (SHA-256 {fingerprint})")

    def _time(self, run: _Run, certificate: x509.Certificate, received_at: datetime) -> None:
        not_before, not_after = certificate.not_valid_before_utc, certificate.not_valid_after_utc
        window = f"validity {not_before.isoformat()} to {not_after.isoformat()}, received {received_at.isoformat()}"
        if received_at < not_before:
            raise run.fail("time", "not_yet_valid", f"not yet valid at receipt; {window}")
        if received_at > not_after:
            raise run.fail("time", "expired", f"expired at receipt; {window}")
        issuer = run.issuer
        assert issuer is not None
        if not issuer.not_valid_before_utc <= received_at <= issuer.not_valid_after_utc:
            raise run.fail("time", "expired", "the issuing trust anchor is not valid at the receipt time")
        run.passed("time", f"valid at the server's receipt time; {window}")

    def _revocation(self, run: _Run, certificate: x509.Certificate, received_at: datetime) -> None:
        assert run.issuer is not None
        try:
            evidence = self.revocation.check(certificate, run.issuer, received_at)
        except Exception as exc:  # a broken plug-in must not turn into "valid"
            evidence = RevocationEvidence(status="unknown", source=type(self.revocation).__name__,
                                          checked_at=datetime.now(UTC), detail=f"revocation checker failed: {exc!r}")
        run.revocation = evidence
        where = f"{evidence.source}: {evidence.detail}"
        if evidence.status == "good":
            run.passed("revocation", f"good ({where})")
        elif evidence.status == "revoked":
            raise run.fail("revocation", "revoked",
                           f"revoked at {evidence.revoked_at} ({evidence.reason or 'no reason given'}; {where})")
        elif evidence.status == "not_checked":
            raise run.fail("revocation", "revocation_not_checked", f"not checked ({where})", "indeterminate")
        else:
            raise run.fail("revocation", "revocation_unknown", f"status unknown ({where})", "indeterminate")


def verify_auth_challenge(
    anchors: TrustAnchors,
    challenge: bytes,
    signature: bytes,
    certificate_der: bytes | None,
    received_at: datetime,
    *,
    fmt: str = "raw-pkcs1v15",
    revocation: RevocationChecker | None = None,
    prior_checks: Sequence[Check] = (),
) -> VerificationResult:
    """Verify a 利用者証明用 signature over a server-issued nonce (login challenge-response).

    ``anchors`` are the authentication roots. The caller issues ``challenge`` (random, at least 16
    bytes), keeps it single-use and short-lived, and reports that in ``prior_checks``.
    """
    checks = list(prior_checks)
    if len(challenge) < MIN_CHALLENGE_BYTES:
        checks.append(Check("challenge", False, f"the challenge is shorter than {MIN_CHALLENGE_BYTES} bytes"))
    else:
        checks.append(Check("challenge", True, f"{len(challenge)}-byte server challenge"))
    verifier = JpkiVerifier(anchors, revocation, purpose="auth")
    return verifier.verify(challenge, fmt, signature, certificate_der, received_at, prior_checks=checks)
