"""和暦: every era boundary of shared/spec/japanese-data.md, 元年, JST formatting, and how dates are displayed
(docs/adr/0004-dates-on-pages-and-receipts.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from itertools import pairwise

import pytest

from forms_engine.japanese.wareki import (
    ERAS,
    display_date,
    display_iso_date,
    era_year,
    format_jst,
    to_wareki,
    to_wareki_with_western,
)

BOUNDARIES = [
    # (last day of the older era, its text, first day of the newer era, its text)
    (date(1912, 7, 29), "明治45年7月29日", date(1912, 7, 30), "大正元年7月30日"),
    (date(1926, 12, 24), "大正15年12月24日", date(1926, 12, 25), "昭和元年12月25日"),
    (date(1989, 1, 7), "昭和64年1月7日", date(1989, 1, 8), "平成元年1月8日"),
    (date(2019, 4, 30), "平成31年4月30日", date(2019, 5, 1), "令和元年5月1日"),
]


@pytest.mark.parametrize(("last", "last_text", "first", "first_text"), BOUNDARIES)
def test_era_boundaries_are_inclusive(last: date, last_text: str, first: date, first_text: str) -> None:
    assert first - last == timedelta(days=1)
    assert to_wareki(last) == last_text
    assert to_wareki(first) == first_text


def test_first_day_of_meiji_and_before() -> None:
    assert to_wareki(date(1868, 1, 25)) == "明治元年1月25日"
    with pytest.raises(ValueError, match="明治"):
        to_wareki(date(1868, 1, 24))


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (date(2025, 4, 1), "令和7年4月1日"),
        (date(2020, 1, 1), "令和2年1月1日"),
        (date(2019, 12, 31), "令和元年12月31日"),
        (date(1989, 12, 31), "平成元年12月31日"),
        (date(1990, 1, 1), "平成2年1月1日"),
        (date(1985, 4, 1), "昭和60年4月1日"),
        (date(1927, 1, 1), "昭和2年1月1日"),
        (date(1912, 12, 31), "大正元年12月31日"),
        (date(1900, 2, 28), "明治33年2月28日"),
    ],
)
def test_to_wareki(day: date, text: str) -> None:
    assert to_wareki(day) == text


def test_era_year_and_table_order() -> None:
    assert era_year(date(2025, 4, 1)) == ("令和", 7)
    assert [era.name for era in ERAS] == ["令和", "平成", "昭和", "大正", "明治"]
    for newer, older in pairwise(ERAS):
        assert older.last_day is not None
        assert newer.first_day - older.last_day == timedelta(days=1)


def test_with_western_year() -> None:
    assert to_wareki_with_western(date(1985, 4, 1)) == "昭和60年（1985年）4月1日"
    assert to_wareki_with_western(date(2019, 5, 1)) == "令和元年（2019年）5月1日"


def test_to_wareki_refuses_a_datetime() -> None:
    with pytest.raises(TypeError, match="format_jst"):
        to_wareki(datetime(2025, 4, 1, tzinfo=UTC))


def test_format_jst() -> None:
    assert format_jst(datetime(2025, 4, 1, 5, 5, tzinfo=UTC)) == "令和7年4月1日 14時05分（JST）"
    # 15:00 UTC is already the next day in Japan.
    assert format_jst(datetime(2019, 4, 30, 15, 0, tzinfo=UTC)) == "令和元年5月1日 0時00分（JST）"
    assert format_jst(datetime(2019, 4, 30, 14, 59, tzinfo=UTC)) == "平成31年4月30日 23時59分（JST）"
    other = timezone(timedelta(hours=-5))
    assert format_jst(datetime(2025, 3, 31, 20, 30, tzinfo=other)) == "令和7年4月1日 10時30分（JST）"


def test_format_jst_refuses_naive() -> None:
    with pytest.raises(ValueError, match="aware"):
        format_jst(datetime(2025, 4, 1, 5, 5))


@pytest.mark.parametrize(("day", "text"), [
    (date(2025, 4, 1), "令和7年（2025年）4月1日"),
    (date(2019, 5, 1), "令和元年（2019年）5月1日"),
    (date(2019, 4, 30), "平成31年（2019年）4月30日"),
    (date(1985, 4, 1), "昭和60年（1985年）4月1日"),
    (date(1868, 1, 25), "明治元年（1868年）1月25日"),
    (date(1868, 1, 24), "1868年1月24日"),  # before 明治: no 和暦, the Western calendar alone
    (date(1, 1, 1), "1年1月1日"),
])
def test_display_date(day: date, text: str) -> None:
    assert display_date(day) == text


@pytest.mark.parametrize(("value", "text"), [
    ("2025-04-01", "令和7年（2025年）4月1日"),
    (" 2016-01-07 ", "平成28年（2016年）1月7日"),
    ("2025-02-30", "2025-02-30"),  # not a date: shown as stored
    ("令和7-04-01", "令和7-04-01"),
    ("2025/04/01", "2025/04/01"),
    ("", ""),
])
def test_display_iso_date(value: str, text: str) -> None:
    assert display_iso_date(value) == text
