"""Colours and page geometry of the receipts: A4, quiet navy accents on grey rules."""

from __future__ import annotations

from reportlab.lib.colors import HexColor  # type: ignore[import-untyped]
from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]

__all__ = [
    "ACCENT", "BAND", "FRAME_WIDTH", "INK", "MARGIN_BOTTOM", "MARGIN_TOP", "MARGIN_X", "MUTED",
    "PAGE_HEIGHT", "PAGE_WIDTH", "RULE", "SHADE",
]

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 18 * mm
MARGIN_TOP = 15 * mm
MARGIN_BOTTOM = 20 * mm
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN_X

INK = HexColor("#1A1A1A")
MUTED = HexColor("#59616D")
RULE = HexColor("#9AA4B1")
ACCENT = HexColor("#1F3A5F")
BAND = HexColor("#E4EAF1")
SHADE = HexColor("#F3F5F8")
