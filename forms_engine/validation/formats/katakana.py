"""`katakana`: フリガナ, stored as full-width katakana with single spaces."""

from __future__ import annotations

import re
import unicodedata

import jaconv

from forms_engine.validation.formats.entry import FormatEntry

_KATAKANA = re.compile(r"[ァ-ヺーヽヾ・ 　]+")
_SPACES = re.compile(r"\s+")


def normalise(value: str) -> str:
    """NFKC (half-width kana become full-width), hiragana to katakana, runs of spaces to one; keeps ー."""
    # jaconv shifts U+3041–3096 (and ゝゞ) by +0x60; NFKC again joins a katakana with a following
    # combining (han)dakuten that had no precomposed hiragana form (わ゙ → ヷ).
    kana = unicodedata.normalize("NFKC", str(jaconv.hira2kata(unicodedata.normalize("NFKC", value))))
    return _SPACES.sub(" ", kana).strip()


def check(value: str) -> bool:
    return _KATAKANA.fullmatch(value) is not None


def culprit(value: str) -> str | None:
    """The first character that is not katakana (an invisible one as U+XXXX), None when there is none."""
    for char in value:
        if _KATAKANA.fullmatch(char) is None:
            return f"U+{ord(char):04X}" if unicodedata.category(char)[0] in "CZ" else char
    return None


ENTRY = FormatEntry(
    name="katakana",
    check=check,
    normalise=normalise,
    message_ja="{title}はカタカナで入力してください（例：ヤマダ ハナコ）",
    message_en="Enter {title} in katakana, for example ヤマダ ハナコ",
    culprit=culprit,
    culprit_ja="{title}の「{char}」はカタカナではありません。カタカナで入力してください（例：ヤマダ ハナコ）",
    culprit_en="Enter {title} in katakana: “{char}” is not katakana (for example ヤマダ ハナコ)",
)
