"""All SQL of the staff side: accounts, roles, sessions, tokens, login attempts, the submission list and its
search terms."""

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
    SubmissionSearchTerm,
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
                    words: list[str], whole_number: str | None = None) -> list[Submission]:
    """One page, newest first, by keyset: ``(received_at, id)`` below the cursor's, never OFFSET. The bound on
    ``received_at`` alone uses the (procedure_id, received_at) index; the ``id`` tie-break only filters.

    ``whole_number``: one whole 受付番号, found by its unique index. ``words``: each must begin some search term
    of the submission (`staff.search`): a range on the (procedure_id, term) index per word, all of them."""
    return list(session.execute(page_query(procedure_id, chosen, after, words, whole_number)).scalars())


def page_query(procedure_id: str, chosen: ListFilter, after: Cursor | None, words: list[str],
               whole_number: str | None = None) -> Any:
    table = _t(Submission)
    query = select(Submission).where(table.c.procedure_id == procedure_id)
    if chosen.status:
        query = query.where(table.c.status == chosen.status)
    if chosen.since is not None:
        query = query.where(table.c.received_at >= chosen.since)
    if chosen.until is not None:
        query = query.where(table.c.received_at < chosen.until)
    if whole_number is not None:
        query = query.where(table.c.receipt_number == whole_number)
    else:
        for word in words:
            query = query.where(table.c.id.in_(term_matches(procedure_id, word)))
    if after is not None:
        query = query.where(table.c.received_at <= after.received_at,
                            or_(table.c.received_at < after.received_at,
                                and_(table.c.received_at == after.received_at, table.c.id < after.id)))
    return query.order_by(table.c.received_at.desc(), table.c.id.desc()).limit(chosen.limit)


def prefix_end(word: str) -> str:
    """The least string above every string that begins with ``word`` (in code point order): its last
    character's successor (past the surrogates, which UTF-8 cannot hold)."""
    last = ord(word[-1]) + 1
    if 0xD800 <= last <= 0xDFFF:
        last = 0xE000
    return word[:-1] + chr(last) if last <= 0x10FFFF else prefix_end(word[:-1]) if len(word) > 1 else "\U0010ffff"


def term_matches(procedure_id: str, word: str) -> Any:
    """The ids of the procedure's submissions with a term beginning with ``word``: ``term >= word AND term <
    prefix_end(word)``, which both databases answer from the (procedure_id, term, submission_id) index alone
    (the column compares by code point: BINARY on SQLite, COLLATE "C" on PostgreSQL)."""
    terms = _t(SubmissionSearchTerm)
    return select(terms.c.submission_id).where(
        terms.c.procedure_id == procedure_id, terms.c.term >= word, terms.c.term < prefix_end(word))


def add_terms(session: Session, submission_id: str, procedure_id: str, terms: set[str]) -> None:
    if terms:
        session.execute(_t(SubmissionSearchTerm).insert(), [
            {"submission_id": submission_id, "procedure_id": procedure_id, "term": term} for term in sorted(terms)])


def delete_terms(session: Session, submission_ids: list[str]) -> None:
    terms = _t(SubmissionSearchTerm)
    session.execute(delete(terms).where(terms.c.submission_id.in_(submission_ids)))


def submissions_after(session: Session, after: str | None, size: int, procedure_id: str | None) -> list[Submission]:
    """Up to ``size`` submissions with an id above ``after``, by id (keyset over the primary key)."""
    table = _t(Submission)
    query = select(Submission)
    if after is not None:
        query = query.where(table.c.id > after)
    if procedure_id is not None:
        query = query.where(table.c.procedure_id == procedure_id)
    return list(session.execute(query.order_by(table.c.id).limit(size)).scalars())


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


# -- staff administration (forms_engine/staff/admin.py) ---------------------------------------------
def lock_account(session: Session, account_id: str) -> StaffAccount | None:
    """The account, its row locked until the commit (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite writers
    are serialised by BEGIN IMMEDIATE), so two changes of one account are decided one after the other."""
    return session.get(StaffAccount, account_id, with_for_update=True, populate_existing=True)


def members_of(session: Session, department: str) -> list[tuple[StaffAccount, frozenset[str]]]:
    """The accounts holding any role in ``department`` and their roles there, by login."""
    roles = _t(StaffRole)
    rows = session.execute(select(StaffAccount, roles.c.role)
                           .join(roles, roles.c.account_id == _t(StaffAccount).c.id)
                           .where(roles.c.department == department)
                           .order_by(_t(StaffAccount).c.login, roles.c.role)).all()
    out: dict[str, tuple[StaffAccount, set[str]]] = {}
    for found, role in rows:
        out.setdefault(found.id, (found, set()))[1].add(role)
    return [(found, frozenset(held)) for found, held in out.values()]


def revoke(session: Session, account_id: str, department: str, role: str) -> bool:
    """Remove the role; False when the account did not hold it."""
    table = _t(StaffRole)
    result = session.execute(delete(table).where(table.c.account_id == account_id, table.c.department == department,
                                                 table.c.role == role))
    return bool(getattr(result, "rowcount", 0) == 1)


def set_disabled(session: Session, account_id: str, disabled: bool) -> bool:
    """Disable or enable; False when the account already was so."""
    table = _t(StaffAccount)
    result = session.execute(update(table).where(table.c.id == account_id, table.c.disabled == (not disabled))
                             .values(disabled=disabled))
    return bool(getattr(result, "rowcount", 0) == 1)


def end_sessions_of(session: Session, account_id: str, now: datetime) -> int:
    """End every open session of the account; how many were open."""
    table = _t(StaffSession)
    result = session.execute(update(table).where(table.c.account_id == account_id, table.c.ended_at.is_(None))
                             .values(ended_at=now))
    return int(getattr(result, "rowcount", 0))


def revoke_tokens_of(session: Session, account_id: str, now: datetime) -> int:
    """Revoke every live API token of the account; how many were live."""
    table = _t(ApiToken)
    result = session.execute(update(table).where(table.c.account_id == account_id, table.c.revoked_at.is_(None))
                             .values(revoked_at=now))
    return int(getattr(result, "rowcount", 0))


def last_logins(session: Session, account_ids: list[str]) -> dict[str, datetime]:
    """When each account last logged in (its newest session), for those that ever did."""
    if not account_ids:
        return {}
    table = _t(StaffSession)
    query = (select(table.c.account_id, func.max(table.c.created_at)).where(table.c.account_id.in_(account_ids))
             .group_by(table.c.account_id))
    return {account_id: at for account_id, at in session.execute(query) if at is not None}
