"""The audit log: append-only, hash-chained entries, and the chain's head (the row appends serialise on)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel

from forms_engine.models.types import JSONType, UTCDateTime, utcnow


class AuditEntry(SQLModel, table=True):
    """``hash`` = SHA-256 of the RFC 8785 form of the entry (seq, at, actor, action, target, details,
    prev_hash); ``prev_hash`` is the hash of the entry before (64 zeros for the first)."""

    __tablename__ = "audit_log"

    seq: int = Field(sa_column=Column("seq", BigInteger, primary_key=True, autoincrement=False))
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    actor: str = Field(max_length=100)
    action: str = Field(max_length=64)
    target: str = Field(max_length=200)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column("details", JSONType, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """One row (id 1): the last entry's seq and hash. Appending locks it (SELECT … FOR UPDATE on
    PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers), and verification checks that the log
    ends where the head says, so removing the newest entries shows too."""

    __tablename__ = "audit_head"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    seq: int = Field(sa_column=Column("seq", BigInteger, nullable=False))
    hash: str = Field(max_length=64)
