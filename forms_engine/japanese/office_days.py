"""開庁日 (days the offices are open), for deadlines and 標準処理期間: weekdays that are not national
holidays (``jpholiday``, offline) nor the year-end closure (12/29–1/3), as shared/spec/japanese-data.md says."""

from __future__ import annotations

from datetime import date, timedelta

import jpholiday

__all__ = ["add_office_days", "is_office_day"]


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
