"""Dates on forms: 年/月/日 inputs to `YYYY-MM-DD` and back, 和暦 entry (開庁日: forms_engine.japanese.office_days)."""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date

from forms_engine.japanese.wareki import ERAS, Era, era_year

ERA_NAMES = tuple(e.name for e in ERAS)
_ERA = {e.name: e for e in ERAS}
_MAX_ERA_YEAR = 99  # 「令和2025年」 is a Western year typed after choosing an era, not the year 4043
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_KEPT = re.compile(r"^(" + "|".join(ERA_NAMES) + r")?([^-]*)-([^-]*)-(.*)$")
_DIGITS = re.compile(r"[0-9]+")
_FOUR = re.compile(r"[0-9]{4}")


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _two(text: str) -> str:
    return text.zfill(2) if re.fullmatch(r"\d{1,2}", text) else text


def _real(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _ints(iso: str) -> tuple[int, int, int]:
    y, m, d = iso.split("-")
    return int(y), int(m), int(d)


def _number(text: str) -> str:
    """Digits without their leading zeros (「004」 -> 「4」); anything else as typed."""
    return str(int(text)) if _DIGITS.fullmatch(text) else text


def _era_year_number(text: str) -> int | None:
    return 1 if text == "元" else int(text) if _DIGITS.fullmatch(text) else None


def join_date(year: str, month: str, day: str, era: str | None = None) -> str | None:
    """The parts as typed -> `YYYY-MM-DD`; None when all are empty.

    What cannot be a date is kept recognisably (`2025-02-30`, `令和1-13-01`, `2025--01`) so that
    `format: date` refuses it, `date_problem` says what to put right, and the page shows the parts again as
    the resident typed them.
    """
    y, m, d = _clean(year).removesuffix("年"), _clean(month).removesuffix("月"), _clean(day).removesuffix("日")
    m, d = _number(m), _number(d)
    era = _clean(era or "")
    if not (y or m or d):
        return None
    if not era:  # 「令和7」 typed into the year box without choosing the era
        era = next((name for name in ERA_NAMES if y.startswith(name)), "")
        y = y.removeprefix(era)
    if era in ERA_NAMES:
        n = _era_year_number(y)
        found = _ERA[era]
        if n is not None and 1 <= n <= _MAX_ERA_YEAR and _DIGITS.fullmatch(m) and _DIGITS.fullmatch(d):
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
            except ValueError:  # before 明治
                name, n = "", 0
            if 1 <= n <= _MAX_ERA_YEAR:
                return {"era": name, "year": str(n), "month": str(month), "day": str(day)}
            return {"era": "", "year": str(year), "month": str(month), "day": str(day)}
        return {"era": "", "year": iso.group(1), "month": str(month), "day": str(day)}
    kept = _KEPT.match(value)
    if kept:
        era, y, m, d = kept.groups()
        return {"era": era or "", "year": y, "month": m.lstrip("0") or m, "day": d.lstrip("0") or d}
    return {"era": "", "year": value, "month": "", "day": ""}


def date_problem(value: object, title: str, *, wareki: bool = False, lang: str = "ja") -> str | None:
    """What is wrong with the 年/月/日 (and 元号) a resident typed, and how to put it right (WCAG 3.3.3):
    one message per case (parts left empty, not a number, month or day out of range, a day the month does
    not have, a 和暦 date outside its era, …). None when the value is a date or not one typed in parts:
    the field's own message stands."""
    if not isinstance(value, str) or not value or (_ISO.match(value) and _real(*_ints(value)) is not None):
        return None
    kept = _KEPT.match(value)
    if kept is None:
        return None
    era, y, m, d = (g or "" for g in kept.groups())
    say = _Say(title, lang, wareki or bool(era))
    needs_era = wareki and not era and not _FOUR.fullmatch(y)
    missing = [part for part, typed in (("year", y), ("month", m), ("day", d)) if not typed]
    if missing:
        return say("era_and_missing" if needs_era else "missing", parts=say.parts(missing))
    if not (_DIGITS.fullmatch(y) or (era and y == "元")):
        return say("year_digits")
    if not _DIGITS.fullmatch(m):
        return say("month_digits")
    if not _DIGITS.fullmatch(d):
        return say("day_digits")
    if needs_era:
        return say("era")
    month, day = int(m), int(d)
    if not 1 <= month <= 12:
        return say("month_range")
    if not 1 <= day <= 31:
        return say("day_range")
    if era:
        n = _era_year_number(y) or 0
        if n < 1:
            return say("year_wareki")
        if n > _MAX_ERA_YEAR:
            return say("year_wareki_large")
        western = _ERA[era].first_day.year + n - 1
    elif len(y) != 4 or int(y) < 1:
        return say("year_western")
    else:
        western = int(y)
    last = calendar.monthrange(western, month)[1]
    if day > last:
        return say("day_month", last=last, month=say.month(era, y, western, month))
    if era:
        return _outside_era(say, era, date(western, month, day))
    return None


def _outside_era(say: _Say, era: str, real: date) -> str | None:
    found = _ERA[era]
    if real >= found.first_day and (found.last_day is None or real <= found.last_day):
        return None
    bound = say.bound(found, before=real < found.first_day)
    try:
        name, year = era_year(real)
    except ValueError:
        return say("before_meiji", bound=bound)
    return say("era_range", era=era, bound=bound, real=say.day(real, name, year), name=name,
               year="元" if year == 1 and say.lang == "ja" else str(year))


class _Say:
    """The messages of `date_problem` in one language, for one field."""

    def __init__(self, title: str, lang: str, wareki: bool) -> None:
        self.lang = lang if lang in _MESSAGES else "ja"
        self.title = title
        self.wareki = wareki

    def __call__(self, key: str, **params: object) -> str:
        example = _EXAMPLES[self.lang]["wareki" if self.wareki else "western"]
        year_example = "7" if self.wareki else "2025"
        return _MESSAGES[self.lang][key].format(title=self.title, example=example, year_example=year_example,
                                                **params)

    def parts(self, missing: list[str]) -> str:
        names = [_PART_NAMES[self.lang][p] for p in missing]
        if self.lang == "en":
            return " and ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + " and " + names[-1]
        return "と".join(names) if len(names) < 3 else "・".join(names)

    def month(self, era: str, year: str, western: int, month: int) -> str:
        if self.lang == "en":
            return f"{calendar.month_name[month]} {western}"
        return f"{era}{year}年{month}月" if era else f"{western}年{month}月"

    def day(self, real: date, era: str, year: int) -> str:
        if self.lang == "en":
            return f"{era} {year}, {real.day} {calendar.month_name[real.month]} ({real.year})"
        return f"{era}{'元' if year == 1 else year}年{real.month}月{real.day}日"

    def bound(self, era: Era, *, before: bool) -> str:
        edge = era.first_day if before else era.last_day
        assert edge is not None
        _, year = era_year(edge)
        if self.lang == "en":
            verb = "began on" if before else "ended on"
            return f"{era.name} {verb} {edge.day} {calendar.month_name[edge.month]} {edge.year}"
        return f"{era.name}は{'元' if year == 1 else year}年{edge.month}月{edge.day}日{'から' if before else 'まで'}です"


_PART_NAMES = {"ja": {"year": "年", "month": "月", "day": "日"}, "en": {"year": "year", "month": "month",
                                                                      "day": "day"}}
_EXAMPLES = {"ja": {"western": "2025年4月1日", "wareki": "令和7年4月1日"},
             "en": {"western": "1 April 2025", "wareki": "令和 7, 1 April"}}
_MESSAGES = {
    "ja": {
        "missing": "{title}の{parts}を入力してください（例：{example}）",
        "era_and_missing": "{title}の元号を選び、{parts}を入力してください（例：{example}）",
        "era": "{title}の元号を選んでください。西暦で入力するときは、年を4桁の数字にしてください（例：2025）",
        "year_digits": "{title}の年は数字で入力してください（例：{year_example}）",
        "year_western": "{title}の年は西暦の4桁で入力してください（例：2025）",
        "year_wareki": "{title}の年は1以上の数字で入力してください（1年目は「元」とも入力できます）",
        "year_wareki_large": "{title}の年は元号の年で入力してください（例：令和7年）。西暦で入力するときは、"
                             "元号を「選択してください」に戻してください",
        "month_digits": "{title}の月は数字で入力してください（例：4）",
        "month_range": "{title}の月は1から12までの数字で入力してください",
        "day_digits": "{title}の日は数字で入力してください（例：1）",
        "day_range": "{title}の日は1から31までの数字で入力してください",
        "day_month": "{title}の日は1から{last}までの数字で入力してください（{month}は{last}日までです）",
        "era_range": "{title}の日付が元号と合っていません（{bound}）。{real}のことであれば、元号を「{name}」、"
                     "年を「{year}」にしてください",
        "before_meiji": "{title}の日付が元号と合っていません（{bound}）。それより前の日付は、元号を選ばずに"
                        "西暦の4桁で入力してください",
    },
    "en": {
        "missing": "Enter the {parts} of {title} (for example {example})",
        "era_and_missing": "Select the era of {title} and enter its {parts} (for example {example})",
        "era": "Select the era of {title}, or enter the year as 4 digits (for example 2025)",
        "year_digits": "Enter the year of {title} in digits (for example {year_example})",
        "year_western": "Enter the year of {title} as 4 digits (for example 2025)",
        "year_wareki": "Enter the year of {title} as a number from 1 (the first year can also be entered as 元)",
        "year_wareki_large": "Enter the year of {title} as a year of the era (for example 令和 7), or set the era "
                             "back to “Select” to enter a 4-digit year",
        "month_digits": "Enter the month of {title} in digits (for example 4)",
        "month_range": "Enter the month of {title} as a number from 1 to 12",
        "day_digits": "Enter the day of {title} in digits (for example 1)",
        "day_range": "Enter the day of {title} as a number from 1 to 31",
        "day_month": "Enter the day of {title} as a number from 1 to {last} ({month} has {last} days)",
        "era_range": "The date of {title} does not fit its era ({bound}). If you mean {real}, set the era to "
                     "{name} and the year to {year}",
        "before_meiji": "The date of {title} does not fit its era ({bound}). For an earlier date, choose no era "
                        "and enter a 4-digit year",
    },
}

