"""JSON Lines: one submission a line (UTF-8): answers as stored (masked where the reader may not see them),
metadata, the attachments' descriptions and the signature record."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlmodel import Session

from forms_engine.exports.registry import ExportFormat
from forms_engine.exports.schemas import EncodingProblem, ExportContext, ExportRow
from forms_engine.models import Attachment

_FLUSH = 256 * 1024


def record(row: ExportRow, attachments: list[Attachment]) -> dict[str, Any]:
    """One submission as JSON (the JSON Lines line, and submission.json in the ZIP)."""
    return {
        "receipt_number": row.receipt_number, "id": row.id, "procedure_id": row.procedure_id,
        "procedure_version": row.procedure_version, "definition_sha256": row.definition_sha256,
        "received_at": row.received_at.isoformat(), "status": row.status, "answers": row.answers,
        "masked": row.masked,
        "attachments": [{"id": a.id, "name": a.name, "media_type": a.media_type, "size": a.size, "sha256": a.sha256}
                        for a in attachments],
        "signature": row.signature,
    }


class JsonLinesExporter:
    def __init__(self, context: ExportContext) -> None:
        self.context = context

    def prescan(self, session: Session) -> list[EncodingProblem]:
        return []

    def chunks(self, session: Session) -> Iterator[bytes]:
        parts: list[str] = []
        size = 0
        done = 0
        for batch in self.context.source.batches(session):
            attachments = self.context.source.attachments(session, batch)
            for row in batch:
                line = json.dumps(record(row, attachments.get(row.id, [])), ensure_ascii=False,
                                  separators=(",", ":")) + "\n"
                parts.append(line)
                size += len(line)
            done += len(batch)
            if self.context.progress is not None:
                self.context.progress(done)
            if size >= _FLUSH:
                yield "".join(parts).encode()
                parts, size = [], 0
        yield "".join(parts).encode()


JSONL_FORMAT = ExportFormat("jsonl", "application/x-ndjson", "jsonl", (), JsonLinesExporter)
