"""Moved to ``forms_engine.japanese.wareki`` (one place for the pages and the receipts); this name is kept
only so that code written meanwhile still imports. Import from ``forms_engine.japanese.wareki``."""

from forms_engine.japanese.wareki import (
    ERAS,
    JST,
    Era,
    display_date,
    display_iso_date,
    era_year,
    format_jst,
    to_wareki,
    to_wareki_with_western,
)

__all__ = [
    "ERAS", "JST", "Era", "display_date", "display_iso_date", "era_year", "format_jst", "to_wareki",
    "to_wareki_with_western",
]
