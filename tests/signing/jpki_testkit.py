"""A JPKI-like test PKI built with ``cryptography``: deliberately NOT named JPKI, test policy OIDs only.

It mimics the profile (RSA-2048 roots issuing end entities directly, several root generations with
one DN, critical keyUsage and certificatePolicies, 基本4情報 in SAN otherNames) so the verifier is
exercised on the real shapes, and it can never pass as the real thing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from asn1crypto import algos, cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from signing import CrlFolderChecker, JpkiVerifier, NotChecked, TrustAnchors, canonical_payload

NOW = datetime.now(UTC).replace(microsecond=0)
DAY = timedelta(days=1)
YEAR = timedelta(days=365)
TEST_SIGN_POLICY = "1.2.392.200149.8.5.1.0.20"
AUTH_POLICY = "1.2.392.200149.8.5.1.3.30"
HOLDER = {  # fictional resident
    "1.2.392.200149.8.5.5.1": "試験 花子",
    "1.2.392.200149.8.5.5.2": "",
    "1.2.392.200149.8.5.5.3": "2",
    "1.2.392.200149.8.5.5.4": "419900101",
    "1.2.392.200149.8.5.5.5": "東京都千代田区試験町一丁目1番1号",
    "1.2.392.200149.8.5.5.6": "",
}
SIGN_KU = {"digital_signature": True, "content_commitment": True}
AUTH_KU = {"digital_signature": True, "content_commitment": False}

_KEYS: dict[tuple[str, int], rsa.RSAPrivateKey] = {}


def key(label: str, bits: int = 2048) -> rsa.RSAPrivateKey:
    """One RSA key per label for the whole session (key generation is the slow part)."""
    if (label, bits) not in _KEYS:
        _KEYS[label, bits] = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return _KEYS[label, bits]


def root_name(ou: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Forms Engine Test PKI"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Forms Engine Test Authority (not JPKI)"),
    ])


@dataclass
class Issuer:
    """A root (or rogue look-alike) able to issue certificates, CRLs and OCSP answers."""

    cert: x509.Certificate
    key: rsa.RSAPrivateKey

    @property
    def ski(self) -> bytes:
        return self.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.key_identifier


def make_root(label: str, name: x509.Name, not_before: datetime, not_after: datetime) -> Issuer:
    private = key(label)
    ski = x509.SubjectKeyIdentifier.from_public_key(private.public_key())
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(ski, critical=False)
        .sign(private, hashes.SHA256())
    )
    return Issuer(cert, private)


def make_ee(
    issuer: Issuer,
    label: str,
    *,
    bits: int = 2048,
    not_before: datetime = NOW - 30 * DAY,
    not_after: datetime = NOW + 5 * YEAR,
    ku: dict[str, bool] = SIGN_KU,
    policies: Sequence[str] = (TEST_SIGN_POLICY,),
    holder: dict[str, str] | None = None,
    aki: bytes | None = None,
    extra: Sequence[tuple[x509.ExtensionType, bool]] = (),
    hash_algorithm: hashes.HashAlgorithm | None = None,
) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """An end-entity certificate issued directly by ``issuer`` (JPKI-like profile by default)."""
    private = key(label, bits)
    usage = x509.KeyUsage(digital_signature=ku["digital_signature"], content_commitment=ku["content_commitment"],
                          key_encipherment=False, data_encipherment=False, key_agreement=False,
                          key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False)
    subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                         x509.NameAttribute(NameOID.COMMON_NAME, f"TEST{label.upper()}0001")])
    builder = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(issuer.cert.subject)
        .public_key(private.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(usage, critical=True)
        .add_extension(x509.CertificatePolicies([x509.PolicyInformation(x509.ObjectIdentifier(p), None)
                                                 for p in policies]), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier(aki or issuer.ski, None, None), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(private.public_key()), critical=False)
    )
    if holder:
        others = [x509.OtherName(x509.ObjectIdentifier(oid), core.UTF8String(value).dump())
                  for oid, value in holder.items()]
        builder = builder.add_extension(x509.SubjectAlternativeName(others), critical=False)
    for extension, critical in extra:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(issuer.key, hash_algorithm or hashes.SHA256()), private


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def raw_sign(private: rsa.RSAPrivateKey, data: bytes) -> bytes:
    """A card-style signature: RSASSA-PKCS1-v1_5 over SHA-256(data)."""
    return private.sign(data, padding.PKCS1v15(), hashes.SHA256())


def make_crl(issuer: Issuer, revoked: Sequence[tuple[int, datetime, x509.ReasonFlags | None]] = (), *,
             last_update: datetime = NOW - DAY, next_update: datetime = NOW + DAY) -> x509.CertificateRevocationList:
    builder = (x509.CertificateRevocationListBuilder().issuer_name(issuer.cert.subject)
               .last_update(last_update).next_update(next_update)
               .add_extension(x509.AuthorityKeyIdentifier(issuer.ski, None, None), critical=False)
               .add_extension(x509.CRLNumber(1), critical=False))
    for serial, when, reason in revoked:
        entry = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when)
        if reason is not None:
            entry = entry.add_extension(x509.CRLReason(reason), critical=False)
        builder = builder.add_revoked_certificate(entry.build())
    return builder.sign(issuer.key, hashes.SHA256())


def make_cms(payload: bytes, signers: Sequence[tuple[x509.Certificate, rsa.RSAPrivateKey]], *,
             digest: bytes | None = None, content_type: str = "data", digest_algorithm: str = "sha256",
             signed_attributes: bool = True, sign_tagged: bool = False, sid: str = "issuer_and_serial_number",
             attach: bool = False, include_certificates: bool = True) -> bytes:
    """A detached CMS SignedData built by hand with asn1crypto (knobs to break it in every classic way)."""
    infos = []
    for cert, private in signers:
        acert = asn1_x509.Certificate.load(der(cert))
        if sid == "subject_key_identifier":
            identifier = cms.SignerIdentifier({"subject_key_identifier": acert.key_identifier})
        else:
            identifier = cms.SignerIdentifier({"issuer_and_serial_number": cms.IssuerAndSerialNumber(
                {"issuer": acert.issuer, "serial_number": acert.serial_number})})
        info: dict[str, Any] = {
            "version": "v3" if sid == "subject_key_identifier" else "v1", "sid": identifier,
            "digest_algorithm": algos.DigestAlgorithm({"algorithm": digest_algorithm}),
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "rsassa_pkcs1v15"}),
        }
        if signed_attributes:
            value = digest if digest is not None else hashlib.new(digest_algorithm, payload).digest()
            attrs = cms.CMSAttributes([
                cms.CMSAttribute({"type": "content_type", "values": [content_type]}),
                cms.CMSAttribute({"type": "message_digest", "values": [value]}),
            ])
            to_sign = attrs.dump()
            if sign_tagged:  # the classic pitfall: signing the [0]-tagged bytes instead of the SET OF
                to_sign = b"\xa0" + to_sign[1:]
            info["signed_attrs"] = attrs
        else:
            to_sign = payload
        info["signature"] = private.sign(to_sign, padding.PKCS1v15(), hashes.SHA256())
        infos.append(cms.SignerInfo(info))
    encapsulated: dict[str, Any] = {"content_type": "data"}
    if attach:
        encapsulated["content"] = payload
    signed = cms.SignedData({
        "version": "v1",
        "digest_algorithms": [algos.DigestAlgorithm({"algorithm": digest_algorithm})],
        "encap_content_info": encapsulated,
        "certificates": [asn1_x509.Certificate.load(der(c)) for c, _ in signers] if include_certificates else [],
        "signer_infos": infos,
    })
    return bytes(cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump())


@dataclass
class OcspResponder:
    """Serves OCSP answers through the injectable transport (no network)."""

    issuer: Issuer
    signer: Issuer  # the issuer itself or a delegated responder
    status: dict[int, tuple[ocsp.OCSPCertStatus, datetime | None, x509.ReasonFlags | None]] = field(default_factory=dict)
    this_update: datetime = NOW - timedelta(hours=1)
    next_update: datetime | None = NOW + DAY
    echo_nonce: bool = True
    wrong_nonce: bool = False
    include_signer: bool = True
    requests: list[bytes] = field(default_factory=list)
    certs: dict[int, x509.Certificate] = field(default_factory=dict)

    def transport(self, url: str, request_der: bytes) -> bytes:
        self.requests.append(request_der)
        request = ocsp.load_der_ocsp_request(request_der)
        cert = self.certs[request.serial_number]
        state, when, reason = self.status.get(request.serial_number, (ocsp.OCSPCertStatus.GOOD, None, None))
        builder = ocsp.OCSPResponseBuilder().add_response(
            cert=cert, issuer=self.issuer.cert, algorithm=request.hash_algorithm, cert_status=state,
            this_update=self.this_update, next_update=self.next_update, revocation_time=when,
            revocation_reason=reason,
        ).responder_id(ocsp.OCSPResponderEncoding.HASH, self.signer.cert)
        if self.include_signer and self.signer is not self.issuer:
            builder = builder.certificates([self.signer.cert])
        if self.echo_nonce:
            try:
                nonce = request.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
            except x509.ExtensionNotFound:
                nonce = None
            if nonce is not None:
                builder = builder.add_extension(x509.OCSPNonce(b"x" * 16 if self.wrong_nonce else nonce), False)
        return builder.sign(self.signer.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


@dataclass
class Pki:
    """Everything the tests need, built once per session."""

    root1: Issuer  # older generation of the signing root
    root2: Issuer  # newer generation, same DN, other key
    auth_root: Issuer
    rogue: Issuer  # same DN as the signing roots, not trusted
    certs: dict[str, x509.Certificate]
    keys: dict[str, rsa.RSAPrivateKey]

    def sign_anchors(self, allow_test_policy: bool = True) -> TrustAnchors:
        return TrustAnchors([self.root1.cert, self.root2.cert], allow_test_policy=allow_test_policy)

    def auth_anchors(self) -> TrustAnchors:
        return TrustAnchors([self.auth_root.cert], allow_test_policy=True)

    def crl_folder(self, folder: Path, *crls: x509.CertificateRevocationList, pem: bool = False) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        encoding = serialization.Encoding.PEM if pem else serialization.Encoding.DER
        for index, crl in enumerate(crls):
            (folder / f"crl{index}.{'pem' if pem else 'crl'}").write_bytes(crl.public_bytes(encoding))
        return folder

    def standard_crl(self, issuer: Issuer | None = None, **kwargs: Any) -> x509.CertificateRevocationList:
        """root2's CRL listing the ``revoked`` certificate (affiliationChanged, ten days ago)."""
        revoked = [(self.certs["revoked"].serial_number, NOW - 10 * DAY, x509.ReasonFlags.affiliation_changed),
                   (self.certs["revoked_later"].serial_number, NOW + DAY, x509.ReasonFlags.key_compromise)]
        return make_crl(issuer or self.root2, revoked, **kwargs)

    def auth_crl(self, **kwargs: Any) -> x509.CertificateRevocationList:
        """The authentication root's CRL listing ``auth_revoked`` (keyCompromise: a lost card, ten days ago)."""
        revoked = [(self.certs["auth_revoked"].serial_number, NOW - 10 * DAY, x509.ReasonFlags.key_compromise)]
        return make_crl(self.auth_root, revoked, **kwargs)

    def verifier(self, tmp_path: Path, **kwargs: Any) -> JpkiVerifier:
        """A signing verifier whose CRL folder holds root1's and root2's current CRLs."""
        folder = self.crl_folder(tmp_path / "crl", self.standard_crl(), make_crl(self.root1))
        return JpkiVerifier(self.sign_anchors(**kwargs), CrlFolderChecker(folder), purpose="sign")

    def unchecked(self) -> JpkiVerifier:
        return JpkiVerifier(self.sign_anchors(), NotChecked())

    def responder(self, delegated: bool = False, **kwargs: Any) -> OcspResponder:
        signer = self.ocsp_delegate if delegated else self.root2
        return OcspResponder(issuer=self.root2, signer=signer, certs=dict(self.by_serial), **kwargs)

    @property
    def by_serial(self) -> dict[int, x509.Certificate]:
        return {cert.serial_number: cert for cert in self.certs.values()}

    @property
    def ocsp_delegate(self) -> Issuer:
        return Issuer(self.certs["ocsp_responder"], self.keys["ocsp_responder"])


