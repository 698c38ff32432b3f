"""All SQL about the audit log and its head row."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select, update
from sqlmodel import Session

from forms_engine.models import AuditEntry, AuditHead

HEAD_ID = 1


def lock_head(session: Session) -> AuditHead:
    """The chain's head, locked until the transaction ends: appends happen one at a time.

    On PostgreSQL ``SELECT … FOR UPDATE`` makes a second appender wait for the first one's commit; SQLite
    has no row locks and needs none (every writing transaction starts with BEGIN IMMEDIATE, see db.py)."""
    head = session.get(AuditHead, HEAD_ID, with_for_update=True, populate_existing=True)
    if head is None:
        raise LookupError("the audit log's head row is missing (was the database migrated?)")
    return head


def append(session: Session, entry: AuditEntry) -> None:
    session.add(entry)
    table = AuditHead.__table__  # type: ignore[attr-defined]
    session.execute(update(table).where(table.c.id == HEAD_ID).values(seq=entry.seq, hash=entry.hash))
    session.flush()


def head(session: Session) -> AuditHead:
    found = session.get(AuditHead, HEAD_ID, populate_existing=True)
    if found is None:
        raise LookupError("the audit log's head row is missing (was the database migrated?)")
    return found


def entries(session: Session, batch: int = 1000) -> Iterator[AuditEntry]:
    """Every entry in order of seq, read in batches (keyset on seq)."""
    after = -1
    while True:
        rows = list(session.execute(select(AuditEntry).where(AuditEntry.seq > after)  # type: ignore[arg-type]
                                    .order_by(AuditEntry.seq).limit(batch)).scalars())  # type: ignore[arg-type]
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].seq
        session.expunge_all()

