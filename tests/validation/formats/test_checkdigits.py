"""Check digits of the マイナンバー and the 法人番号, against the spec's examples and algorithm."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forms_engine.validation.formats.checkdigits import corporate_number_check_digit, my_number_check_digit


def test_my_number_spec_example() -> None:
    assert my_number_check_digit("12345678901") == 8


@pytest.mark.parametrize(
    ("first11", "expected"),
    [
        ("00000000000", 0),  # r = 0
        ("00000000003", 5),  # r = 3·2 = 6 → 11 − 6
        ("00000100000", 4),  # 6th from the left has weight 7: r = 7 → 4
        ("00000060000", 8),  # 7th from the left has weight 6: r = 36 ≡ 3 → 8
        ("10000000000", 5),  # weight 6 from the left: r = 6 → 5
        ("00000000005", 1),  # r = 10 → 1
        ("00000000006", 0),  # r = 12 ≡ 1 → 0
    ],
)
def test_my_number_weights(first11: str, expected: int) -> None:
    assert my_number_check_digit(first11) == expected


def test_corporate_number_spec_examples() -> None:
    assert corporate_number_check_digit("000012050002") == 7
    assert corporate_number_check_digit("011001098993") == 4
    assert corporate_number_check_digit("120901007402") == 2


def test_corporate_number_weights_alternate_from_the_right() -> None:
    assert corporate_number_check_digit("000000000001") == 8  # weight 1 → 9 − 1
    assert corporate_number_check_digit("000000000010") == 7  # weight 2 → 9 − 2
    assert corporate_number_check_digit("000000000000") == 9  # never 0


@pytest.mark.parametrize("bad", ["", "1234567890", "123456789012", "1234567890a", "１２３４５６７８９０１"])
def test_my_number_check_digit_rejects_anything_but_11_ascii_digits(bad: str) -> None:
    with pytest.raises(ValueError):
        my_number_check_digit(bad)


@pytest.mark.parametrize("bad", ["", "12345678901", "1234567890123", "12345678901x"])
def test_corporate_number_check_digit_rejects_anything_but_12_ascii_digits(bad: str) -> None:
    with pytest.raises(ValueError):
        corporate_number_check_digit(bad)


@given(st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_my_number_check_digit_follows_the_spec_formula(first11: str) -> None:
    r = sum(int(d) * w for d, w in zip(first11, (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2), strict=True)) % 11
    assert my_number_check_digit(first11) == (0 if r <= 1 else 11 - r)


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_corporate_number_check_digit_is_1_to_9(base12: str) -> None:
    assert 1 <= corporate_number_check_digit(base12) <= 9
