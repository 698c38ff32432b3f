"""`jp-phone`: Japanese telephone numbers, validated with phonenumbers' offline metadata, stored as 03-1234-5678."""

from __future__ import annotations

import functools
import re

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from forms_engine.validation.formats.entry import FormatEntry
from forms_engine.validation.formats.normalise import compact_phone

_JAPAN = phonenumbers.country_code_for_region("JP")  # 81
_NATIONAL = re.compile(r"0[0-9]{9,10}")
_COUNTRY_CODE = re.compile(r"^\+81(?:0(?=[1-9]))?")
# Fixed lines, 070/080/090, 050, 0120 and 0800, 0570; not 0990 (premium), 020 (pager) or 060.
_ACCEPTED = frozenset({
    PhoneNumberType.FIXED_LINE,
    PhoneNumberType.MOBILE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE,
    PhoneNumberType.VOIP,
    PhoneNumberType.TOLL_FREE,
    PhoneNumberType.UAN,
})


@functools.lru_cache(maxsize=4096)
def _formatted(cleaned: str) -> str | None:
    """The national format with hyphens of an accepted Japanese number, else None."""
    digits = _COUNTRY_CODE.sub("0", cleaned)
    if not _NATIONAL.fullmatch(digits):
        return None
    try:
        number = phonenumbers.parse(digits, "JP")
    except phonenumbers.NumberParseException:  # 010 is the international prefix: 010-999-… calls no country
        return None
    # is_valid_number_for_region(number, "JP") is this country code and a type other than UNKNOWN (not
    # accepted): number_type alone answers both, without matching the number against JP's patterns twice.
    if number.country_code != _JAPAN or phonenumbers.number_type(number) not in _ACCEPTED:
        return None
    return str(phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL))


def normalise(value: str) -> str:
    """National format with hyphens (03-1234-5678) for a valid number, else the cleaned input."""
    cleaned = compact_phone(value)
    return _formatted(cleaned) or cleaned


def check(value: str) -> bool:
    """True for the stored form only: the national format with hyphens of an accepted number."""
    return _formatted(compact_phone(value)) == value


ENTRY = FormatEntry(
    name="jp-phone",
    check=check,
    normalise=normalise,
    message_ja="{title}は0から始まる10桁または11桁の電話番号で入力してください（例：03-1234-5678、090-1234-5678）",
    message_en="Enter {title} as a Japanese phone number of 10 or 11 digits starting with 0, "
    "for example 03-1234-5678 or 090-1234-5678",
    autocomplete="tel",
    inputmode="tel",
)
