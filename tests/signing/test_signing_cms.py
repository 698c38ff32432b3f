"""Detached CMS SignedData: one signer, SHA-256, messageDigest, the signature over the SET OF attributes."""

from __future__ import annotations

import hashlib

import pytest
from asn1crypto import cms as asn1_cms
from asn1crypto import core as asn1_core
from asn1crypto import x509 as asn1_x509
from jpki_testkit import NOW, der, make_cms

from signing.cms import CmsError, parse_detached


def verify(pki, tmp_path, payload, cms, certificate=None):
    return pki.verifier(tmp_path).verify(payload, "cms-detached", cms, certificate, NOW)


def signer(pki, name="valid"):
    return (pki.certs[name], pki.keys[name])


def test_valid_cms_takes_the_certificate_from_the_cms(pki, payload, tmp_path):
    result = verify(pki, tmp_path, payload, make_cms(payload, [signer(pki)]))
    assert (result.status, result.failure) == ("valid", None), result.checks
    assert result.certificate is not None
    assert result.certificate.serial == format(pki.certs["valid"].serial_number, "x")


def test_valid_cms_with_the_certificate_given_separately(pki, payload, tmp_path):
    cms = make_cms(payload, [signer(pki)], include_certificates=False)
    assert verify(pki, tmp_path, payload, cms, der(pki.certs["valid"])).status == "valid"


def test_cms_without_certificate_anywhere_is_bad_format(pki, payload, tmp_path):
    cms = make_cms(payload, [signer(pki)], include_certificates=False)
    assert verify(pki, tmp_path, payload, cms).failure == "bad_format"


def test_signer_identified_by_subject_key_identifier(pki, payload, tmp_path):
    cms = make_cms(payload, [signer(pki)], sid="subject_key_identifier")
    assert verify(pki, tmp_path, payload, cms).status == "valid"


def test_two_signers_are_refused(pki, payload, tmp_path):
    cms = make_cms(payload, [signer(pki), signer(pki, "gen1")])
    result = verify(pki, tmp_path, payload, cms, der(pki.certs["valid"]))
    assert (result.status, result.failure) == ("invalid", "cms_multiple_signers")


def test_message_digest_mismatch(pki, payload, tmp_path):
    cms = make_cms(payload, [signer(pki)], digest=hashlib.sha256(b"another payload").digest())
    result = verify(pki, tmp_path, payload, cms)
    assert (result.status, result.failure) == ("invalid", "message_digest_mismatch")


def test_tampered_payload_fails_on_the_message_digest(pki, payload, tmp_path):
    cms = make_cms(payload, [signer(pki)])
    result = verify(pki, tmp_path, payload + b" ", cms)
    assert (result.status, result.failure) == ("invalid", "message_digest_mismatch")


def test_signature_over_the_tagged_attributes_is_refused(pki, payload, tmp_path):
    # the classic pitfall on the signer's side: the RSA signature must cover the SET OF (0x31) encoding
    cms = make_cms(payload, [signer(pki)], sign_tagged=True)
    result = verify(pki, tmp_path, payload, cms)
    assert (result.status, result.failure) == ("invalid", "signature_mismatch")


def test_signature_by_another_key_is_refused(pki, payload, tmp_path):
    cms = make_cms(payload, [(pki.certs["valid"], pki.keys["gen1"])])
    assert verify(pki, tmp_path, payload, cms).failure == "signature_mismatch"


def test_signer_identifier_must_name_the_given_certificate(pki, payload, tmp_path):
    cms = make_cms(payload, [signer(pki, "gen1")])
    result = verify(pki, tmp_path, payload, cms, der(pki.certs["valid"]))
    assert (result.status, result.failure) == ("invalid", "signer_mismatch")


def test_without_signed_attributes_is_refused(pki, payload, tmp_path):
    cms = make_cms(payload, [signer(pki)], signed_attributes=False)
    assert verify(pki, tmp_path, payload, cms).failure == "bad_format"


def test_content_type_attribute_must_be_data(pki, payload, tmp_path):
    cms = make_cms(payload, [signer(pki)], content_type="signed_data")
    assert verify(pki, tmp_path, payload, cms).failure == "cms_content_type"


def test_sha1_digest_is_refused(pki, payload, tmp_path):
    cms = make_cms(payload, [signer(pki)], digest_algorithm="sha1")
    assert verify(pki, tmp_path, payload, cms).failure == "unsupported_algorithm"


