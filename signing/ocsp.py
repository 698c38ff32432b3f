"""Revocation by OCSP (RFC 6960): a responder asked through an injectable transport."""

from __future__ import annotations

import secrets
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta

from asn1crypto import keys  # type: ignore[import-untyped]
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from signing._keys import require_aware, verify_with_key
from signing._time import SKEW as _SKEW
from signing._time import Clock
from signing._time import iso as _iso
from signing._time import reason_text as _reason_text
from signing._time import utcnow as _utcnow
from signing.protocols import RevocationEvidence, RevocationStatus

__all__ = ["OcspChecker", "Transport", "urllib_transport"]

Transport = Callable[[str, bytes], bytes]


def urllib_transport(timeout: float = 10.0, max_bytes: int = 1 << 20) -> Transport:
    """An HTTP(S) POST transport for OCSP (RFC 6960 appendix A) with a timeout and a size limit."""

    def post(url: str, request_der: bytes) -> bytes:
        if not url.startswith(("http://", "https://")):
            raise ValueError("OCSP responder URL must be http or https")
        request = urllib.request.Request(
            url, data=request_der, method="POST", headers={"Content-Type": "application/ocsp-request"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body: bytes = response.read(max_bytes + 1)
        if len(body) > max_bytes:
            raise ValueError("OCSP response too large")
        return body

    return post


class OcspChecker:
    """Ask an OCSP responder; the transport ``(url, request_der) -> response_der`` is injectable.

    The response must be signed by the issuer itself or by a responder certificate the issuer signed
    with id-kp-OCSPSigning; it must be fresh (thisUpdate not in the future, nextUpdate not past, or
    without nextUpdate no older than ``max_age``); a nonce, when echoed, must match.
    """

    def __init__(
        self,
        url: str,
        transport: Transport | None = None,
        *,
        cert_id_hash: hashes.HashAlgorithm | None = None,
        use_nonce: bool = True,
        max_age: timedelta = timedelta(days=1),
        clock: Clock = _utcnow,
        timeout: float = 10.0,
    ) -> None:
        self.url = url
        self._transport = transport if transport is not None else urllib_transport(timeout)
        # SHA-1 CertIDs are what most responders (and RFC 5019) expect; it is an identifier, not a signature.
        self._hash = cert_id_hash if cert_id_hash is not None else hashes.SHA1()
        self._use_nonce = use_nonce
        self._max_age = max_age
        self._clock = clock

    def _unknown(self, detail: str) -> RevocationEvidence:
        return RevocationEvidence(status="unknown", source=f"ocsp:{self.url}", checked_at=self._clock(), detail=detail)

    def check(self, certificate: x509.Certificate, issuer: x509.Certificate, at: datetime) -> RevocationEvidence:
        if certificate.issuer != issuer.subject:
            return self._unknown("the certificate's issuer name is not the issuer's subject")
        return self.check_serial(certificate.serial_number, issuer, at)

    def check_serial(self, serial_number: int, issuer: x509.Certificate, at: datetime, *,
                     issued_after: datetime | None = None) -> RevocationEvidence:
        """Ask about the certificate ``serial_number`` of ``issuer`` (the CertID needs no more than that).

        ``issued_after`` (a later re-check) also requires the answer's thisUpdate at or after that moment.
        """
        require_aware(at, "at")
        name_hash, key_hash = _cert_id_hashes(issuer, self._hash)
        builder = ocsp.OCSPRequestBuilder().add_certificate_by_hash(name_hash, key_hash, serial_number, self._hash)
        nonce = secrets.token_bytes(16) if self._use_nonce else None
        if nonce is not None:
            builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
        try:
            answer = self._transport(self.url, builder.build().public_bytes(Encoding.DER))
        except Exception as exc:  # any transport failure is an honest "unknown"
            return self._unknown(f"responder unreachable: {type(exc).__name__}: {exc}")
        try:
            response = ocsp.load_der_ocsp_response(answer)
        except ValueError as exc:
            return self._unknown(f"malformed OCSP response: {exc}")
        if response.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
            return self._unknown(f"responder answered {response.response_status.name}")
        problem = _check_responder(response, issuer, self._clock())
        if problem:
            return self._unknown(problem)
        if nonce is not None:
            try:
                echoed = response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
            except x509.ExtensionNotFound:
                echoed = None
            if echoed is not None and echoed != nonce:
                return self._unknown("OCSP nonce does not match the request")
        single = _find_single(response, serial_number, issuer)
        if single is None:
            return self._unknown("the response does not cover this certificate")
        return self._evidence(single, at, issued_after)

    def _evidence(self, single: ocsp.OCSPSingleResponse, at: datetime,
                  issued_after: datetime | None) -> RevocationEvidence:
        now = self._clock()
        this_update, next_update = single.this_update_utc, single.next_update_utc
        window = f"thisUpdate {_iso(this_update)}, nextUpdate {_iso(next_update)}"
        if this_update > now + _SKEW:
            return self._unknown(f"response thisUpdate is in the future; {window}")
        if issued_after is not None and this_update < issued_after:
            return self._unknown(f"response predates {_iso(issued_after)}; {window}")
        if next_update is not None and next_update < now - _SKEW:
            return self._unknown(f"response is stale; {window}")
        if next_update is None and this_update < now - self._max_age:
            return self._unknown(f"response without nextUpdate is older than {self._max_age}; {window}")
        source = f"ocsp:{self.url}"
        state = single.certificate_status
        if state is ocsp.OCSPCertStatus.UNKNOWN:
            return self._unknown(f"responder does not know the certificate; {window}")
        status: RevocationStatus = "good"
        revoked_at = reason = None
        detail = f"responder says good; {window}"
        if state is ocsp.OCSPCertStatus.REVOKED:
            revoked_at = single.revocation_time_utc
            reason = _reason_text(single.revocation_reason)
            if revoked_at is not None and revoked_at > at:
                detail = f"revoked only after the receipt time; {window}"
            else:
                status, detail = "revoked", f"responder says revoked; {window}"
        return RevocationEvidence(
            status=status, source=source, checked_at=now, reason=reason, revoked_at=revoked_at, detail=detail,
        )


def _cert_id_hashes(issuer: x509.Certificate, algorithm: hashes.HashAlgorithm) -> tuple[bytes, bytes]:
    """RFC 6960 CertID hashes: of the issuer's DER name, and of its subjectPublicKey BIT STRING value."""
    spki = issuer.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    key_bits = bytes(keys.PublicKeyInfo.load(spki)["public_key"].contents[1:])  # without the unused-bits octet
    name_hash = hashes.Hash(algorithm)
    name_hash.update(issuer.subject.public_bytes())
    key_hash = hashes.Hash(algorithm)
    key_hash.update(key_bits)
    return name_hash.finalize(), key_hash.finalize()


def _find_single(
    response: ocsp.OCSPResponse, serial_number: int, issuer: x509.Certificate
) -> ocsp.OCSPSingleResponse | None:
    for single in response.responses:
        if single.serial_number != serial_number:
            continue
        name_hash, key_hash = _cert_id_hashes(issuer, single.hash_algorithm)
        if single.issuer_key_hash == key_hash and single.issuer_name_hash == name_hash:
            return single
    return None


def _matches_responder_id(response: ocsp.OCSPResponse, candidate: x509.Certificate) -> bool:
    if response.responder_key_hash is not None:
        digest = x509.SubjectKeyIdentifier.from_public_key(candidate.public_key()).digest
        return response.responder_key_hash == digest
    return response.responder_name == candidate.subject


def _check_responder(response: ocsp.OCSPResponse, issuer: x509.Certificate, now: datetime) -> str | None:
    """None when the response is signed by ``issuer`` or a responder it delegated to; else the problem."""
    signers: list[x509.Certificate] = []
    if _matches_responder_id(response, issuer):
        signers.append(issuer)
    for candidate in response.certificates:
        if not _matches_responder_id(response, candidate):
            continue
        try:
            candidate.verify_directly_issued_by(issuer)
            usage = candidate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm, x509.ExtensionNotFound):
            continue
        if ExtendedKeyUsageOID.OCSP_SIGNING not in usage:
            continue
        if not candidate.not_valid_before_utc <= now <= candidate.not_valid_after_utc:
            continue
        signers.append(candidate)
    if not signers:
        return "the response is not signed by the issuer or a responder it authorised"
    for signer in signers:
        try:
            verify_with_key(signer.public_key(), response.signature, response.tbs_response_bytes,
                            response.signature_hash_algorithm)
        except InvalidSignature:
            continue
        return None
    return "the responder's signature does not verify"
