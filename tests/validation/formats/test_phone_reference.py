"""jp-phone asks phonenumbers once for the number's type instead of validating it twice: the same answers
as the full check (is_valid_number_for_region, then number_type) for every kind of Japanese number."""

from __future__ import annotations

import random

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat

from forms_engine.validation.formats import phone


def reference(cleaned: str) -> str | None:
    """jp-phone's formatting as it was: region validity first, then the type."""
    digits = phone._COUNTRY_CODE.sub("0", cleaned)
    if not phone._NATIONAL.fullmatch(digits):
        return None
    try:
        number = phonenumbers.parse(digits, "JP")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number_for_region(number, "JP"):
        return None
    if phonenumbers.number_type(number) not in phone._ACCEPTED:
        return None
    return str(phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL))


def test_every_two_digit_prefix_and_the_international_prefix_agree() -> None:
    rng = random.Random(4)
    numbers = [f"0{a}{b}" + "".join(rng.choice("0123456789") for _ in range(rest))
               for a in range(10) for b in range(10) for rest in (7, 8) for _ in range(12)]
    numbers += ["01012345678", "0101234567", "0120123456", "0570123456", "08001234567", "0990123456", "0201234567",
                "+81312345678", "+810312345678", "0312345678", "09012345678", "05012345678", "0000000000"]
    accepted = 0
    for number in numbers:
        assert phone._formatted.__wrapped__(number) == reference(number), number
        accepted += reference(number) is not None
    assert accepted > 300  # both verdicts are reached, often


@settings(max_examples=400, deadline=None)
@given(st.from_regex(r"(\+81|0)[0-9]{9,10}", fullmatch=True))
def test_random_numbers_agree(number: str) -> None:
    assert phone._formatted.__wrapped__(number) == reference(number)


def test_a_number_after_the_international_prefix_is_a_format_error_not_a_crash() -> None:
    """010 dials abroad; 010-999-… (no country 999) made phonenumbers raise, and the engine with it."""
    assert phone.normalise("０１０－９９９－１２３４５") == "01099912345"
    assert phone.check("01099912345") is False
    assert phone.normalise("+81102100000") == "+81102100000"
