"""The TrueType program embedded for each font subset: ReportLab's format, without hinting, from cached glyphs.

ReportLab embeds a subset of each font a document uses (at most 256 characters per subset) and
builds its TrueType program in ``TTFontFile.makeSubset``, reading every glyph of the subset from the
font file again for every document. ``GlyphSource.make_subset`` builds the same tables in the same
way (for a font without hinting the bytes are ReportLab's, which a test checks), with two changes:

- **No hinting.** A glyph's TrueType instructions, and the ``fpgm``, ``prep`` and ``cvt `` tables they
  run in, only help rasterise at small pixel sizes on screens; PDF viewers and printers scale the
  outlines. They are half of IPAex Gothic's glyph bytes, so leaving them out halves every embedded
  subset and the time spent compressing it. Outlines, metrics and the character map are unchanged,
  and the font files on disk are never modified.
- **Glyphs are read once per process**: each glyph, its instructions removed and its composite
  components found, is kept for the next document that prints it.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from itertools import accumulate
from typing import Any

from reportlab.pdfbase.ttfonts import TTFontMaker  # type: ignore[import-untyped]

__all__ = ["GlyphSource", "strip_instructions"]

# Composite glyph component flags (OpenType 'glyf' table).
_ARG_WORDS, _SCALE, _MORE, _XY_SCALE, _TWO_BY_TWO, _INSTRUCTIONS = 0x01, 0x08, 0x20, 0x40, 0x80, 0x100
_COPIED = ("name", "OS/2")


def _parts(glyph: bytes) -> tuple[list[tuple[int, int, int]], int]:
    """The components of a composite glyph as (offset, flags, glyph index), and where they end."""
    found, at, flags = [], 10, _MORE
    while flags & _MORE:
        flags, index = struct.unpack_from(">HH", glyph, at)
        found.append((at, flags, index))
        at += 4 + (4 if flags & _ARG_WORDS else 2)
        at += 2 if flags & _SCALE else 4 if flags & _XY_SCALE else 8 if flags & _TWO_BY_TWO else 0
    return found, at


def strip_instructions(glyph: bytes) -> bytes:
    """One 'glyf' entry without its TrueType instructions (the outline and components unchanged)."""
    if len(glyph) < 10:
        return glyph  # an empty glyph (a space)
    (contours,) = struct.unpack_from(">h", glyph, 0)
    if contours >= 0:  # simple glyph: header, end points, instruction length, instructions, outline
        at = 10 + 2 * contours
        (length,) = struct.unpack_from(">H", glyph, at)
        return glyph if length == 0 else glyph[:at] + b"\0\0" + glyph[at + 2 + length :]
    parts, end = _parts(glyph)  # composite glyph: components, then instructions when a flag says so
    out = bytearray(glyph[:end])
    for at, flags, _ in parts:
        struct.pack_into(">H", out, at, flags & ~_INSTRUCTIONS)
    return bytes(out)


def _horizontal_metrics(hmtx: bytes, hhea: bytes, count: int) -> list[tuple[int, int]]:
    """(advance width, left side bearing) of every glyph, in font units, from the 'hmtx' table.

    (ReportLab's own list holds the advance scaled to 1/1000 em for the glyphs after the last full
    entry, which its subsets then store as if it were in font units.)"""
    (full,) = struct.unpack_from(">H", hhea, 34)
    pairs = struct.unpack_from(f">{2 * full}H", hmtx, 0)
    bearings = struct.unpack_from(f">{count - full}H", hmtx, 4 * full)
    metrics = list(zip(pairs[0::2], pairs[1::2], strict=True))
    return metrics + [(pairs[-2], bearing) for bearing in bearings]


class GlyphSource:
    """The glyphs of one ReportLab ``TTFontFace``, without instructions, read on first use."""

    def __init__(self, face: Any) -> None:
        self._data: bytes = face._ttf_data
        self._start: int = face.get_table_pos("glyf")[0]
        self._positions: list[int] = face.glyphPos
        self._metrics = _horizontal_metrics(bytes(face.get_table("hmtx")), bytes(face.get_table("hhea")), len(face.glyphPos) - 1)
        self._char_to_glyph: dict[int, int] = face.charToGlyph
        self._copied = [(tag, bytes(face.get_table(tag))) for tag in _COPIED]
        post = bytes(face.get_table("post"))
        self._post = b"\x00\x03\x00\x00" + post[4:16] + b"\x00" * 16  # version 3: no glyph names
        self._hhea, self._maxp, self._head = (bytes(face.get_table(tag)) for tag in ("hhea", "maxp", "head"))
        self._glyphs: dict[int, tuple[bytes, list[tuple[int, int]]]] = {}

    def glyph(self, index: int) -> tuple[bytes, list[tuple[int, int]]]:
        """The glyph's bytes (instructions removed, padded to 4 bytes) and its components, if composite."""
        cached = self._glyphs.get(index)
        if cached is not None:
            return cached
        first, end = self._start + self._positions[index], self._start + self._positions[index + 1]
        raw = self._data[first:end]
        glyph = strip_instructions(raw) if raw else b""
        components = [(at + 2, index) for at, _, index in _parts(glyph)[0]] if glyph[:1] >= b"\x80" else []
        glyph += b"\0" * (-len(glyph) % 4)
        self._glyphs[index] = cached = (glyph, components)
        return cached

    def make_subset(self, subset: Sequence[int]) -> bytes:
        """The TrueType program of one subset; ``subset[code]`` is the character printed with ``code``."""
        char_to_glyph, cache = self._char_to_glyph, self._glyphs
        # new glyph index -> glyph index in the font, in order of first use; 0 (.notdef) stays 0
        order = list(dict.fromkeys([0, *(char_to_glyph.get(code, 0) for code in subset)]))
        entries = [cache.get(original) or self.glyph(original) for original in order]
        renumbered = {original: index for index, original in enumerate(order)}
        at = 0
        while at < len(order):  # the parts of composite glyphs come along, numbered after the others
            for _, component in entries[at][1]:
                if component not in renumbered:
                    renumbered[component] = len(order)
                    order.append(component)
                    entries.append(self.glyph(component))
            at += 1

        glyphs = []
        for glyph, components in entries:
            if components:
                patched = bytearray(glyph)
                for field, component in components:
                    struct.pack_into(">H", patched, field, renumbered[component])
                glyph = bytes(patched)
            glyphs.append(glyph)
        offsets = [0, *accumulate(map(len, glyphs))]
        position = offsets[-1]
        long_offsets = (position + 1) >> 1 > 0xFFFF

        count = len(order)
        advances = [self._metrics[original][0] for original in order]
        bearings = [self._metrics[original][1] for original in order]
        full = count  # glyphs after the last change of advance width share the last full entry's width
        while full > 1 and advances[full - 1] == advances[full - 2]:
            full -= 1
        hmtx = [value for pair in zip(advances[:full], bearings[:full], strict=True) for value in pair]
        hmtx += bearings[full:]

        cmap = [0, 1, 1, 0, 0, 12, 6, 10 + 2 * len(subset), 0, 0, len(subset)]
        cmap += [renumbered[char_to_glyph.get(code, 0)] for code in subset]

        output = TTFontMaker()
        for tag, table in self._copied:
            output.add(tag, table)
        output.add("post", self._post)
        output.add("hmtx", struct.pack(f">{len(hmtx)}H", *hmtx))
        output.add("hhea", self._hhea[:34] + struct.pack(">H", full) + self._hhea[36:])
        output.add("maxp", self._maxp[:4] + struct.pack(">H", count) + self._maxp[6:])
        output.add("cmap", struct.pack(f">{len(cmap)}H", *cmap))
        output.add("glyf", b"".join(glyphs))
        if long_offsets:
            output.add("loca", struct.pack(f">{len(offsets)}L", *offsets))
        else:
            output.add("loca", struct.pack(f">{len(offsets)}H", *(offset >> 1 for offset in offsets)))
        output.add("head", self._head[:50] + struct.pack(">H", int(long_offsets)) + self._head[52:])
        return output.makeStream()  # type: ignore[no-any-return]
