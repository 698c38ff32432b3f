"""Shapes of an export: what was asked, one submission as exported, a value an encoding cannot hold."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from sqlmodel import Session

from forms_engine.config import Settings
from forms_engine.models import Attachment

Encoding = Literal["utf-8-sig", "cp932"]
ENCODINGS: tuple[Encoding, ...] = ("utf-8-sig", "cp932")
BATCH = 1000
"""Rows read per keyset batch: memory holds one batch, whatever the number of submissions."""


@dataclass(frozen=True)
class ExportRow:
    """One submission as exported; ``answers`` already masked unless sensitive values are shown."""

    id: str
    receipt_number: str
    procedure_id: str
    procedure_version: str
    definition_sha256: str
    received_at: datetime
    status: str
    answers: Any
    masked: bool
    signature: dict[str, Any] | None
    stored_answers: Any = None
    """The answers as filed, for the 受付票 (whose digest is of them); never written out as they are."""


@dataclass(frozen=True)
class EncodingProblem:
    """A value (or a column title, with an empty ``receipt_number``) the chosen encoding cannot hold."""

    receipt_number: str
    field: str
    character: str


class RowSource(Protocol):
    def batches(self, session: Session) -> Iterator[list[ExportRow]]:
        """The submissions, oldest first, one keyset batch at a time."""
        ...

    def stored_batches(self, session: Session) -> Iterator[list[ExportRow]]:
        """The same rows with their answers as stored (sealed, unmasked): for a writer that masks by column."""
        ...

    def array_lengths(self, session: Session, keys: list[str]) -> dict[str, dict[str, int]]:
        """Per definition version, the largest length of each of these top-level array answers."""
        ...

    def attachments(self, session: Session, rows: list[ExportRow]) -> dict[str, list[Attachment]]:
        """The attachments of these rows that may be shown (by submission id)."""
        ...


@dataclass
class ExportContext:
    """Everything an exporter needs; rows are read through ``rows`` in keyset batches."""

    settings: Settings
    procedure_id: str
    encoding: Encoding
    since: datetime | None
    until: datetime
    documents: dict[str, dict[str, Any]]  # definition sha256 -> document, newest first
    show_sensitive: bool
    source: RowSource
    progress: Callable[[int], None] | None = None
