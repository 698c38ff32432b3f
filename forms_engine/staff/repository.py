"""All SQL of the staff side: accounts, roles, sessions, tokens, login attempts, the submission list."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from forms_engine.models import (
    ApiToken,
    Attachment,
    DefinitionVersion,
    StaffAccount,
    StaffLoginAttempt,
    StaffRole,
    StaffSession,
    Submission,
    SubmissionEvent,
)
from forms_engine.staff.schemas import Cursor, ListFilter


def _t(model: Any) -> Any:
    return model.__table__


# -- accounts and roles ----------------------------------------------------------------------------
def account_by_login(session: Session, login: str) -> StaffAccount | None:
    return session.execute(select(StaffAccount).where(_t(StaffAccount).c.login == login)).scalar_one_or_none()


def account(session: Session, account_id: str) -> StaffAccount | None:
    return session.get(StaffAccount, account_id)


def add_account(session: Session, new: StaffAccount) -> None:
    session.add(new)
    session.flush()


def set_password_hash(session: Session, account_id: str, password_hash: str) -> None:
    table = _t(StaffAccount)
    session.execute(update(table).where(table.c.id == account_id).values(password_hash=password_hash))


def roles_of(session: Session, account_id: str) -> dict[str, frozenset[str]]:
    table = _t(StaffRole)
    out: dict[str, set[str]] = {}
    for department, role in session.execute(select(table.c.department, table.c.role)
                                            .where(table.c.account_id == account_id)):
        out.setdefault(department, set()).add(role)
    return {d: frozenset(r) for d, r in out.items()}


def grant(session: Session, role: StaffRole) -> bool:
    """Add the role; False when the account already held it."""
    try:
        with session.begin_nested():
            session.add(role)
            session.flush()
    except IntegrityError:
        return False
    return True


# -- sessions --------------------------------------------------------------------------------------
def add_session(session: Session, new: StaffSession) -> None:
    session.add(new)
    session.flush()


def get_session(session: Session, session_id: str) -> StaffSession | None:
    return session.get(StaffSession, session_id)


def end_session(session: Session, session_id: str, now: datetime) -> None:
    table = _t(StaffSession)
    session.execute(update(table).where(table.c.id == session_id, table.c.ended_at.is_(None)).values(ended_at=now))


def seen(session: Session, session_id: str, now: datetime) -> None:
    table = _t(StaffSession)
    session.execute(update(table).where(table.c.id == session_id).values(last_seen_at=now))


# -- API tokens ------------------------------------------------------------------------------------
def add_token(session: Session, token: ApiToken) -> None:
    session.add(token)
    session.flush()


def token_by_digest(session: Session, token_sha256: str) -> ApiToken | None:
    return session.execute(select(ApiToken).where(_t(ApiToken).c.token_sha256 == token_sha256)).scalar_one_or_none()


def tokens_of(session: Session, account_id: str) -> list[ApiToken]:
    table = _t(ApiToken)
    query = select(ApiToken).where(table.c.account_id == account_id).order_by(table.c.created_at.desc())
    return list(session.execute(query).scalars())


def token_used(session: Session, token_id: str, now: datetime) -> None:
    table = _t(ApiToken)
    session.execute(update(table).where(table.c.id == token_id).values(last_used_at=now))


def revoke_token(session: Session, account_id: str, token_id: str, now: datetime) -> bool:
    """Revoke one of the account's own tokens; False when it has no such live token."""
    table = _t(ApiToken)
    result = session.execute(update(table).where(
        table.c.id == token_id, table.c.account_id == account_id, table.c.revoked_at.is_(None)).values(revoked_at=now))
    return bool(getattr(result, "rowcount", 0) == 1)


# -- login attempts --------------------------------------------------------------------------------
def add_attempt(session: Session, attempt: StaffLoginAttempt) -> None:
    session.add(attempt)
    session.flush()


def delete_attempt(session: Session, attempt_id: str) -> None:
    session.execute(delete(_t(StaffLoginAttempt)).where(_t(StaffLoginAttempt).c.id == attempt_id))


