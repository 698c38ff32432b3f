"""Detached CMS SignedData (RFC 5652) with one RSA signer, parsed with asn1crypto and checked by hand.

``cryptography`` does not verify CMS signatures, so the SignerInfo is verified here: the RSA
signature covers the DER ``SET OF`` of the signed attributes, not the payload itself.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from asn1crypto import cms  # type: ignore[import-untyped]
from asn1crypto import x509 as asn1_x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

__all__ = ["CmsError", "DetachedCms", "parse_detached"]

_PARSE_ERRORS = (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError)
_RSA_SIGNATURE_ALGORITHMS = {"rsassa_pkcs1v15", "sha256_rsa"}


class CmsError(Exception):
    """A CMS problem with a stable failure code."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class DetachedCms:
    """A structurally checked detached SignedData with exactly one SignerInfo."""

    signer_info: Any
    certificates: list[Any]

    def signer_certificate_der(self) -> bytes:
        """DER of the one embedded certificate the signer identifier names (``CmsError`` otherwise)."""
        matches = [cert for cert in self.certificates if _identifies(self.signer_info["sid"], cert)]
        if len(matches) != 1:
            found = "no" if not matches else "several"
            raise CmsError("bad_format", f"{found} certificate in the CMS matches the signer identifier")
        return bytes(matches[0].dump())

    def verify(self, payload: bytes, certificate_der: bytes, public_key: rsa.RSAPublicKey) -> str:
        """Check the SignerInfo against ``payload`` and the signer's certificate; returns a detail.

        Raises ``CmsError`` with a failure code when anything does not hold.
        """
        info = self.signer_info
        try:
            digest_algorithm = info["digest_algorithm"]["algorithm"].native
            signature_algorithm = info["signature_algorithm"]["algorithm"].native
            if digest_algorithm != "sha256":
                raise CmsError("unsupported_algorithm", f"signer digest algorithm is {digest_algorithm}, not SHA-256")
            if signature_algorithm not in _RSA_SIGNATURE_ALGORITHMS:
                raise CmsError("unsupported_algorithm",
                               f"signature algorithm {signature_algorithm} is not RSA PKCS#1 v1.5")
            if not _identifies(info["sid"], asn1_x509.Certificate.load(certificate_der)):
                raise CmsError("signer_mismatch", "the signer identifier does not name the signer's certificate")
            attributes = info["signed_attrs"]
            if attributes.native is None or len(attributes) == 0:
                raise CmsError("bad_format", "the signer has no signed attributes")
            values = _attribute_values(attributes)
            content_type = values.get("content_type")
            if content_type is None or len(content_type) != 1 or content_type[0].native != "data":
                raise CmsError("cms_content_type", "signed attribute contentType is missing or not id-data")
            message_digest = values.get("message_digest")
            if message_digest is None or len(message_digest) != 1:
                raise CmsError("bad_format", "signed attribute messageDigest is missing or repeated")
            expected = hashlib.sha256(payload).digest()
            if not hmac.compare_digest(bytes(message_digest[0].native), expected):
                raise CmsError("message_digest_mismatch", "messageDigest is not the SHA-256 of the payload")
            signed_bytes = bytes(attributes.untag().dump())
            signature = bytes(info["signature"].native)
        except _PARSE_ERRORS as exc:
            raise CmsError("bad_format", f"malformed SignerInfo: {type(exc).__name__}") from None
        try:
            public_key.verify(signature, signed_bytes, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise CmsError("signature_mismatch",
                           "the RSA signature over the signed attributes does not verify") from None
        claimed = " (signer-claimed signing time ignored)" if "signing_time" in values else ""
        return "CMS signer verified: messageDigest matches, RSA signature over the signed attributes" + claimed


def parse_detached(data: bytes) -> DetachedCms:
    """Parse a DER ContentInfo holding detached SignedData with exactly one signer (``CmsError`` if not)."""
    try:
        info = cms.ContentInfo.load(data, strict=True)
        if bytes(info.dump(force=True)) != data:
            raise CmsError("bad_format", "the CMS is not DER-encoded")
        if info["content_type"].native != "signed_data":
            raise CmsError("bad_format", "the CMS is not SignedData")
        signed = info["content"]
        encapsulated = signed["encap_content_info"]
        if encapsulated["content_type"].native != "data":
            raise CmsError("cms_content_type", "the encapsulated content type is not id-data")
        if encapsulated["content"].native is not None:
            raise CmsError("bad_format", "the CMS carries content: a detached signature is required")
        signers = list(signed["signer_infos"])
        certificates = [choice.chosen for choice in signed["certificates"] if choice.name == "certificate"]
    except CmsError:
        raise
    except _PARSE_ERRORS as exc:
        raise CmsError("bad_format", f"not a DER CMS ContentInfo: {type(exc).__name__}") from None
    if not signers:
        raise CmsError("bad_format", "the CMS has no signer")
    if len(signers) > 1:
        raise CmsError("cms_multiple_signers", f"the CMS has {len(signers)} signers; exactly one is required")
    return DetachedCms(signer_info=signers[0], certificates=certificates)


def _identifies(sid: Any, certificate: Any) -> bool:
    """Whether a SignerIdentifier names ``certificate`` (issuerAndSerialNumber or subjectKeyIdentifier)."""
    if sid.name == "issuer_and_serial_number":
        chosen = sid.chosen
        return bool(chosen["issuer"] == certificate.issuer
                    and chosen["serial_number"].native == certificate.serial_number)
    if sid.name == "subject_key_identifier":
        key_id = certificate.key_identifier
        return key_id is not None and bytes(sid.chosen.native) == bytes(key_id)
    return False


def _attribute_values(attributes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for attribute in attributes:
        name = attribute["type"].native
        if name in values:
            raise CmsError("bad_format", f"signed attribute {name} appears twice")
        values[name] = attribute["values"]
    return values
