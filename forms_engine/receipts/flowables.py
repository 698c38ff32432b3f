"""Light platypus flowables: a text block and a ruled grid that split across pages line by line.

They draw prepared text (``FontSet.prepare``) with ``text.wrap`` and ``text.draw_lines`` instead of
Paragraph and Table, which parse markup and re-measure every cell several times: this keeps a
receipt at a few milliseconds. A grid repeats its header row on every page, and a long answer
breaks between two of its lines, its label repeated with 「（続き）」 on the next page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reportlab.lib.rl_accel import fp_str  # type: ignore[import-untyped]
from reportlab.platypus import Flowable  # type: ignore[import-untyped]

from forms_engine.receipts.fonts import FontSet
from forms_engine.receipts.palette import ACCENT, BAND, INK, MUTED, RULE, SHADE
from forms_engine.receipts.text import TextOps, draw_lines, wrap

__all__ = ["Grid", "GridRow", "SectionHeading", "TextBlock"]

LEADING = 1.5
PAD_X, PAD_TOP, PAD_BOTTOM = 5.0, 3.0, 3.0
CONTINUED = "（続き）"


def _first_baseline(top: float, size: float, leading: float) -> float:
    """Baseline of the first line in a line box of height ``leading`` whose top is ``top``."""
    return top - (leading - size) / 2 - size * 0.86


class TextBlock(Flowable):  # type: ignore[misc]
    """Plain text, wrapped; splits between lines."""

    def __init__(
        self, fonts: FontSet, text: str, size: float, *, color: Any = INK, leading: float = 0.0,
        space_before: float = 0.0, space_after: float = 0.0, lines: Sequence[str] | None = None,
    ) -> None:
        super().__init__()
        self.fonts, self.size, self.color = fonts, size, color
        self.text = text if lines is not None else fonts.prepare(text)
        self.leading = leading or size * LEADING
        self.spaceBefore, self.spaceAfter = space_before, space_after
        self._lines = list(lines) if lines is not None else None
        self._width = -1.0

    def _layout(self, width: float) -> list[str]:
        if self._lines is None or self._width != width:
            self._lines = wrap(self.fonts, self.text, self.size, width)
            self._width = width
        return self._lines

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        self.height = len(self._layout(available_width)) * self.leading
        return self.width, self.height

    def split(self, available_width: float, available_height: float) -> list[Any]:
        lines = self._layout(available_width)
        fit = int(available_height // self.leading)
        if fit < 1:
            return []
        if fit >= len(lines):
            return [self]
        def make(part: Sequence[str]) -> TextBlock:
            return TextBlock(self.fonts, self.text, self.size, color=self.color, leading=self.leading, lines=part)

        first, rest = make(lines[:fit]), make(lines[fit:])
        first.spaceBefore, rest.spaceAfter = self.spaceBefore, self.spaceAfter
        return [first, rest]

    def draw(self) -> None:
        lines = self._layout(self.width)
        baseline = _first_baseline(self.height, self.size, self.leading)
        draw_lines(self.canv, self.fonts, 0, baseline, lines, self.size, self.leading, self.color)


class SectionHeading(Flowable):  # type: ignore[misc]
    """「申請内容」 etc.: an accent bar, the title and a rule under it."""

    def __init__(self, fonts: FontSet, title: str, size: float = 11.5) -> None:
        super().__init__()
        self.fonts, self.title, self.size = fonts, fonts.prepare(title), size
        self.spaceBefore, self.spaceAfter = 12.0, 5.0

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width, self.height = available_width, self.size * 1.9
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        canvas.setFillColor(ACCENT)
        canvas.rect(0, 3, 3, self.height - 3, stroke=0, fill=1)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(0, 0.5, self.width, 0.5)
        draw_lines(canvas, self.fonts, 9, 3 + self.size * 0.42, [self.title], self.size, self.size, ACCENT)


@dataclass(frozen=True)
class GridRow:
    """One row: ``cells`` holds one text per column, or a single text for a heading spanning them.

    ``kind``: ``body``; ``step`` (a band across the grid, e.g. a step of the form); ``group`` (a
    lighter band, e.g. a nested group or an array item). ``indent`` shifts the first cell's text."""

    cells: tuple[str, ...]
    kind: str = "body"
    indent: float = 0.0


@dataclass(frozen=True)
class _Laid:
    row: GridRow
    lines: tuple[tuple[str, ...], ...]
    height: float


