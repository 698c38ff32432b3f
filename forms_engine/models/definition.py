"""Definition versions that submissions were filed against, kept for ever."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from forms_engine.models.types import JSONType, UTCDateTime, utcnow


class DefinitionVersion(SQLModel, table=True):
    __tablename__ = "definition_versions"
    __table_args__ = (Index("ix_definition_versions_procedure_version", "procedure_id", "version"),)

    sha256: str = Field(primary_key=True, max_length=64)
    procedure_id: str = Field(max_length=64)
    version: str = Field(max_length=64)
    document: dict[str, Any] = Field(sa_column=Column("document", JSONType, nullable=False))
    first_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