def delete_attempts_before(session: Session, before: datetime) -> None:
    session.execute(delete(_t(StaffLoginAttempt)).where(_t(StaffLoginAttempt).c.attempted_at < before))


def attempt_times(session: Session, client: str, since: datetime) -> list[datetime]:
    table = _t(StaffLoginAttempt)
    query = (select(StaffLoginAttempt).where(table.c.client == client, table.c.attempted_at >= since)
             .order_by(table.c.attempted_at))
    return [a.attempted_at for a in session.execute(query).scalars()]


# -- submissions -----------------------------------------------------------------------------------
def submission_page(session: Session, procedure_id: str, chosen: ListFilter, after: Cursor | None,
                    receipt_digits: str | None) -> list[Submission]:
    """One page, newest first, by keyset: ``(received_at, id)`` below the cursor's, never OFFSET. The bound on
    ``received_at`` alone uses the (procedure_id, received_at) index; the ``id`` tie-break only filters."""
    table = _t(Submission)
    query = select(Submission).where(table.c.procedure_id == procedure_id)
    if chosen.status:
        query = query.where(table.c.status == chosen.status)
    if chosen.since is not None:
        query = query.where(table.c.received_at >= chosen.since)
    if chosen.until is not None:
        query = query.where(table.c.received_at < chosen.until)
    if receipt_digits and len(receipt_digits) == 12:  # a whole 受付番号: the unique index finds it
        query = query.where(table.c.receipt_number == "-".join(receipt_digits[i:i + 4] for i in range(0, 12, 4)))
    elif receipt_digits:  # a part: every row of the procedure is looked at (docs/benchmarks.md)
        query = query.where(func.replace(table.c.receipt_number, "-", "").contains(receipt_digits, autoescape=True))
    if after is not None:
        query = query.where(table.c.received_at <= after.received_at,
                            or_(table.c.received_at < after.received_at,
                                and_(table.c.received_at == after.received_at, table.c.id < after.id)))
    query = query.order_by(table.c.received_at.desc(), table.c.id.desc()).limit(chosen.limit)
    return list(session.execute(query).scalars())


def by_receipt_number(session: Session, number: str) -> Submission | None:
    return session.execute(select(Submission).where(_t(Submission).c.receipt_number == number)).scalar_one_or_none()


def definition_document(session: Session, sha256: str) -> dict[str, Any] | None:
    found = session.get(DefinitionVersion, sha256)
    return found.document if found is not None and isinstance(found.document, dict) else None


def latest_document(session: Session, procedure_id: str) -> dict[str, Any] | None:
    table = _t(DefinitionVersion)
    query = (select(DefinitionVersion).where(table.c.procedure_id == procedure_id)
             .order_by(table.c.first_seen_at.desc()).limit(1))
    found = session.execute(query).scalar_one_or_none()
    return found.document if found is not None and isinstance(found.document, dict) else None


def attachments_of(session: Session, submission_id: str) -> list[Attachment]:
    table = _t(Attachment)
    query = select(Attachment).where(table.c.submission_id == submission_id).order_by(table.c.created_at, table.c.id)
    return list(session.execute(query).scalars())


def events_of(session: Session, submission_id: str) -> list[SubmissionEvent]:
    table = _t(SubmissionEvent)
    query = select(SubmissionEvent).where(table.c.submission_id == submission_id).order_by(table.c.at, table.c.id)
    return list(session.execute(query).scalars())


def add_event(session: Session, event: SubmissionEvent) -> None:
    session.add(event)
    session.flush()


def set_status(session: Session, submission_id: str, expected: str, to: str) -> bool:
    """Compare-and-set: the status becomes ``to`` only while it still is ``expected`` (False otherwise), so two
    reviewers acting at once cannot both change it, on either database."""
    table = _t(Submission)
    result = session.execute(update(table).where(table.c.id == submission_id, table.c.status == expected)
                             .values(status=to))
    return bool(getattr(result, "rowcount", 0) == 1)
