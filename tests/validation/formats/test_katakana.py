"""`katakana` (フリガナ): ー is kept, hiragana and half-width kana become full-width katakana."""

from __future__ import annotations

import pytest

from forms_engine.validation.formats import katakana


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("やまだ はなこ", "ヤマダ ハナコ"),
        ("ﾔﾏﾀﾞ ﾊﾅｺ", "ヤマダ ハナコ"),
        ("ｻﾄｳ ﾀﾛｰ", "サトウ タロー"),
        ("ヤマダ　ハナコ", "ヤマダ ハナコ"),  # ideographic space: NFKC makes it a plain space
        ("  ヤマダ \u3000  ハナコ  ", "ヤマダ ハナコ"),
        ("すずき ゆーこ", "スズキ ユーコ"),
        ("ぁゔゕゖ", "ァヴヵヶ"),  # ends of the hiragana range U+3041–3096
        ("さゝき", "サヽキ"),  # jaconv also maps the iteration mark
        ("ヴァイオレット・エヴァーガーデン", "ヴァイオレット・エヴァーガーデン"),
        ("わ\u3099", "ヷ"),  # combining dakuten joins the katakana after the shift
        ("ﾊﾟﾋﾟﾌﾟ", "パピプ"),
    ],
)
def test_normalise_and_accept(raw: str, stored: str) -> None:
    assert katakana.normalise(raw) == stored
    assert katakana.check(stored)


@pytest.mark.parametrize("raw", ["山田 花子", "Yamada", "ヤマダ1", "ヤマダ-ハナコ", "", " ", "ヤマダ\u200bハナコ"])
def test_rejects_other_characters(raw: str) -> None:
    assert not katakana.check(katakana.normalise(raw))


def test_long_vowel_mark_is_kept() -> None:
    assert katakana.normalise("コーヒー") == "コーヒー"
    assert katakana.normalise("ｺｰﾋｰ") == "コーヒー"


def test_entry() -> None:
    assert katakana.ENTRY.name == "katakana"
    assert katakana.ENTRY.message_ja.format(title="フリガナ") == "フリガナはカタカナで入力してください（例：ヤマダ ハナコ）"
