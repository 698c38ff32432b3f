"""Revocation checkers: none (an honest "not checked"), a folder of CRLs, and an OCSP responder.

Every checker answers a :class:`RevocationEvidence`; an unusable source gives ``unknown``, never an
exception, so the verifier can answer ``indeterminate``.
"""

from __future__ import annotations

import os
import secrets
import threading
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from signing._keys import require_aware, verify_with_key
from signing.protocols import RevocationEvidence, RevocationStatus

__all__ = ["CrlFolderChecker", "NotChecked", "OcspChecker", "Transport", "urllib_transport"]

Clock = Callable[[], datetime]
Transport = Callable[[str, bytes], bytes]

_SKEW = timedelta(minutes=5)
_PEM_CRL = b"-----BEGIN X509 CRL-----"
_KNOWN_CRL_EXTENSIONS = {
    x509.CRLNumber.oid,
    x509.AuthorityKeyIdentifier.oid,
    x509.IssuingDistributionPoint.oid,
    x509.IssuerAlternativeName.oid,
    x509.AuthorityInformationAccess.oid,
}


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime | None) -> str:
    return "none" if moment is None else moment.isoformat()


def _reason_text(reason: x509.ReasonFlags | None) -> str | None:
    return None if reason is None else reason.value


class NotChecked:
    """No revocation source: every certificate is ``not_checked`` (the verifier answers indeterminate)."""

    def __init__(self, *, clock: Clock = _utcnow) -> None:
        self._clock = clock

    def check(self, certificate: x509.Certificate, issuer: x509.Certificate, at: datetime) -> RevocationEvidence:
        return RevocationEvidence(
            status="not_checked", source="none", checked_at=self._clock(),
            detail="no revocation source is configured",
        )


class CrlFolderChecker:
    """CRLs (DER or PEM, any file name) in a folder, re-read when a file changes.

    A CRL counts only if it is signed by the certificate's issuer (the anchor found by key), is a
    complete CRL for end-entity certificates, and its nextUpdate is not before the receipt time.
    """

    def __init__(self, folder: str | Path, *, clock: Clock = _utcnow) -> None:
        self._folder = Path(folder)
        self._clock = clock
        self._cache: dict[Path, tuple[tuple[int, int], list[x509.CertificateRevocationList]]] = {}
        self._lock = threading.Lock()

    def _load(self) -> tuple[list[tuple[Path, x509.CertificateRevocationList]], list[str]]:
        with self._lock:
            return self._load_locked()

    def _load_locked(self) -> tuple[list[tuple[Path, x509.CertificateRevocationList]], list[str]]:
        found: list[tuple[Path, x509.CertificateRevocationList]] = []
        unreadable: list[str] = []
        if not self._folder.is_dir():
            return found, [f"{self._folder} is not a folder"]
        seen: set[Path] = set()
        for path in sorted(self._folder.iterdir()):
            if not path.is_file():
                continue
            seen.add(path)
            stat = os.stat(path)
            stamp = (stat.st_mtime_ns, stat.st_size)
            cached = self._cache.get(path)
            if cached is None or cached[0] != stamp:
                try:
                    cached = (stamp, _parse_crls(path.read_bytes()))
                except (ValueError, OSError):
                    unreadable.append(path.name)
                    continue
                self._cache[path] = cached
            found.extend((path, crl) for crl in cached[1])
        for stale in set(self._cache) - seen:
            del self._cache[stale]
        return found, unreadable

    def check(self, certificate: x509.Certificate, issuer: x509.Certificate, at: datetime) -> RevocationEvidence:
        require_aware(at, "at")
        now = self._clock()
        crls, unreadable = self._load()
        note = f"; unreadable files: {', '.join(unreadable)}" if unreadable else ""
        signed = [(path, crl) for path, crl in crls if _crl_applies(crl, certificate, issuer)]
        if not signed:
            return RevocationEvidence(
                status="unknown", source=f"crl:{self._folder}", checked_at=now,
                detail=f"no complete CRL signed by the issuer's key in the folder{note}",
            )
        usable = [
            (path, crl) for path, crl in signed
            if crl.next_update_utc is not None and crl.next_update_utc >= at and crl.last_update_utc <= now + _SKEW
        ]
        if not usable:
            newest = max(signed, key=lambda item: item[1].last_update_utc)[1]
            return RevocationEvidence(
                status="unknown", source=f"crl:{self._folder}", checked_at=now,
                detail=f"CRL expired: next update {_iso(newest.next_update_utc)} is before the receipt time {_iso(at)}{note}",
            )
        path, crl = max(usable, key=lambda item: item[1].last_update_utc)
        source = f"crl:{path.name}"
        window = f"CRL this update {_iso(crl.last_update_utc)}, next update {_iso(crl.next_update_utc)}"
        entry = crl.get_revoked_certificate_by_serial_number(certificate.serial_number)
        if entry is None:
            return RevocationEvidence(status="good", source=source, checked_at=now, detail=f"not listed; {window}")
        reason = _entry_reason(entry)
        if reason is x509.ReasonFlags.remove_from_crl:
            return RevocationEvidence(status="good", source=source, checked_at=now, detail=f"removed from CRL; {window}")
        revoked_at = entry.revocation_date_utc
        if revoked_at <= at:
            return RevocationEvidence(
                status="revoked", source=source, checked_at=now, reason=_reason_text(reason),
                revoked_at=revoked_at, detail=f"listed as revoked; {window}",
            )
        return RevocationEvidence(
            status="good", source=source, checked_at=now, reason=_reason_text(reason), revoked_at=revoked_at,
            detail=f"revoked only after the receipt time; {window}",
        )


