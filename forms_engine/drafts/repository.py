"""All SQL about drafts, the uploads they hold, and wrong resume codes.

A draft's sensitive answers are sealed in the database (`drafts.service`): the rows are written with UPDATE
statements of sealed values, and a draft handed to callers is detached from the session (`detach`), so the
clear answers it carries are never flushed back."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, delete, func, not_, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from forms_engine.models import Attachment, Draft, ResumeAttempt

UPLOAD_MARK = '%"att\\_%'
"""A draft's answers as JSON text hold an upload when a string starts with `att_` (attachment ids do).
A typed answer can match too: such a draft only waits for `forms-engine drafts purge` (the safe side)."""
ENVELOPE_MARK = '%"$enc"%'
"""A draft holding a sealed answer (`submissions.protection`), which may hide an upload: read before deleting."""
_BATCH = 500


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


def write(session: Session, draft_id: str, values: dict[str, Any], *, unchanged_since: datetime | None = None) -> bool:
    """Write these columns of the draft's row (answers already sealed), whatever the session holds; with
    `unchanged_since`, only while the row's `updated_at` is still that. Whether a row was written."""
    statement = update(Draft).where(col(Draft.id) == draft_id)
    if unchanged_since is not None:
        statement = statement.where(col(Draft.updated_at) == unchanged_since)
    result = session.exec(statement.values(**values))
    session.flush()
    return bool(result.rowcount)


def detach(session: Session, draft: Draft) -> None:
    """The draft leaves the session: what is set on it later is never written (see the module's docstring)."""
    if draft in session:
        session.expunge(draft)


def _answers_text() -> Any:
    return cast(col(Draft.answers), Text)


def _marked(pattern: str) -> Any:
    return _answers_text().like(pattern, escape="\\")


def purge_expired_without_uploads(session: Session, now: datetime) -> int:
    """Delete every draft whose retention ended before `now` and that holds neither an upload nor a sealed
    answer (which may hide one); how many went."""
    result = session.exec(delete(Draft).where(
        col(Draft.expires_at) < now,
        or_(col(Draft.answers).is_(None), not_(or_(_marked(UPLOAD_MARK), _marked(ENVELOPE_MARK))))))
    session.flush()
    return int(result.rowcount or 0)


def expired_sealed_without_uploads(session: Session, now: datetime, limit: int) -> list[tuple[str, Any]]:
    """(id, answers) of at most `limit` drafts whose retention ended, holding sealed answers and no upload
    in clear (the caller opens them to see whether an upload hides inside)."""
    query = (select(Draft.id, Draft.answers)
             .where(col(Draft.expires_at) < now, _marked(ENVELOPE_MARK), not_(_marked(UPLOAD_MARK)))
             .order_by(col(Draft.expires_at)).limit(limit))
    return [(row[0], row[1]) for row in session.exec(query).all()]


def delete_expired_ids(session: Session, ids: list[str], now: datetime) -> int:
    """Delete those drafts if their retention still ended before `now` (one saved meanwhile stays)."""
    if not ids:
        return 0
    result = session.exec(delete(Draft).where(col(Draft.id).in_(ids), col(Draft.expires_at) < now))
    session.flush()
    return int(result.rowcount or 0)


def delete_expired(session: Session, now: datetime) -> list[tuple[str, Any]]:
    """Delete every draft whose retention ended before `now`; (id, answers) of exactly those deleted
    (RETURNING: a draft saved again meanwhile is not deleted, so its uploads are not looked at)."""
    rows = session.exec(delete(Draft).where(col(Draft.expires_at) < now)
                        .returning(col(Draft.id), col(Draft.answers))).all()
    session.flush()
    return [(row[0], row[1]) for row in rows]


def live_answers_with_uploads(session: Session, now: datetime) -> Iterator[tuple[str, Any]]:
    """(id, answers) of the drafts still kept that may hold an upload (in clear, or inside a sealed answer)."""
    query = select(Draft.id, Draft.answers).where(col(Draft.expires_at) >= now,
                                                  or_(_marked(UPLOAD_MARK), _marked(ENVELOPE_MARK)))
    for row in session.exec(query):
        yield row[0], row[1]


def delete_unclaimed_attachments(session: Session, ids: Iterable[str]) -> list[str]:
    """Delete the attachments among `ids` that no submission has claimed; the storage keys of those deleted.
    The condition is in the DELETE itself: an attachment claimed by a filing meanwhile is kept."""
    wanted = sorted(set(ids))
    keys: list[str] = []
    for start in range(0, len(wanted), _BATCH):
        batch = wanted[start:start + _BATCH]
        rows = session.exec(delete(Attachment).where(col(Attachment.id).in_(batch),
                                                     col(Attachment.submission_id).is_(None))
                            .returning(col(Attachment.storage_key))).all()
        keys += [row[0] for row in rows]
    session.flush()
    return keys


# -- wrong resume codes ------------------------------------------------------------------------------
def add_attempt(session: Session, attempt: ResumeAttempt) -> None:
    session.add(attempt)
    session.flush()


def attempt_times(session: Session, client: str, since: datetime) -> list[datetime]:
    """When this client's attempts still counted (after `since`) were made, oldest first."""
    query = (select(ResumeAttempt.attempted_at)
             .where(ResumeAttempt.client == client, col(ResumeAttempt.attempted_at) > since)
             .order_by(col(ResumeAttempt.attempted_at)))
    return list(session.exec(query).all())


def count_attempts(session: Session, client: str, since: datetime) -> int:
    query = select(func.count()).select_from(ResumeAttempt).where(
        ResumeAttempt.client == client, col(ResumeAttempt.attempted_at) > since)
    return int(session.exec(query).one())


def delete_attempt(session: Session, attempt_id: str) -> None:
    session.exec(delete(ResumeAttempt).where(col(ResumeAttempt.id) == attempt_id))
    session.flush()


def delete_attempts_before(session: Session, before: datetime) -> int:
    result = session.exec(delete(ResumeAttempt).where(col(ResumeAttempt.attempted_at) <= before))
    session.flush()
    return int(result.rowcount or 0)
