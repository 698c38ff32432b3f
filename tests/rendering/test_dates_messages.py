"""和暦 entry: 「令和7」 in the year box, and no self-contradicting suggestion."""

from __future__ import annotations

from forms_engine.rendering.dates import join_date, wareki_problem


def test_era_typed_into_the_year_box_is_understood() -> None:
    assert join_date("令和7", "4", "1", era="") == "2025-04-01"
    assert join_date("平成元", "1", "8", era="") == "1989-01-08"


def test_the_suggestion_is_another_date_or_nothing() -> None:
    assert wareki_problem("平成31-05-01") == "平成31年5月1日は存在しません（令和元年5月1日）"
    assert wareki_problem("令和7-01-01") is None
