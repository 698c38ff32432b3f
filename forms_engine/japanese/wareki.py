"""和暦 (Japanese era) dates: pure functions, no dependencies beyond the standard library.

The era table is the one of shared/spec/japanese-data.md, first and last days inclusive. The first
year of an era is written 元年. Dates before 明治 (1868-01-25) have no 和暦 here and raise
``ValueError`` (``display_date`` falls back to the Western calendar).

How dates are shown to residents and staff (docs/adr/0004-dates-on-pages-and-receipts.md):

- a calendar date (an answer of a ``date`` or ``wareki-date`` field, the expected end of 標準処理期間):
  ``display_date``, 「令和7年（2025年）4月1日」, the 和暦 with the Western year beside it;
- a moment (受付日時, a deadline): ``format_jst``, 「令和7年4月1日 14時05分（JST）」.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import NamedTuple

__all__ = [
    "ERAS", "JST", "Era", "display_date", "display_iso_date", "era_year", "format_jst", "to_wareki",
    "to_wareki_with_western",
]

_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
JST = timezone(timedelta(hours=9), "JST")
"""Japan Standard Time. Japan has no daylight saving time, so a fixed offset is exact."""


class Era(NamedTuple):
    name: str
    first_day: date
    last_day: date | None  # None: the current era


ERAS: tuple[Era, ...] = (
    Era("令和", date(2019, 5, 1), None),
    Era("平成", date(1989, 1, 8), date(2019, 4, 30)),
    Era("昭和", date(1926, 12, 25), date(1989, 1, 7)),
    Era("大正", date(1912, 7, 30), date(1926, 12, 24)),
    Era("明治", date(1868, 1, 25), date(1912, 7, 29)),
)
"""Newest first."""


def _as_date(day: date) -> date:
    if isinstance(day, datetime):
        raise TypeError("to_wareki takes a calendar date; for a moment in time use format_jst")
    if not isinstance(day, date):
        raise TypeError(f"expected datetime.date, got {type(day).__name__}")
    return day


def era_year(day: date) -> tuple[str, int]:
    """The era and the year within it, e.g. ``("令和", 7)`` for 2025-04-01."""
    day = _as_date(day)
    for era in ERAS:
        if era.first_day <= day and (era.last_day is None or day <= era.last_day):
            return era.name, day.year - era.first_day.year + 1
    raise ValueError(f"{day.isoformat()} is before 明治 (1868-01-25): no 和暦 for it")


def _year_text(year: int) -> str:
    return "元" if year == 1 else str(year)


def to_wareki(day: date) -> str:
    """「令和7年4月1日」; the first year of an era is 「令和元年5月1日」."""
    name, year = era_year(day)
    return f"{name}{_year_text(year)}年{day.month}月{day.day}日"


def to_wareki_with_western(day: date) -> str:
    """「昭和60年（1985年）4月1日」: the 和暦 year with the Western year beside it."""
    name, year = era_year(day)
    return f"{name}{_year_text(year)}年（{day.year}年）{day.month}月{day.day}日"


def display_date(day: date) -> str:
    """A calendar date as pages and receipts show it: 「令和7年（2025年）4月1日」; before 明治, when there is
    no 和暦, the Western calendar alone: 「1867年12月31日」."""
    try:
        return to_wareki_with_western(day)
    except ValueError:
        return f"{day.year}年{day.month}月{day.day}日"


def display_iso_date(value: str) -> str:
    """A stored ``YYYY-MM-DD`` answer as ``display_date`` shows it; anything else as it is."""
    match = _ISO_DATE.fullmatch(value.strip())
    if match is None:
        return value
    try:
        day = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return value
    return display_date(day)


def format_jst(moment: datetime) -> str:
    """An aware moment in Japan time: 「令和7年4月1日 14時05分（JST）」."""
    if not isinstance(moment, datetime):
        raise TypeError(f"expected datetime.datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("format_jst needs an aware datetime (UTC as stored), not a naive one")
    local = moment.astimezone(JST)
    return f"{to_wareki(local.date())} {local.hour}時{local.minute:02d}分（JST）"
