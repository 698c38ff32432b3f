"""Signing requests: the exact bytes a resident signs, single-use and short-lived."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from forms_engine.models.types import JSONType, UTCDateTime, utcnow


class SigningRequest(SQLModel, table=True):
    __tablename__ = "signing_requests"

    id: str = Field(primary_key=True, max_length=64)
    procedure_id: str = Field(max_length=64, index=True)
    definition_sha256: str = Field(max_length=64)
    submission_id: str = Field(max_length=36)  # reserved: the submission filed with this signature gets this id
    answers_sha256: str = Field(max_length=64)
    payload: bytes = Field(sa_column=Column("payload", LargeBinary, nullable=False))
    payload_sha256: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    signed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    result: dict[str, Any] | None = Field(default=None, sa_column=Column("result", JSONType))
