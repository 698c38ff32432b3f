"""Receipts from what is stored (never the current definition file), rendered once and cached on disk."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from sqlmodel import Session

from forms_engine.config import Settings
from forms_engine.definitions import repository as definitions_repo
from forms_engine.definitions.canonical import canonical_bytes
from forms_engine.models import Submission
from forms_engine.receipts import repository
from forms_engine.receipts.schemas import AttachmentInfo, Copy, ReceiptData
from forms_engine.receipts.service import render_receipt
from forms_engine.submissions.protection import unseal
from forms_engine.submissions.service import submission_digest


def receipt_data(session: Session, settings: Settings, submission: Submission) -> ReceiptData:
    """What the receipt prints, sensitive answers decrypted (masking is the renderer's choice per copy)."""
    version = definitions_repo.get_version(session, submission.definition_sha256)
    if version is None:  # the foreign key makes this impossible short of manual deletion
        raise LookupError(f"definition {submission.definition_sha256} of {submission.receipt_number} is missing")
    document = version.document
    meta = document.get("x-procedure", {})
    filed = unseal(submission.answers, document, submission.id, settings.answers_keyring())
    answers = filed if isinstance(filed, dict) else {"": filed}
    attachments = [AttachmentInfo(id=item.id, name=item.name, media_type=item.media_type, size=item.size,
                                  sha256=item.sha256) for item in repository.attachments_of(session, submission.id)]
    return ReceiptData(
        organisation=settings.organisation_name, department_name=str(meta.get("department_name", "")),
        procedure_title=str(document.get("title", submission.procedure_id)),
        procedure_version=submission.procedure_version, definition_document=document,
        receipt_number=submission.receipt_number, submission_sha256=submission_digest(submission, filed),
        received_at=submission.received_at, answers=answers, attachments=attachments, signature=submission.signature,
        fee=meta.get("fee"), contact=str(meta.get("contact", "")))


CACHE_VERSION = 3
"""Part of each cached file's name: raised when receipts rendered before would be wrong (2: attachments
listed from the store; 3: a re-checked signature prints its final verdict)."""


def receipt_pdf(session: Session, settings: Settings, submission: Submission, copy: Copy) -> bytes:
    """The PDF, from the cache when it was rendered before from the same stored state (same bytes again).

    Rendered on the first download, never while filing: a filing does not wait for its receipt. The cached
    file is named by a fingerprint of what the receipt prints from the row (answers as stored, signature record
    with any re-check, definition version, attachments), so a receipt is rendered again after anything it
    shows has changed (a signature re-check, a correction filed under the same 受付番号) and the file of the
    earlier state is removed."""
    folder = settings.data_dir / "receipts" / submission.id[:2]
    stem = f"{submission.id}.{copy}.v{CACHE_VERSION}"
    path = folder / f"{stem}.{_fingerprint(session, submission)}.pdf"
    if path.exists():
        return path.read_bytes()
    pdf = render_receipt(receipt_data(session, settings, submission), copy)
    _write_atomically(path, pdf)
    for stale in folder.glob(f"{submission.id}.{copy}.*.pdf"):
        if stale != path:
            stale.unlink(missing_ok=True)
    return pdf


def _fingerprint(session: Session, submission: Submission) -> str:
    attachments = [(item.id, item.sha256) for item in repository.attachments_of(session, submission.id)]
    return hashlib.sha256(canonical_bytes({
        "answers": submission.answers, "signature": submission.signature,
        "definition_sha256": submission.definition_sha256, "version": submission.procedure_version,
        "attachments": attachments})).hexdigest()[:20]


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".receipt-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
