"""Export rules: who may export (the ``export`` right on the procedure's department; anything else outside
their departments is "not found"), which values are masked (``x-sensitive`` unless the reader holds the
``sensitive`` right, or the operator asked for them), the window of submissions, the pre-scan before the
first byte, and the audit entry of every export (format, filters, row count)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from forms_engine.audit import service as audit
from forms_engine.config import Settings
from forms_engine.db import READ_ONLY_OPTION
from forms_engine.exports import repository
from forms_engine.exports.cells import JST, exact_answers, parse_answers
from forms_engine.exports.registry import Exporter, ExporterRegistry, ExportFormat
from forms_engine.exports.schemas import (
    BATCH,
    ENCODINGS,
    Catalogue,
    Encoding,
    EncodingProblem,
    ExportContext,
    ExportRow,
    FlatRow,
)
from forms_engine.models import Attachment
from forms_engine.submissions.protection import Keyring, unseal

if TYPE_CHECKING:
    from forms_engine.staff.service import ReviewService

# staff.service (BadRequest, ReviewService, mask_sensitive) is imported where it is used, not above: it brings
# the receipts (reportlab) and the staff search (the validation stack), which a CSV export by
# `forms-engine export` never needs (tests/exports/test_lean_imports.py).


class Forbidden(PermissionError):
    """The staff member may see the procedure but lacks the role an export needs."""

    def __init__(self, role: str) -> None:
        super().__init__(f"書き出しには {role} の役割が必要です")
        self.role = role


class EncodingProblems(ValueError):
    def __init__(self, encoding: str, problems: list[EncodingProblem]) -> None:
        super().__init__(f"{len(problems)} 件の値を {encoding} で表せません")
        self.encoding = encoding
        self.problems = problems


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for child in value.values():
            yield from _strings(child)
    elif isinstance(value, list):
        for child in value:
            yield from _strings(child)


class Source:
    """The window's submissions in keyset batches, each masked by the definition it was filed under."""

    def __init__(self, procedure_id: str, since: datetime | None, until: datetime,
                 documents: dict[str, dict[str, Any]], show_sensitive: bool, keyring: Keyring,
                 batch: int = BATCH) -> None:
        self.keyring = keyring
        self.procedure_id, self.since, self.until = procedure_id, since, until
        self.documents = documents
        self.show_sensitive = show_sensitive
        self.batch = batch

    def _row(self, found: Any, mask: Callable[[Mapping[str, Any], Any], tuple[Any, bool]]) -> ExportRow:
        ident, number, procedure, version, sha, received_at, status, stored, signature = found
        if self.show_sensitive:  # decrypted only here; otherwise masked as stored, never decrypted
            answers, masked = unseal(stored, self.documents.get(sha, {}), ident, self.keyring), False
        else:
            answers, masked = mask(self.documents.get(sha, {}), stored)
        return ExportRow(ident, number, procedure, version, sha, received_at, status, answers, masked,
                         signature if isinstance(signature, dict) else None, stored)

    def batches(self, session: Session) -> Iterator[list[ExportRow]]:
        from forms_engine.staff.service import mask_sensitive

        for rows in repository.batches(session, self.procedure_id, self.since, self.until, self.batch):
            yield [self._row(r, mask_sensitive) for r in rows]

    def flat_batches(self, session: Session, unsealed: bool) -> Iterator[list[FlatRow]]:
        parse, documents, keyring = parse_answers, self.documents, self.keyring
        for rows in repository.flat_batches(session, self.procedure_id, self.since, self.until, self.batch):
            if unsealed:  # decrypted only here
                yield [(number, received, status, version, sha,
                        unseal(parse(text), documents.get(sha, {}), ident, keyring), ident, text)
                       for ident, number, received, status, version, sha, text in rows]
            else:
                yield [(number, received, status, version, sha, parse(text), ident, text)
                       for ident, number, received, status, version, sha, text in rows]

    def exact_answers(self, row: FlatRow, unsealed: bool) -> Any:
        answers = exact_answers(row[7])
        return unseal(answers, self.documents.get(row[4], {}), row[6], self.keyring) if unsealed else answers

    def array_lengths(self, session: Session, keys: list[str]) -> dict[str, dict[str, int]]:
        return repository.array_lengths(session, self.procedure_id, self.since, self.until, keys)

    def attachments(self, session: Session, rows: list[ExportRow]) -> dict[str, list[Attachment]]:
        """Attachments of a masked submission are left out unless its masked answers still name them
        (a file answered under an ``x-sensitive`` field is masked like any other value)."""
        found = repository.attachments_of(session, [r.id for r in rows])
        for row in rows:
            if row.masked and row.id in found:
                named = set(_strings(row.answers))
                found[row.id] = [a for a in found[row.id] if a.id in named]
        return found


