"""All SQL of a retention purge: the stored rules, the submissions past them, and the deletes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import CursorResult, and_, delete, inspect, or_, select
from sqlmodel import Session

from forms_engine.models import Attachment, DefinitionVersion, IdempotencyRecord, Submission
from forms_engine.retention.schemas import FINAL_STATUSES, Candidate, Plan

CHILD_TABLES: tuple[tuple[str, str], ...] = (
    ("attachments", "submission_id"),  # their files are removed after the commit (service.purge_batch)
    ("submission_events", "submission_id"),
    ("submission_search_terms", "submission_id"),  # staff search terms (migration 0007)
    ("submission_revisions", "submission_id"),  # the answers a correction (補正) replaced, still sealed
    ("correction_drafts", "submission_id"),  # which draft corrects which submission (ids only)
    ("signing_requests", "submission_id"),  # no foreign key: the id reserved for the filing, with the signed answers
)
"""Every row that belongs to a submission, deleted with it, children first (one line per table). A table of
this list that the database does not have (yet) is passed over. `unknown_children` refuses a run when a
foreign key to submissions.id comes from a table missing here, before anything is deleted."""

_SUBMISSION: Any = Submission.__table__  # type: ignore[attr-defined]
_IDEMPOTENCY: Any = IdempotencyRecord.__table__  # type: ignore[attr-defined]


def table_names(session: Session) -> set[str]:
    return set(inspect(session.connection()).get_table_names())


def unknown_children(session: Session) -> list[str]:
    """`table.column` of every foreign key to submissions that `CHILD_TABLES` does not name."""
    inspector = inspect(session.connection())
    known = set(CHILD_TABLES)
    found: list[str] = []
    for table in sorted(inspector.get_table_names()):
        for key in inspector.get_foreign_keys(table):
            if key.get("referred_table") != "submissions":
                continue
            found += [f"{table}.{column}" for column in key["constrained_columns"] if (table, column) not in known]
    return found


def versions(session: Session) -> Iterator[tuple[str, str, str, Any]]:
    """(sha256, procedure id, version, document) of every stored definition version, by procedure."""
    query = (select(DefinitionVersion.sha256, DefinitionVersion.procedure_id, DefinitionVersion.version,  # type: ignore[call-overload]
                    DefinitionVersion.document)
             .order_by(DefinitionVersion.procedure_id, DefinitionVersion.first_seen_at))
    for row in session.execute(query.execution_options(yield_per=50)):
        yield row[0], row[1], row[2], row[3]


def _past_retention(plan: Plan) -> Any:
    c = _SUBMISSION.c
    return and_(c.procedure_id == plan.procedure_id, c.received_at < plan.latest_cutoff,
                or_(*(and_(c.definition_sha256 == rule.definition_sha256, c.received_at < rule.cutoff)
                      for rule in plan.rules)))


def _page(query: Any, after: tuple[datetime, str] | None, limit: int) -> Any:
    c = _SUBMISSION.c
    if after is not None:
        query = query.where(or_(c.received_at > after[0], and_(c.received_at == after[0], c.id > after[1])))
    return query.order_by(c.received_at, c.id).limit(limit)


def _candidates(session: Session, query: Any) -> list[Candidate]:
    return [Candidate(id=row[0], receipt_number=row[1], received_at=row[2], procedure_version=row[3], status=row[4])
            for row in session.execute(query)]


def _columns() -> Any:
    c = _SUBMISSION.c
    return select(c.id, c.receipt_number, c.received_at, c.procedure_version, c.status)


def purgeable(session: Session, plan: Plan, after: tuple[datetime, str] | None, limit: int,
              lock: bool) -> list[Candidate]:
    """The next closed submissions past their retention, oldest first. ``lock``: their rows are locked until
    the transaction ends, and rows another run has locked are skipped (PostgreSQL; SQLite's writers are
    serial already): two runs at once never work on the same submission."""
    query = _page(_columns().where(_past_retention(plan), _SUBMISSION.c.status.in_(FINAL_STATUSES)), after, limit)
    if lock:
        query = query.with_for_update(skip_locked=True)
    return _candidates(session, query)


def still_open(session: Session, plan: Plan, after: tuple[datetime, str] | None, limit: int) -> list[Candidate]:
    """The next open cases past their retention (any status that is not final), oldest first."""
    query = _columns().where(_past_retention(plan), _SUBMISSION.c.status.not_in(FINAL_STATUSES))
    return _candidates(session, _page(query, after, limit))


def attachment_keys(session: Session, ids: list[str]) -> list[tuple[str, str]]:
    """(submission id, storage key) of the attachments of these submissions."""
    query = select(Attachment.submission_id, Attachment.storage_key).where(  # type: ignore[call-overload]
        Attachment.submission_id.in_(ids))  # type: ignore[union-attr]
    return [(row[0], row[1]) for row in session.execute(query)]


def delete_submissions(session: Session, procedure_id: str, ids: list[str], tables: set[str]) -> dict[str, int]:
    """Delete these submissions and every row that belongs to them; how many rows went, per table.

    The idempotency records that answer with one of them go too (their answer names its id): a retry must
    not be told about a submission that is gone (their key's scope is the procedure: the primary key's
    first column narrows the look-up)."""
    deleted: dict[str, int] = {}
    for name, column in CHILD_TABLES:
        if name in tables:
            table = sa.table(name, sa.column(column))
            deleted[name] = _count(session, delete(table).where(table.c[column].in_(ids)))
    c = _IDEMPOTENCY.c
    deleted["idempotency_keys"] = _count(session, delete(_IDEMPOTENCY).where(
        c.scope == procedure_id, c.response["id"].as_string().in_(ids)))
    deleted["submissions"] = _count(session, delete(_SUBMISSION).where(_SUBMISSION.c.id.in_(ids)))
    session.flush()
    return deleted


def _count(session: Session, statement: Any) -> int:
    result: CursorResult[Any] = session.execute(statement)  # type: ignore[assignment]
    return int(result.rowcount or 0)


def existing(session: Session, ids: Iterable[str]) -> set[str]:
    """Which of these submission ids are still stored."""
    wanted = sorted(set(ids))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        query = select(_SUBMISSION.c.id).where(_SUBMISSION.c.id.in_(wanted[start:start + 500]))
        found.update(row[0] for row in session.execute(query))
    return found
