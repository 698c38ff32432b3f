"""What the staff pages show of a submission: answers worded by the receipt's formatter (as the resident's
confirmation page words them, `receipts.layout.build_rows`) and laid out with the same answers component,
the signature record as the 受付票 prints it, attachments and history."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import object_session
from sqlmodel import Session

from forms_engine.japanese.wareki import format_jst
from forms_engine.models import Submission
from forms_engine.receipts.layout import Row, build_rows
from forms_engine.receipts.sections import signature_pairs
from forms_engine.rendering.summary import Answer
from forms_engine.staff.service import MASK, Detail
from forms_engine.staff.workflow import label as status_label
from forms_engine.staff.workflow import next_statuses
from forms_engine.submissions.repository import revisions_of

RIGHT_LABELS = {"view": "閲覧", "review": "審査", "export": "出力", "sensitive": "機微情報の閲覧",
                "manage": "職員の管理"}


def item_view(submission: Submission) -> dict[str, str]:
    signature = submission.signature if isinstance(submission.signature, dict) else None
    return {"receipt_number": submission.receipt_number, "received_at": format_jst(submission.received_at),
            "status": status_label(submission.status), "version": submission.procedure_version,
            "signature": "なし" if signature is None else dict(signature_pairs(signature))["検証結果"],
            "url": f"/staff/submissions/{submission.receipt_number}"}


def _tree(rows: list[Row]) -> list[Answer]:
    """Rows with depths -> nested lines (a heading row holds the deeper rows after it)."""
    top: list[Answer] = []
    stack: list[tuple[int, Answer]] = []
    for row in rows:
        line = Answer(row.label, row.value_text)
        while stack and stack[-1][0] >= row.depth:
            stack.pop()
        (stack[-1][1].children if stack else top).append(line)
        stack.append((row.depth, line))
    return top


def sections(document: Mapping[str, Any], answers: Any, attachment_names: Mapping[str, str]) -> list[dict[str, Any]]:
    """[{title, answers}] per step of the definition the submission was filed against (one section without steps)."""
    values = answers if isinstance(answers, Mapping) else {"": answers}
    rows = build_rows(document, values, attachment_names=attachment_names)
    meta = document.get("x-procedure")
    stepped = isinstance(meta, Mapping) and isinstance(meta.get("steps"), list) and bool(meta["steps"])
    out: list[dict[str, Any]] = []
    current: list[Row] = []
    title = "申請内容"
    for row in rows:
        if stepped and row.depth == 0 and row.value_text is None:
            if current or out:
                out.append({"title": title, "answers": _tree(current)})
            title, current = row.label, []
        else:
            current.append(row)
    out.append({"title": title, "answers": _tree(current)})
    return out


def revisions_view(submission: Submission) -> list[dict[str, str]]:
    """The earlier versions a resident's corrections (補正) replaced, 第1版 first, with when each was filed and
    replaced (read in the session the submission was loaded in)."""
    session = object_session(submission)
    if not isinstance(session, Session):
        return []
    return [{"label": f"補正前の内容（第{r.number}版）", "filed_at": format_jst(r.filed_at),
             "replaced_at": format_jst(r.replaced_at), "version": r.procedure_version}
            for r in revisions_of(session, submission.id)]


def detail_view(detail: Detail) -> dict[str, Any]:
    s = detail.submission
    names = {a.id: a.name for a in detail.attachments}
    history = [{"at": format_jst(s.received_at), "actor": "申請者", "change": "受付", "reason": ""}]
    history += [{"at": format_jst(e.at), "actor": e.actor,
                 "change": f"{status_label(e.from_status or '')} → {status_label(e.to_status)}",
                 "reason": e.reason or ""} for e in detail.events]
    signature = s.signature if isinstance(s.signature, dict) else None
    return {
        "submission": {"receipt_number": s.receipt_number, "received_at": format_jst(s.received_at),
                       "status": status_label(s.status), "version": s.procedure_version,
                       "sha256": s.definition_sha256},
        "sections": sections(detail.document, detail.answers, names),
        "masked": detail.masked, "mask": MASK,
        "attachments": [{"name": a.name, "media_type": a.media_type, "size": f"{a.size:,}", "sha256": a.sha256}
                        for a in detail.attachments],
        "signature": signature_pairs(signature) if signature is not None else None,
        "history": history, "revisions": revisions_view(s),
        "receipt_url": f"/api/v1/staff/receipts/{s.receipt_number}.pdf",
        "rights": "・".join(label for right, label in RIGHT_LABELS.items() if right in detail.rights),
        "current_status": s.status,
        "next_statuses": [{"value": to, "label": status_label(to)} for to in next_statuses(s.status, "staff")]
        if "review" in detail.rights else [],
    }
