"""The PDF itself: A4 frame, document properties, and the deferred-page canvas that writes 「n / N」.

Content (the flowables) is built in ``sections.py``; this module turns it into bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
from reportlab.lib.rl_accel import fp_str  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.lib.utils import TimeStamp  # type: ignore[import-untyped]
from reportlab.pdfbase.pdfdoc import PDFStream  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]
from reportlab.platypus import SimpleDocTemplate  # type: ignore[import-untyped]

from forms_engine.japanese.wareki import JST
from forms_engine.receipts.embedding import FLATE
from forms_engine.receipts.fonts import PRIMARY, FontSet
from forms_engine.receipts.palette import (
    FRAME_WIDTH,
    INK,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    MARGIN_X,
    MUTED,
    PAGE_WIDTH,
    RULE,
)
from forms_engine.receipts.text import TextOps

__all__ = ["DocumentInfo", "write_pdf"]


@dataclass(frozen=True)
class DocumentInfo:
    title: str
    author: str
    subject: str
    keywords: str
    created: datetime
    footer_left: str
    footer_right: str


def _timestamp(moment: datetime) -> Any:
    """A ReportLab timestamp fixed at ``moment``, written in JST, for CreationDate and ModDate."""
    local = moment.astimezone(JST)
    stamp = TimeStamp(invariant=1)
    stamp.t = int(moment.timestamp())
    stamp.lt = local.timetuple()
    stamp.YMDhms = tuple(stamp.lt)[:6]
    stamp.dhh, stamp.dmm, stamp.tzname = 9, 0, "JST"
    return stamp


class _ReceiptCanvas(Canvas):  # type: ignore[misc]
    """Holds every page until the end, when the page count is known, then writes the footers."""

    def __init__(self, filename: Any, *, info: DocumentInfo, fonts: FontSet, **kwargs: Any) -> None:
        super().__init__(filename, **kwargs)
        self._info = info
        self._fonts = fonts
        self._held: list[dict[str, Any]] = []
        self._footer_texts: tuple[str, str] | None = None
        self._doc._timeStamp = _timestamp(info.created)

    def showPage(self) -> None:
        self._held.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._held)
        for number, state in enumerate(self._held, start=1):
            self.__dict__.update(state)
            self._footer(number, total)
            super().showPage()
        for page in self._doc.Pages.pages:
            page.Contents = PDFStream(content=page.stream, filters=[FLATE])
        super().save()

    def _fit(self, text: str, size: float, limit: float) -> str:
        """``text`` shortened with 「…」 to ``limit`` points (the body has every name in full)."""
        text = self._fonts.prepare(text)
        if self._fonts.width(text, size) <= limit:
            return text
        while text and self._fonts.width(text + "…", size) > limit:
            text = text[:-1]
        return text + "…"

    def _footer(self, number: int, total: int) -> None:
        if self._footer_texts is None:
            self._footer_texts = (self._fit(self._info.footer_left, 7.5, FRAME_WIDTH * 0.40),
                                  self._fit(self._info.footer_right, 7.5, FRAME_WIDTH * 0.40))
        left, right = self._footer_texts
        top = MARGIN_BOTTOM - 5 * mm
        baseline = top - 4.2 * mm
        text = TextOps(self, self._fonts)
        text.lines(MARGIN_X, baseline, [left], 7.5, 9, MUTED)
        text.lines(PAGE_WIDTH / 2, baseline, [f"{number} / {total}"], 9, 11, INK, "center")
        text.lines(PAGE_WIDTH - MARGIN_X, baseline, [right], 7.5, 9, MUTED, "right")
        rule = f"{fp_str(RULE.red, RULE.green, RULE.blue)} RG 0.5 w {fp_str(MARGIN_X, top)} m {fp_str(PAGE_WIDTH - MARGIN_X, top)} l S"
        self._code.append(f"q {rule} {text.text()} Q")


def write_pdf(story: Sequence[Any], info: DocumentInfo, fonts: FontSet) -> bytes:
    """Lay ``story`` out on A4 pages and return the PDF; the same input gives the same bytes."""
    buffer = io.BytesIO()
    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=info.title,
        author=info.author,
        subject=info.subject,
        keywords=info.keywords,
        creator="forms-engine receipts",
        lang="ja-JP",
        invariant=1,
        initialFontName=PRIMARY,
        displayDocTitle=1,
    )
    template.build(list(story), canvasmaker=partial(_ReceiptCanvas, info=info, fonts=fonts))
    return buffer.getvalue()
