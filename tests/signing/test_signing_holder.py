"""holder_fields reads only the asked 基本4情報 from the SAN otherNames, and logs nothing."""

from __future__ import annotations

import logging
import shutil
import subprocess

import pytest
from asn1crypto import core
from cryptography import x509
from jpki_testkit import HOLDER, der, make_ee

from signing import holder_fields


def test_reads_only_the_asked_fields(pki):
    assert holder_fields(der(pki.certs["valid"]), ["name"]) == {"name": "試験 花子"}
    assert holder_fields(der(pki.certs["valid"]), ["birth_date", "sex"]) == {"birth_date": "1990-01-01", "sex": "2"}
    assert holder_fields(der(pki.certs["valid"]), []) == {}


def test_reads_all_four(pki):
    assert holder_fields(der(pki.certs["valid"]), ["name", "address", "birth_date", "sex"]) == {
        "name": "試験 花子",
        "address": "東京都千代田区試験町一丁目1番1号",
        "birth_date": "1990-01-01",
        "sex": "2",
    }


def test_absent_fields_are_none(pki):
    assert holder_fields(der(pki.certs["auth"]), ["name", "address"]) == {"name": None, "address": None}


def test_unknown_field_is_refused(pki):
    with pytest.raises(ValueError, match="unknown holder field"):
        holder_fields(der(pki.certs["valid"]), ["name", "my_number"])


@pytest.mark.parametrize(
    ("oid", "value", "field"),
    [
        ("1.2.392.200149.8.5.5.4", "19900101", "birth_date"),
        ("1.2.392.200149.8.5.5.4", "419901301", "birth_date"),
        ("1.2.392.200149.8.5.5.3", "3", "sex"),
    ],
)
def test_malformed_values_are_refused_without_echoing_them(pki, oid, value, field):
    cert, _ = make_ee(pki.root2, "holder_bad", holder={**HOLDER, oid: value})
    with pytest.raises(ValueError) as caught:
        holder_fields(der(cert), [field])
    assert value not in str(caught.value)


def test_non_string_value_is_refused(pki):
    san = x509.SubjectAlternativeName([x509.OtherName(x509.ObjectIdentifier("1.2.392.200149.8.5.5.1"),
                                                      core.Integer(5).dump())])
    cert, _ = make_ee(pki.root2, "holder_int", extra=[(san, False)])
    with pytest.raises(ValueError, match="not a character string"):
        holder_fields(der(cert), ["name"])


def test_nothing_is_logged(pki, caplog):
    with caplog.at_level(logging.DEBUG):
        holder_fields(der(pki.certs["valid"]), ["name", "address", "birth_date", "sex"])
    assert caplog.records == []


@pytest.mark.skipif(shutil.which("openssl") is None,
                    reason="!!! the openssl command line is NOT installed: the OpenSSL-made SAN test did NOT run !!!")
def test_reads_a_san_written_by_openssl(tmp_path):
    (tmp_path / "san.cnf").write_text(
        "[req]\ndistinguished_name = dn\nprompt = no\nx509_extensions = ext\nstring_mask = utf8only\nutf8 = yes\n"
        "[dn]\nCN = TEST0001\n[ext]\nsubjectAltName = @san\n[san]\n"
        "otherName.1 = 1.2.392.200149.8.5.5.1;FORMAT:UTF8,UTF8:山田太郎\n"
        "otherName.2 = 1.2.392.200149.8.5.5.4;FORMAT:UTF8,UTF8:319800229\n"
        "otherName.3 = 1.2.392.200149.8.5.5.3;FORMAT:UTF8,UTF8:1\n", encoding="utf-8")
    subprocess.run(["openssl", "req", "-x509", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(tmp_path / "key.pem"), "-config", str(tmp_path / "san.cnf"), "-days", "1",
                    "-outform", "DER", "-out", str(tmp_path / "cert.der")], check=True, capture_output=True, timeout=60)
    fields = holder_fields((tmp_path / "cert.der").read_bytes(), ["name", "birth_date", "sex", "address"])
    assert fields == {"name": "山田太郎", "birth_date": "1980-02-29", "sex": "1", "address": None}
