"""Dates typed in 年/月/日 (and 元号) boxes: each way of getting one wrong has its own message that says how to
put it right (WCAG 3.3.3), on the page and in the error summary; 「令和7」 in the year box is understood."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from forms_engine.rendering.dates import date_problem, join_date

from .conftest import OWN_DEFINITIONS, csrf_of, start
from .htmlform import post_items

T = "生年月日"
# (era or None for the plain 年/月/日 widget, year, month, day) -> the message
CASES: list[tuple[tuple[str | None, str, str, str], str]] = [
    ((None, "", "4", "1"), "生年月日の年を入力してください（例：2025年4月1日）"),
    ((None, "2025", "", ""), "生年月日の月と日を入力してください（例：2025年4月1日）"),
    ((None, "2025", "4", ""), "生年月日の日を入力してください（例：2025年4月1日）"),
    ((None, "", "", "1"), "生年月日の年と月を入力してください（例：2025年4月1日）"),
    ((None, "abc", "4", "1"), "生年月日の年は数字で入力してください（例：2025）"),
    ((None, "2025", "四", "1"), "生年月日の月は数字で入力してください（例：4）"),
    ((None, "2025", "4", "一"), "生年月日の日は数字で入力してください（例：1）"),
    ((None, "25", "4", "1"), "生年月日の年は西暦の4桁で入力してください（例：2025）"),
    ((None, "2025", "13", "1"), "生年月日の月は1から12までの数字で入力してください"),
    ((None, "2025", "4", "32"), "生年月日の日は1から31までの数字で入力してください"),
    ((None, "2025", "2", "30"), "生年月日の日は1から28までの数字で入力してください（2025年2月は28日までです）"),
    ((None, "2024", "2", "30"), "生年月日の日は1から29までの数字で入力してください（2024年2月は29日までです）"),
    ((None, "2025", "4", "31"), "生年月日の日は1から30までの数字で入力してください（2025年4月は30日までです）"),
    (("", "7", "4", "1"), "生年月日の元号を選んでください。西暦で入力するときは、年を4桁の数字にしてください（例：2025）"),
    (("", "", "4", "1"), "生年月日の元号を選び、年を入力してください（例：令和7年4月1日）"),
    (("令和", "", "4", ""), "生年月日の年と日を入力してください（例：令和7年4月1日）"),
    (("令和", "なな", "4", "1"), "生年月日の年は数字で入力してください（例：7）"),
    (("令和", "0", "4", "1"), "生年月日の年は1以上の数字で入力してください（1年目は「元」とも入力できます）"),
    (("令和", "2025", "4", "1"), "生年月日の年は元号の年で入力してください（例：令和7年）。西暦で入力するときは、"
                                "元号を「選択してください」に戻してください"),
    (("令和", "7", "2", "30"), "生年月日の日は1から28までの数字で入力してください（令和7年2月は28日までです）"),
    (("平成", "31", "5", "1"), "生年月日の日付が元号と合っていません（平成は31年4月30日までです）。令和元年5月1日の"
                              "ことであれば、元号を「令和」、年を「元」にしてください"),
    (("令和", "元", "4", "30"), "生年月日の日付が元号と合っていません（令和は元年5月1日からです）。平成31年4月30日の"
                              "ことであれば、元号を「平成」、年を「31」にしてください"),
    (("昭和", "64", "1", "8"), "生年月日の日付が元号と合っていません（昭和は64年1月7日までです）。平成元年1月8日の"
                              "ことであれば、元号を「平成」、年を「元」にしてください"),
    (("明治", "元", "1", "1"), "生年月日の日付が元号と合っていません（明治は元年1月25日からです）。それより前の日付は、"
                              "元号を選ばずに西暦の4桁で入力してください"),
]


def typed(era: str | None, year: str, month: str, day: str) -> str | None:
    return join_date(year, month, day, era)


@pytest.mark.parametrize(("parts", "message"), CASES, ids=[f"{p[0] or ''}{p[1]}/{p[2]}/{p[3]}" for p, _ in CASES])
def test_each_wrong_date_says_how_to_put_it_right(parts: tuple[str | None, str, str, str], message: str) -> None:
    assert date_problem(typed(*parts), T, wareki=parts[0] is not None) == message


def test_no_two_cases_share_a_message() -> None:
    kinds = {message.split("（")[0].replace("2024", "2025").replace("30日", "28日").replace("29", "28")
             .replace("28までの数字で入力してください", "N") for _, message in CASES}
    assert len({m for _, m in CASES}) == len(CASES)
    assert len(kinds) >= 14  # not only the typed date differs: the advice does


def test_real_dates_have_no_problem() -> None:
    for parts in ((None, "2025", "4", "1"), (None, "２０２５", "４月", "１日"), ("令和", "元", "5", "1"),
                  ("", "令和7", "4", "1"), ("", "2025", "4", "1"), ("令和", "6", "2", "29")):
        value = typed(*parts)
        assert value is not None and date.fromisoformat(value) and date_problem(value, T) is None, parts


def test_era_typed_into_the_year_box_is_understood() -> None:
    assert join_date("令和7", "4", "1", era="") == "2025-04-01"
    assert join_date("平成元", "1", "8", era="") == "1989-01-08"
    assert join_date("7", "004", "01", era="令和") == "2025-04-01"  # leading zeros are no problem


def test_a_western_year_after_choosing_an_era_is_not_year_4043() -> None:
    assert join_date("2025", "4", "1", era="令和") == "令和2025-04-01"
    assert join_date("99", "4", "1", era="令和") == "2117-04-01"


def test_english_pages_get_the_same_advice_in_english() -> None:
    assert date_problem(typed(None, "2025", "2", "30"), "Date of birth", lang="en") == (
        "Enter the day of Date of birth as a number from 1 to 28 (February 2025 has 28 days)")
    assert date_problem(typed("平成", "31", "5", "1"), "Date of birth", wareki=True, lang="en") == (
        "The date of Date of birth does not fit its era (平成 ended on 30 April 2019). If you mean 令和 1, 1 May "
        "(2019), set the era to 令和 and the year to 1")
    assert date_problem(typed(None, "2025", "", ""), "Date of birth", lang="en") == (
        "Enter the month and day of Date of birth (for example 1 April 2025)")


PART = st.one_of(st.just(""), st.just("元"), st.from_regex(r"[0-9０-９]{1,5}", fullmatch=True),
                 st.text(alphabet="0123456789元年月日xア ", max_size=5))


@settings(max_examples=3000, deadline=None)
@given(PART, PART, PART, st.sampled_from([None, "", "令和", "平成", "昭和", "大正", "明治"]))
def test_every_refused_date_gets_its_own_advice(year: str, month: str, day: str, era: str | None) -> None:
    """Whatever is typed: a real date is stored as YYYY-MM-DD with no message, anything else gets a specific
    message (never the generic one, never None)."""
    value = join_date(year, month, day, era)
    if value is None:
        return
    try:
        real = date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        real = None
    message = date_problem(value, T, wareki=era is not None)
    assert (message is None) == (real is not None), (value, message)


ClientFactory = Callable[..., TestClient]


def test_the_page_shows_the_specific_message_inline_and_in_the_summary(make_client: ClientFactory) -> None:
    client = make_client(OWN_DEFINITIONS)
    csrf = csrf_of(start(client, "kitchen-sink").text)
    parts = [("/birth_date@year", "2025"), ("/birth_date@month", "2"), ("/birth_date@day", "30"),
             ("/era_date@era", "平成"), ("/era_date@year", "31"), ("/era_date@month", "5"), ("/era_date@day", "1")]
    page = client.post("/procedures/kitchen-sink/steps/person", data=post_items([*csrf, *parts]))
    assert page.status_code == 422
    birth = "生年月日の日は1から28までの数字で入力してください（2025年2月は28日までです）"
    moved = ("転入した日の日付が元号と合っていません（平成は31年4月30日までです）。令和元年5月1日のことであれば、"
             "元号を「令和」、年を「元」にしてください")
    for message, field in ((birth, "birth_date"), (moved, "era_date")):
        assert page.text.count(message) == 2, message  # beside the boxes and as the summary's link text
        assert f'href="#f-{field}--{"era" if field == "era_date" else "year"}"' in page.text
    assert "実在する日付を年・月・日で" not in page.text
