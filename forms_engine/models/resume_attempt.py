"""Wrong resume codes, per client, for the limit on guessing (docs/adr/0003-resume-code-guessing.md)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from forms_engine.models.types import UTCDateTime, utcnow


class ResumeAttempt(SQLModel, table=True):
    """One resume attempt: kept while it counts as a failure (within the window), deleted when it succeeded.

    `client` is a keyed hash of the client's network (its IPv4 address, or its IPv6 /64): no address is
    stored. Rows live in the database so that every worker sees the same count.
    """

    __tablename__ = "resume_attempts"
    __table_args__ = (
        Index("ix_resume_attempts_client_at", "client", "attempted_at"),
        Index("ix_resume_attempts_attempted_at", "attempted_at"),
    )

    id: str = Field(primary_key=True, max_length=32)
    client: str = Field(max_length=64)
    attempted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
