"""Line breaking for Japanese text (kinsoku shori) and drawing of prepared lines with font runs.

Lines break between any two characters, as Japanese does, except that a line never starts with
closing punctuation or small kana (、。」…) and never ends with an opening bracket (「（…), and that
a run of Latin letters and digits (a word, an e-mail address, a number) moves to the next line whole
when it fits on one line. Hard line breaks of the answer are kept. Nothing is ever dropped: every
character of the text is on exactly one line, spaces at a break excepted.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from reportlab.lib.rl_accel import fp_str  # type: ignore[import-untyped]
from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]

from forms_engine.receipts.fonts import FontSet

__all__ = ["TextOps", "draw_lines", "wrap"]

NO_LINE_START = frozenset(
    "、。，．,.：；:;？！?!)）]］｝}〕〉》」』】〙〗〟’”ヽヾーァィゥェォッャュョヮヵヶぁぃぅぇぉっゃゅょゎゕゖㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ々〻‐゠–〜～…‥・％%"
)
NO_LINE_END = frozenset("(（[［｛{〔〈《「『【〘〖〝‘“")
_WORD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@._-+/:#%&=?~")


def _break_at(text: str, start: int, end: int) -> int:
    """Where to break a line that would overflow at ``end``: a position in (start, end]."""
    position = end
    # Keep a Latin word whole when it starts on this line and fits on a line of its own.
    if text[position - 1] in _WORD and position < len(text) and text[position] in _WORD:
        word_start = position
        while word_start > start and text[word_start - 1] in _WORD:
            word_start -= 1
        if word_start > start:
            position = word_start
    # Kinsoku: pull one or two characters down rather than break before 」 or after 「.
    for _ in range(2):
        if position - 1 > start and position < len(text) and (
            text[position] in NO_LINE_START or text[position - 1] in NO_LINE_END
        ):
            position -= 1
    return position


def wrap(fonts: FontSet, text: str, size: float, width: float) -> list[str]:
    """Prepared ``text`` (see ``FontSet.prepare``) broken into lines no wider than ``width`` points."""
    return list(_wrapped(fonts, text, size, width))


@lru_cache(maxsize=8192)  # labels, headings and notes are the same on every receipt of a procedure
def _wrapped(fonts: FontSet, text: str, size: float, width: float) -> tuple[str, ...]:
    limit = width * 1000.0 / size
    advance = fonts.advance
    lines: list[str] = []
    for paragraph in text.split("\n"):
        start, used, index, length = 0, 0.0, 0, len(paragraph)
        while index < length:
            step = advance(paragraph[index])
            if used + step <= limit or index == start:
                used += step
                index += 1
                continue
            cut = _break_at(paragraph, start, index)
            lines.append(paragraph[start:cut].rstrip(" "))
            start = cut
            while start < length and paragraph[start] == " ":  # no line starts with a space
                start += 1
            index = max(index, start)
            used = sum(advance(char) for char in paragraph[start:index])
        if start < length or start == 0:  # an empty paragraph stays an empty line
            lines.append(paragraph[start:].rstrip(" "))
    return tuple(lines)


_FONTS: dict[str, Any] = {}  # registered once per process (fonts.get_fonts)


def _rgb(color: Any) -> str:
    return str(fp_str(color.red, color.green, color.blue))


class TextOps:
    """Text operators for one BT…ET block, written directly (hex strings of each font subset) rather
    than through ReportLab's text object, which measures every piece again. The fill colour and the
    font are set only when they change."""

    def __init__(self, canvas: Any, fonts: FontSet) -> None:
        self._doc = canvas._doc
        self._fonts = fonts
        self._ops: list[str] = []
        self._color: Any = None
        self._font_name: str | None = None
        self._size = ""
        self._names: dict[tuple[str, int], str] = {}

    def lines(
        self, x: float, baseline: float, lines: Sequence[str], size: float, leading: float, color: Any,
        align: str = "left",
    ) -> None:
        """Prepared ``lines`` from ``baseline`` down; ``align`` left, center (x is the middle) or right."""
        ops, fonts, doc, names = self._ops, self._fonts, self._doc, self._names
        if color is not self._color:
            ops.append(f"{_rgb(color)} rg")
            self._color = color
        size_text = fp_str(size)
        for number, line in enumerate(lines):
            if not line:
                continue
            start = x
            if align != "left":
                width = fonts.width(line, size)
                start = x - width / 2 if align == "center" else x - width
            ops.append(f"1 0 0 1 {fp_str(start, baseline - number * leading)} Tm")
            for font_name, piece in fonts.runs(line):
                font = _FONTS.get(font_name) or _FONTS.setdefault(font_name, pdfmetrics.getFont(font_name))
                for subset, chunk in font.splitString(piece, doc):
                    name = names.get((font_name, subset))
                    if name is None:
                        name = names[(font_name, subset)] = font.getSubsetInternalName(subset, doc)
                    if name != self._font_name or size_text != self._size:
                        ops.append(f"{name} {size_text} Tf <{chunk.hex()}> Tj")
                        self._font_name, self._size = name, size_text
                    else:
                        ops.append(f"<{chunk.hex()}> Tj")

    def text(self) -> str:
        """The block, empty when nothing was written."""
        return f"BT {' '.join(self._ops)} ET" if self._ops else ""


def draw_lines(
    canvas: Any,
    fonts: FontSet,
    x: float,
    baseline: float,
    lines: Sequence[str],
    size: float,
    leading: float,
    color: Any,
    align: str = "left",
) -> None:
    """Draw prepared ``lines`` from ``baseline`` down (see ``TextOps.lines``)."""
    ops = TextOps(canvas, fonts)
    ops.lines(x, baseline, lines, size, leading, color, align)
    canvas._code.append(f"q {ops.text()} Q")
