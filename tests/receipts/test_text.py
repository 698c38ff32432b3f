"""Line breaking: width, kinsoku, whole Latin words, nothing lost."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from forms_engine.receipts.fonts import get_fonts
from forms_engine.receipts.text import NO_LINE_END, NO_LINE_START, wrap

FONTS = get_fonts()


def _lines(text: str, width: float = 100.0, size: float = 10.0) -> list[str]:
    return wrap(FONTS, FONTS.prepare(text), size, width)


def test_short_text_and_hard_breaks() -> None:
    assert _lines("山田 花子") == ["山田 花子"]
    assert _lines("一行目\n\n三行目") == ["一行目", "", "三行目"]
    assert _lines("") == [""]


def test_lines_fit_and_keep_every_character() -> None:
    text = "申請の理由は次のとおりです。" * 20
    lines = _lines(text)
    assert "".join(lines) == text
    assert all(FONTS.width(line, 10) <= 100.0 for line in lines)


def test_kinsoku() -> None:
    text = "あいうえおかきくけこ。さしすせそ「たちつてと」なにぬねの、はひふへほ"
    for width in range(40, 140, 3):
        lines = _lines(text, width)
        assert "".join(lines) == text
        assert not any(line[0] in NO_LINE_START for line in lines[1:]), lines
        assert not any(line[-1] in NO_LINE_END for line in lines[:-1]), lines


def test_latin_words_move_whole() -> None:
    lines = _lines("連絡先は taro.yamada@example.jp です。折り返しお電話ください。", width=120)
    assert any("taro.yamada@example.jp" in line for line in lines), lines
    digest = "0123456789abcdef" * 4
    assert "".join(_lines(digest, width=60)) == digest  # longer than a line: broken anywhere


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("あア亜a1 -。、「」（）\n𠮷髙")), max_size=300), st.integers(20, 300))
def test_nothing_is_lost(text: str, width: int) -> None:
    lines = _lines(text, float(width))
    assert re.sub(r"\s", "", "".join(lines)) == re.sub(r"\s", "", FONTS.prepare(text))
    assert all(FONTS.width(line, 10.0) <= width for line in lines)
