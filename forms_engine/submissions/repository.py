"""All SQL about submissions and idempotency records."""

from __future__ import annotations

from sqlmodel import Session, select

from forms_engine.models import IdempotencyRecord, Submission


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
