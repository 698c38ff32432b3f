"""Drafts: a resident's answers saved on the server between steps, resumable with a code."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from forms_engine.models.types import JSONType, UTCDateTime, utcnow


class Draft(SQLModel, table=True):
    """One application in progress. The resume code itself is never stored, only its keyed hash."""

    __tablename__ = "drafts"
    __table_args__ = (Index("ix_drafts_expires_at", "expires_at"),)

    id: str = Field(primary_key=True, max_length=64)
    procedure_id: str = Field(max_length=64)
    definition_sha256: str = Field(max_length=64)
    answers: Any = Field(default=None, sa_column=Column("answers", JSONType, nullable=True))
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column("state", JSONType, nullable=False))
    resume_code_sha256: str = Field(unique=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    submitted_receipt_number: str | None = Field(default=None, max_length=20)
