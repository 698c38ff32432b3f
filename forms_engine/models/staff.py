"""Staff of the back office: accounts (argon2 password hashes), roles per department, browser sessions,
API tokens, login attempts (for the limit on password guessing) and the history of a submission's status."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from forms_engine.models.types import UTCDateTime, utcnow


class StaffAccount(SQLModel, table=True):
    __tablename__ = "staff_accounts"

    id: str = Field(primary_key=True, max_length=36)
    login: str = Field(unique=True, max_length=64)
    password_hash: str = Field(max_length=255)  # argon2id, in the PHC string format
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    disabled: bool = Field(default=False)


class StaffRole(SQLModel, table=True):
    """One role of an account in one department (`x-procedure.department`)."""

    __tablename__ = "staff_roles"

    account_id: str = Field(foreign_key="staff_accounts.id", primary_key=True, max_length=36)
    department: str = Field(primary_key=True, max_length=64)
    role: str = Field(primary_key=True, max_length=16)  # viewer | reviewer | exporter | sensitive | admin
    granted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class StaffSession(SQLModel, table=True):
    """A logged-in browser; ``id`` is the SHA-256 of the cookie's token (the token itself is not stored)."""

    __tablename__ = "staff_sessions"

    id: str = Field(primary_key=True, max_length=64)
    account_id: str = Field(foreign_key="staff_accounts.id", index=True, max_length=36)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiToken(SQLModel, table=True):
    """A bearer token for scripts; only its SHA-256 is stored (the token is shown once, when created)."""

    __tablename__ = "api_tokens"

    id: str = Field(primary_key=True, max_length=36)
    account_id: str = Field(foreign_key="staff_accounts.id", index=True, max_length=36)
    name: str = Field(max_length=100)
    token_sha256: str = Field(unique=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class StaffLoginAttempt(SQLModel, table=True):
    """A password attempt of a (login, client network) pair, kept while it counts as a failure.

    ``client`` is a keyed hash of the login and the client's network; no address or login is stored here.
    """

    __tablename__ = "staff_login_attempts"
    __table_args__ = (
        Index("ix_staff_login_attempts_client_at", "client", "attempted_at"),
        Index("ix_staff_login_attempts_attempted_at", "attempted_at"),
    )

    id: str = Field(primary_key=True, max_length=32)
    client: str = Field(max_length=64)
    attempted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class SubmissionEvent(SQLModel, table=True):
    """A change of a submission's status, by whom and why: the submission's history."""

    __tablename__ = "submission_events"
    __table_args__ = (Index("ix_submission_events_submission_at", "submission_id", "at"),)

    id: str = Field(primary_key=True, max_length=36)
    submission_id: str = Field(foreign_key="submissions.id", max_length=36)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    actor: str = Field(max_length=100)
    from_status: str | None = Field(default=None, max_length=32)
    to_status: str = Field(max_length=32)
    reason: str | None = Field(default=None, max_length=2000)
