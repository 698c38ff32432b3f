"""`jp-corporate-number`: 13 digits, check digit first."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forms_engine.validation.formats import corporate_number
from forms_engine.validation.formats.checkdigits import corporate_number_check_digit

DIGITS = "0123456789"


@pytest.mark.parametrize("value", ["7000012050002", "4011001098993", "2120901007402"])
def test_spec_examples(value: str) -> None:
    assert corporate_number.check(value)


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("７０００－０１－２０５０００２", "7000012050002"), ("7000 0120 50002", "7000012050002"), ("4011\u2010001\u2212098993", "4011001098993")],
)
def test_normalise(raw: str, stored: str) -> None:
    assert corporate_number.ENTRY.normalise(raw) == stored


@pytest.mark.parametrize("value", ["8000012050002", "0000012050002", "700001205000", "70000120500020", "700001205000a", ""])
def test_invalid(value: str) -> None:
    assert not corporate_number.check(value)


@given(st.text(alphabet=DIGITS, min_size=12, max_size=12))
def test_every_base_with_its_check_digit_passes(base12: str) -> None:
    assert corporate_number.check(str(corporate_number_check_digit(base12)) + base12)


@given(st.text(alphabet=DIGITS, min_size=12, max_size=12), st.integers(0, 12), st.integers(1, 9))
def test_a_single_digit_change_fails_unless_it_swaps_0_and_9(base12: str, position: int, shift: int) -> None:
    valid = str(corporate_number_check_digit(base12)) + base12
    changed_digit = str((int(valid[position]) + shift) % 10)
    changed = valid[:position] + changed_digit + valid[position + 1 :]
    # Weights 1 and 2 modulo 9: a difference of 9 in a base digit does not change the sum.
    swaps_0_and_9 = position > 0 and {valid[position], changed_digit} == {"0", "9"}
    assert corporate_number.check(changed) is swaps_0_and_9


def test_the_documented_blind_spot() -> None:
    assert corporate_number.check("7900012050002")  # 7000012050002 with one 0 turned into 9


def test_entry() -> None:
    entry = corporate_number.ENTRY
    assert (entry.name, entry.inputmode) == ("jp-corporate-number", "numeric")
    assert entry.message_ja.format(title="法人番号").startswith("法人番号は13桁の数字で入力してください")
