"""`forms-engine retention purge`: closed submissions past their version's retention_days are deleted with every
row and file that belongs to them, recorded in the audit log; open cases and procedures without retention_days
are kept; --dry-run changes nothing; batches, two runs at once, a refused run and a failed batch."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text, update
from sqlmodel import Session, col, select

from forms_engine.cli import main
from forms_engine.models import DefinitionVersion, IdempotencyRecord, Submission
from forms_engine.retention import service
from tests.retention.conftest import (
    Cli,
    attach,
    counts,
    data_dir,
    events_of,
    file,
    purge_entries,
    receipt,
    received_at,
    stored_ids,
)
from tests.staff.conftest import engine_of


def test_purges_closed_old_submissions_completely_and_keeps_the_rest(
        client: TestClient, cli: Cli, db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    old = file(client, days_ago=400, key="retry-1")
    old_file = attach(client, old)
    old_receipts = receipt(client, old)
    rejected = file(client, days_ago=31, status="rejected")
    open_received = file(client, days_ago=400, status="received")
    open_reviewing = file(client, days_ago=90, status="reviewing")
    recent = file(client, days_ago=10)
    recent_file = attach(client, recent)
    recent_receipts = receipt(client, recent)
    no_rule = file(client, "forever", days_ago=4000)
    assert events_of(client, old) == 2
    capsys.readouterr()

    assert cli() == 0

    assert stored_ids(client) == {open_received.id, open_reviewing.id, recent.id, no_rule.id}
    assert events_of(client, old) == events_of(client, rejected) == 0
    assert events_of(client, open_reviewing) == 1 and events_of(client, recent) == 2
    assert not old_file.exists() and recent_file.exists()
    assert not any(path.exists() for path in old_receipts) and all(path.exists() for path in recent_receipts)
    with Session(engine_of(client)) as session:
        assert session.exec(select(IdempotencyRecord).where(IdempotencyRecord.key == "retry-1")).first() is None
    assert list((data_dir(client) / "retention").iterdir()) == []  # the batch's journal is gone

    out = capsys.readouterr().out.splitlines()
    assert f"kept\t{open_received.number}\t受付\t" in "\n".join(out)
    assert [line for line in out if "未完了のため削除していません" in line] == [
        line for line in out if open_received.number in line or open_reviewing.number in line]
    assert out[-1].startswith("kept\t削除 2 件（添付ファイル 1 件、控え 1 件）\t未完了で保留 2 件\t版 1.0.0: 30 日（")
    assert not any(line.startswith("forever") for line in out)

    [entry] = purge_entries(client)
    assert (entry["target"], entry["actor"], entry["purged"], entry["batch"]) == ("procedure:kept", "cli", 2, 1)
    assert entry["receipt_numbers"] == [old.number, rejected.number]  # oldest first
    assert (entry["open"], entry["open_receipt_numbers"]) == (2, [open_received.number, open_reviewing.number])
    assert entry["deleted"]["submission_events"] == 4 and entry["deleted"]["attachments"] == 1
    assert entry["deleted"]["idempotency_keys"] == 1 and entry["attachment_files"] == 1
    assert [rule["retention_days"] for rule in entry["rules"]] == [30]
    assert "山田" not in json.dumps(entry, ensure_ascii=False)  # never an answer
    assert main(["audit", "verify", "--database-url", db_url]) == 0

    assert cli() == 0  # again: nothing more to delete; the open cases are recorded again
    assert stored_ids(client) == {open_received.id, open_reviewing.id, recent.id, no_rule.id}
    assert [(e["purged"], e["open"]) for e in purge_entries(client)] == [(2, 2), (0, 2)]


def test_dry_run_lists_and_changes_nothing(client: TestClient, cli: Cli, capsys: pytest.CaptureFixture[str]) -> None:
    old = file(client, days_ago=400)
    old_file = attach(client, old)
    old_receipts = receipt(client, old)
    open_case = file(client, days_ago=400, status="correction_requested")
    before = counts(client)
    capsys.readouterr()

    assert cli("--dry-run") == 0

    assert counts(client) == before and old_file.exists() and all(path.exists() for path in old_receipts)
    captured = capsys.readouterr()
    assert f"kept\t{old.number}\t完了\t" in captured.out and captured.out.count("\t削除対象\n") == 1
    assert f"kept\t{open_case.number}\t補正依頼\t" in captured.out
    assert "kept\t削除対象 1 件\t未完了で保留 1 件" in captured.out
    assert "何も変更していません" in captured.err
    assert not (data_dir(client) / "retention").exists()


def test_days_are_jst_calendar_days_from_the_day_after_receipt(client: TestClient, cli: Cli) -> None:
    late = file(client)  # 4月1日 23:59:59 JST: kept through 5月1日 (30 days), purged from 5月2日 00:00 JST
    received_at(client, late, datetime.fromisoformat("2025-04-01T23:59:59+09:00"))
    next_day = file(client)
    received_at(client, next_day, datetime.fromisoformat("2025-04-02T00:00:00+09:00"))

    assert cli("--now", "2025-05-01T23:59:59+09:00") == 0
    assert {late.id, next_day.id} <= stored_ids(client)
    assert cli("--now", "2025-05-01T15:00:00Z") == 0  # 5月2日 00:00 JST
    assert late.id not in stored_ids(client) and next_day.id in stored_ids(client)
    assert purge_entries(client)[0]["rules"][0]["cutoff"] == "2025-04-01T15:00:00+00:00"


def test_the_version_filed_against_governs(client: TestClient, cli: Cli) -> None:
    """Two submissions past 30 days; one filed against an older stored version that kept 3650 days, one against
    a version without retention_days: only the one filed under the current 30-day version is deleted."""
    current, longer, without = (file(client, days_ago=400) for _ in range(3))
    with Session(engine_of(client)) as session:
        stored = session.exec(select(DefinitionVersion).where(DefinitionVersion.procedure_id == "kept")).one()
        for filed, days, version in ((longer, 3650, "0.9.0"), (without, None, "0.8.0")):
            document = json.loads(json.dumps(stored.document))
            document["x-procedure"]["version"] = version
            if days is None:
                del document["x-procedure"]["retention_days"]
            else:
                document["x-procedure"]["retention_days"] = days
            sha = version.replace(".", "").ljust(64, "0")
            session.add(DefinitionVersion(sha256=sha, procedure_id="kept", version=version, document=document))
            session.flush()
            session.exec(update(Submission).where(col(Submission.id) == filed.id)
                         .values(definition_sha256=sha, procedure_version=version))
        session.commit()

    assert cli() == 0
    assert stored_ids(client) == {longer.id, without.id}
    [entry] = purge_entries(client)
    assert sorted((r["version"], r["retention_days"]) for r in entry["rules"]) == [("0.9.0", 3650), ("1.0.0", 30)]
    assert entry["receipt_numbers"] == [current.number]


def test_batches_each_commit_with_their_own_entry(client: TestClient, cli: Cli, db_url: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    filed = [file(client, days_ago=400 - n, status="withdrawn") for n in range(5)]
    assert cli("--batch-size", "2", "--procedure", "kept") == 0
    assert stored_ids(client) == set()
    entries = purge_entries(client)
    assert [(e["batch"], e["purged"]) for e in entries] == [(1, 2), (2, 2), (3, 1)]
    assert len({e["run"] for e in entries}) == 1 and "open" in entries[0] and "open" not in entries[1]
    assert [n for e in entries for n in e["receipt_numbers"]] == [f.number for f in filed]
    assert "kept: 2 件を削除（累計 4 件）\nkept: 1 件を削除（累計 5 件）" in capsys.readouterr().err
    assert main(["audit", "verify", "--database-url", db_url]) == 0


def test_procedure_option_limits_the_run(client: TestClient, cli: Cli) -> None:
    old = file(client, days_ago=400)
    assert cli("--procedure", "forever") == 0
    assert old.id in stored_ids(client) and purge_entries(client) == []


def test_two_runs_at_once_delete_each_submission_once(client: TestClient, cli: Cli, db_url: str) -> None:
    filed = [file(client, days_ago=400) for _ in range(12)]
    results: list[int] = []
    runs = [threading.Thread(target=lambda: results.append(cli("--batch-size", "3"))) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    assert results == [0, 0] and stored_ids(client) == set()
    numbers = [n for e in purge_entries(client) for n in e["receipt_numbers"]]
    assert sorted(numbers) == sorted(f.number for f in filed)  # each recorded once, by the run that deleted it
    assert sum(e["purged"] for e in purge_entries(client)) == 12
    assert main(["audit", "verify", "--database-url", db_url]) == 0


def test_a_table_referring_to_submissions_that_is_not_listed_refuses_the_run(
        client: TestClient, cli: Cli, capsys: pytest.CaptureFixture[str]) -> None:
    old = file(client, days_ago=400)
    with engine_of(client).begin() as conn:
        conn.execute(text("CREATE TABLE payment_notes (id VARCHAR(36) PRIMARY KEY, "
                          "submission_id VARCHAR(36) REFERENCES submissions(id))"))
    assert cli() == 1
    assert "payment_notes.submission_id" in capsys.readouterr().err
    assert old.id in stored_ids(client) and purge_entries(client) == []


@pytest.mark.parametrize("now", ["yesterday", "2025-04-01T09:00:00", "2999-01-01T00:00:00+09:00"])
def test_a_wrong_or_future_now_is_a_usage_error(client: TestClient, cli: Cli, now: str) -> None:
    old = file(client, days_ago=400)
    assert cli("--now", now) == 2
    assert old.id in stored_ids(client)


def test_a_failing_batch_deletes_nothing(client: TestClient, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    old = file(client, days_ago=400)
    old_file = attach(client, old)
    old_receipts = receipt(client, old)
    before = counts(client)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(service.audit, "append", broken)
    with pytest.raises(RuntimeError):
        cli()
    assert counts(client) == before and events_of(client, old) == 2
    assert old_file.exists() and all(path.exists() for path in old_receipts)
    assert list((data_dir(client) / "retention").iterdir()) == []


def test_received_time_comparison_uses_the_stored_moment(client: TestClient, cli: Cli) -> None:
    """A submission received exactly at the cut-off is kept (only 'before' the JST day start is past)."""
    edge = file(client)
    received_at(client, edge, datetime(2025, 4, 1, 15, 0, tzinfo=UTC) - timedelta(microseconds=1))
    kept = file(client)
    received_at(client, kept, datetime(2025, 4, 1, 15, 0, tzinfo=UTC))
    assert cli("--now", "2025-05-02T00:00:00+09:00") == 0
    assert stored_ids(client) == {kept.id}
