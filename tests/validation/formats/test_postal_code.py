"""`jp-postal-code`."""

from __future__ import annotations

import pytest

from forms_engine.validation.formats import postal_code


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("100-0001", "100-0001"),
        ("1000001", "100-0001"),
        ("１００－０００１", "100-0001"),
        ("１０００００１", "100-0001"),
        ("100\u20100001", "100-0001"),
        ("100\u22120001", "100-0001"),
        ("100\u20150001", "100-0001"),
        ("100ー0001", "100-0001"),
        ("100ｰ0001", "100-0001"),
        (" 100 0001 ", "100-0001"),
        ("〒100-0013", "100-0013"),
        ("〒〒 100-0013", "100-0013"),
    ],
)
def test_valid_codes_are_stored_as_3_hyphen_4(raw: str, stored: str) -> None:
    assert postal_code.normalise(raw) == stored
    assert postal_code.check(stored)


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [("100-000", "100000"), ("100-00011", "10000011"), ("１００－０００Ａ", "100000A"), ("", ""), ("abc", "abc")],
)
def test_anything_else_is_cleaned_and_fails(raw: str, cleaned: str) -> None:
    assert postal_code.normalise(raw) == cleaned
    assert not postal_code.check(cleaned)


@pytest.mark.parametrize("value", ["1000001", "100-00011", "10-00001", "１００-０００１", "٣٠٠-٠٠٠١"])
def test_check_wants_the_stored_form(value: str) -> None:
    assert not postal_code.check(value)


def test_entry() -> None:
    entry = postal_code.ENTRY
    assert entry.name == "jp-postal-code"
    assert (entry.autocomplete, entry.inputmode) == ("postal-code", "numeric")
    assert entry.message_ja.format(title="郵便番号") == "郵便番号は7桁の数字で入力してください（例：100-0013）"


def test_normalise_is_idempotent_on_postal_marks() -> None:
    assert postal_code.normalise("〒〒") == ""
    assert postal_code.normalise(postal_code.normalise("〒〒")) == ""
