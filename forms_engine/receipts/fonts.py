"""The receipt fonts: registered once, chosen per character, embedded as subsets.

IPAex Gothic prints everything it has (JIS X 0208/0213, 髙, 﨑, Latin-1, …). A character it lacks
is printed with the first fallback that has its glyph: DejaVu Sans (Latin, Greek, Cyrillic beyond
IPAex) and two Hanazono Mincho subsets holding the 文字情報基盤 (MJ) characters IPAex lacks, such as
𠮷 (U+20BB7). A character no font has prints as 〓 followed by its code point, never as an empty box.
See fonts/README.md for where the files come from and their licences.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]

from forms_engine.receipts.embedding import load_font

__all__ = ["FONT_FILES", "PRIMARY", "FontSet", "clean_text", "fonts_dir", "get_fonts"]

PRIMARY = "FE-Gothic"
FONT_FILES: tuple[tuple[str, str], ...] = (
    (PRIMARY, "ipaexg.ttf"),
    ("FE-Latin", "DejaVuSans.ttf"),
    ("FE-MJ-A", "HanaMinA-subset.ttf"),
    ("FE-MJ-B", "HanaMinB-subset.ttf"),
)
GETA = "〓"

# Variation selectors (the glyph variant cannot be chosen without shaping: the base character prints),
# zero-width joiners, and C0/C1 controls other than the newline.
_INVISIBLE = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef\u200b-\u200d\u2060\ufeff]")
_CONTROLS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def fonts_dir() -> Path:
    """``FORMS_ENGINE_RECEIPT_FONTS_DIR``, else the repository's ``fonts/`` folder."""
    configured = os.environ.get("FORMS_ENGINE_RECEIPT_FONTS_DIR")
    return Path(configured) if configured else Path(__file__).resolve().parents[2] / "fonts"


def clean_text(text: str) -> str:
    """Normalise line ends, drop invisible selectors and turn control characters into spaces."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROLS.sub(" ", _INVISIBLE.sub("", text))


class FontSet:
    """Which font prints each character, and how wide it is (in 1/1000 of the font size)."""

    def __init__(self, faces: Sequence[tuple[str, Any]]) -> None:
        self.names = tuple(name for name, _ in faces)
        self._faces = tuple(face for _, face in faces)
        self._primary_chars = frozenset(chr(code) for code, glyph in self._faces[0].charToGlyph.items() if glyph)
        self._glyphs: dict[str, tuple[str, float] | None] = {}

    def glyph(self, char: str) -> tuple[str, float] | None:
        """(font name, advance width) of ``char``, or None when no font has it."""
        try:
            return self._glyphs[char]
        except KeyError:
            pass
        code, found = ord(char), None
        for name, face in zip(self.names, self._faces, strict=True):
            if face.charToGlyph.get(code):
                found = (name, float(face.charWidths.get(code, face.defaultWidth)))
                break
        if char == "\n":
            found = (PRIMARY, 0.0)
        self._glyphs[char] = found
        return found

    def prepare(self, text: Any) -> str:
        """Printable text: cleaned, and every character no font has replaced by 〓[U+XXXX]."""
        return self._prepared(str(text))

    @lru_cache(maxsize=8192)  # noqa: B019 - one FontSet per process; labels repeat on every receipt
    def _prepared(self, text: str) -> str:
        cleaned = clean_text(text)
        if self._primary_chars.issuperset(cleaned.replace("\n", "")):
            return cleaned
        return "".join(char if self.glyph(char) else f"{GETA}[U+{ord(char):04X}]" for char in cleaned)

    def advance(self, char: str) -> float:
        found = self.glyph(char)
        return found[1] if found else 1000.0

    def width(self, text: str, size: float) -> float:
        """Width in points of prepared ``text`` at ``size``."""
        return sum(self.advance(char) for char in text) * size / 1000.0

    def runs(self, text: str) -> list[tuple[str, str]]:
        """Prepared ``text`` cut into (font name, piece) runs."""
        if self._primary_chars.issuperset(text):
            return [(PRIMARY, text)] if text else []
        result: list[tuple[str, str]] = []
        for char in text:
            found = self.glyph(char)
            font = found[0] if found else PRIMARY
            if result and result[-1][0] == font:
                result[-1] = (font, result[-1][1] + char)
            else:
                result.append((font, char))
        return result


_lock = threading.Lock()
_fonts: FontSet | None = None


def get_fonts() -> FontSet:
    """Register the fonts with ReportLab on first use; later calls return the same set."""
    global _fonts
    if _fonts is not None:
        return _fonts
    with _lock:
        if _fonts is None:
            folder = fonts_dir()
            faces = []
            for name, filename in FONT_FILES:
                path = folder / filename
                if not path.is_file():
                    raise FileNotFoundError(f"receipt font missing: {path} (see fonts/README.md)")
                font = load_font(name, str(path))
                pdfmetrics.registerFont(font)
                faces.append((name, font.face))
            _fonts = FontSet(faces)
        return _fonts
