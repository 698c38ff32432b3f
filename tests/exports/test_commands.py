"""`forms-engine export`: the file appears whole or not at all, cp932 refusals are listed (exit 1), values are
masked unless --include-sensitive, progress lines on a non-terminal, and the export is audited."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from forms_engine.audit import repository as audit_repository
from forms_engine.cli import main
from tests.exports.conftest import DEFS, MY_NUMBER, gamma
from tests.staff.conftest import engine_of, file


@pytest.fixture
def cli_env(client: TestClient, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The app's data folder (its key file decrypts the answers) for the command too."""
    monkeypatch.setenv("FORMS_ENGINE_DATA_DIR", str(tmp_path / "data"))
    return ["--database-url", db_url, "--definitions", str(DEFS)]


def rows_of(path: Path, encoding: str = "utf-8-sig") -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode(encoding), newline="")))


def test_cli_writes_masked_csv_and_audits_it(client: TestClient, cli_env: list[str], tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    numbers = [file(client, "gamma", gamma("山田 太郎", [{"name": "山田 一郎"}])), file(client, "gamma", gamma("佐藤 花子"))]
    out = tmp_path / "out.csv"
    assert main(["export", "gamma", "--format", "csv", "--encoding", "cp932", "-o", str(out), *cli_env]) == 0
    rows = rows_of(out, "cp932")
    assert rows[0][4:] == ["氏名", "個人番号", "種別", "備考", "子ども1・氏名", "子ども1・生年月日"]
    assert [(r[0], r[4], r[5], r[8]) for r in rows[1:]] == [
        (numbers[0], "山田 太郎", "●●●●", "山田 一郎"), (numbers[1], "佐藤 花子", "●●●●", "")]
    err = capsys.readouterr().err
    assert "書き出し 2/2 件" in err and "2 件を" in err
    with Session(engine_of(client)) as session:
        entry = [e for e in audit_repository.entries(session) if e.action == "submissions.export"][-1]
    assert (entry.actor, entry.details["via"], entry.details["count"], entry.details["encoding"],
            entry.details["sensitive_shown"]) == ("cli", "cli", 2, "cp932", False)


def test_cli_include_sensitive_unmasks(client: TestClient, cli_env: list[str], tmp_path: Path) -> None:
    file(client, "gamma", gamma("山田 太郎"))
    out = tmp_path / "out.jsonl"
    assert main(["export", "gamma", "--format", "jsonl", "--include-sensitive", "-o", str(out), *cli_env]) == 0
    assert f'"my_number":"{MY_NUMBER}"' in out.read_text(encoding="utf-8")


def test_cli_cp932_failure_lists_values_and_leaves_no_file(client: TestClient, cli_env: list[str], tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    file(client, "gamma", gamma("山田 太郎"))
    bad = file(client, "gamma", gamma("𠮷田 花子"))
    folder = tmp_path / "exports"
    folder.mkdir()
    out = folder / "out.csv"
    out.write_text("an older export", encoding="utf-8")
    assert main(["export", "gamma", "--encoding", "cp932", "-o", str(out), *cli_env]) == 1
    err = capsys.readouterr().err
    assert f"受付番号 {bad}\t氏名\t𠮷" in err
    assert sorted(p.name for p in folder.iterdir()) == ["out.csv"]  # no temporary file left
    assert out.read_text(encoding="utf-8") == "an older export"  # nor a half-written one


def test_cli_unknown_procedure_is_exit_1(client: TestClient, cli_env: list[str], tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    assert main(["export", "no-such", "-o", str(out), *cli_env]) == 1
    assert not out.exists()
