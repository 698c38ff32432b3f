"""Reading the 基本4情報 from a JPKI signing certificate, only the fields a procedure asks for.

Nothing here logs, and no error message carries a value read from the certificate.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from asn1crypto import core  # type: ignore[import-untyped]
from cryptography import x509

__all__ = ["HOLDER_FIELD_OIDS", "holder_fields"]

#: subjectAltName otherName OIDs of the four facts (1.2.392.200149.8.5.5.x).
HOLDER_FIELD_OIDS: dict[str, str] = {
    "name": "1.2.392.200149.8.5.5.1",
    "sex": "1.2.392.200149.8.5.5.3",
    "birth_date": "1.2.392.200149.8.5.5.4",
    "address": "1.2.392.200149.8.5.5.5",
}
_SEX_CODES = frozenset({"1", "2", "9"})
_STRING_TYPES = (core.UTF8String, core.PrintableString, core.IA5String)


def holder_fields(cert_der: bytes, fields: Iterable[str]) -> dict[str, str | None]:
    """Return ``{field: value}`` for the asked fields only (``name``, ``address``, ``birth_date``, ``sex``).

    ``birth_date`` comes back as ``YYYY-MM-DD`` (the era digit dropped), ``sex`` as its code
    ``"1"``, ``"2"`` or ``"9"``. A field absent from the certificate gives ``None``. Raises
    ``ValueError`` for an unknown field name, a malformed value, or a field present twice.
    """
    wanted = list(dict.fromkeys(fields))
    unknown = [name for name in wanted if name not in HOLDER_FIELD_OIDS]
    if unknown:
        raise ValueError(f"unknown holder field(s): {', '.join(unknown)}")
    if not wanted:
        return {}
    certificate = x509.load_der_x509_certificate(cert_der)
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        others = san.get_values_for_type(x509.OtherName)
    except x509.ExtensionNotFound:
        others = []
    result: dict[str, str | None] = {}
    for name in wanted:
        oid = HOLDER_FIELD_OIDS[name]
        values = [other.value for other in others if other.type_id.dotted_string == oid]
        if len(values) > 1:
            raise ValueError(f"holder field {name} appears more than once")
        result[name] = _convert(name, _decode_string(name, values[0])) if values else None
    return result


def _decode_string(name: str, encoded: bytes) -> str:
    try:
        value = core.load(encoded, strict=True)
    except (ValueError, TypeError):
        raise ValueError(f"holder field {name} is not valid DER") from None
    if not isinstance(value, _STRING_TYPES):
        raise ValueError(f"holder field {name} is not a character string")
    text = value.native
    if not isinstance(text, str):
        raise ValueError(f"holder field {name} is not a character string")
    return text


def _convert(name: str, text: str) -> str:
    if name == "birth_date":
        if len(text) != 9 or not text.isascii() or not text.isdigit():
            raise ValueError("holder field birth_date is not in the form EYYYYMMDD")
        try:
            born = date(int(text[1:5]), int(text[5:7]), int(text[7:9]))
        except ValueError:
            raise ValueError("holder field birth_date is not a calendar date") from None
        return born.isoformat()
    if name == "sex" and text not in _SEX_CODES:
        raise ValueError("holder field sex is not one of 1, 2, 9")
    return text
