"""ZIP: a folder per submission (its 受付番号) with submission.json, 受付票.pdf (the office copy, masked for
staff without the sensitive role), the attachments and signature.json.

Streamed: ``zipfile`` writes into a sink that is emptied after every submission, so only the entry
currently written is in memory (and the central directory's few hundred bytes per file, which a ZIP needs
at its end). ZIP64 is used as soon as sizes or counts call for it.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from sqlmodel import Session

from forms_engine.exports.jsonl_writer import record
from forms_engine.exports.registry import ExportFormat
from forms_engine.exports.schemas import EncodingProblem, ExportContext, ExportRow
from forms_engine.models import Submission

# The receipts (reportlab), the uploads store and the staff service are imported where a ZIP is written, not
# above: the registry lists this format beside CSV, which must not load them (tests/exports/test_lean_imports.py).

_UNSAFE = str.maketrans({c: "_" for c in '/\\:*?"<>|\0'})


class _Sink:
    """A write-only, unseekable file: zipfile then writes data descriptors and never seeks back."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        return None

    def close(self) -> None:
        return None

    def take(self) -> bytes:
        out = b"".join(self.parts)
        self.parts.clear()
        return out


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2).encode() + b"\n"


def safe_name(name: str, taken: set[str]) -> str:
    base = (name.replace("\\", "/").rsplit("/", 1)[-1].translate(_UNSAFE).strip(" .") or "file")[:120]
    candidate, stem, dot, ext = base, *base.rpartition(".")
    number = 1
    while candidate in taken:
        number += 1
        candidate = f"{stem}({number}){dot}{ext}" if stem else f"{base}({number})"
    taken.add(candidate)
    return candidate


class ZipExporter:
    def __init__(self, context: ExportContext) -> None:
        from forms_engine.rendering.uploads import storage_for

        self.context = context
        self.store = storage_for(context.settings)

    def prescan(self, session: Session) -> list[EncodingProblem]:
        return []

    def receipt(self, session: Session, row: ExportRow) -> bytes:
        from forms_engine.receipts.service import render_receipt
        from forms_engine.receipts.store import receipt_data, receipt_pdf
        from forms_engine.staff.service import mask_sensitive

        submission = Submission(id=row.id, receipt_number=row.receipt_number, procedure_id=row.procedure_id,
                                procedure_version=row.procedure_version, definition_sha256=row.definition_sha256,
                                received_at=row.received_at, status=row.status, signature=row.signature,
                                answers=row.stored_answers)
        if not row.masked and self.context.show_sensitive:
            return receipt_pdf(session, self.context.settings, submission, "office")
        data = receipt_data(session, self.context.settings, submission)
        masked, _ = mask_sensitive(data.definition_document, dict(data.answers))
        return render_receipt(replace(data, answers=masked), "office", mask_sensitive=True)

    def chunks(self, session: Session) -> Iterator[bytes]:
        sink = _Sink()
        done = 0
        with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            for batch in self.context.source.batches(session):
                attachments = self.context.source.attachments(session, batch)
                for row in batch:
                    folder = row.receipt_number
                    found = attachments.get(row.id, [])
                    archive.writestr(f"{folder}/submission.json", _json(record(row, found)))
                    archive.writestr(f"{folder}/受付票.pdf", self.receipt(session, row), zipfile.ZIP_STORED)
                    taken: set[str] = set()
                    for item in found:
                        archive.writestr(f"{folder}/attachments/{safe_name(item.name, taken)}",
                                         self.store.load(item.storage_key))
                    archive.writestr(f"{folder}/signature.json", _json(row.signature))
                    yield sink.take()
                done += len(batch)
                if self.context.progress is not None:
                    self.context.progress(done)
        yield sink.take()


ZIP_FORMAT = ExportFormat("zip", "application/zip", "zip", (), ZipExporter)
