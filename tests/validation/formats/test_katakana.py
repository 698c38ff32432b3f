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


@pytest.mark.parametrize(("value", "named"), [
    ("山田 ハナコ", "山"), ("ヤマダ1", "1"), ("ヤマダ-ハナコ", "-"), ("ヤマダ\u200bハナコ", "U+200B"), ("ヤマダ", None),
    ("", None),
])
def test_the_first_character_that_is_not_katakana_is_named(value: str, named: str | None) -> None:
    assert katakana.culprit(value) == named


def test_the_message_names_it() -> None:
    entry = katakana.ENTRY
    assert entry.message("ja", "フリガナ", "山田 ハナコ") == (
        "フリガナの「山」はカタカナではありません。カタカナで入力してください（例：ヤマダ ハナコ）")
    assert entry.message("en", "Furigana", "Yamada") == (
        "Enter Furigana in katakana: “Y” is not katakana (for example ヤマダ ハナコ)")
    assert entry.message("ja", "フリガナ", "") == "フリガナはカタカナで入力してください（例：ヤマダ ハナコ）"