def _build() -> Pki:
    sign_dn = root_name("Test PKI for digital signature")
    root1 = make_root("root1", sign_dn, NOW - 10 * YEAR, NOW + 5 * YEAR)
    root2 = make_root("root2", sign_dn, NOW - 2 * YEAR, NOW + 10 * YEAR)
    auth_root = make_root("auth_root", root_name("Test PKI for user authentication"), NOW - 2 * YEAR, NOW + 10 * YEAR)
    rogue = make_root("rogue", sign_dn, NOW - YEAR, NOW + 10 * YEAR)
    made: dict[str, tuple[x509.Certificate, rsa.RSAPrivateKey]] = {
        "valid": make_ee(root2, "valid", holder=HOLDER),
        "gen1": make_ee(root1, "gen1", not_before=NOW - 3 * YEAR),
        "expired": make_ee(root1, "expired", not_before=NOW - 6 * YEAR, not_after=NOW - YEAR),
        "not_yet_valid": make_ee(root2, "not_yet_valid", not_before=NOW + DAY),
        "revoked": make_ee(root2, "revoked", holder=HOLDER),
        "revoked_later": make_ee(root2, "revoked_later"),
        "wrong_policy": make_ee(root2, "wrong_policy", policies=("1.2.392.200149.8.5.1.9.99",)),
        "no_nonrepudiation": make_ee(root2, "no_nonrepudiation", ku=AUTH_KU),
        "rsa1024": make_ee(root2, "rsa1024", bits=1024),
        "critical_unknown": make_ee(root2, "critical_unknown", extra=[(x509.UnrecognizedExtension(
            x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x05\x00"), True)]),
        "sha384": make_ee(root2, "sha384", hash_algorithm=hashes.SHA384()),
        "forged": make_ee(rogue, "forged", aki=root2.ski, holder=HOLDER),
        "auth": make_ee(auth_root, "auth", ku=AUTH_KU, policies=(AUTH_POLICY,)),
        # a second resident, the first one's renewed card, an expired card, an auth CA cert with another policy
        "auth_other": make_ee(auth_root, "auth_other", ku=AUTH_KU, policies=(AUTH_POLICY,)),
        "auth_renewed": make_ee(auth_root, "auth_renewed", ku=AUTH_KU, policies=(AUTH_POLICY,)),
        "auth_expired": make_ee(auth_root, "auth_expired", ku=AUTH_KU, policies=(AUTH_POLICY,),
                                not_before=NOW - 6 * YEAR, not_after=NOW - YEAR),
        "auth_wrong_policy": make_ee(auth_root, "auth_wrong_policy", ku=AUTH_KU,
                                     policies=("1.2.392.200149.8.5.1.9.99",)),
        "auth_revoked": make_ee(auth_root, "auth_revoked", ku=AUTH_KU, policies=(AUTH_POLICY,)),
        "sign_under_auth_root": make_ee(auth_root, "sign_under_auth_root"),
        "ocsp_responder": make_ee(root2, "ocsp_responder", ku=AUTH_KU, policies=(TEST_SIGN_POLICY,), extra=[(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), False)]),
        "not_a_responder": make_ee(root2, "not_a_responder", ku=AUTH_KU),
    }
    return Pki(root1=root1, root2=root2, auth_root=auth_root, rogue=rogue,
               certs={k: v[0] for k, v in made.items()}, keys={k: v[1] for k, v in made.items()})


def build_pki() -> Pki:
    """The whole test PKI (about twenty RSA keys; build it once per session)."""
    return _build()


def canonical_envelope(**answers: Any) -> bytes:
    """The exact bytes of a typical signature envelope."""
    return canonical_payload({
        "type": "signature-envelope", "version": 1,
        "procedure": {"id": "juminhyo-request", "version": "1", "definition_sha256": "0" * 64},
        "submission": "sub-1", "answers": answers or {"name": "試験 花子", "copies": 2},
        "attachments": [{"name": "id.pdf", "media_type": "application/pdf", "size": 123, "sha256": "1" * 64}],
        "challenge": {"nonce": "bm9uY2U", "issued_at": "2026-05-01T00:00:00Z", "audience": "https://forms.example"},
    })
