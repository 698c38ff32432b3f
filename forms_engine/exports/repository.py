"""All SQL of exports: submissions in keyset batches (oldest first, never OFFSET), their count, the stored
definitions they were filed under (and a procedure's stored versions), and their attachments."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, String, Text, and_, case, cast, exists, func, or_, select, type_coerce
from sqlmodel import Session

from forms_engine.models import Attachment, DefinitionVersion, Submission


def _t(model: Any) -> Any:
    return model.__table__


def _window(query: Any, procedure_id: str, since: datetime | None, until: datetime) -> Any:
    table = _t(Submission)
    query = query.where(table.c.procedure_id == procedure_id, table.c.received_at < until)
    return query.where(table.c.received_at >= since) if since is not None else query


def count(session: Session, procedure_id: str, since: datetime | None, until: datetime) -> int:
    return int(session.execute(_window(select(func.count()).select_from(_t(Submission)), procedure_id, since,
                                       until)).scalar_one())


def batches(session: Session, procedure_id: str, since: datetime | None, until: datetime,
            size: int) -> Iterator[list[Row[Any]]]:
    """The rows (id, receipt_number, procedure_id, procedure_version, definition_sha256, received_at, status,
    answers, signature), oldest first, ``size`` at a time, by keyset on
    ``(received_at, id)``: each batch is one query starting after the last row of the one before."""
    table = _t(Submission)
    columns = [table.c.id, table.c.receipt_number, table.c.procedure_id, table.c.procedure_version,
               table.c.definition_sha256, table.c.received_at, table.c.status, table.c.answers, table.c.signature]
    after: tuple[datetime, str] | None = None
    while True:
        rows = list(session.execute(_page(select(*columns), procedure_id, since, until, after, size)).all())
        if not rows:
            return
        yield rows
        if len(rows) < size:
            return
        after = (rows[-1].received_at, rows[-1].id)


def flat_batches(session: Session, procedure_id: str, since: datetime | None, until: datetime,
                 size: int) -> Iterator[Sequence[Any]]:
    """The same rows, in the same keyset batches, as plain tuples of text: (id, receipt_number, received_at,
    status, procedure_version, definition_sha256, answers). ``received_at`` is the UTC moment as
    ``YYYY-MM-DD HH:MM:SS.ffffff`` (SQLite keeps it so; PostgreSQL writes it so) and ``answers`` the stored
    JSON text: no ORM object, no datetime or JSON processing by SQLAlchemy (the CSV writer does its own)."""
    table = _t(Submission)
    if session.get_bind().dialect.name == "postgresql":
        received: Any = func.to_char(func.timezone("UTC", table.c.received_at), "YYYY-MM-DD HH24:MI:SS.US")
    else:
        received = type_coerce(table.c.received_at, String)
    columns = [table.c.id, table.c.receipt_number, received, table.c.status, table.c.procedure_version,
               table.c.definition_sha256, cast(table.c.answers, Text)]
    after: tuple[datetime, str] | None = None
    while True:
        rows = session.execute(_page(select(*columns), procedure_id, since, until, after, size)).all()
        if not rows:
            return
        yield rows  # Row objects are tuples already
        if len(rows) < size:
            return
        after = (datetime.fromisoformat(rows[-1][2]).replace(tzinfo=UTC), rows[-1][0])


def _page(query: Any, procedure_id: str, since: datetime | None, until: datetime,
          after: tuple[datetime, str] | None, size: int) -> Any:
    """One keyset batch: the window's rows after ``after`` (received_at, id), oldest first."""
    table = _t(Submission)
    query = _window(query, procedure_id, since, until)
    if after is not None:
        query = query.where(table.c.received_at >= after[0],
                            or_(table.c.received_at > after[0],
                                and_(table.c.received_at == after[0], table.c.id > after[1])))
    return query.order_by(table.c.received_at, table.c.id).limit(size)


def documents(session: Session, procedure_id: str, since: datetime | None, until: datetime) -> dict[str, Any]:
    """The definitions the window's submissions were filed under, newest first (sha256 -> document)."""
    shas = _window(select(_t(Submission).c.definition_sha256).distinct(), procedure_id, since, until)
    table = _t(DefinitionVersion)
    query = select(table.c.sha256, table.c.document).where(table.c.sha256.in_(shas)) \
        .order_by(table.c.first_seen_at.desc(), table.c.sha256)
    return {sha: document for sha, document in session.execute(query) if isinstance(document, dict)}


def stored_versions(session: Session, procedure_id: str) -> list[tuple[str, str, bool]]:
    """The procedure's stored definition versions: (sha256, version, whether a submission was filed under it)."""
    table, filed = _t(DefinitionVersion), _t(Submission)
    query = select(table.c.sha256, table.c.version,
                   exists().where(filed.c.definition_sha256 == table.c.sha256)) \
        .where(table.c.procedure_id == procedure_id).order_by(table.c.sha256)
    return [(sha, version, bool(used)) for sha, version, used in session.execute(query)]


def attachments_of(session: Session, submission_ids: list[str]) -> dict[str, list[Attachment]]:
    if not submission_ids:
        return {}
    table = _t(Attachment)
    query = select(Attachment).where(table.c.submission_id.in_(submission_ids)) \
        .order_by(table.c.submission_id, table.c.created_at, table.c.id)
    out: dict[str, list[Attachment]] = {}
    for item in session.execute(query).scalars():
        out.setdefault(str(item.submission_id), []).append(item)
        session.expunge(item)  # read once: the session's identity map does not grow with the export
    return out


def array_lengths(session: Session, procedure_id: str, since: datetime | None, until: datetime,
                  keys: list[str]) -> dict[str, dict[str, int]]:
    """Per definition version, the largest length of each of these top-level array answers, counted by the
    database (the CSV's numbered columns without reading every answer in Python)."""
    table = _t(Submission)
    if session.get_bind().dialect.name == "postgresql":
        def length(key: str) -> Any:
            value = table.c.answers.op("->")(key)
            return func.max(case((func.jsonb_typeof(value) == "array", func.jsonb_array_length(value))))
    else:
        def length(key: str) -> Any:
            return func.max(func.json_array_length(table.c.answers, '$."' + key.replace('"', '\\"') + '"'))
    query = _window(select(table.c.definition_sha256, *(length(k) for k in keys)), procedure_id, since, until)
    out: dict[str, dict[str, int]] = {}
    for sha, *lengths in session.execute(query.group_by(table.c.definition_sha256)):
        out[sha] = {key: int(n or 0) for key, n in zip(keys, lengths, strict=True)}
    return out
