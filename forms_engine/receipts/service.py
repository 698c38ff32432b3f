"""render_receipt: a submission's PDF, the resident's 申請控え or the back office's 受付票."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from forms_engine.receipts import sections
from forms_engine.receipts.document import DocumentInfo, write_pdf
from forms_engine.receipts.flowables import TextBlock
from forms_engine.receipts.fonts import get_fonts
from forms_engine.receipts.layout import MASKED, build_rows
from forms_engine.receipts.palette import MUTED
from forms_engine.receipts.qr import qr_text
from forms_engine.receipts.schemas import Copy, ReceiptData

__all__ = ["COPY_TITLES", "render_receipt"]

COPY_TITLES: dict[str, tuple[str, str]] = {
    "resident": ("申請控え", "申請者保管用"),
    "office": ("受付票", "庁内用・取扱注意"),
}

_RESIDENT_NOTE = "上記の受付番号で申請を受け付けました。お問い合わせの際は受付番号をお知らせください。この控えは大切に保管してください。"
_MASK_NOTE = f"個人番号など取扱いに注意を要する情報は「{MASKED}」と表示しています。"
_OFFICE_NOTE = "この受付票には個人情報が含まれます。庁内の取扱規程に従って管理してください。"
_NO_ATTACHMENTS = "添付書類はありません。"


def render_receipt(data: ReceiptData, copy: Copy, *, mask_sensitive: bool | None = None) -> bytes:
    """The receipt PDF. The same ``data`` and ``copy`` always give the same bytes.

    ``x-sensitive`` answers are masked on the resident's copy when ``data.mask_sensitive_for_resident``
    and shown on the office copy; ``mask_sensitive`` overrides that choice (e.g. True for staff who
    lack the right to see them).
    """
    if copy not in COPY_TITLES:
        raise ValueError(f"copy must be 'resident' or 'office', not {copy!r}")
    mask = mask_sensitive if mask_sensitive is not None else (copy == "resident" and data.mask_sensitive_for_resident)
    fonts = get_fonts()
    procedure = data.definition_document.get("x-procedure")
    procedure = procedure if isinstance(procedure, Mapping) else {}
    badge = COPY_TITLES[copy]
    organisation = " ".join(part for part in (data.organisation, data.department_name) if part)
    names = {str(item["id"]): item["name"] for item in data.attachments if item.get("id")}
    rows = build_rows(data.definition_document, data.answers, mask_sensitive=mask, attachment_names=names)

    story: list[Any] = [
        sections.Header(fonts, organisation, badge, data.procedure_title, data.procedure_version),
        sections.ReceiptBox(
            fonts, data.receipt_number, data.received_at, data.submission_sha256,
            qr_text(data.receipt_number, data.submission_sha256),
        ),
    ]
    notes = [_RESIDENT_NOTE if copy == "resident" else _OFFICE_NOTE] + ([_MASK_NOTE] if mask else [])
    story += [TextBlock(fonts, note, 8.5, color=MUTED, space_before=2) for note in notes]

    story += [*sections.section(fonts, "申請内容"), sections.answers_grid(fonts, rows)]
    story += sections.section(fonts, "添付書類")
    if data.attachments:
        story.append(sections.attachments_grid(fonts, data.attachments))
    else:
        story.append(TextBlock(fonts, _NO_ATTACHMENTS, 9.5))
    if data.signature is not None:
        pairs = sections.signature_pairs(data.signature)
        story += [*sections.section(fonts, "電子署名の検証結果"), sections.key_value_grid(fonts, pairs)]
    if data.fee is not None:
        fee = f"{int(data.fee['amount']):,} 円"
        if data.fee.get("description"):
            fee += f"（{data.fee['description']}）"
        story += [*sections.section(fonts, "手数料"), sections.key_value_grid(fonts, [("手数料", fee)])]
    contact = data.contact or str(procedure.get("contact") or "")
    if contact:
        story += [*sections.section(fonts, "お問い合わせ先"), TextBlock(fonts, contact, 9.5)]

    info = DocumentInfo(
        title=f"{badge[0]} {data.procedure_title}（受付番号 {data.receipt_number}）",
        author=organisation,
        subject=f"{data.procedure_title} {badge[0]}",
        keywords=f"受付番号 {data.receipt_number}",
        created=data.received_at,
        footer_left=f"{organisation}　{data.procedure_title}　{badge[0]}",
        footer_right=f"受付番号 {data.receipt_number}",
    )
    return write_pdf(story, info, fonts)
