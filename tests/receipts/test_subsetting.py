"""The font programs embedded in receipts, read back with fontTools: every glyph has the outline and the advance
width of the font file, the character map is right, hinting (instructions, fpgm/prep/cvt) is left out, and for a
font without hinting the program is byte for byte ReportLab's own."""

from __future__ import annotations

import io

import pytest
from fontTools.ttLib import TTFont
from reportlab.pdfbase import pdfmetrics, ttfonts  # type: ignore[import-untyped]

from forms_engine.receipts.fonts import FONT_FILES, fonts_dir, get_fonts
from forms_engine.receipts.subsetting import strip_instructions

SAMPLES = {
    "FE-Gothic": "児童手当認定請求書 受付番号 1234-5678-9013 髙﨑 ｱｲｳ ①②③ A-Z a-z 0-9 @._-（）「」、。",
    "FE-Latin": "ğễŁœ",
    "FE-MJ-A": "\U00020BB7",
}


def _subset_of(name: str, text: str) -> tuple[list[int], bytes]:
    """The subset as ReportLab numbers it (code 0 .notdef, then the characters) and its program."""
    face = pdfmetrics.getFont(name).face
    codes = [0, *dict.fromkeys(ord(char) for char in text if ord(char) in face.charToGlyph)]
    return codes, face.makeSubset(codes)


@pytest.mark.parametrize("name", list(SAMPLES))
def test_every_glyph_is_the_font_files_without_hinting(name: str) -> None:
    get_fonts()
    codes, program = _subset_of(name, SAMPLES[name])
    subset = TTFont(io.BytesIO(program))
    original = TTFont(fonts_dir() / dict(FONT_FILES)[name])
    assert not {"fpgm", "prep", "cvt "} & set(subset.keys())
    cmap, original_cmap = subset["cmap"].getcmap(1, 0).cmap, original.getBestCmap()
    glyphs, original_glyphs = subset["glyf"], original["glyf"]
    for code, char in enumerate(codes):
        if code == 0 or char == 0:
            continue
        mine, theirs = cmap[code], original_cmap[char]
        assert subset["hmtx"][mine][0] == original["hmtx"][theirs][0], chr(char)
        got, want = glyphs[mine], original_glyphs[theirs]
        assert got.numberOfContours == want.numberOfContours, chr(char)
        if want.numberOfContours > 0:
            assert list(got.getCoordinates(glyphs)[0]) == list(want.getCoordinates(original_glyphs)[0]), chr(char)
            assert list(got.endPtsOfContours) == list(want.endPtsOfContours), chr(char)
            assert not got.program.getBytecode(), chr(char)
    assert len(cmap) == len(codes) - 1


def test_hinting_is_half_of_the_gothic_glyph_bytes() -> None:
    get_fonts()
    face = pdfmetrics.getFont("FE-Gothic").face
    start = face.get_table_pos("glyf")[0]
    raw = [face._ttf_data[start + face.glyphPos[g]:start + face.glyphPos[g + 1]] for g in range(1000, 1100)]
    stripped = sum(len(strip_instructions(glyph)) for glyph in raw)
    assert stripped < 0.7 * sum(map(len, raw))


def test_a_font_without_hinting_gives_reportlabs_own_tables_with_the_right_widths() -> None:
    """ReportLab stores the advance of the glyphs after the font's last full 'hmtx' entry scaled to 1/1000 em
    (1000 for Hanazono's 1024 units); here it is the font's own. Every other table is ReportLab's."""
    get_fonts()
    codes, program = _subset_of("FE-MJ-A", SAMPLES["FE-MJ-A"] + "\u3402\u3405")
    face = pdfmetrics.getFont("FE-MJ-A").face
    mine, theirs = TTFont(io.BytesIO(program)), TTFont(io.BytesIO(ttfonts.TTFontFile.makeSubset(face, codes)))
    assert set(mine.reader.keys()) == set(theirs.reader.keys())
    for tag in set(mine.reader.keys()) - {"hmtx", "hhea", "head"}:
        assert mine.reader[tag] == theirs.reader[tag], tag
    head, their_head = mine.reader["head"], theirs.reader["head"]
    assert head[:8] + head[12:] == their_head[:8] + their_head[12:]  # all but checksumAdjustment
    assert [advance for advance, _ in mine["hmtx"].metrics.values()] == [1024] * len(codes)
    assert [advance for advance, _ in theirs["hmtx"].metrics.values()] == [1024] + [1000] * (len(codes) - 1)
