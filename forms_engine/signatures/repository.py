"""All SQL about signing requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, or_, update
from sqlmodel import Session

from forms_engine.models import SigningRequest


def add(session: Session, request: SigningRequest) -> None:
    session.add(request)
    session.flush()


def get(session: Session, request_id: str) -> SigningRequest | None:
    return session.get(SigningRequest, request_id)


def consume_for_signature(session: Session, request_id: str, now: datetime) -> bool:
    """Mark the request signed if it is unused and unexpired; False when another caller got there first."""
    table: Any = SigningRequest.__table__  # type: ignore[attr-defined]
    result = session.execute(
        update(table).where(table.c.id == request_id, table.c.signed_at.is_(None), table.c.expires_at > now)
        .values(signed_at=now))
    return bool(getattr(result, "rowcount", 0) == 1)


def consume_for_submission(session: Session, request_id: str, now: datetime) -> bool:
    table: Any = SigningRequest.__table__  # type: ignore[attr-defined]
    result = session.execute(
        update(table).where(table.c.id == request_id, table.c.submitted_at.is_(None)).values(submitted_at=now))
    return bool(getattr(result, "rowcount", 0) == 1)


def store_result(session: Session, request_id: str, result: dict[str, Any]) -> None:
    table: Any = SigningRequest.__table__  # type: ignore[attr-defined]
    session.execute(update(table).where(table.c.id == request_id).values(result=result))


def purge(session: Session, now: datetime, unsigned_before: datetime, signed_expired_before: datetime) -> int:
    """Delete the requests used by a filing, those never signed that expired before `unsigned_before`, and those
    signed (never filed) that expired before `signed_expired_before`; how many went."""
    table: Any = SigningRequest.__table__  # type: ignore[attr-defined]
    result = session.execute(delete(table).where(or_(
        table.c.submitted_at.is_not(None),
        and_(table.c.signed_at.is_(None), table.c.expires_at < unsigned_before, table.c.expires_at < now),
        table.c.expires_at < signed_expired_before)))
    session.flush()
    return int(getattr(result, "rowcount", 0) or 0)
