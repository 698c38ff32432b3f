"""Japanese data as people read it: 和暦 dates and moments (``wareki``), 開庁日 (``office_days``).

One place for both the resident pages and the receipts, so that a date reads the same on the confirmation
page, the completion page and the PDF (docs/adr/0004-dates-on-pages-and-receipts.md). Pure functions of the
standard library and ``jpholiday``; no web, database or PDF code.
"""
