"""`jp-corporate-number`: 法人番号, 13 digits with the check digit first."""

from __future__ import annotations

import re

from forms_engine.validation.formats.checkdigits import corporate_number_check_digit
from forms_engine.validation.formats.entry import FormatEntry
from forms_engine.validation.formats.normalise import compact

_THIRTEEN_DIGITS = re.compile(r"[0-9]{13}")


def check(value: str) -> bool:
    return _THIRTEEN_DIGITS.fullmatch(value) is not None and corporate_number_check_digit(value[1:]) == int(value[0])


ENTRY = FormatEntry(
    name="jp-corporate-number",
    check=check,
    normalise=compact,
    message_ja="{title}は13桁の数字で入力してください。番号は国税庁法人番号公表サイトで確認できます（例：7000012050002）",
    message_en="Enter {title} as the 13 digits of the Corporate Number; "
    "you can look it up on the National Tax Agency's Corporate Number Publication Site (example: 7000012050002)",
    inputmode="numeric",
)