def _parse_crls(data: bytes) -> list[x509.CertificateRevocationList]:
    if _PEM_CRL not in data:
        return [x509.load_der_x509_crl(data)]
    crls = []
    for chunk in data.split(_PEM_CRL)[1:]:
        crls.append(x509.load_pem_x509_crl(_PEM_CRL + chunk))
    return crls


def _entry_reason(entry: x509.RevokedCertificate) -> x509.ReasonFlags | None:
    try:
        return entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    except x509.ExtensionNotFound:
        return None


def _crl_applies(crl: x509.CertificateRevocationList, certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    """A complete, end-entity-scoped CRL from ``issuer``, its signature checked with the issuer's key."""
    if crl.issuer != certificate.issuer:
        return False
    for extension in crl.extensions:
        if extension.critical and extension.oid not in _KNOWN_CRL_EXTENSIONS:
            return False
        if isinstance(extension.value, x509.DeltaCRLIndicator):
            return False
        if isinstance(extension.value, x509.IssuingDistributionPoint):
            scope = extension.value
            if (scope.only_contains_ca_certs or scope.only_contains_attribute_certs
                    or scope.only_some_reasons is not None or scope.indirect_crl):
                return False
        if isinstance(extension.value, x509.AuthorityKeyIdentifier):
            wanted = extension.value.key_identifier
            if wanted is not None and wanted != _key_hash(issuer):
                return False
    try:
        return crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
    except (TypeError, ValueError, UnsupportedAlgorithm):
        return False


def _key_hash(certificate: x509.Certificate) -> bytes:
    try:
        return certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.key_identifier
    except x509.ExtensionNotFound:
        return x509.SubjectKeyIdentifier.from_public_key(certificate.public_key()).key_identifier


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
        require_aware(at, "at")
        builder = ocsp.OCSPRequestBuilder().add_certificate(certificate, issuer, self._hash)
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
        single = _find_single(response, certificate, issuer)
        if single is None:
            return self._unknown("the response does not cover this certificate")
        return self._evidence(single, at)

    def _evidence(self, single: ocsp.OCSPSingleResponse, at: datetime) -> RevocationEvidence:
        now = self._clock()
        this_update, next_update = single.this_update_utc, single.next_update_utc
        window = f"thisUpdate {_iso(this_update)}, nextUpdate {_iso(next_update)}"
        if this_update > now + _SKEW:
            return self._unknown(f"response thisUpdate is in the future; {window}")
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


def _find_single(
    response: ocsp.OCSPResponse, certificate: x509.Certificate, issuer: x509.Certificate
) -> ocsp.OCSPSingleResponse | None:
    for single in response.responses:
        if single.serial_number != certificate.serial_number:
            continue
        expected = ocsp.OCSPRequestBuilder().add_certificate(certificate, issuer, single.hash_algorithm).build()
        if (single.issuer_key_hash == expected.issuer_key_hash
                and single.issuer_name_hash == expected.issuer_name_hash):
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
