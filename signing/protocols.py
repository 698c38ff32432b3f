"""Plug-in interfaces and the records a verification produces (all JSON-ready through ``to_dict``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from signing.holder import holder_fields

__all__ = [
    "CertificateInfo",
    "Check",
    "RevocationChecker",
    "RevocationEvidence",
    "RevocationStatus",
    "SerialRevocationChecker",
    "SignatureVerifier",
    "VerificationResult",
    "VerificationStatus",
    "holder_fields",
]

VerificationStatus = Literal["valid", "invalid", "indeterminate"]
RevocationStatus = Literal["good", "revoked", "unknown", "not_checked"]


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


@dataclass(frozen=True)
class Check:
    """One recorded step: ``ok`` is True (passed), False (failed) or None (undetermined / not run)."""

    name: str
    ok: bool | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


@dataclass(frozen=True)
class CertificateInfo:
    """What is recorded about the signer's certificate (no personal data)."""

    fingerprint_sha256: str
    subject: str
    issuer: str
    serial: str
    not_before: datetime
    not_after: datetime
    issuer_fingerprint_sha256: str | None = None  # the trust anchor that issued it, once the chain is checked

    @classmethod
    def from_certificate(cls, certificate: x509.Certificate, issuer: x509.Certificate | None = None) -> CertificateInfo:
        """Summarise a parsed certificate (and the anchor found to have issued it); the serial is lower-case hex."""
        return cls(
            fingerprint_sha256=certificate.fingerprint(hashes.SHA256()).hex(),
            subject=certificate.subject.rfc4514_string(),
            issuer=certificate.issuer.rfc4514_string(),
            serial=format(certificate.serial_number, "x"),
            not_before=certificate.not_valid_before_utc,
            not_after=certificate.not_valid_after_utc,
            issuer_fingerprint_sha256=None if issuer is None else issuer.fingerprint(hashes.SHA256()).hex(),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "fingerprint_sha256": self.fingerprint_sha256,
            "subject": self.subject,
            "issuer": self.issuer,
            "serial": self.serial,
            "not_before": _iso(self.not_before),
            "not_after": _iso(self.not_after),
            "issuer_fingerprint_sha256": self.issuer_fingerprint_sha256,
        }


@dataclass(frozen=True)
class RevocationEvidence:
    """The answer of a revocation source, as of ``checked_at``."""

    status: RevocationStatus
    source: str
    checked_at: datetime
    reason: str | None = None
    revoked_at: datetime | None = None
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "source": self.source,
            "checked_at": _iso(self.checked_at),
            "reason": self.reason,
            "revoked_at": _iso(self.revoked_at),
            "detail": self.detail,
        }


@dataclass(frozen=True)
class VerificationResult:
    """The verdict with every check, to be stored with the submission."""

    status: VerificationStatus
    failure: str | None
    checks: list[Check]
    certificate: CertificateInfo | None
    revocation: RevocationEvidence | None
    payload_sha256: str
    verifier: str
    verifier_version: str
    received_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "failure": self.failure,
            "checks": [check.to_dict() for check in self.checks],
            "certificate": None if self.certificate is None else self.certificate.to_dict(),
            "revocation": None if self.revocation is None else self.revocation.to_dict(),
            "payload_sha256": self.payload_sha256,
            "verifier": self.verifier,
            "verifier_version": self.verifier_version,
            "received_at": _iso(self.received_at),
        }


@runtime_checkable
class RevocationChecker(Protocol):
    """Tells whether ``certificate`` (issued by ``issuer``) was revoked at or before ``at``."""

    def check(self, certificate: x509.Certificate, issuer: x509.Certificate, at: datetime) -> RevocationEvidence:
        """Never raise for an unreachable or unusable source: answer ``unknown`` with a detail."""
        ...


@runtime_checkable
class SerialRevocationChecker(Protocol):
    """A revocation checker that can also answer from the issuer and serial number alone.

    That is what a later re-check has: the stored record keeps no certificate (it would carry the
    holder's personal data), only its issuer and serial. ``issued_after`` asks for revocation data
    issued at or after that moment (for a re-check after a grace period: after the receipt time).
    """

    def check(self, certificate: x509.Certificate, issuer: x509.Certificate, at: datetime) -> RevocationEvidence: ...

    def check_serial(self, serial_number: int, issuer: x509.Certificate, at: datetime, *,
                     issued_after: datetime | None = None) -> RevocationEvidence:
        """Never raise for an unreachable or unusable source: answer ``unknown`` with a detail."""
        ...


@runtime_checkable
class SignatureVerifier(Protocol):
    """A signature scheme the engine can verify a signing request with."""

    @property
    def name(self) -> str: ...

    def verify(
        self,
        payload: bytes,
        fmt: str,
        signature: bytes,
        certificate_der: bytes | None,
        received_at: datetime,
        prior_checks: Sequence[Check] = (),
    ) -> VerificationResult:
        """Verify ``signature`` over ``payload`` as received at ``received_at`` (aware datetime)."""
        ...
