"""Deciding a stored ``indeterminate`` verdict later, once revocation data can be had (check 8 again).

The stored record (``VerificationResult.to_dict()``) keeps no certificate, only its issuer and serial,
so the revocation source is asked by serial number, about the receipt time, for data issued after it
(a revocation between the last CRL and the receipt is then not missed). Every other check passed
when the signature was received and is not repeated: what is signed, and by whom, cannot change.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from signing.anchors import TrustAnchors
from signing.jpki import VERIFIER_VERSION
from signing.protocols import RevocationEvidence, SerialRevocationChecker, VerificationStatus

__all__ = ["APPENDED_KEYS", "RECHECKABLE_FAILURES", "Recheck", "is_recheckable", "recheck_revocation"]

#: Keys a re-check appends to a stored record: the list of re-check entries, and the final verdict.
APPENDED_KEYS = ("revocation_rechecks", "final")

#: The failures of an ``indeterminate`` verdict that only a revocation answer can settle.
RECHECKABLE_FAILURES = frozenset({"revocation_not_checked", "revocation_unknown"})
_CHAIN_ANCHOR = re.compile(r"\(SHA-256 ([0-9a-f]{64})\)")


@dataclass(frozen=True)
class Recheck:
    """The outcome of one re-check: ``status`` is final when ``valid`` or ``invalid``."""

    status: VerificationStatus
    failure: str | None
    reason: str
    evidence: RevocationEvidence | None

    @property
    def final(self) -> bool:
        return self.status in ("valid", "invalid")

    def to_dict(self) -> dict[str, Any]:
        """The entry appended to the stored record (``revocation_rechecks``)."""
        evidence = None if self.evidence is None else self.evidence.to_dict()
        return {"status": self.status, "failure": self.failure, "reason": self.reason, "revocation": evidence,
                "verifier_version": VERIFIER_VERSION}


def is_recheckable(record: Mapping[str, Any]) -> bool:
    """An ``indeterminate`` verdict whose only open question is revocation, every other check passed."""
    if record.get("status") != "indeterminate" or record.get("failure") not in RECHECKABLE_FAILURES:
        return False
    checks = record.get("checks")
    if not isinstance(checks, list) or not checks:
        return False
    others = [c for c in checks if isinstance(c, Mapping) and c.get("name") != "revocation"]
    return len(others) == len(checks) - 1 and all(c.get("ok") is True for c in others)


def recheck_revocation(
    record: Mapping[str, Any],
    anchors: TrustAnchors,
    checker: SerialRevocationChecker,
) -> Recheck:
    """Ask ``checker`` about the certificate of a stored ``indeterminate`` record, as of its receipt time.

    ``valid`` when the certificate was not revoked at the receipt time, ``invalid`` (``revoked``) when
    it was revoked at or before it; ``indeterminate`` while no usable answer exists (nothing is final).
    """
    if not is_recheckable(record):
        return Recheck("indeterminate", str(record.get("failure")), "not an indeterminate verdict on revocation", None)
    certificate = record.get("certificate")
    certificate = certificate if isinstance(certificate, Mapping) else {}
    try:
        serial = int(str(certificate["serial"]), 16)
        received_at = datetime.fromisoformat(str(record["received_at"]))
    except (KeyError, ValueError):
        return Recheck("indeterminate", record["failure"], "the record lacks the certificate serial or receipt time",
                       None)
    if received_at.tzinfo is None:
        return Recheck("indeterminate", record["failure"], "the record's receipt time has no time zone", None)
    fingerprint = _issuer_fingerprint(record)
    issuer = anchors.by_fingerprint(fingerprint) if fingerprint else None
    if issuer is None:
        return Recheck("indeterminate", record["failure"],
                       f"the issuing trust anchor ({fingerprint or 'not recorded'}) is not among the configured anchors",
                       None)
    if issuer.subject.rfc4514_string() != certificate.get("issuer"):
        return Recheck("indeterminate", record["failure"], "the recorded issuer name is not the anchor's subject", None)
    evidence = checker.check_serial(serial, issuer, received_at, issued_after=received_at)
    where = f"{evidence.source}: {evidence.detail}"
    if evidence.status == "good":
        return Recheck("valid", None, f"not revoked at the receipt time ({where})", evidence)
    if evidence.status == "revoked":
        return Recheck("invalid", "revoked",
                       f"revoked at {evidence.revoked_at} ({evidence.reason or 'no reason given'}; {where})", evidence)
    failure = "revocation_not_checked" if evidence.status == "not_checked" else "revocation_unknown"
    return Recheck("indeterminate", failure, f"still {evidence.status} ({where})", evidence)


def _issuer_fingerprint(record: Mapping[str, Any]) -> str | None:
    """The anchor's SHA-256: recorded since verifier 1.1.0; in older records, named by the chain check."""
    certificate = record.get("certificate")
    if isinstance(certificate, Mapping) and isinstance(certificate.get("issuer_fingerprint_sha256"), str):
        return str(certificate["issuer_fingerprint_sha256"])
    for check in record.get("checks") or []:
        if isinstance(check, Mapping) and check.get("name") == "chain" and check.get("ok") is True:
            found = _CHAIN_ANCHOR.search(str(check.get("detail", "")))
            if found:
                return found.group(1)
    return None
