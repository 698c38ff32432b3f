"""受付番号: the check digit catches every mistyped digit and every swap of neighbours."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from forms_engine.submissions import receipt_number

numbers = st.builds(lambda _: receipt_number.generate(), st.integers())


def test_shape() -> None:
    number = receipt_number.generate()
    assert re.fullmatch(r"\d{4}-\d{4}-\d{4}", number)
    assert receipt_number.parse(number) == number


def test_parse_accepts_what_people_type() -> None:
    number = receipt_number.generate()
    digits = number.replace("-", "")
    assert receipt_number.parse(digits) == number
    assert receipt_number.parse(digits.translate(str.maketrans("0123456789", "０１２３４５６７８９"))) == number
    assert receipt_number.parse(" " + number.replace("-", "ー") + " ") == number
    assert receipt_number.parse("abc") is None
    assert receipt_number.parse(digits + "1") is None


@given(numbers, st.integers(0, 11), st.integers(1, 9))
def test_every_single_digit_change_is_caught(number: str, position: int, delta: int) -> None:
    digits = list(number.replace("-", ""))
    digits[position] = str((int(digits[position]) + delta) % 10)
    assert receipt_number.parse("".join(digits)) is None


@given(numbers, st.integers(0, 10))
def test_every_swap_of_neighbours_is_caught(number: str, position: int) -> None:
    digits = list(number.replace("-", ""))
    if digits[position] == digits[position + 1]:
        return
    digits[position], digits[position + 1] = digits[position + 1], digits[position]
    assert receipt_number.parse("".join(digits)) is None
