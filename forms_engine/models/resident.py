"""Resident accounts for 「申請履歴」: the authentication (利用者証明用) certificates linked to them, login
challenges and sessions. No personal data: the authentication certificate carries none, and an account
is only ever known by the certificates linked to it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, LargeBinary
from sqlmodel import Field, SQLModel

from forms_engine.models.types import JSONType, UTCDateTime, utcnow


class ResidentAccount(SQLModel, table=True):
    __tablename__ = "resident_accounts"

    id: str = Field(primary_key=True, max_length=36)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ResidentCertificate(SQLModel, table=True):
    """A 利用者証明用 certificate linked to an account; a renewed card adds one, the old one stays recorded."""

    __tablename__ = "resident_certificates"

    fingerprint_sha256: str = Field(primary_key=True, max_length=64)
    account_id: str = Field(foreign_key="resident_accounts.id", index=True, max_length=36)
    issuer: str = Field(max_length=1024)
    serial: str = Field(max_length=64)
    not_after: datetime = Field(sa_type=UTCDateTime, nullable=False)
    linked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AuthChallenge(SQLModel, table=True):
    """A single-use, short-lived nonce to sign with the authentication key (login, or linking a new card).

    ``claim_sha256`` binds it to the browser that asked for it (the claim itself is in that browser's
    cookie): only that browser gets the session once the signature is verified.
    """

    __tablename__ = "auth_challenges"
    __table_args__ = (Index("ix_auth_challenges_expires_at", "expires_at"),)

    id: str = Field(primary_key=True, max_length=64)
    nonce: bytes = Field(sa_column=Column("nonce", LargeBinary, nullable=False))
    purpose: str = Field(max_length=8)  # login | link
    account_id: str | None = Field(default=None, foreign_key="resident_accounts.id", max_length=36)
    claim_sha256: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    verified_account_id: str | None = Field(default=None, foreign_key="resident_accounts.id", max_length=36)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    result: dict[str, Any] | None = Field(default=None, sa_column=Column("result", JSONType))


class ResidentSession(SQLModel, table=True):
    """A logged-in browser; ``id`` is the SHA-256 of the cookie's token (the token itself is not stored)."""

    __tablename__ = "resident_sessions"

    id: str = Field(primary_key=True, max_length=64)
    account_id: str = Field(foreign_key="resident_accounts.id", index=True, max_length=36)
    certificate_sha256: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
