"""All SQL about submissions and idempotency records."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select as sa_select
from sqlalchemy import update
from sqlmodel import Session, col, select

from forms_engine.models import (
    CorrectionDraft,
    IdempotencyRecord,
    Submission,
    SubmissionEvent,
    SubmissionRevision,
)


def get_idempotency(session: Session, scope: str, key: str) -> IdempotencyRecord | None:
    return session.get(IdempotencyRecord, (scope, key))


def add(session: Session, submission: Submission, record: IdempotencyRecord | None) -> None:
    """Insert within a savepoint, so a unique conflict undoes only this attempt."""
    with session.begin_nested():
        session.add(submission)
        session.flush()
        if record is not None:
            session.add(record)
            session.flush()


def by_receipt_number(session: Session, receipt_number: str) -> Submission | None:
    return session.exec(select(Submission).where(Submission.receipt_number == receipt_number)).first()


def by_id(session: Session, submission_id: str) -> Submission | None:
    return session.get(Submission, submission_id)


def undecided_signatures(session: Session, procedure_id: str | None = None) -> list[str]:
    """Ids of the submissions stored with an ``indeterminate`` signature not decided by a re-check yet,
    oldest first."""
    signature: Any = Submission.__table__.c.signature  # type: ignore[attr-defined]
    query = (select(Submission.id)
             .where(signature["status"].as_string() == "indeterminate", signature["final"].as_string().is_(None))
             .order_by(Submission.received_at))  # type: ignore[arg-type]
    if procedure_id is not None:
        query = query.where(Submission.procedure_id == procedure_id)
    return list(session.exec(query).all())


def lock(session: Session, submission_id: str) -> Submission | None:
    """The submission, its row locked until the transaction ends (PostgreSQL; SQLite's writes are serial)."""
    return session.exec(select(Submission).where(Submission.id == submission_id).with_for_update()).first()


def of_resident(session: Session, account_id: str, limit: int = 200) -> list[Submission]:
    """A resident's own submissions, newest first."""
    query = (select(Submission).where(Submission.resident_account_id == account_id)
             .order_by(Submission.received_at.desc()).limit(limit))  # type: ignore[attr-defined]
    return list(session.exec(query).all())


# -- corrections (補正) and withdrawals ------------------------------------------------------------------
def latest_requests(session: Session, submission_ids: Iterable[str]) -> dict[str, SubmissionEvent]:
    """The latest 補正依頼 (change to ``correction_requested``) of each of these submissions, by submission id."""
    ids = list(dict.fromkeys(submission_ids))
    if not ids:
        return {}
    query = (select(SubmissionEvent)
             .where(SubmissionEvent.submission_id.in_(ids),  # type: ignore[attr-defined]
                    SubmissionEvent.to_status == "correction_requested")
             .order_by(SubmissionEvent.at, SubmissionEvent.id))  # type: ignore[arg-type]
    found: dict[str, SubmissionEvent] = {}
    for event in session.exec(query).all():
        found[event.submission_id] = event  # later ones replace earlier ones
    return found


def add_correction_draft(session: Session, link: CorrectionDraft) -> None:
    session.add(link)
    session.flush()


def correction_draft(session: Session, draft_id: str) -> CorrectionDraft | None:
    return session.get(CorrectionDraft, draft_id)


def revisions_of(session: Session, submission_id: str) -> list[SubmissionRevision]:
    """A submission's earlier versions, oldest (第1版) first."""
    query = (select(SubmissionRevision).where(SubmissionRevision.submission_id == submission_id)
             .order_by(SubmissionRevision.number))  # type: ignore[arg-type]
    return list(session.exec(query).all())


def add_revision(session: Session, revision: SubmissionRevision) -> None:
    session.add(revision)
    session.flush()


def replace_answers(session: Session, submission: Submission, answers: Any, procedure_version: str,
                    definition_sha256: str, signature: dict[str, Any] | None) -> None:
    """The submission's current version becomes the corrected one (one UPDATE of its row)."""
    submission.answers = answers
    submission.procedure_version = procedure_version
    submission.definition_sha256 = definition_sha256
    submission.signature = signature
    session.add(submission)
    session.flush()


# -- re-sealing (`forms-engine submissions reseal`) ---------------------------------------------------------
def answers_batch(session: Session, after: str, limit: int) -> list[tuple[str, str, str, Any]]:
    """(id, 受付番号, definition SHA-256, answers) of the next `limit` submissions by id after `after`, their
    rows locked until the transaction ends (PostgreSQL; SQLite's writes are serial)."""
    query = (select(Submission.id, Submission.receipt_number, Submission.definition_sha256, Submission.answers)
             .where(col(Submission.id) > after).order_by(col(Submission.id)).limit(limit).with_for_update())
    return [(row[0], row[1], row[2], row[3]) for row in session.exec(query).all()]


def set_answers(session: Session, submission_id: str, answers: Any) -> None:
    """Replace a submission's stored answers whole, in one UPDATE."""
    table: Any = Submission.__table__  # type: ignore[attr-defined]
    session.execute(update(table).where(table.c.id == submission_id).values(answers=answers))


def revision_answers_of(session: Session, submission_ids: list[str]) -> list[tuple[str, str, int, str, Any]]:
    """(revision id, submission id, 第N版, definition SHA-256, answers) of these submissions' earlier versions,
    locked like `answers_batch`."""
    if not submission_ids:
        return []
    query = (sa_select(col(SubmissionRevision.id), col(SubmissionRevision.submission_id),
                       col(SubmissionRevision.number), col(SubmissionRevision.definition_sha256),
                       col(SubmissionRevision.answers))
             .where(col(SubmissionRevision.submission_id).in_(submission_ids))
             .order_by(col(SubmissionRevision.submission_id), col(SubmissionRevision.number)).with_for_update())
    return [(row[0], row[1], row[2], row[3], row[4]) for row in session.execute(query).all()]


def set_revision_answers(session: Session, revision_id: str, answers: Any) -> None:
    """Replace an earlier version's stored answers whole, in one UPDATE."""
    table: Any = SubmissionRevision.__table__  # type: ignore[attr-defined]
    session.execute(update(table).where(table.c.id == revision_id).values(answers=answers))
