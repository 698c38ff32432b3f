"""PDF receipts of submissions: the resident's 申請控え and the back office's 受付票.

Plain data in (``ReceiptData``), PDF bytes out (``render_receipt``); no database or web code here.
"""

from forms_engine.japanese.wareki import format_jst, to_wareki
from forms_engine.receipts.qr import parse_qr_text, qr_text
from forms_engine.receipts.schemas import AttachmentInfo, Copy, FeeInfo, ReceiptData
from forms_engine.receipts.service import render_receipt

__all__ = [
    "AttachmentInfo",
    "Copy",
    "FeeInfo",
    "ReceiptData",
    "format_jst",
    "parse_qr_text",
    "qr_text",
    "render_receipt",
    "to_wareki",
]
