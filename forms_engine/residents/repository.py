"""All SQL about resident accounts, their certificates, login challenges and sessions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from forms_engine.models import (
    AuthChallenge,
    DefinitionVersion,
    ResidentAccount,
    ResidentCertificate,
    ResidentSession,
)


def _table(model: Any) -> Any:
    return model.__table__


# -- challenges ------------------------------------------------------------------------------------
def add_challenge(session: Session, challenge: AuthChallenge) -> None:
    session.add(challenge)
    session.flush()


def get_challenge(session: Session, challenge_id: str) -> AuthChallenge | None:
    return session.get(AuthChallenge, challenge_id)


def answer_challenge(session: Session, challenge_id: str, now: datetime) -> bool:
    """Mark the challenge answered if it is unused and unexpired; False when it is not (any more)."""
    table = _table(AuthChallenge)
    result = session.execute(update(table).where(
        table.c.id == challenge_id, table.c.answered_at.is_(None), table.c.expires_at > now).values(answered_at=now))
    return bool(getattr(result, "rowcount", 0) == 1)


def store_answer(session: Session, challenge_id: str, result: dict[str, Any], account_id: str | None) -> None:
    table = _table(AuthChallenge)
    session.execute(update(table).where(table.c.id == challenge_id)
                    .values(result=result, verified_account_id=account_id))


def claim_challenge(session: Session, challenge_id: str, now: datetime) -> bool:
    """Mark a verified challenge claimed (its session issued) once; False when it already was."""
    table = _table(AuthChallenge)
    result = session.execute(update(table).where(
        table.c.id == challenge_id, table.c.claimed_at.is_(None), table.c.verified_account_id.is_not(None))
        .values(claimed_at=now))
    return bool(getattr(result, "rowcount", 0) == 1)


# -- accounts and their certificates ---------------------------------------------------------------
def certificate(session: Session, fingerprint_sha256: str) -> ResidentCertificate | None:
    return session.get(ResidentCertificate, fingerprint_sha256)


def certificates_of(session: Session, account_id: str) -> list[ResidentCertificate]:
    query = (select(ResidentCertificate).where(ResidentCertificate.account_id == account_id)
             .order_by(ResidentCertificate.linked_at))  # type: ignore[arg-type]
    return list(session.exec(query).all())


def get_account(session: Session, account_id: str) -> ResidentAccount | None:
    return session.get(ResidentAccount, account_id)


def link(session: Session, linked: ResidentCertificate, account: ResidentAccount | None = None) -> bool:
    """Insert the certificate (and the new account it opens) within a savepoint; False when another request
    linked the same certificate first (nothing of this attempt is kept)."""
    try:
        with session.begin_nested():
            if account is not None:
                session.add(account)
                session.flush()
            session.add(linked)
            session.flush()
    except IntegrityError:
        return False
    return True


def touch_certificate(session: Session, fingerprint_sha256: str, now: datetime) -> None:
    table = _table(ResidentCertificate)
    session.execute(update(table).where(table.c.fingerprint_sha256 == fingerprint_sha256).values(last_used_at=now))


def logged_in(session: Session, account_id: str, now: datetime) -> None:
    table = _table(ResidentAccount)
    session.execute(update(table).where(table.c.id == account_id).values(last_login_at=now))


# -- sessions --------------------------------------------------------------------------------------
def add_session(session: Session, resident_session: ResidentSession) -> None:
    session.add(resident_session)
    session.flush()


def get_session(session: Session, session_id: str) -> ResidentSession | None:
    return session.get(ResidentSession, session_id)


def seen(session: Session, session_id: str, now: datetime) -> None:
    table = _table(ResidentSession)
    session.execute(update(table).where(table.c.id == session_id, table.c.ended_at.is_(None))
                    .values(last_seen_at=now))


def end_session(session: Session, session_id: str, now: datetime) -> None:
    table = _table(ResidentSession)
    session.execute(update(table).where(table.c.id == session_id, table.c.ended_at.is_(None)).values(ended_at=now))


# -- what the history shows ------------------------------------------------------------------------
def definition_documents(session: Session, sha256s: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The stored definition documents (as filed against) by SHA-256."""
    wanted = sorted(set(sha256s))
    if not wanted:
        return {}
    query = select(DefinitionVersion).where(DefinitionVersion.sha256.in_(wanted))  # type: ignore[attr-defined]
    return {version.sha256: version.document for version in session.exec(query).all()}
