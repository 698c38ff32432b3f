"""The rules without a database (JST cut-offs, which retention_days count), and the journal: files a stopped run
left behind are removed by the next run only for submissions that are gone; a journal in use is left alone."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from forms_engine.rendering.uploads import storage_for
from forms_engine.retention import files, repository
from forms_engine.retention.service import cutoff, retention_days
from tests.retention.conftest import Cli, attach, data_dir, file, receipt, stored_ids
from tests.staff.conftest import state_of


@pytest.mark.parametrize(("now", "days", "expected"), [
    ("2025-05-02T00:00:00+09:00", 30, "2025-04-01T15:00:00+00:00"),  # 4月2日 00:00 JST
    ("2025-05-01T14:59:59+00:00", 30, "2025-03-31T15:00:00+00:00"),  # still 5月1日 in Japan
    ("2025-05-01T15:00:00+00:00", 30, "2025-04-01T15:00:00+00:00"),  # 5月2日 in Japan
    ("2025-03-01T10:00:00+09:00", 1, "2025-02-27T15:00:00+00:00"),  # 2月28日 00:00 JST
])
def test_cutoff_is_the_start_of_a_jst_day(now: str, days: int, expected: str) -> None:
    assert cutoff(datetime.fromisoformat(now), days).isoformat() == expected
    assert cutoff(datetime.fromisoformat(now), days).tzinfo == UTC


@pytest.mark.parametrize(("document", "expected"), [
    ({"x-procedure": {"retention_days": 30}}, 30),
    ({"x-procedure": {"retention_days": 0}}, None),
    ({"x-procedure": {"retention_days": True}}, None),
    ({"x-procedure": {"retention_days": "30"}}, None),
    ({"x-procedure": {}}, None),
    ({}, None),
    (None, None),
])
def test_only_a_positive_whole_number_counts(document: object, expected: int | None) -> None:
    assert retention_days(document) == expected


def test_next_run_finishes_the_files_of_a_stopped_run(client: TestClient, cli: Cli,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    gone = file(client, "forever")
    gone_file = attach(client, gone)
    gone_receipts = receipt(client, gone)
    alive = file(client, "forever")
    alive_file = attach(client, alive)
    key = str(gone_file.relative_to(data_dir(client) / "attachments"))
    alive_key = str(alive_file.relative_to(data_dir(client) / "attachments"))
    with Session(state_of(client).engine) as session:  # as if a run had committed, then stopped before the files
        repository.delete_submissions(session, "forever", [gone.id], repository.table_names(session))
        session.commit()
    folder = data_dir(client) / "retention"
    files.Journal.write(folder, {gone.id: [key]}).release()  # committed, files not removed yet
    files.Journal.write(folder, {alive.id: [alive_key]}).release()  # never committed: its rows are still there
    busy = files.Journal.write(folder, {"in-use": []})  # another run is working on this one
    capsys.readouterr()

    assert cli() == 0

    assert not gone_file.exists() and not any(path.exists() for path in gone_receipts)
    assert alive_file.exists() and alive.id in stored_ids(client)
    assert list(folder.iterdir()) == [busy.path]
    assert "前回の実行で残ったファイルを削除しました（添付ファイル 1 件、控え 1 件）" in capsys.readouterr().err
    busy.close()
    assert list(folder.iterdir()) == []


def test_half_written_journals_go_when_an_hour_old(tmp_path: Path) -> None:
    stale, fresh = tmp_path / ".journal-a.tmp", tmp_path / ".journal-b.tmp"
    for path in (stale, fresh):
        path.write_text('{"files": {"x"', encoding="utf-8")
    os.utime(stale, (time.time() - 3601, time.time() - 3601))
    assert list(files.leftovers(tmp_path)) == []
    assert sorted(tmp_path.iterdir()) == [fresh]


def test_a_journal_that_is_not_one_stops_the_run(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("[]", encoding="utf-8")
    with pytest.raises(ValueError, match="not a retention journal"):
        list(files.leftovers(tmp_path))


def test_remove_is_idempotent(client: TestClient) -> None:
    filed = file(client, "forever")
    path = attach(client, filed)
    key = str(path.relative_to(data_dir(client) / "attachments"))
    storage = storage_for(state_of(client).settings)
    assert files.remove(data_dir(client), storage, {filed.id: [key]}) == (1, 0)
    assert files.remove(data_dir(client), storage, {filed.id: [key]}) == (1, 0)  # already gone: no error
    assert not path.exists()