@dataclass
class PreparedExport:
    chosen: ExportFormat
    context: ExportContext
    exporter: Exporter
    count: int
    filename: str
    details: dict[str, Any]

    @property
    def media_type(self) -> str:
        charset = {"utf-8-sig": "utf-8", "cp932": "shift_jis"}.get(self.context.encoding, "utf-8")
        return f"{self.chosen.media_type}; charset={charset}" if self.chosen.name == "csv" else self.chosen.media_type

    def stream(self, session: Session) -> Iterator[bytes]:
        return self.exporter.chunks(session)

    def stream_on_own_session(self, engine: Any) -> Iterator[bytes]:
        """The chunks read through a read-only session of their own (the request's is committed first)."""
        with Session(engine, execution_options={READ_ONLY_OPTION: True}) as session:
            yield from self.exporter.chunks(session)


class ExportService:
    def __init__(self, session: Session, settings: Settings, catalogue: Catalogue,
                 registry: ExporterRegistry) -> None:
        self.session = session
        self.settings = settings
        self.catalogue = catalogue
        self.registry = registry

    def _format(self, name: str, encoding: str | None) -> tuple[ExportFormat, Encoding]:
        chosen = self.registry.get(name)
        if chosen is None:
            from forms_engine.staff.service import BadRequest

            raise BadRequest("/format", f"format は {', '.join(self.registry.names())} のいずれかです")
        if encoding and encoding not in chosen.encodings:
            from forms_engine.staff.service import BadRequest

            allowed = ", ".join(chosen.encodings) or "（指定できません。常に UTF-8 です）"
            raise BadRequest("/encoding", f"{name} の encoding は {allowed}")
        if encoding in ENCODINGS:
            return chosen, encoding
        return chosen, chosen.encodings[0] if chosen.encodings else "utf-8-sig"

    def for_staff(self, review: ReviewService, procedure_id: str, name: str, encoding: str | None,
                  since: datetime | None, until: datetime | None) -> PreparedExport | None:
        """None when the procedure is not found for the staff member ``review`` acts for (another department
        answers alike)."""
        if not review.allowed(procedure_id, "view"):
            return None
        chosen, charset = self._format(name, encoding)
        if not review.allowed(procedure_id, "export"):
            raise Forbidden("exporter")
        return self._prepare(chosen, charset, procedure_id, since, until, review.allowed(procedure_id, "sensitive"),
                             {"via": "api"})

    def for_operator(self, procedure_id: str, name: str, encoding: str | None, since: datetime | None,
                     until: datetime | None, include_sensitive: bool,
                     progress: Callable[[int], None] | None = None) -> PreparedExport | None:
        """The command line: unmasked only when asked; None for a procedure never defined nor filed."""
        if self.catalogue.get(procedure_id) is None and not self._filed_before(procedure_id):
            return None
        chosen, charset = self._format(name, encoding)
        prepared = self._prepare(chosen, charset, procedure_id, since, until, include_sensitive, {"via": "cli"})
        prepared.context.progress = progress
        return prepared

    def _filed_before(self, procedure_id: str) -> bool:
        """A procedure no longer defined that was filed under: its last stored definition names its department
        (as `staff.service.ReviewService.department_of` finds it)."""
        from forms_engine.staff.repository import latest_document

        document = latest_document(self.session, procedure_id)
        meta = document.get("x-procedure") if document else None
        return isinstance(meta, Mapping) and "department" in meta

    def _prepare(self, chosen: ExportFormat, encoding: Encoding, procedure_id: str, since: datetime | None,
                 until: datetime | None, show_sensitive: bool, details: dict[str, Any]) -> PreparedExport:
        now = datetime.now(UTC)
        until = min(until, now) if until is not None else now  # later filings are not half in the export
        documents = repository.documents(self.session, procedure_id, since, until)
        current = self.catalogue.get(procedure_id)
        if current is not None:  # first: its file keeps the authors' order of fields (PostgreSQL's JSONB
            # does not), and the columns are there even when nothing was filed
            documents = {current.sha256: current.document, **{k: v for k, v in documents.items()
                                                               if k != current.sha256}}
        context = ExportContext(self.settings, procedure_id, encoding, since, until, documents, show_sensitive,
                                Source(procedure_id, since, until, documents, show_sensitive,
                                       self.settings.answers_keyring()))
        exporter = chosen.build(context)
        problems = exporter.prescan(self.session)
        if problems:
            raise EncodingProblems(encoding, problems)
        count = repository.count(self.session, procedure_id, since, until)
        stamp = now.astimezone(JST).strftime("%Y%m%d-%H%M%S")
        details = {**details, "format": chosen.name, "encoding": encoding if chosen.encodings else "utf-8",
                   "since": since.isoformat() if since else None, "until": until.isoformat(), "count": count,
                   "sensitive_shown": show_sensitive}
        return PreparedExport(chosen, context, exporter, count, f"{procedure_id}-{stamp}.{chosen.extension}", details)

    def record(self, prepared: PreparedExport, actor: str) -> None:
        """The audit entry (the caller commits it; the API before streaming, the CLI once the file is whole)."""
        audit.append(self.session, actor, "submissions.export", f"procedure:{prepared.context.procedure_id}",
                     prepared.details)
