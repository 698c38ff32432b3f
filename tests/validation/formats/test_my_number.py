"""`jp-my-number`: 12 digits, check digit last."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forms_engine.validation.formats import my_number
from forms_engine.validation.formats.checkdigits import my_number_check_digit

DIGITS = "0123456789"


def _remainder(first11: str) -> int:
    return sum(int(d) * w for d, w in zip(first11, (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2), strict=True)) % 11


@pytest.mark.parametrize(
    "raw",
    ["123456789018", "1234 5678 9018", "1234-5678-9018", "１２３４５６７８９０１８", "1234\u20105678\u22129018", "1234ー5678ｰ9018"],
)
def test_spec_example_in_any_spelling(raw: str) -> None:
    assert my_number.ENTRY.normalise(raw) == "123456789018"
    assert my_number.check("123456789018")


@pytest.mark.parametrize("value", ["123456789010", "12345678901", "1234567890180", "12345678901a", "１２３４５６７８９０１８", ""])
def test_invalid(value: str) -> None:
    assert not my_number.check(value)


@given(st.text(alphabet=DIGITS, min_size=11, max_size=11))
def test_every_base_with_its_check_digit_passes(first11: str) -> None:
    assert my_number.check(first11 + str(my_number_check_digit(first11)))


@given(st.text(alphabet=DIGITS, min_size=11, max_size=11), st.integers(0, 11), st.integers(1, 9))
def test_a_single_digit_change_fails_unless_the_remainder_moves_between_0_and_1(
    first11: str, position: int, shift: int
) -> None:
    valid = first11 + str(my_number_check_digit(first11))
    changed_digit = str((int(valid[position]) + shift) % 10)
    changed = valid[:position] + changed_digit + valid[position + 1 :]
    # The spec maps both r = 0 and r = 1 to check digit 0, so such a pair cannot be told apart.
    collides = position < 11 and {_remainder(first11), _remainder(changed[:11])} == {0, 1}
    assert my_number.check(changed) is collides


def test_the_documented_blind_spot() -> None:
    assert my_number.check("623456789010")
    assert my_number.check("823456789010")  # one digit away, same check digit


def test_entry() -> None:
    entry = my_number.ENTRY
    assert (entry.name, entry.inputmode, entry.autocomplete) == ("jp-my-number", "numeric", None)
    assert entry.message_ja.format(title="個人番号").startswith("個人番号は12桁の数字で入力してください")
