"""`jp-phone`: phonenumbers' offline metadata, national format with hyphens."""

from __future__ import annotations

import pytest

from forms_engine.validation.formats import phone


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("03-1234-5678", "03-1234-5678"),
        ("0312345678", "03-1234-5678"),
        ("０３（１２３４）５６７８", "03-1234-5678"),
        ("(03) 1234-5678", "03-1234-5678"),
        ("03\u20101234\u22125678", "03-1234-5678"),
        ("03\u20151234ー5678", "03-1234-5678"),
        ("03ｰ1234ｰ5678", "03-1234-5678"),
        ("06-6123-4567", "06-6123-4567"),
        ("0123-45-6789", "0123-45-6789"),
        ("09012345678", "090-1234-5678"),
        ("080 1234 5678", "080-1234-5678"),
        ("070-1234-5678", "070-1234-5678"),
        ("05012345678", "050-1234-5678"),
        ("0120444444", "0120-444-444"),
        ("0120-444-444", "0120-444-444"),
        ("0570064000", "0570-064-000"),
        ("0800-123-4567", "0800-123-4567"),
        ("+81 3-1234-5678", "03-1234-5678"),
        ("+81 (0)90-1234-5678", "090-1234-5678"),
        ("＋８１９０１２３４５６７８", "090-1234-5678"),
    ],
)
def test_valid_numbers_are_stored_in_national_format(raw: str, stored: str) -> None:
    assert phone.normalise(raw) == stored
    assert phone.check(stored)


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("03-1234-567", "031234567"),  # too short
        ("090-1234-56789", "090123456789"),  # too long
        ("312345678", "312345678"),  # no leading 0
        ("0000000000", "0000000000"),
        ("0800-123-456", "0800123456"),  # 0800 numbers have 11 digits
        ("0990-123-456", "0990123456"),  # premium rate: not a contact number
        ("020-1234-5678", "02012345678"),  # pager / M2M
        ("+1 650-253-0000", "+16502530000"),  # not Japanese
        ("03-1234-5678 内線12", "0312345678内線12"),  # extensions do not belong in the field
        ("電話番号", "電話番号"),
        ("", ""),
    ],
)
def test_invalid_numbers_are_cleaned_and_fail(raw: str, cleaned: str) -> None:
    assert phone.normalise(raw) == cleaned
    assert not phone.check(cleaned)


@pytest.mark.parametrize("value", ["0312345678", "03-12-345678", "03 1234 5678", "(03)1234-5678", "０３-１２３４-５６７８"])
def test_check_wants_the_stored_form(value: str) -> None:
    assert not phone.check(value)


def test_entry() -> None:
    entry = phone.ENTRY
    assert entry.name == "jp-phone"
    assert (entry.autocomplete, entry.inputmode) == ("tel", "tel")
    assert "03-1234-5678" in entry.message_ja.format(title="電話番号")
