"""All SQL about drafts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from forms_engine.models import Draft


def add(session: Session, draft: Draft) -> bool:
    """Insert within a savepoint; False when the resume code's hash is taken (draw another code)."""
    try:
        with session.begin_nested():
            session.add(draft)
            session.flush()
    except IntegrityError:
        return False
    return True


def get(session: Session, draft_id: str) -> Draft | None:
    return session.get(Draft, draft_id)


def by_code_hash(session: Session, code_hash: str) -> Draft | None:
    return session.exec(select(Draft).where(Draft.resume_code_sha256 == code_hash)).first()


def save(session: Session, draft: Draft) -> None:
    session.add(draft)
    session.flush()


def purge_expired(session: Session, now: datetime) -> int:
    """Delete every draft whose retention ended before `now`; how many went."""
    result = session.exec(delete(Draft).where(col(Draft.expires_at) < now))
    session.flush()
    return int(result.rowcount or 0)
