"""Shapes of an export: what was asked, one submission as exported, a value an encoding cannot hold, and what an
export asks of the definitions served now."""

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


class ServedDefinition(Protocol):
    """What an export reads of a procedure's definition served now (`definitions.schemas.Definition` is one)."""

    @property
    def sha256(self) -> str: ...

    @property
    def document(self) -> Any: ...


class Catalogue(Protocol):
    """The definitions served now, as an export asks them: the engine's `DefinitionCatalogue`, or for
    `forms-engine export` `exports.served.Served` (the exported procedure's file only, linted only when needed)."""

    def get(self, procedure_id: str) -> ServedDefinition | None: ...


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


FlatRow = tuple[str, str, str, str, str, Any, str, str]
"""One submission for a table (CSV): receipt_number, received_at (UTC, ``YYYY-MM-DD HH:MM:SS.ffffff``), status,
procedure_version, definition_sha256, answers (read fast: see `cells.parse_answers`; as stored, or unsealed), id,
and the stored JSON text."""


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

    def flat_batches(self, session: Session, unsealed: bool) -> Iterator[list[FlatRow]]:
        """The same rows as plain tuples, answers as stored (sealed) or, when ``unsealed``, decrypted: for a
        writer that builds its own cells and masks by column."""
        ...

    def exact_answers(self, row: FlatRow, unsealed: bool) -> Any:
        """A row's answers read exactly (`json.loads`: integers of any size), unsealed or not like the row."""
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
