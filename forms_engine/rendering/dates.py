"""Dates on forms: 年/月/日 inputs to `YYYY-MM-DD` and back, 和暦 entry, and 開庁日 for 標準処理期間."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

import jpholiday

from forms_engine.receipts.wareki import ERAS, era_year

ERA_NAMES = tuple(e.name for e in ERAS)
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_KEPT = re.compile(r"^(" + "|".join(ERA_NAMES) + r")?([^-]*)-([^-]*)-(.*)$")


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _two(text: str) -> str:
    return text.zfill(2) if re.fullmatch(r"\d{1,2}", text) else text


def _real(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def join_date(year: str, month: str, day: str, era: str | None = None) -> str | None:
    """The parts as typed -> `YYYY-MM-DD`; None when all are empty.

    What cannot be a date is kept recognisably (`2025-02-30`, `令和1-13-01`) so that `format: date`
    refuses it and the page shows the parts again as the resident typed them.
    """
    y, m, d = _clean(year).removesuffix("年"), _clean(month).removesuffix("月"), _clean(day).removesuffix("日")
    era = _clean(era or "")
    if not (y or m or d):
        return None
    if not era:  # 「令和7」 typed into the year box without choosing the era
        era = next((name for name in ERA_NAMES if y.startswith(name)), "")
        y = y.removeprefix(era)
    if era in ERA_NAMES:
        n = 1 if y == "元" else int(y) if y.isdigit() else None
        found = next(e for e in ERAS if e.name == era)
        if n is not None and n >= 1 and m.isdigit() and d.isdigit():
            day_ = _real(found.first_day.year + n - 1, int(m), int(d))
            if day_ is not None and found.first_day <= day_ and (found.last_day is None or day_ <= found.last_day):
                return day_.isoformat()
        return f"{era}{y}-{_two(m)}-{_two(d)}"
    return f"{y}-{_two(m)}-{_two(d)}"


def split_date(value: object, *, wareki: bool = False) -> dict[str, str]:
    """A stored or kept value -> the parts to show in the inputs."""
    if not isinstance(value, str) or not value:
        return {"era": "", "year": "", "month": "", "day": ""}
    iso = _ISO.match(value)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
        real = _real(year, month, day)
        if wareki and real is not None:
            try:
                name, n = era_year(real)
            except ValueError:
                return {"era": "", "year": str(year), "month": str(month), "day": str(day)}
            return {"era": name, "year": str(n), "month": str(month), "day": str(day)}
        return {"era": "", "year": iso.group(1), "month": str(month), "day": str(day)}
    kept = _KEPT.match(value)
    if kept:
        era, y, m, d = kept.groups()
        return {"era": era or "", "year": y, "month": m.lstrip("0") or m, "day": d.lstrip("0") or d}
    return {"era": "", "year": value, "month": "", "day": ""}


def wareki_problem(value: object) -> str | None:
    """For a kept 和暦 value whose date lies outside its era: 「平成31年5月1日は存在しません（令和元年5月1日）」."""
    if not isinstance(value, str):
        return None
    kept = _KEPT.match(value)
    if not kept or not kept.group(1):
        return None
    era, y, m, d = kept.groups()
    n = 1 if y == "元" else int(y) if y.isdigit() else None
    if n is None or not (m.isdigit() and d.isdigit()):
        return None
    found = next(e for e in ERAS if e.name == era)
    real = _real(found.first_day.year + n - 1, int(m), int(d))
    typed = f"{era}{'元' if n == 1 else n}年{int(m)}月{int(d)}日"
    if real is None:
        return f"{typed}は存在しません。日付を確認してください"
    try:
        name, year = era_year(real)
    except ValueError:
        return f"{typed}は存在しません。日付を確認してください"
    if (name, year) == (era, n):  # the date exists: the problem is elsewhere, let the field's message say it
        return None
    return f"{typed}は存在しません（{name}{'元' if year == 1 else year}年{real.month}月{real.day}日）"


def is_office_day(day: date) -> bool:
    """Weekdays that are not national holidays nor the year-end closure (12/29-1/3)."""
    if day.weekday() >= 5 or jpholiday.is_holiday(day):
        return False
    return not ((day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3))


def add_office_days(start: date, days: int) -> date:
    """The date `days` 開庁日 after `start` (the day of receipt itself not counted)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_office_day(current):
            remaining -= 1
    return current
