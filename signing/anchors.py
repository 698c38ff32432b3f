"""Trust anchors for one purpose: every generation of a root, told apart by key, never by name alone."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes

__all__ = ["TrustAnchors", "key_identifier"]

_PEM_MARKER = b"-----BEGIN CERTIFICATE-----"


def key_identifier(certificate: x509.Certificate) -> bytes:
    """The certificate's subjectKeyIdentifier, or the RFC 5280 method-1 SHA-1 of its key if absent."""
    try:
        return certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.key_identifier
    except x509.ExtensionNotFound:
        return x509.SubjectKeyIdentifier.from_public_key(certificate.public_key()).key_identifier


def _authority_key_identifier(certificate: x509.Certificate) -> bytes | None:
    try:
        aki = certificate.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    except x509.ExtensionNotFound:
        return None
    return aki.key_identifier


class TrustAnchors:
    """A set of trusted root certificates for one purpose (signing or authentication).

    ``allow_test_policy`` marks these anchors as a test deployment's, which lets the verifier
    accept J-LIS's test policy OIDs; production anchors never do.
    """

    def __init__(self, certificates: Iterable[x509.Certificate] = (), *, allow_test_policy: bool = False) -> None:
        unique: dict[bytes, x509.Certificate] = {}
        for certificate in certificates:
            unique.setdefault(certificate.tbs_certificate_bytes + certificate.signature, certificate)
        self._certificates = list(unique.values())
        self._allow_test_policy = allow_test_policy
        # computed once: every verification looks the issuer up among these
        self._key_ids = [key_identifier(anchor) for anchor in self._certificates]
        self._issuing = [_can_issue(anchor) for anchor in self._certificates]
        self._by_fingerprint = {anchor.fingerprint(hashes.SHA256()).hex(): anchor for anchor in self._certificates}

    @classmethod
    def load(cls, folder: str | Path, *, allow_test_policy: bool = False) -> TrustAnchors:
        """Read every PEM certificate of every file in ``folder`` (not recursive; several per file allowed).

        Files without a PEM certificate are skipped; a malformed one raises ``ValueError`` naming the file.
        """
        directory = Path(folder)
        if not directory.is_dir():
            raise ValueError(f"trust anchor folder {directory} does not exist or is not a folder")
        certificates: list[x509.Certificate] = []
        for path in sorted(directory.iterdir()):
            if not path.is_file():
                continue
            data = path.read_bytes()
            if _PEM_MARKER not in data:
                continue
            try:
                certificates.extend(x509.load_pem_x509_certificates(data))
            except ValueError as exc:
                raise ValueError(f"{path}: not a valid PEM certificate file ({exc})") from None
        return cls(certificates, allow_test_policy=allow_test_policy)

    @classmethod
    def empty(cls) -> TrustAnchors:
        """No anchors: every verification answers ``no_trust_anchors``."""
        return cls(())

    @property
    def is_test(self) -> bool:
        """True when these are test anchors (test policy OIDs allowed)."""
        return self._allow_test_policy

    @property
    def allow_test_policy(self) -> bool:
        return self._allow_test_policy

    @property
    def certificates(self) -> list[x509.Certificate]:
        return list(self._certificates)

    def __len__(self) -> int:
        return len(self._certificates)

    def __iter__(self) -> Iterator[x509.Certificate]:
        return iter(self._certificates)

    def candidates(self, certificate: x509.Certificate) -> list[x509.Certificate]:
        """Anchors that may have issued ``certificate``: by AKI = SKI, or by issuer name when it has no AKI."""
        return [self._certificates[index] for index in self._candidate_indexes(certificate)]

    def _candidate_indexes(self, certificate: x509.Certificate) -> list[int]:
        wanted = _authority_key_identifier(certificate)
        if wanted is not None:
            return [index for index, key_id in enumerate(self._key_ids) if key_id == wanted]
        return [index for index, anchor in enumerate(self._certificates) if anchor.subject == certificate.issuer]

    def find_issuer(self, certificate: x509.Certificate) -> x509.Certificate | None:
        """The anchor whose key verifies ``certificate``'s signature (and can issue certificates), if any."""
        for index in self._candidate_indexes(certificate):
            if not self._issuing[index]:
                continue
            anchor = self._certificates[index]
            try:
                certificate.verify_directly_issued_by(anchor)
            except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
                continue
            return anchor
        return None

    def by_fingerprint(self, fingerprint_sha256: str) -> x509.Certificate | None:
        """The anchor whose SHA-256 fingerprint (hex) is given, if configured."""
        return self._by_fingerprint.get(fingerprint_sha256.lower())


def _can_issue(anchor: x509.Certificate) -> bool:
    try:
        if not anchor.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            return False
    except x509.ExtensionNotFound:
        pass
    try:
        return anchor.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    except x509.ExtensionNotFound:
        return True
