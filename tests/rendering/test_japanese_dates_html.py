"""和暦 and plain dates on the resident's pages (japanese-data.md): era boundaries inclusive, 「元」, a date outside
its era refused with the date that was meant, display 「昭和60年（1985年）4月1日」, 年/月/日 boxes; the API stores
the same ISO date. 開庁日 on the completion page: weekends, national holidays and 12/29–1/3 are not counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from fastapi import FastAPI
from sqlmodel import Session, select

from forms_engine.models import Draft, Submission

from .conftest import minimal
from .jp import Resident, api_errors, api_file, app_fixture, errors_of, stored, values_of

P = "japanese-dates"
JST = timezone(timedelta(hours=9))
DOCUMENT = minimal(P, {
    "birth_date": {"title": "生年月日", "x-title-en": "Date of birth", "type": "string", "format": "date",
                   "x-widget": "wareki-date"},
    "moved_on": {"title": "転入日", "type": "string", "format": "date"},
    "note": {"title": "連絡事項", "type": "string"},
}, ["birth_date"], steps=[
    {"id": "when", "title": "日付", "properties": ["birth_date", "moved_on"]},
    {"id": "other", "title": "その他", "properties": ["note"]},
], processing_days=7)

app = app_fixture(DOCUMENT, P)


def wareki(era: str, year: str, month: str, day: str) -> list[tuple[str, str]]:
    return [("/birth_date@era", era), ("/birth_date@year", year), ("/birth_date@month", month),
            ("/birth_date@day", day)]


def western(year: str, month: str, day: str) -> list[tuple[str, str]]:
    return [("/moved_on@year", year), ("/moved_on@month", month), ("/moved_on@day", day)]


def last_draft(app: FastAPI) -> Draft:
    with Session(app.state.forms_engine.engine) as session:
        return max(session.exec(select(Draft)).all(), key=lambda d: d.updated_at)


# (era, year, month, day as typed) -> (the ISO date stored, what the confirmation shows)
ERA_DATES = [
    (("平成", "31", "4", "30"), "2019-04-30", "平成31年（2019年）4月30日"),  # the last day of 平成
    (("令和", "元", "5", "1"), "2019-05-01", "令和元年（2019年）5月1日"),  # the first day of 令和, 「元」
    (("令和", "1", "5", "1"), "2019-05-01", "令和元年（2019年）5月1日"),  # 1 is 元年 too
    (("昭和", "64", "1", "7"), "1989-01-07", "昭和64年（1989年）1月7日"),
    (("平成", "元", "1", "8"), "1989-01-08", "平成元年（1989年）1月8日"),
    (("大正", "15", "12", "24"), "1926-12-24", "大正15年（1926年）12月24日"),
    (("昭和", "元", "12", "25"), "1926-12-25", "昭和元年（1926年）12月25日"),
    (("明治", "45", "7", "29"), "1912-07-29", "明治45年（1912年）7月29日"),
    (("大正", "元", "7", "30"), "1912-07-30", "大正元年（1912年）7月30日"),
    (("明治", "元", "1", "25"), "1868-01-25", "明治元年（1868年）1月25日"),
    (("昭和", "６０", "４", "１"), "1985-04-01", "昭和60年（1985年）4月1日"),  # full-width digits
    (("", "令和7", "4", "1"), "2025-04-01", "令和7年（2025年）4月1日"),  # the era typed in the year box
]


@pytest.mark.parametrize(("typed", "iso", "shown"), ERA_DATES, ids=["".join(c[0]) for c in ERA_DATES])
def test_a_wareki_date_is_stored_as_iso_and_shown_with_the_western_year(app: FastAPI, typed: tuple[str, str, str, str],
                                                                        iso: str, shown: str) -> None:
    resident = Resident(app, P)
    confirm = resident.go([("when", wareki(*typed)), ("other", [])])
    assert values_of(confirm.text)["生年月日"] == shown
    assert last_draft(app).answers["birth_date"] == iso
    response = api_file(app, P, {"birth_date": iso})  # the API takes the ISO date the page stored
    assert response.status_code == 201, response.text
    assert stored(app, response.json()["id"])["birth_date"] == iso


OUTSIDE = "生年月日の日付が元号と合っていません"
OUTSIDE_ERA = [
    (("平成", "31", "5", "1"), f"{OUTSIDE}（平成は31年4月30日までです）。令和元年5月1日のことであれば、元号を「令和」、年を「元」にしてください"),
    (("昭和", "64", "1", "8"), f"{OUTSIDE}（昭和は64年1月7日までです）。平成元年1月8日のことであれば、元号を「平成」、年を「元」にしてください"),
    (("令和", "元", "4", "30"), f"{OUTSIDE}（令和は元年5月1日からです）。平成31年4月30日のことであれば、元号を「平成」、年を「31」にしてください"),
    (("大正", "15", "12", "25"), f"{OUTSIDE}（大正は15年12月24日までです）。昭和元年12月25日のことであれば、元号を「昭和」、年を「元」にしてください"),
    (("明治", "45", "7", "30"), f"{OUTSIDE}（明治は45年7月29日までです）。大正元年7月30日のことであれば、元号を「大正」、年を「元」にしてください"),
    (("明治", "元", "1", "24"), f"{OUTSIDE}（明治は元年1月25日からです）。それより前の日付は、元号を選ばずに西暦の4桁で入力してください"),
    (("令和", "7", "2", "29"), "生年月日の日は1から28までの数字で入力してください（令和7年2月は28日までです）"),
]


@pytest.mark.parametrize(("typed", "message"), OUTSIDE_ERA, ids=["".join(c[0]) for c in OUTSIDE_ERA])
def test_a_date_outside_its_era_is_refused_with_the_date_that_was_meant(app: FastAPI, typed: tuple[str, str, str, str],
                                                                       message: str) -> None:
    resident = Resident(app, P)
    response = resident.post("when", wareki(*typed))
    assert response.status_code == 422
    assert errors_of(response.text) == {"f-birth_date": message}
    for part, value in zip(("era", "year", "month", "day"), typed, strict=True):  # shown again as typed
        assert f'name="/birth_date@{part}"' in response.text
        assert value in response.text


def test_the_era_message_in_english(app: FastAPI) -> None:
    resident = Resident(app, P, **{"Accept-Language": "en"})
    response = resident.post("when", wareki("平成", "31", "5", "1"))
    assert errors_of(response.text) == {"f-birth_date": (
        "The date of Date of birth does not fit its era (平成 ended on 30 April 2019). If you mean 令和 1, 1 May (2019), "
        "set the era to 令和 and the year to 1")}


@pytest.mark.parametrize(("typed", "iso", "shown"), [
    (("2025", "4", "1"), "2025-04-01", "令和7年（2025年）4月1日"),  # shown as every date is (receipts too)
    (("２０２５年", "４月", "１日"), "2025-04-01", "令和7年（2025年）4月1日"),
    (("2024", "02", "29"), "2024-02-29", "令和6年（2024年）2月29日"),
])
def test_a_plain_date_in_year_month_day_boxes(app: FastAPI, typed: tuple[str, str, str], iso: str, shown: str) -> None:
    resident = Resident(app, P)
    confirm = resident.go([("when", wareki("令和", "元", "5", "1") + western(*typed)), ("other", [])])
    assert values_of(confirm.text)["転入日"] == shown
    assert last_draft(app).answers["moved_on"] == iso
    response = api_file(app, P, {"birth_date": "2019-05-01", "moved_on": iso})
    assert response.status_code == 201 and stored(app, response.json()["id"])["moved_on"] == iso


def test_an_impossible_plain_date_is_refused_on_both_paths(app: FastAPI) -> None:
    resident = Resident(app, P)
    response = resident.post("when", wareki("令和", "元", "5", "1") + western("2025", "2", "30"))
    assert errors_of(response.text) == {"f-moved_on": "転入日の日は1から28までの数字で入力してください（2025年2月は28日までです）"}
    assert api_errors(api_file(app, P, {"birth_date": "2019-05-01", "moved_on": "2025-02-30"})) == {
        "/moved_on": "転入日は実在する日付を年・月・日で入力してください（例：2025年4月1日）"}


# -- 開庁日 on the completion page -------------------------------------------------------------------------
@pytest.mark.parametrize(("received", "due"), [
    # Friday 26 December 2025: 12/29–1/3 closed, 1/4 a Sunday, 成人の日 (12 January 2026) a holiday.
    (datetime(2025, 12, 26, 10, 0, tzinfo=JST), "7開庁日（令和8年（2026年）1月14日ごろまで）"),
    # Friday 25 April 2025: 昭和の日 (4/29), 憲法記念日 to こどもの日 and its substitute day (5/3–5/6).
    (datetime(2025, 4, 25, 16, 30, tzinfo=JST), "7開庁日（令和7年（2025年）5月9日ごろまで）"),
    # Early on Tuesday 3 June in JST, still Monday in UTC: the day of receipt is the JST day.
    (datetime(2025, 6, 3, 8, 0, tzinfo=JST), "7開庁日（令和7年（2025年）6月12日ごろまで）"),
])
def test_the_completion_page_counts_office_days(app: FastAPI, received: datetime, due: str) -> None:
    resident = Resident(app, P)
    confirm = resident.go([("when", wareki("昭和", "60", "4", "1")), ("other", [])])
    complete = resident.file(confirm)
    assert complete.status_code == 200
    with Session(app.state.forms_engine.engine) as session:
        submission = max(session.exec(select(Submission)).all(), key=lambda s: s.received_at)
        submission.received_at = received.astimezone(UTC)
        session.add(submission)
        session.commit()
    page = resident.client.get(complete.url.path)
    assert values_of(page.text)["標準処理期間"] == due
