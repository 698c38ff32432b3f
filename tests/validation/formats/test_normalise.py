"""Shared normalisers: hyphen look-alikes, spaces, brackets; idempotent and total."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forms_engine.validation.formats.normalise import HYPHEN_LOOKALIKES, compact, compact_phone, nfkc

NOISY_TEXT = st.one_of(
    st.text(),
    st.text(alphabet="0123456789０１２３４５６７８９-‐‑‒–—―−－ー─━ｰ()（） 　\t\n+〒@ａアあｱﾞ\u3099\u0301e¨"),
)


@pytest.mark.parametrize("hyphen", list(HYPHEN_LOOKALIKES))
def test_compact_deletes_each_hyphen_lookalike(hyphen: str) -> None:
    assert compact(f"100{hyphen}0001") == "1000001"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("１００－０００１", "1000001"),
        ("100\u20100001", "1000001"),  # HYPHEN
        ("100\u22120001", "1000001"),  # MINUS SIGN
        ("100\u20150001", "1000001"),  # HORIZONTAL BAR
        ("100ー0001", "1000001"),  # KATAKANA-HIRAGANA PROLONGED SOUND MARK
        ("100ｰ0001", "1000001"),  # HALFWIDTH PROLONGED SOUND MARK
        ("  1234 5678\u30009018\n", "123456789018"),
        ("(03)1234", "(03)1234"),  # brackets stay outside phone numbers
    ],
)
def test_compact(raw: str, expected: str) -> None:
    assert compact(raw) == expected


def test_compact_phone_also_deletes_brackets() -> None:
    assert compact_phone("０３（１２３４）５６７８") == "0312345678"
    assert compact_phone("(03) 1234-5678") == "0312345678"


def test_nfkc_strips_and_widens() -> None:
    assert nfkc("\u3000ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ ") == "taro@example.jp"


def test_deleting_a_hyphen_recomposes_a_combining_mark() -> None:
    assert compact("e-\u0301") == "é"


@pytest.mark.parametrize("normaliser", [nfkc, compact, compact_phone])
@given(NOISY_TEXT)
def test_normalisers_are_idempotent(normaliser: object, value: str) -> None:
    assert callable(normaliser)
    once = normaliser(value)
    assert isinstance(once, str)
    assert normaliser(once) == once
