"""Revocation checkers: none (an honest "not checked"), a folder of CRLs, several sources in order;
the OCSP checker is in :mod:`signing.ocsp` (re-exported here).

Every checker answers a :class:`RevocationEvidence`; an unusable source gives ``unknown``, never an
exception, so the verifier can answer ``indeterminate``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm

from signing._keys import require_aware
from signing._time import SKEW as _SKEW
from signing._time import Clock
from signing._time import iso as _iso
from signing._time import reason_text as _reason_text
from signing._time import utcnow as _utcnow
from signing.ocsp import OcspChecker, Transport, urllib_transport
from signing.protocols import RevocationEvidence, RevocationStatus, SerialRevocationChecker

__all__ = ["CrlFolderChecker", "FirstDecisive", "NotChecked", "OcspChecker", "Transport", "urllib_transport"]

_PEM_CRL = b"-----BEGIN X509 CRL-----"
_KNOWN_CRL_EXTENSIONS = {
    x509.CRLNumber.oid,
    x509.AuthorityKeyIdentifier.oid,
    x509.IssuingDistributionPoint.oid,
    x509.IssuerAlternativeName.oid,
    x509.AuthorityInformationAccess.oid,
}


class NotChecked:
    """No revocation source: every certificate is ``not_checked`` (the verifier answers indeterminate)."""

    def __init__(self, *, clock: Clock = _utcnow) -> None:
        self._clock = clock

    def check(self, certificate: x509.Certificate, issuer: x509.Certificate, at: datetime) -> RevocationEvidence:
        return self._answer()

    def check_serial(self, serial_number: int, issuer: x509.Certificate, at: datetime, *,
                     issued_after: datetime | None = None) -> RevocationEvidence:
        return self._answer()

    def _answer(self) -> RevocationEvidence:
        return RevocationEvidence(
            status="not_checked", source="none", checked_at=self._clock(),
            detail="no revocation source is configured",
        )


class CrlFolderChecker:
    """CRLs (DER or PEM, any file name) in a folder, re-read when a file changes.

    A CRL counts only if it is signed by the certificate's issuer (the anchor found by key), is a
    complete CRL for end-entity certificates, and its nextUpdate is not before the receipt time.
    Whether a CRL is the issuer's (names, scope, signature) is decided once per file version and issuer.
    """

    def __init__(self, folder: str | Path, *, clock: Clock = _utcnow) -> None:
        self._folder = Path(folder)
        self._clock = clock
        self._cache: dict[Path, _CachedFile] = {}
        self._lock = threading.Lock()

    def _usable_for(self, issuer: x509.Certificate) -> tuple[list[tuple[Path, x509.CertificateRevocationList]], list[str]]:
        """The folder's CRLs that are complete, end-entity CRLs signed by ``issuer``; and the unreadable files."""
        with self._lock:
            files, unreadable = self._load_locked()
            found: list[tuple[Path, x509.CertificateRevocationList]] = []
            for path, cached in files:
                applies = cached.applies.get(issuer)
                if applies is None:
                    applies = [_crl_applies(crl, issuer) for crl in cached.crls]
                    cached.applies[issuer] = applies
                found.extend((path, crl) for crl, ok in zip(cached.crls, applies, strict=True) if ok)
            return found, unreadable

    def _load_locked(self) -> tuple[list[tuple[Path, _CachedFile]], list[str]]:
        found: list[tuple[Path, _CachedFile]] = []
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
            if cached is None or cached.stamp != stamp:
                try:
                    cached = _CachedFile(stamp, _parse_crls(path.read_bytes()))
                except (ValueError, OSError):
                    unreadable.append(path.name)
                    continue
                self._cache[path] = cached
            found.append((path, cached))
        for stale in set(self._cache) - seen:
            del self._cache[stale]
        return found, unreadable

    def check(self, certificate: x509.Certificate, issuer: x509.Certificate, at: datetime) -> RevocationEvidence:
        if certificate.issuer != issuer.subject:
            return RevocationEvidence(status="unknown", source=f"crl:{self._folder}", checked_at=self._clock(),
                                      detail="the certificate's issuer name is not the issuer's subject")
        return self.check_serial(certificate.serial_number, issuer, at)

    def check_serial(self, serial_number: int, issuer: x509.Certificate, at: datetime, *,
                     issued_after: datetime | None = None) -> RevocationEvidence:
        """The status of the certificate ``serial_number`` of ``issuer`` at ``at``.

        ``issued_after`` (a later re-check) also requires a CRL issued at or after that moment, so a
        revocation between the last CRL and the receipt time cannot be missed.
        """
        require_aware(at, "at")
        now = self._clock()
        signed, unreadable = self._usable_for(issuer)
        note = f"; unreadable files: {', '.join(unreadable)}" if unreadable else ""
        if not signed:
            return RevocationEvidence(
                status="unknown", source=f"crl:{self._folder}", checked_at=now,
                detail=f"no complete CRL signed by the issuer's key in the folder{note}",
            )
        usable = [
            (path, crl) for path, crl in signed
            if crl.next_update_utc is not None and crl.next_update_utc >= at and crl.last_update_utc <= now + _SKEW
            and (issued_after is None or crl.last_update_utc >= issued_after)
        ]
        if not usable:
            newest = max(signed, key=lambda item: item[1].last_update_utc)[1]
            if issued_after is not None and newest.last_update_utc < issued_after:
                detail = (f"no CRL issued after {_iso(issued_after)} yet: the newest was issued "
                          f"{_iso(newest.last_update_utc)}{note}")
            else:
                detail = (f"CRL expired: next update {_iso(newest.next_update_utc)} is before the receipt time "
                          f"{_iso(at)}{note}")
            return RevocationEvidence(status="unknown", source=f"crl:{self._folder}", checked_at=now, detail=detail)
        path, crl = max(usable, key=lambda item: item[1].last_update_utc)
        source = f"crl:{path.name}"
        window = f"CRL this update {_iso(crl.last_update_utc)}, next update {_iso(crl.next_update_utc)}"
        entry = crl.get_revoked_certificate_by_serial_number(serial_number)
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


