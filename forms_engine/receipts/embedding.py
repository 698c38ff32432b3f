"""How the receipt fonts go into a PDF: ReportLab's TrueType subsets, smaller and cheaper to write.

ReportLab embeds a subset of each font a document uses (at most 256 characters per subset). Changed
here, once per process, when a font is loaded:

- **Subsets without hinting, from cached glyphs**: see ``subsetting.py``.
- **Dense subsets.** Characters are numbered in the order they first appear (``asciiReadable``
  off) instead of reserving the 96 ASCII codes in the first subset whether they are printed or
  not, so a subset holds only glyphs the receipt prints.
- **Compact width arrays**: each subset's ``Widths`` is written as one line of numbers, formatted
  at once, instead of one PDF object per number, each on a line of its own.
- **One compressor** (``FLATE``, ISA-L at ``COMPRESSION``) for every stream: font programs, ToUnicode
  maps and pages, whose ASCII85 layer is left out.
- **A correct ToUnicode CMap** for characters beyond the BMP (see ``to_unicode_cmap``), so that
  𠮷 is extracted as 𠮷.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from isal import isal_zlib
from reportlab.lib.rl_accel import fp_str  # type: ignore[import-untyped]
from reportlab.pdfbase import pdfdoc, ttfonts  # type: ignore[import-untyped]

from forms_engine.receipts.subsetting import GlyphSource

__all__ = ["COMPRESSION", "FLATE", "load_font", "to_unicode_cmap"]

COMPRESSION = 1
"""Deflate level (ISA-L's 0-3) of every stream of a receipt (fonts, ToUnicode maps, pages): see
docs/benchmarks.md. ISA-L writes standard zlib streams (FlateDecode) about three times faster than zlib
at level 1, and as small."""


_CODES = tuple(f"<{code:02X}> " for code in range(256))


@lru_cache(maxsize=65536)
def _utf16(code: int) -> str:
    return f"<{chr(code).encode('utf-16-be').hex().upper()}>"


def to_unicode_cmap(fontname: str, subset: Sequence[int]) -> str:
    """ReportLab's ToUnicode CMap writes U+20BB7 as ``<20BB7>``, which readers take for U+20BB and a
    stray digit; this writes UTF-16BE (a surrogate pair) as the PDF format requires, in blocks of 100."""
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        f"/CIDSystemInfo << /Registry ({fontname}) /Ordering ({fontname}) /Supplement 0 >> def",
        f"/CMapName /{fontname} def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        f"<00> <{len(subset) - 1:02X}>",
        "endcodespacerange",
    ]
    pairs = [_CODES[code] + _utf16(value) for code, value in enumerate(subset)]
    for start in range(0, len(pairs), 100):
        block = pairs[start : start + 100]
        lines += [f"{len(block)} beginbfchar", *block, "endbfchar"]
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines)


class _Flate:
    """FlateDecode at ``COMPRESSION`` with ISA-L, for the streams ReportLab would compress with zlib at
    its default level and for page streams, which it would also wrap in ASCII85 (a quarter bigger)."""

    pdfname = "FlateDecode"

    def encode(self, data: str | bytes) -> bytes:
        return isal_zlib.compress(data.encode("utf-8") if isinstance(data, str) else data, COMPRESSION)


FLATE = _Flate()


class _EmbeddedFont(ttfonts.TTFont):  # type: ignore[misc]
    def addObjects(self, doc: Any) -> None:
        """ReportLab's font objects for this document, then their width arrays written compactly and
        their streams (font programs, ToUnicode maps) compressed with ``FLATE``."""
        super().addObjects(doc)
        for font in doc.idToObject["BasicFonts"].dict.values():
            widths = getattr(font, "Widths", None)
            if isinstance(widths, pdfdoc.PDFArray):
                font.Widths = f"[{fp_str(*widths.sequence)}]".encode("ascii")
        for item in doc.idToObject.values():
            if isinstance(item, pdfdoc.PDFStream) and item.filters == [pdfdoc.PDFZCompress]:
                item.filters = [FLATE]


def load_font(name: str, path: str) -> Any:
    """A ReportLab TTFont prepared as the module says; the caller registers it."""
    ttfonts.makeToUnicodeCMap = to_unicode_cmap
    font = _EmbeddedFont(name, path, asciiReadable=False)
    font.face.makeSubset = GlyphSource(font.face).make_subset
    return font
