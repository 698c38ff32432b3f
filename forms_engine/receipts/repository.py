"""All SQL of the receipts: the attachments filed with a submission."""

from __future__ import annotations

from sqlmodel import Session, col, select

from forms_engine.models import Attachment


def attachments_of(session: Session, submission_id: str) -> list[Attachment]:
    """The files claimed by the submission, in the order they were uploaded (then by id: a stable order)."""
    query = (select(Attachment).where(Attachment.submission_id == submission_id)
             .order_by(col(Attachment.created_at), col(Attachment.id)))
    return list(session.exec(query).all())
