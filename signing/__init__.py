"""Verification of JPKI (公的個人認証) signatures, standalone: it never imports ``forms_engine``.

Typical use::

    anchors = TrustAnchors.load("/etc/jpki/sign-anchors")
    verifier = JpkiVerifier(anchors, CrlFolderChecker("/var/lib/jpki/crl"), purpose="sign")
    result = verifier.verify(payload, "raw-pkcs1v15", signature, certificate_der, received_at)
"""

from signing.anchors import TrustAnchors
from signing.canonical import canonical_payload, payload_sha256
from signing.holder import holder_fields
from signing.jpki import VERIFIER_VERSION, JpkiVerifier, verify_auth_challenge
from signing.protocols import (
    CertificateInfo,
    Check,
    RevocationChecker,
    RevocationEvidence,
    SerialRevocationChecker,
    SignatureVerifier,
    VerificationResult,
)
from signing.recheck import Recheck, is_recheckable, recheck_revocation
from signing.registry import ENTRY_POINT_GROUP, VerifierRegistry
from signing.revocation import CrlFolderChecker, FirstDecisive, NotChecked, OcspChecker

__all__ = [
    "ENTRY_POINT_GROUP",
    "VERIFIER_VERSION",
    "CertificateInfo",
    "Check",
    "CrlFolderChecker",
    "FirstDecisive",
    "JpkiVerifier",
    "NotChecked",
    "OcspChecker",
    "Recheck",
    "RevocationChecker",
    "RevocationEvidence",
    "SerialRevocationChecker",
    "SignatureVerifier",
    "TrustAnchors",
    "VerificationResult",
    "VerifierRegistry",
    "canonical_payload",
    "default_registry",
    "holder_fields",
    "is_recheckable",
    "payload_sha256",
    "recheck_revocation",
    "verify_auth_challenge",
]


def default_registry() -> VerifierRegistry:
    """A fresh registry with the built-in ``jpki`` verifier registered."""
    registry = VerifierRegistry()
    registry.add("jpki", JpkiVerifier)
    return registry