class Grid(Flowable):  # type: ignore[misc]
    def __init__(
        self, fonts: FontSet, widths: Sequence[float], header: Sequence[str], rows: Sequence[GridRow],
        sizes: Sequence[float], *, shade_first: bool = True, laid: Sequence[_Laid] | None = None,
    ) -> None:
        super().__init__()
        self.fonts, self.widths, self.sizes = fonts, tuple(widths), tuple(sizes)
        self.header = GridRow(tuple(fonts.prepare(text) for text in header), "header") if header else None
        prepare = fonts.prepare
        self.rows = [GridRow(tuple(map(prepare, row.cells)), row.kind, row.indent) for row in rows] if laid is None else []
        self.shade_first = shade_first
        self._laid: list[_Laid] | None = list(laid) if laid is not None else None
        self._header_laid = self._lay(self.header) if self.header else None

    # -- layout ----------------------------------------------------------------------------------

    def _size(self, row: GridRow, column: int) -> float:
        if row.kind == "header":
            return 8.5
        if row.kind == "step":
            return 10.0
        if row.kind == "group":
            return 9.0
        return self.sizes[column]

    def _lay(self, row: GridRow) -> _Laid:
        spans = len(row.cells) == 1 and len(self.widths) > 1
        widths = (sum(self.widths),) if spans else self.widths
        lines = []
        height = 0.0
        for column, (text, width) in enumerate(zip(row.cells, widths, strict=False)):
            size = self._size(row, column)
            inner = width - 2 * PAD_X - (row.indent if column == 0 else 0.0)
            cell = tuple(wrap(self.fonts, text, size, inner))
            lines.append(cell)
            height = max(height, len(cell) * size * LEADING)
        return _Laid(row, tuple(lines), height + PAD_TOP + PAD_BOTTOM)

    def _rows(self) -> list[_Laid]:
        if self._laid is None:
            self._laid = [self._lay(row) for row in self.rows]
        return self._laid

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = sum(self.widths)
        header = self._header_laid.height if self._header_laid else 0.0
        self.height = header + sum(laid.height for laid in self._rows())
        return self.width, self.height

    def _split_row(self, laid: _Laid, room: float) -> tuple[_Laid, _Laid] | None:
        """The row cut so that its first part fits in ``room``; None when not even one line fits."""
        room -= PAD_TOP + PAD_BOTTOM
        first, rest = [], []
        for column, cell in enumerate(laid.lines):
            fit = max(0, math.floor(room / (self._size(laid.row, column) * LEADING)))
            first.append(cell[:fit])
            rest.append(cell[fit:])
        if not any(first[1:]) or not any(rest[1:]):
            return None
        if not rest[0]:  # the label went whole on the first part: name it again on the next page
            size, label = self._size(laid.row, 0), laid.row.cells[0] + CONTINUED
            rest[0] = tuple(wrap(self.fonts, label, size, self.widths[0] - 2 * PAD_X - laid.row.indent))

        def part(cells: list[tuple[str, ...]]) -> _Laid:
            tallest = max(len(cell) * self._size(laid.row, column) * LEADING for column, cell in enumerate(cells))
            return _Laid(laid.row, tuple(cells), tallest + PAD_TOP + PAD_BOTTOM)

        return part(first), part(rest)

    def split(self, available_width: float, available_height: float) -> list[Any]:
        rows = self._rows()
        used = self._header_laid.height if self._header_laid else 0.0
        taken: list[_Laid] = []
        remaining: list[_Laid] = []
        for index, laid in enumerate(rows):
            if used + laid.height <= available_height:
                taken.append(laid)
                used += laid.height
                continue
            parts = self._split_row(laid, available_height - used) if laid.row.kind == "body" else None
            if parts is not None:
                taken.append(parts[0])
                remaining = [parts[1], *rows[index + 1 :]]
            else:
                remaining = rows[index:]
            break
        while taken and taken[-1].row.kind != "body":  # a heading never ends a page
            remaining.insert(0, taken.pop())
        if not taken:
            return []
        if not remaining:
            return [self]
        header = self.header.cells if self.header else ()
        def make(part: Sequence[_Laid]) -> Grid:
            return Grid(self.fonts, self.widths, header, [], self.sizes, shade_first=self.shade_first, laid=part)

        return [make(taken), make(remaining)]

    # -- drawing ---------------------------------------------------------------------------------

    def draw(self) -> None:
        """Backgrounds, then all the text in one block, then the rules, as PDF operators."""
        laid_rows = ([self._header_laid] if self._header_laid else []) + self._rows()
        total = sum(self.widths)
        fills: list[str] = []
        text = TextOps(self.canv, self.fonts)
        top = self.height
        horizontal: list[tuple[float, float, float, float]] = [(0, top, total, top)]
        vertical: list[tuple[float, float, float, float]] = []
        for laid in laid_rows:
            bottom = top - laid.height
            kind = laid.row.kind
            fill = {"header": BAND, "step": BAND, "group": SHADE}.get(kind)
            if fill is not None:
                fills.append(f"{fp_str(fill.red, fill.green, fill.blue)} rg {fp_str(0, bottom, total, laid.height)} re f")
            elif self.shade_first:
                fills.append(f"{fp_str(SHADE.red, SHADE.green, SHADE.blue)} rg {fp_str(0, bottom, self.widths[0], laid.height)} re f")
            x = 0.0
            for column, cell in enumerate(laid.lines):
                size = self._size(laid.row, column)
                color = MUTED if kind == "header" else ACCENT if kind == "step" else INK
                indent = laid.row.indent if column == 0 else 0.0
                baseline = _first_baseline(top - PAD_TOP, size, size * LEADING)
                text.lines(x + PAD_X + indent, baseline, cell, size, size * LEADING, color)
                if len(laid.lines) > 1 and column > 0:
                    vertical.append((x, top, x, bottom))
                x += self.widths[column]
            horizontal.append((0, bottom, total, bottom))
            top = bottom
        vertical += [(0, self.height, 0, 0), (total, self.height, total, 0)]
        rules = " ".join(f"{fp_str(x1, y1)} m {fp_str(x2, y2)} l" for x1, y1, x2, y2 in horizontal + vertical)
        stroke = f"{fp_str(RULE.red, RULE.green, RULE.blue)} RG 0.4 w {rules} S"
        self.canv._code.append(" ".join(["q", *fills, text.text(), stroke, "Q"]))