@dataclass
class _CachedFile:
    """One CRL file as last read, and which issuers each of its CRLs belongs to."""

    stamp: tuple[int, int]
    crls: list[x509.CertificateRevocationList]
    applies: dict[x509.Certificate, list[bool]] = field(default_factory=dict)


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


def _crl_applies(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    """A complete, end-entity-scoped CRL from ``issuer``, its signature checked with the issuer's key."""
    if crl.issuer != issuer.subject:
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


class FirstDecisive:
    """Several sources in order (e.g. an OCSP responder, then a CRL folder): the first ``good`` or
    ``revoked`` answer counts; when none is decisive the answer is ``unknown`` naming every source
    (``not_checked`` only when every source says so)."""

    def __init__(self, checkers: Sequence[SerialRevocationChecker], *, clock: Clock = _utcnow) -> None:
        if not checkers:
            raise ValueError("FirstDecisive needs at least one revocation checker")
        self.checkers = list(checkers)
        self._clock = clock

    def check(self, certificate: x509.Certificate, issuer: x509.Certificate, at: datetime) -> RevocationEvidence:
        return self._first(lambda checker: checker.check(certificate, issuer, at))

    def check_serial(self, serial_number: int, issuer: x509.Certificate, at: datetime, *,
                     issued_after: datetime | None = None) -> RevocationEvidence:
        return self._first(lambda checker: checker.check_serial(serial_number, issuer, at, issued_after=issued_after))

    def _first(self, ask: Callable[[SerialRevocationChecker], RevocationEvidence]) -> RevocationEvidence:
        answers: list[RevocationEvidence] = []
        for checker in self.checkers:
            evidence = ask(checker)
            if evidence.status in ("good", "revoked"):
                return evidence
            answers.append(evidence)
        status: RevocationStatus = "not_checked" if all(a.status == "not_checked" for a in answers) else "unknown"
        return RevocationEvidence(
            status=status, source=" + ".join(a.source for a in answers), checked_at=self._clock(),
            detail="; ".join(f"{a.source}: {a.status} ({a.detail})" for a in answers),
        )
