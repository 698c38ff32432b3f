"""The parts without HTTP: the registry refuses a name twice, keyset batches cover every row once in order,
CSV injection prefixes, and a masked ZIP leaves out what the reader may not see."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session

from forms_engine.exports import repository
from forms_engine.exports.csv_writer import CSV_FORMAT, safe
from forms_engine.exports.registry import ExporterRegistry, default_exporters
from forms_engine.models import Submission
from tests.exports.conftest import gamma
from tests.exports.test_api import URL, _attach, bearer
from tests.staff.conftest import engine_of, file


def test_registry_refuses_a_format_twice() -> None:
    registry = ExporterRegistry()
    registry.register(CSV_FORMAT)
    with pytest.raises(ValueError, match="'csv' is already registered"):
        registry.register(CSV_FORMAT)
    assert default_exporters().names() == ["csv", "jsonl", "zip"]


@pytest.mark.parametrize(("value", "written"), [
    ("=1+1", "'=1+1"), ("+81", "'+81"), ("-5", "'-5"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("山田", "山田"), ("a=b", "a=b"), ("", "")])
def test_csv_injection_prefix(value: str, written: str) -> None:
    assert safe(value) == written


def test_keyset_batches_cover_every_row_once_oldest_first(client: TestClient) -> None:
    numbers = [file(client, "gamma", gamma(f"氏名{i}")) for i in range(5)]
    same = datetime(2025, 4, 1, tzinfo=UTC)
    with Session(engine_of(client)) as session:  # ties on received_at are broken by id
        table = Submission.__table__  # type: ignore[attr-defined]
        session.execute(update(table).where(table.c.receipt_number.in_(numbers[1:4])).values(received_at=same))
        session.commit()
        batches = list(repository.batches(session, "gamma", None, datetime.now(UTC), 2))
        expected = sorted(session.execute(table.select().where(table.c.procedure_id == "gamma")).mappings(),
                          key=lambda r: (r["received_at"], r["id"]))
    assert [len(b) for b in batches] == [2, 2, 1]
    assert [r.receipt_number for b in batches for r in b] == [r["receipt_number"] for r in expected]


def test_masked_zip_leaves_out_attachments_no_answer_names(client: TestClient) -> None:
    number = file(client, "gamma", gamma("山田 太郎"))
    _attach(client, number, "写真.png", b"\x89PNG\r\n\x1a\nimage")
    answer = client.get(URL, params={"format": "zip"}, headers=bearer(client, "eve", ("dept-a", "exporter")))
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    assert archive.namelist() == [f"{number}/submission.json", f"{number}/受付票.pdf", f"{number}/signature.json"]
    assert b'"my_number": "\xe2\x97\x8f' in archive.read(f"{number}/submission.json")
    assert archive.read(f"{number}/受付票.pdf").startswith(b"%PDF-")


def test_csv_masks_by_column_through_refs_like_mask_sensitive(client: TestClient) -> None:
    """alpha: 個人番号 and 振込先・口座番号 (x-sensitive behind a $ref) masked, stored sealed or not."""
    number = file(client, "alpha")
    answer = client.get("/api/v1/staff/procedures/alpha/export",
                        headers=bearer(client, "eve", ("dept-a", "exporter")))
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"), newline="")))
    assert rows[0][4:] == ["氏名", "個人番号", "備考", "振込先・支店名", "振込先・口座番号", "来庁日"]
    assert rows[1][0] == number
    assert rows[1][4:] == ["山田 太郎", "●●●●", "窓口で受け取り", "本店", "●●●●", "2025-04-01"]
    shown = client.get("/api/v1/staff/procedures/alpha/export", headers=bearer(client, "ada", ("dept-a", "admin")))
    assert list(csv.reader(io.StringIO(shown.content.decode("utf-8-sig"), newline="")))[1][4:] == [
        "山田 太郎", "123456789018", "窓口で受け取り", "本店", "1234567", "2025-04-01"]
