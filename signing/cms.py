"""Detached CMS SignedData (RFC 5652) with one RSA signer, parsed with asn1crypto and checked by hand.

``cryptography`` does not verify CMS signatures, so the SignerInfo is verified here: the RSA
signature covers the DER ``SET OF`` of the signed attributes, not the payload itself.

Speed: asn1crypto is pure Python, so the embedded certificates (most of the bytes) are parsed and
DER-checked once, by ``cryptography``'s strict DER parser, and the signer's certificate is handed to
the verifier already parsed; asn1crypto re-encodes only the CMS structure around them.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from asn1crypto import cms, core, parser  # type: ignore[import-untyped]
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

__all__ = ["CmsError", "DetachedCms", "parse_detached"]

_PARSE_ERRORS = (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError)
_RSA_SIGNATURE_ALGORITHMS = {"rsassa_pkcs1v15", "sha256_rsa"}
_SIGNED_DATA_FIELDS = ("version", "digest_algorithms", "encap_content_info", "certificates", "crls", "signer_infos")
_UNIVERSAL, _CONTEXT, _CONSTRUCTED, _SEQUENCE = 0, 2, 1, 16
_SET_OF_TAG = 0x31
_IMPLICIT_0_CONSTRUCTED = 0xA0


class CmsError(Exception):
    """A CMS problem with a stable failure code."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class EmbeddedCertificate:
    """A certificate carried in the CMS: its DER and the ``cryptography`` object parsed from it."""

    der: bytes
    certificate: x509.Certificate


@dataclass(frozen=True)
class DetachedCms:
    """A structurally checked, DER-encoded detached SignedData with exactly one SignerInfo."""

    signer_info: Any
    certificates: list[EmbeddedCertificate]

    def signer_certificate(self) -> EmbeddedCertificate:
        """The one embedded certificate the signer identifier names (``CmsError`` otherwise)."""
        sid = self.signer_info["sid"]
        try:
            matches = [embedded for embedded in self.certificates if _identifies(sid, embedded.certificate)]
        except _PARSE_ERRORS as exc:
            raise CmsError("bad_format", f"malformed signer identifier: {type(exc).__name__}") from None
        if len(matches) != 1:
            found = "no" if not matches else "several"
            raise CmsError("bad_format", f"{found} certificate in the CMS matches the signer identifier")
        return matches[0]

    def signer_certificate_der(self) -> bytes:
        """DER of the one embedded certificate the signer identifier names (``CmsError`` otherwise)."""
        return self.signer_certificate().der

    def verify(self, payload: bytes, certificate: x509.Certificate, public_key: rsa.RSAPublicKey) -> str:
        """Check the SignerInfo against ``payload`` and the signer's (parsed) certificate; returns a detail.

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
            if not _identifies(info["sid"], certificate):
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
            signed_bytes = _signed_attributes_der(attributes)
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
        if info["content_type"].native != "signed_data":
            raise CmsError("bad_format", "the CMS is not SignedData")
        signed = info["content"]
        certificates = _embedded_certificates(signed["certificates"])
        if _canonical_der(info, signed, certificates) != data:
            raise CmsError("bad_format", "the CMS is not DER-encoded")
        encapsulated = signed["encap_content_info"]
        if encapsulated["content_type"].native != "data":
            raise CmsError("cms_content_type", "the encapsulated content type is not id-data")
        if encapsulated["content"].native is not None:
            raise CmsError("bad_format", "the CMS carries content: a detached signature is required")
        signers = list(signed["signer_infos"])
    except CmsError:
        raise
    except _PARSE_ERRORS as exc:
        raise CmsError("bad_format", f"not a DER CMS ContentInfo: {type(exc).__name__}") from None
    if not signers:
        raise CmsError("bad_format", "the CMS has no signer")
    if len(signers) > 1:
        raise CmsError("cms_multiple_signers", f"the CMS has {len(signers)} signers; exactly one is required")
    parsed = [c for c in certificates if isinstance(c, EmbeddedCertificate)]
    return DetachedCms(signer_info=signers[0], certificates=parsed)


def _embedded_certificates(field: Any) -> list[EmbeddedCertificate | bytes]:
    """Each CertificateChoices in order: X.509 certificates parsed (strict DER) by ``cryptography``;
    the other choices (attribute certificates…) as their asn1crypto DER re-encoding, kept only for the DER check."""
    if isinstance(field, core.Void):
        return []
    found: list[EmbeddedCertificate | bytes] = []
    for choice in field:
        if choice.name != "certificate":
            found.append(bytes(choice.dump(force=True)))
            continue
        der = bytes(choice.chosen.dump())
        try:
            certificate = x509.load_der_x509_certificate(der)
        except ValueError as exc:
            raise CmsError("bad_format", f"an embedded certificate is not well-formed DER X.509: {exc}") from None
        found.append(EmbeddedCertificate(der, certificate))
    return found


def _canonical_der(info: Any, signed: Any, certificates: list[EmbeddedCertificate | bytes]) -> bytes:
    """The DER encoding of ``info``: the CMS structure re-encoded by asn1crypto, the certificates as their
    own bytes (already checked by ``cryptography``'s DER parser), in DER's sorted SET OF order."""
    parts: list[bytes] = []
    for name in _SIGNED_DATA_FIELDS:
        value = signed[name]
        if isinstance(value, core.Void):
            continue
        if name == "certificates":
            encodings = [c.der if isinstance(c, EmbeddedCertificate) else c for c in certificates]
            parts.append(parser.emit(_CONTEXT, _CONSTRUCTED, 0, b"".join(sorted(encodings))))
        else:
            parts.append(bytes(value.dump(force=True)))
    signed_der = parser.emit(_UNIVERSAL, _CONSTRUCTED, _SEQUENCE, b"".join(parts))
    content = parser.emit(_CONTEXT, _CONSTRUCTED, 0, signed_der)  # [0] EXPLICIT
    return bytes(parser.emit(_UNIVERSAL, _CONSTRUCTED, _SEQUENCE, info["content_type"].dump(force=True) + content))


def _signed_attributes_der(attributes: Any) -> bytes:
    """The DER ``SET OF`` the signature covers: the received ``[0] IMPLICIT`` bytes (DER-checked at parsing)
    with the SET OF tag, not a re-encoding."""
    encoded = bytes(attributes.dump())
    if not encoded or encoded[0] != _IMPLICIT_0_CONSTRUCTED:
        raise CmsError("bad_format", "the signed attributes are not [0] IMPLICIT")
    return bytes([_SET_OF_TAG]) + encoded[1:]


def _identifies(sid: Any, certificate: x509.Certificate) -> bool:
    """Whether a SignerIdentifier names ``certificate`` (issuerAndSerialNumber or subjectKeyIdentifier)."""
    if sid.name == "issuer_and_serial_number":
        chosen = sid.chosen
        if chosen["serial_number"].native != certificate.serial_number:
            return False
        issuer = certificate.issuer.public_bytes()
        if bytes(chosen["issuer"].dump()) == issuer:  # the usual case: the signer copied the issuer's bytes
            return True
        return bool(chosen["issuer"] == asn1_x509.Name.load(issuer))  # RFC 5280 name matching otherwise
    if sid.name == "subject_key_identifier":
        try:
            key_id = certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.key_identifier
        except x509.ExtensionNotFound:
            return False
        return bytes(sid.chosen.native) == bytes(key_id)
    return False


def _attribute_values(attributes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for attribute in attributes:
        name = attribute["type"].native
        if name in values:
            raise CmsError("bad_format", f"signed attribute {name} appears twice")
        values[name] = attribute["values"]
    return values
