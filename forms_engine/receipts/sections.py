"""The receipt's parts as flowables: header, 受付番号 box, answers, attachments, signature, key/values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.platypus import CondPageBreak, Flowable  # type: ignore[import-untyped]

from forms_engine.japanese.wareki import format_jst
from forms_engine.receipts.flowables import Grid, GridRow, SectionHeading
from forms_engine.receipts.fonts import FontSet
from forms_engine.receipts.layout import Row
from forms_engine.receipts.palette import ACCENT, FRAME_WIDTH, INK, MUTED, RULE
from forms_engine.receipts.qr import draw_qr, qr_rows
from forms_engine.receipts.text import draw_lines, wrap

__all__ = ["Header", "ReceiptBox", "answers_grid", "attachments_grid", "file_size", "key_value_grid", "section", "signature_pairs"]

LABEL_WIDTH = 56 * mm
BADGE_WIDTH = 42 * mm
QR_SIZE = 30 * mm

_SIGNATURE_STATUS = {"valid": "有効（検証に成功）", "invalid": "無効（検証に失敗）", "indeterminate": "判定保留"}
_REVOCATION_STATUS = {
    "good": "失効していません",
    "revoked": "失効しています",
    "unknown": "確認できませんでした（後日再確認）",
    "not_checked": "未確認",
}


def file_size(size: int) -> str:
    """「1.2 MB」 and the exact count on a second line: 「1,234,567 バイト」."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}\n{size:,} バイト"
    return f"{size:,} バイト"