def test_attached_content_is_refused(pki, payload, tmp_path):
    cms = make_cms(payload, [signer(pki)], attach=True)
    assert verify(pki, tmp_path, payload, cms).failure == "bad_format"


def test_cms_certificate_goes_through_every_other_check(pki, payload, tmp_path):
    cms = make_cms(payload, [signer(pki, "revoked")])
    assert verify(pki, tmp_path, payload, cms).failure == "revoked"
    cms = make_cms(payload, [signer(pki, "forged")])
    assert verify(pki, tmp_path, payload, cms).failure == "untrusted_chain"


@pytest.mark.parametrize("garbage", [b"", b"\x30\x80\x00\x00", b"\x04\x03abc", b"\x30\x03\x02\x01\x01junk"])
def test_parse_refuses_garbage(garbage):
    with pytest.raises(CmsError) as caught:
        parse_detached(garbage)
    assert caught.value.code == "bad_format"


def test_parse_refuses_non_der_lengths(pki, payload):
    cms = make_cms(payload, [signer(pki)])
    # re-encode the outer SEQUENCE length in long form (valid BER, not DER)
    assert cms[1] == 0x82
    body = cms[4:]
    ber = b"\x30\x83" + len(body).to_bytes(3, "big") + body
    with pytest.raises(CmsError, match="not DER"):
        parse_detached(ber)


def _with_sid_issuer(cms_der, transform):
    """The CMS with its signer identifier's issuer name rewritten value by value (the signature does not cover it)."""
    info = asn1_cms.ContentInfo.load(cms_der)
    signer = info["content"]["signer_infos"][0]
    issuer = signer["sid"].chosen["issuer"]
    def rewritten(value):
        if isinstance(value, asn1_core.Choice):
            return type(value)(name=value.name, value=transform(value.native))
        return type(value)(transform(value.native))

    rdns = [asn1_x509.RelativeDistinguishedName([
        asn1_x509.NameTypeAndValue({"type": ava["type"].native, "value": rewritten(ava["value"])})
        for ava in rdn]) for rdn in issuer.chosen]
    signer["sid"] = asn1_cms.SignerIdentifier({"issuer_and_serial_number": asn1_cms.IssuerAndSerialNumber({
        "issuer": asn1_x509.Name(name="", value=asn1_x509.RDNSequence(rdns)),
        "serial_number": signer["sid"].chosen["serial_number"].native})})
    return info.dump(force=True)


def test_signer_identifier_names_are_matched_as_rfc_5280_says(pki, payload, tmp_path):
    # another signer may re-encode the issuer name; caseIgnoreMatch still finds the certificate
    cms = _with_sid_issuer(make_cms(payload, [signer(pki)]), str.lower)
    assert verify(pki, tmp_path, payload, cms).status == "valid"
    other = _with_sid_issuer(make_cms(payload, [signer(pki)]), lambda value: value + " X")
    assert verify(pki, tmp_path, payload, other, der(pki.certs["valid"])).failure == "signer_mismatch"


def test_parse_refuses_an_embedded_certificate_that_is_not_der(pki, payload):
    cert = der(pki.certs["valid"])
    assert cert[1] == 0x82
    ber_cert = b"\x30\x83\x00" + cert[2:]  # the certificate's length in long form with a leading zero
    cms = make_cms(payload, [signer(pki)])
    with pytest.raises(CmsError) as caught:
        parse_detached(_grow_lengths(cms, cert, ber_cert))
    assert caught.value.code == "bad_format"


def test_parse_refuses_certificates_out_of_der_set_order(pki, payload):
    cms = make_cms(payload, [signer(pki), signer(pki, "gen1")])
    first, second = sorted([der(pki.certs["valid"]), der(pki.certs["gen1"])])
    assert first + second in cms
    swapped = cms.replace(first + second, second + first)
    with pytest.raises(CmsError, match="not DER"):
        parse_detached(swapped)


def _grow_lengths(cms_der, old, new):
    """Rebuild the CMS around one replaced certificate, with DER lengths everywhere else (asn1crypto keeps the
    replaced certificate's bytes as they are)."""
    info = asn1_cms.ContentInfo.load(cms_der)
    signed = info["content"]
    signed["certificates"] = asn1_cms.CertificateSet([
        asn1_cms.CertificateChoices(name="certificate", value=asn1_x509.Certificate.load(
            new if choice.chosen.dump() == old else choice.chosen.dump()))
        for choice in signed["certificates"]])
    rebuilt = info.dump(force=False)
    assert new in rebuilt
    return rebuilt
