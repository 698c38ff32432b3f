"""開庁日: weekends, national holidays (jpholiday) and the year-end closure 12/29–1/3 are not counted."""

from __future__ import annotations

from datetime import date

import pytest

from forms_engine.japanese.office_days import add_office_days, is_office_day


@pytest.mark.parametrize(("day", "open_"), [
    (date(2025, 4, 1), True),  # a Tuesday
    (date(2025, 4, 5), False),  # a Saturday
    (date(2025, 4, 29), False),  # 昭和の日
    (date(2025, 12, 26), True),
    (date(2025, 12, 29), False),  # the year-end closure, a Monday
    (date(2026, 1, 2), False),
    (date(2026, 1, 5), True),
])
def test_is_office_day(day: date, open_: bool) -> None:
    assert is_office_day(day) is open_


def test_add_office_days_skips_closed_days_and_not_the_start() -> None:
    assert add_office_days(date(2025, 4, 1), 0) == date(2025, 4, 1)
    assert add_office_days(date(2025, 4, 4), 1) == date(2025, 4, 7)  # Friday + 1 -> Monday
    assert add_office_days(date(2025, 4, 25), 7) == date(2025, 5, 9)  # ゴールデンウィーク
    assert add_office_days(date(2025, 12, 26), 7) == date(2026, 1, 14)  # 12/29–1/3 and 成人の日 (1/12)