def _moment(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return str(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return format_jst(value)
    return "" if value is None else str(value)


def section(fonts: FontSet, title: str) -> list[Any]:
    """A section heading; it opens a new page rather than stand alone at the foot of one."""
    return [CondPageBreak(30 * mm), SectionHeading(fonts, title)]


class Header(Flowable):  # type: ignore[misc]
    """Organisation and department, the copy's badge (申請控え / 受付票), procedure title and version."""

    def __init__(self, fonts: FontSet, organisation: str, badge: tuple[str, str], title: str, version: str) -> None:
        super().__init__()
        self.fonts = fonts
        self.organisation = wrap(fonts, fonts.prepare(organisation), 10.5, FRAME_WIDTH - BADGE_WIDTH - 6 * mm)
        self.badge = (fonts.prepare(badge[0]), fonts.prepare(badge[1]))
        self.title = wrap(fonts, fonts.prepare(title), 16, FRAME_WIDTH)
        self.version = fonts.prepare(f"様式バージョン {version}")
        self.spaceAfter = 6.0

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        top_part = max(len(self.organisation) * 14.0, 17 * mm)
        self.width, self.height = available_width, top_part + 6 + len(self.title) * 21.0 + 14
        return self.width, self.height

    def draw(self) -> None:
        canvas, fonts, top = self.canv, self.fonts, self.height
        draw_lines(canvas, fonts, 0, top - 11, self.organisation, 10.5, 14, INK)
        left = self.width - BADGE_WIDTH
        canvas.setStrokeColor(ACCENT)
        canvas.setLineWidth(1)
        canvas.rect(left, top - 17 * mm, BADGE_WIDTH, 17 * mm, stroke=1, fill=0)
        middle = left + BADGE_WIDTH / 2
        draw_lines(canvas, fonts, middle, top - 8.2 * mm, [self.badge[0]], 15, 18, ACCENT, "center")
        draw_lines(canvas, fonts, middle, top - 14 * mm, [self.badge[1]], 8, 10, MUTED, "center")
        title_top = top - max(len(self.organisation) * 14.0, 17 * mm) - 6
        draw_lines(canvas, fonts, 0, title_top - 16, self.title, 16, 21, INK)
        draw_lines(canvas, fonts, 0, title_top - len(self.title) * 21.0 - 6, [self.version], 8.5, 11, MUTED)


class ReceiptBox(Flowable):  # type: ignore[misc]
    """The 受付番号 in large type, the 受付日時, the digest of the submission, and the QR code."""

    def __init__(self, fonts: FontSet, receipt_number: str, received_at: datetime, sha256: str, qr_value: str) -> None:
        super().__init__()
        self.fonts = fonts
        self.number = fonts.prepare(receipt_number)
        self.received = fonts.prepare(format_jst(received_at))
        self.digest = sha256.lower()
        self.qr_rows, self.qr_size = qr_rows(qr_value)
        self.spaceAfter = 4.0

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width, self.height = available_width, QR_SIZE + 6 * mm
        return self.width, self.height

    def draw(self) -> None:
        canvas, fonts, top = self.canv, self.fonts, self.height
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.8)
        canvas.rect(0, 0, self.width, self.height, stroke=1, fill=0)
        x = 4 * mm
        draw_lines(canvas, fonts, x, top - 5.5 * mm, ["受付番号"], 9, 11, MUTED)
        draw_lines(canvas, fonts, x, top - 15 * mm, [self.number], 24, 28, ACCENT)
        draw_lines(canvas, fonts, x, top - 20.5 * mm, ["受付日時"], 9, 11, MUTED)
        draw_lines(canvas, fonts, x, top - 25.5 * mm, [self.received], 10.5, 13, INK)
        draw_lines(canvas, fonts, x, top - 31 * mm, ["申請データの SHA-256  " + self.digest], 7, 9, MUTED)
        draw_qr(canvas, self.qr_rows, self.qr_size, self.width - QR_SIZE - 3 * mm, 3 * mm, QR_SIZE)


def answers_grid(fonts: FontSet, rows: Sequence[Row]) -> Grid:
    grid_rows = []
    for row in rows:
        indent = 8.0 * max(row.depth - 1, 0)
        if row.value_text is None:
            grid_rows.append(GridRow((row.label,), "step" if row.depth == 0 else "group", indent))
        else:
            grid_rows.append(GridRow((row.label, row.value_text), "body", indent))
    return Grid(fonts, [LABEL_WIDTH, FRAME_WIDTH - LABEL_WIDTH], ("項目", "内容"), grid_rows, (9, 9.5))


def attachments_grid(fonts: FontSet, attachments: Sequence[Mapping[str, Any]]) -> Grid:
    rows = []
    for item in attachments:
        digest = str(item.get("sha256", "")).lower()
        size = item.get("size")
        rows.append(GridRow((
            str(item.get("name", "")),
            str(item.get("media_type", "")),
            file_size(size) if isinstance(size, int) else "不明",
            f"{digest[:32]}\n{digest[32:]}",
        )))
    widths = [54 * mm, 32 * mm, 31 * mm]
    return Grid(
        fonts, [*widths, FRAME_WIDTH - sum(widths)], ("ファイル名", "種類", "サイズ", "SHA-256"), rows,
        (8.5, 8.5, 8.5, 7.5), shade_first=False,
    )


def key_value_grid(fonts: FontSet, pairs: Sequence[tuple[str, str]]) -> Grid:
    rows = [GridRow((key, value)) for key, value in pairs]
    return Grid(fonts, [LABEL_WIDTH, FRAME_WIDTH - LABEL_WIDTH], (), rows, (9, 9.5))


def signature_pairs(record: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The signature verification record as label/value pairs (the certificate subject is left out)."""
    certificate = record.get("certificate")
    certificate = certificate if isinstance(certificate, Mapping) else {}
    revocation = record.get("revocation")
    revocation = revocation if isinstance(revocation, Mapping) else {}
    status = str(record.get("status") or "")
    pairs = [("検証結果", _SIGNATURE_STATUS.get(status, status or "不明"))]
    if record.get("failure"):
        pairs.append(("理由", str(record["failure"])))
    fingerprint = str(certificate.get("fingerprint_sha256") or certificate.get("fingerprint") or "")
    if len(fingerprint) == 64:  # two groups of 32 hex digits, as in the attachments
        fingerprint = f"{fingerprint[:32]}\n{fingerprint[32:]}"
    pairs += [
        ("証明書の発行者", str(certificate.get("issuer") or "不明")),
        ("証明書のシリアル番号", str(certificate.get("serial") or "不明")),
        ("証明書のフィンガープリント（SHA-256）", fingerprint or "不明"),
    ]
    if revocation:
        revocation_status = str(revocation.get("status") or "")
        pairs.append(("失効確認", _REVOCATION_STATUS.get(revocation_status, revocation_status or "不明")))
    verified = record.get("verified_at") or record.get("received_at")
    if verified:
        pairs.append(("検証日時", _moment(verified)))
    final = record.get("final")  # a pending verdict settled later by `forms-engine signatures recheck`
    if isinstance(final, Mapping) and final.get("status"):
        final_status = str(final["status"])
        pairs.append(("再確認の結果", _SIGNATURE_STATUS.get(final_status, final_status)))
        if final.get("failure"):
            pairs.append(("再確認の理由", str(final["failure"])))
        if final.get("decided_at"):
            pairs.append(("再確認日時", _moment(final["decided_at"])))
    return pairs
