"""Shared by the retention tests: `kept` (retention_days 30) and `forever` (none), submissions filed through the
resident API, moved back in time, closed through the status workflow, with an attachment and a cached receipt."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from forms_engine.cli import main
from forms_engine.models import Attachment, AuditEntry, IdempotencyRecord, Submission, SubmissionEvent
from forms_engine.rendering.uploads import Upload, claim, storage_for, store
from forms_engine.staff import workflow
from tests.staff.conftest import ClientFactory, engine_of, state_of

DEFS = Path(__file__).resolve().parent / "definitions"
ACTION = "submissions.purge"
Cli = Callable[..., int]


@dataclass(frozen=True)
class Filed:
    id: str
    number: str
    receipt_url: str


@pytest.fixture
def client(make_client: ClientFactory) -> TestClient:
    return make_client(DEFS)


@pytest.fixture
def cli(client: TestClient, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """`forms-engine retention purge ARGS` on the app's database, with the app's data folder."""
    monkeypatch.setenv("FORMS_ENGINE_DATA_DIR", str(tmp_path / "data"))

    def run(*args: str) -> int:
        return main(["retention", "purge", *args, "--database-url", db_url])

    return run


def data_dir(client: TestClient) -> Path:
    folder: Path = state_of(client).settings.data_dir
    return folder


def file(client: TestClient, procedure: str = "kept", name: str = "山田 太郎", *, days_ago: float = 0,
         status: str = "completed", key: str | None = None) -> Filed:
    """A submission filed `days_ago` days ago, moved to ``status`` through the workflow (with its events)."""
    headers = {"Idempotency-Key": key} if key else {}
    answer = client.post(f"/api/v1/procedures/{procedure}/submissions", json={"answers": {"name": name}},
                         headers=headers)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    filed = Filed(body["id"], body["receipt_number"], body["receipt_url"])
    received_at(client, filed, datetime.now(UTC) - timedelta(days=days_ago))
    path = {"received": [], "reviewing": ["reviewing"], "correction_requested": ["correction_requested"],
            "completed": ["reviewing", "completed"], "rejected": ["reviewing", "rejected"],
            "withdrawn": ["withdrawn"]}[status]
    with Session(engine_of(client)) as session:
        submission = session.get(Submission, filed.id)
        assert submission is not None
        for to in path:
            workflow.record(session, submission, to, "staff:test", "理由" if to in workflow.REASON_REQUIRED else None,
                            "test", submission.status)
        session.commit()
    return filed


def received_at(client: TestClient, filed: Filed, moment: datetime) -> None:
    with Session(engine_of(client)) as session:
        session.exec(update(Submission).where(col(Submission.id) == filed.id).values(received_at=moment))
        session.commit()


def attach(client: TestClient, filed: Filed, data: bytes = b"%PDF-1.4 test") -> Path:
    """An attachment claimed by the submission; the path of its stored file."""
    state = state_of(client)
    storage = storage_for(state.settings)
    with Session(state.engine) as session:
        attachment = store(session, storage, Upload("/file", "書類.pdf", "application/pdf", data))
        claim(session, filed.id, [attachment.id])
        session.commit()
        key = attachment.storage_key
    return data_dir(client) / "attachments" / key


def receipt(client: TestClient, filed: Filed) -> list[Path]:
    """Download the 控え (cached on disk on the way); the cached files."""
    answer = client.get(filed.receipt_url)
    assert answer.status_code == 200, answer.text[:500]
    files = sorted((data_dir(client) / "receipts" / filed.id[:2]).glob(f"{filed.id}.*"))
    assert files
    return files


def stored_ids(client: TestClient) -> set[str]:
    with Session(engine_of(client)) as session:
        return set(session.exec(select(Submission.id)))


def counts(client: TestClient) -> dict[str, int]:
    """Rows per table that a purge touches."""
    with Session(engine_of(client)) as session:
        return {model.__name__: int(session.exec(select(func.count()).select_from(model)).one())
                for model in (Submission, SubmissionEvent, Attachment, IdempotencyRecord, AuditEntry)}


def events_of(client: TestClient, filed: Filed) -> int:
    with Session(engine_of(client)) as session:
        query = select(func.count()).select_from(SubmissionEvent).where(SubmissionEvent.submission_id == filed.id)
        return int(session.exec(query).one())


def purge_entries(client: TestClient) -> list[dict[str, Any]]:
    with Session(engine_of(client)) as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.action == ACTION).order_by(col(AuditEntry.seq)))
        return [{"target": entry.target, "actor": entry.actor, **entry.details} for entry in entries]
