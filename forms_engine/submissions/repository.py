"""All SQL about submissions and idempotency records."""

from __future__ import annotations

from typing import Any

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
