"""Trust anchors: every PEM certificate of a folder, several generations under one DN."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization

from signing import TrustAnchors

PEM = serialization.Encoding.PEM


def test_load_folder_with_generations_and_bundles(pki, tmp_path):
    (tmp_path / "gen1.pem").write_bytes(pki.root1.cert.public_bytes(PEM))
    (tmp_path / "bundle.crt").write_bytes(pki.root2.cert.public_bytes(PEM) + pki.root1.cert.public_bytes(PEM))
    (tmp_path / "README.txt").write_text("anchors for signing")
    (tmp_path / "sub").mkdir()
    anchors = TrustAnchors.load(tmp_path)
    assert len(anchors) == 2  # the duplicate root1 is kept once
    assert {c.subject for c in anchors} == {pki.root1.cert.subject}
    assert not anchors.is_test
    assert TrustAnchors.load(tmp_path, allow_test_policy=True).is_test


def test_issuer_is_found_by_key_not_by_name(pki):
    anchors = pki.sign_anchors()
    assert anchors.find_issuer(pki.certs["gen1"]) == pki.root1.cert
    assert anchors.find_issuer(pki.certs["valid"]) == pki.root2.cert
    # same DN and a copied AKI, but signed by another key
    assert anchors.candidates(pki.certs["forged"]) == [pki.root2.cert]
    assert anchors.find_issuer(pki.certs["forged"]) is None


def test_empty(pki):
    anchors = TrustAnchors.empty()
    assert len(anchors) == 0 and anchors.find_issuer(pki.certs["valid"]) is None


def test_malformed_pem_and_missing_folder_are_refused(tmp_path):
    (tmp_path / "bad.pem").write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    with pytest.raises(ValueError, match=r"bad\.pem"):
        TrustAnchors.load(tmp_path)
    with pytest.raises(ValueError, match="does not exist"):
        TrustAnchors.load(tmp_path / "missing")
