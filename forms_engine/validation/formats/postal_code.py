"""`jp-postal-code`: 郵便番号, stored as 123-4567."""

from __future__ import annotations

import re

from forms_engine.validation.formats.entry import FormatEntry
from forms_engine.validation.formats.normalise import compact

_SEVEN_DIGITS = re.compile(r"[0-9]{7}")
_STORED = re.compile(r"[0-9]{3}-[0-9]{4}")


def normalise(value: str) -> str:
    """`123-4567` when seven digits remain after cleaning (leading 〒 dropped), else the cleaned value."""
    cleaned = compact(value).lstrip("〒")
    return f"{cleaned[:3]}-{cleaned[3:]}" if _SEVEN_DIGITS.fullmatch(cleaned) else cleaned


def check(value: str) -> bool:
    return _STORED.fullmatch(value) is not None


ENTRY = FormatEntry(
    name="jp-postal-code",
    check=check,
    normalise=normalise,
    message_ja="{title}は7桁の数字で入力してください（例：100-0013）",
    message_en="Enter {title} as 7 digits, for example 100-0013",
    autocomplete="postal-code",
    inputmode="numeric",
)
