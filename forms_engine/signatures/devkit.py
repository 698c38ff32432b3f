"""A TEST signing identity for trying signed procedures without a マイナンバーカード (`forms-engine dev-sign
--make-identity DIR`): a test CA, a JPKI-shaped signing certificate under it with fictional 基本4情報, its
PKCS#12 file, the CA as a PEM trust anchor and an empty CRL.

Everything is labelled TEST, and the certificate carries J-LIS's *test-environment* policy OID only, so the
engine accepts it only where the operator points ``FORMS_ENGINE_JPKI_SIGN_ANCHORS`` at this anchors folder
**and** sets ``FORMS_ENGINE_JPKI_ALLOW_TEST_POLICY=1``. Never do either in production.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import core  # type: ignore[import-untyped]
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from signing.holder import HOLDER_FIELD_OIDS
from signing.jpki import SIGN_TEST_POLICY

__all__ = ["DEFAULT_HOLDER", "DevIdentity", "make_identity"]

DEFAULT_HOLDER: dict[str, str] = {  # a fictional resident
    "name": "試験 花子",
    "sex": "2",
    "birth_date": "419900101",  # EYYYYMMDD: era digit 4 (平成), then 1990-01-01
    "address": "東京都千代田区試験町一丁目1番1号",
}
_ALTERNATIVE_POSITIONS = ("1.2.392.200149.8.5.5.2", "1.2.392.200149.8.5.5.6")  # 代替文字位置: none
_README = """THIS IS A TEST IDENTITY. It is not a My Number Card and proves nobody's identity.

  identity.p12   the TEST signing key and certificate (fictional holder {name})
  anchors/       the TEST CA as a PEM trust anchor
  crl/           an empty CRL of the TEST CA (revocation then reads "good")

Try a signed procedure locally (never in production):

  FORMS_ENGINE_JPKI_SIGN_ANCHORS={anchors} FORMS_ENGINE_JPKI_ALLOW_TEST_POLICY=1 \\
  FORMS_ENGINE_CRL_DIR={crl} scripts/serve

then, with the signing code the 「署名の手順」 page shows:

  .venv/bin/forms-engine dev-sign SIGNING-CODE --identity {identity}
"""


@dataclass(frozen=True)
class DevIdentity:
    """Where `make_identity` wrote the files."""

    folder: Path
    identity: Path
    anchors: Path
    crl_dir: Path
    certificate: x509.Certificate


def _name(common_name: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "forms-engine TEST (not JPKI)"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "TEST only: never trust in production"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def _usage(*, signer: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=signer, content_commitment=signer, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=not signer,
                         crl_sign=not signer, encipher_only=False, decipher_only=False)


def make_identity(folder: Path, password: bytes | None = None, holder: dict[str, str] | None = None,
                  now: datetime | None = None) -> DevIdentity:
    """Write a TEST CA and signing identity into ``folder`` (created; refused if it already has an identity).

    ``password`` encrypts the PKCS#12 file (none: unencrypted, it is a test key). ``holder`` overrides the
    fictional 基本4情報 (keys ``name``, ``sex``, ``birth_date`` as ``EYYYYMMDD``, ``address``).
    """
    identity_path = folder / "identity.p12"
    if identity_path.exists():
        raise FileExistsError(f"{identity_path} already exists: choose an empty folder")
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    facts = {**DEFAULT_HOLDER, **(holder or {})}
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = _name("forms-engine TEST signing CA")
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(_usage(signer=False), critical=True)
          .add_extension(ca_ski, critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    serial = x509.random_serial_number()
    others = [x509.OtherName(x509.ObjectIdentifier(HOLDER_FIELD_OIDS[field]), core.UTF8String(value).dump())
              for field, value in facts.items()]
    others += [x509.OtherName(x509.ObjectIdentifier(oid), core.UTF8String("").dump()) for oid in _ALTERNATIVE_POSITIONS]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                                 x509.NameAttribute(NameOID.COMMON_NAME, f"TEST SIGNER {serial:x}"[:64])]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(serial)
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=5 * 365))
        .add_extension(_usage(signer=True), critical=True)
        .add_extension(x509.CertificatePolicies([x509.PolicyInformation(x509.ObjectIdentifier(SIGN_TEST_POLICY),
                                                                        None)]), critical=True)
        .add_extension(x509.SubjectAlternativeName(others), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier(ca_ski.digest, None, None), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256()))
    crl = (x509.CertificateRevocationListBuilder().issuer_name(ca_name)
           .last_update(now - timedelta(hours=1)).next_update(now + timedelta(days=365))
           .add_extension(x509.AuthorityKeyIdentifier(ca_ski.digest, None, None), critical=False)
           .add_extension(x509.CRLNumber(1), critical=False)
           .sign(ca_key, hashes.SHA256()))
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption())
    bundle = pkcs12.serialize_key_and_certificates(b"forms-engine TEST signer", key, certificate, [ca], encryption)
    anchors, crl_dir = folder / "anchors", folder / "crl"
    anchors.mkdir(parents=True, exist_ok=True)
    crl_dir.mkdir(exist_ok=True)
    (anchors / "forms-engine-test-ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (crl_dir / "forms-engine-test-ca.crl").write_bytes(crl.public_bytes(serialization.Encoding.DER))
    identity_path.write_bytes(bundle)
    identity_path.chmod(0o600)
    (folder / "README.txt").write_text(_README.format(name=facts["name"], anchors=anchors.resolve(),
                                                      crl=crl_dir.resolve(), identity=identity_path.resolve()),
                                       encoding="utf-8")
    return DevIdentity(folder, identity_path, anchors, crl_dir, certificate)
