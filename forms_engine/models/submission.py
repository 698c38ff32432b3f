"""Submissions, their attachments and idempotency records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from forms_engine.models.types import JSONType, UTCDateTime, utcnow


class Submission(SQLModel, table=True):
    __tablename__ = "submissions"
    __table_args__ = (Index("ix_submissions_procedure_received", "procedure_id", "received_at"),
                      Index("ix_submissions_resident_received", "resident_account_id", "received_at"))

    id: str = Field(primary_key=True, max_length=36)
    receipt_number: str = Field(unique=True, max_length=20)
    procedure_id: str = Field(max_length=64)
    procedure_version: str = Field(max_length=64)
    definition_sha256: str = Field(foreign_key="definition_versions.sha256", max_length=64)
    answers: Any = Field(sa_column=Column("answers", JSONType, nullable=True))
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    status: str = Field(default="received", max_length=32)
    signature: dict[str, Any] | None = Field(default=None, sa_column=Column("signature", JSONType))
    # the resident logged in (申請履歴) when it was filed; None for everyone else
    resident_account_id: str | None = Field(default=None, foreign_key="resident_accounts.id", max_length=36)


class SubmissionRevision(SQLModel, table=True):
    """An earlier version of a submission's answers, kept when the resident files a correction (補正) under the
    same 受付番号: the answers as they were stored (sensitive ones still sealed to the submission), the definition
    and signature they were filed with, when that version was filed and when the correction replaced it."""

    __tablename__ = "submission_revisions"
    __table_args__ = (UniqueConstraint("submission_id", "number", name="uq_submission_revisions_number"),)

    id: str = Field(primary_key=True, max_length=36)
    submission_id: str = Field(foreign_key="submissions.id", index=True, max_length=36)
    number: int  # 第N版: 1 is the version first filed
    answers: Any = Field(sa_column=Column("answers", JSONType, nullable=True))
    procedure_version: str = Field(max_length=64)
    definition_sha256: str = Field(foreign_key="definition_versions.sha256", max_length=64)
    signature: dict[str, Any] | None = Field(default=None, sa_column=Column("signature", JSONType))
    filed_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    replaced_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class CorrectionDraft(SQLModel, table=True):
    """A draft a resident started to correct a submission (「補正する」): filing it replaces that submission's
    answers instead of making a new one. ``request_event_id`` is the 補正依頼 it answers, so a draft started for an
    earlier request cannot answer a later one. Kept after the draft is purged (a few ids per correction)."""

    __tablename__ = "correction_drafts"

    draft_id: str = Field(primary_key=True, max_length=64)
    submission_id: str = Field(foreign_key="submissions.id", index=True, max_length=36)
    request_event_id: str = Field(max_length=36)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Attachment(SQLModel, table=True):
    __tablename__ = "attachments"

    id: str = Field(primary_key=True, max_length=40)
    submission_id: str | None = Field(default=None, foreign_key="submissions.id", index=True, max_length=36)
    name: str = Field(max_length=255)
    media_type: str = Field(max_length=127)
    size: int
    sha256: str = Field(max_length=64)
    storage_key: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class IdempotencyRecord(SQLModel, table=True):
    """The first answer to a POST carrying an Idempotency-Key, replayed to every retry."""

    __tablename__ = "idempotency_keys"

    scope: str = Field(primary_key=True, max_length=128)
    key: str = Field(primary_key=True, max_length=255)
    request_sha256: str = Field(max_length=64)
    status_code: int
    response: dict[str, Any] = Field(sa_column=Column("response", JSONType, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
