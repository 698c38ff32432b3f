"""The font files: licences present, the promised glyphs really there (checked with fontTools)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from forms_engine.receipts.fonts import FONT_FILES, GETA, PRIMARY, clean_text, fonts_dir, get_fonts

FONTS = fonts_dir()


def _has_outline(path: Path, char: str) -> bool:
    font = TTFont(path, lazy=True)
    glyph_name = font.getBestCmap().get(ord(char))
    if glyph_name is None:
        return False
    glyph = font["glyf"][glyph_name]
    return bool(glyph.numberOfContours)


@pytest.mark.parametrize("name", ["IPA_Font_License_Agreement_v1.0.txt", "LICENSE-Hanazono.txt", "LICENSE-DejaVu.txt", "README.md"])
def test_licences_are_shipped(name: str) -> None:
    assert (FONTS / name).stat().st_size > 1000


def test_every_font_is_truetype_and_embeddable() -> None:
    for _, filename in FONT_FILES:
        font = TTFont(FONTS / filename, lazy=True)
        assert "glyf" in font, filename  # TrueType outlines: ReportLab cannot embed CFF
        assert font["OS/2"].fsType & 0x2 == 0, filename  # not "restricted licence embedding"


@pytest.mark.parametrize(("char", "filename"), [("髙", "ipaexg.ttf"), ("﨑", "ipaexg.ttf"), ("\U00020BB7", "HanaMinA-subset.ttf"), ("ğ", "DejaVuSans.ttf")])
def test_glyphs_are_really_there(char: str, filename: str) -> None:
    assert _has_outline(FONTS / filename, char)


def test_yoshi_is_not_in_ipaex() -> None:
    assert not _has_outline(FONTS / "ipaexg.ttf", "\U00020BB7")


def test_font_choice_per_character() -> None:
    fonts = get_fonts()
    assert fonts.runs(fonts.prepare("\U00020BB7田 髙﨑 ğ")) == [
        ("FE-MJ-A", "\U00020BB7"), (PRIMARY, "田 髙﨑 "), ("FE-Latin", "ğ"),
    ]
    assert fonts.prepare("a\U0010fffdb") == f"a{GETA}[U+10FFFD]b"
    assert get_fonts() is fonts


def test_clean_text_keeps_the_name_drops_selectors() -> None:
    assert clean_text("葛\U000e0100飾\r\n区\x07") == "葛飾\n区 "
