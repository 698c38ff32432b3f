"""`jp-my-number`: マイナンバー (個人番号), 12 digits with the check digit last. 特定個人情報: never log it."""

from __future__ import annotations

import re

from forms_engine.validation.formats.checkdigits import my_number_check_digit
from forms_engine.validation.formats.entry import FormatEntry
from forms_engine.validation.formats.normalise import compact

_TWELVE_DIGITS = re.compile(r"[0-9]{12}")


def check(value: str) -> bool:
    return _TWELVE_DIGITS.fullmatch(value) is not None and my_number_check_digit(value[:11]) == int(value[11])


ENTRY = FormatEntry(
    name="jp-my-number",
    check=check,
    normalise=compact,
    message_ja="{title}は12桁の数字で入力してください。番号に誤りがないか、マイナンバーカードまたは通知カードでご確認ください",
    message_en="Enter {title} as the 12 digits of the Individual Number (My Number); "
    "check them against the My Number card or notification card",
    inputmode="numeric",
)
