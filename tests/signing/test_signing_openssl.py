"""An independent signer: signatures made by the OpenSSL command line verify as valid."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from jpki_testkit import NOW, der

OPENSSL = shutil.which("openssl")
pytestmark = pytest.mark.skipif(
    OPENSSL is None,
    reason="!!! the openssl command line is NOT installed: the independent-signer tests did NOT run !!!",
)


@pytest.fixture
def files(pki, payload, tmp_path):
    private = pki.keys["valid"].private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption())
    (tmp_path / "key.pem").write_bytes(private)
    (tmp_path / "cert.pem").write_bytes(pki.certs["valid"].public_bytes(serialization.Encoding.PEM))
    (tmp_path / "payload.json").write_bytes(payload)
    return tmp_path


def run(*args: str) -> None:
    assert OPENSSL is not None
    subprocess.run([OPENSSL, *args], check=True, capture_output=True, timeout=60)


def test_openssl_dgst_signature_is_valid(pki, payload, files, tmp_path):
    run("dgst", "-sha256", "-sign", str(files / "key.pem"), "-out", str(files / "sig.bin"),
        str(files / "payload.json"))
    signature = (files / "sig.bin").read_bytes()
    result = pki.verifier(tmp_path).verify(payload, "raw-pkcs1v15", signature, der(pki.certs["valid"]), NOW)
    assert (result.status, result.failure) == ("valid", None), result.checks


@pytest.mark.parametrize("extra", [[], ["-keyid"]], ids=["issuer-serial", "subject-key-id"])
def test_openssl_cms_detached_signature_is_valid(pki, payload, files, tmp_path, extra):
    run("cms", "-sign", "-binary", "-nosmimecap", "-md", "sha256", *extra, "-in", str(files / "payload.json"),
        "-signer", str(files / "cert.pem"), "-inkey", str(files / "key.pem"), "-outform", "DER",
        "-out", str(files / "sig.p7s"))
    signature = (files / "sig.p7s").read_bytes()
    verifier = pki.verifier(tmp_path)
    result = verifier.verify(payload, "cms-detached", signature, None, NOW)
    assert (result.status, result.failure) == ("valid", None), result.checks
    # openssl adds a signingTime attribute: it is ignored, never trusted
    assert "signing time ignored" in next(c for c in result.checks if c.name == "signature").detail
    with_cert = verifier.verify(payload, "cms-detached", signature, der(pki.certs["valid"]), NOW)
    assert with_cert.status == "valid"
    tampered = verifier.verify(payload + b"\n", "cms-detached", signature, None, NOW)
    assert tampered.failure == "message_digest_mismatch"


def test_openssl_signature_over_the_hash_is_invalid(pki, payload, files, tmp_path):
    run("dgst", "-sha256", "-binary", "-out", str(files / "hash.bin"), str(files / "payload.json"))
    run("dgst", "-sha256", "-sign", str(files / "key.pem"), "-out", str(files / "sig.bin"), str(files / "hash.bin"))
    signature = (files / "sig.bin").read_bytes()
    result = pki.verifier(tmp_path).verify(payload, "raw-pkcs1v15", signature, der(pki.certs["valid"]), NOW)
    assert (result.status, result.failure) == ("invalid", "signature_mismatch")
