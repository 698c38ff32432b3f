"""The export endpoint: each format read back, numbered array columns, masking by role, cp932 refusals
listed before any byte, CSV injection, the audit entry, isolation (404) and the missing role (403)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from forms_engine.audit import repository as audit_repository
from forms_engine.audit import service as audit
from forms_engine.models import Attachment, Submission
from forms_engine.rendering.uploads import storage_for
from tests.exports.conftest import MY_NUMBER, gamma
from tests.staff.conftest import add_staff, engine_of, file, state_of, token_for

URL = "/api/v1/staff/procedures/gamma/export"
META = ["受付番号", "受付日時", "状態", "手続の版"]
COLUMNS = ["氏名", "個人番号", "種別", "備考", "子ども1・氏名", "子ども1・生年月日", "子ども2・氏名", "子ども2・生年月日"]


def bearer(client: TestClient, login: str, *grants: tuple[str, str]) -> dict[str, str]:
    add_staff(client, login, *grants)
    return {"Authorization": f"Bearer {token_for(client, login)}"}


def received(client: TestClient, number: str) -> datetime:
    with Session(engine_of(client)) as session:
        found = session.exec(select(Submission).where(Submission.receipt_number == number)).one()
        return found.received_at


def jst(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%Y-%m-%d %H:%M:%S")


def exports_logged(client: TestClient) -> list[Any]:
    with Session(engine_of(client)) as session:
        return [e for e in audit_repository.entries(session) if e.action == "submissions.export"]


@pytest.fixture
def filed(client: TestClient) -> list[str]:
    return [
        file(client, "gamma", gamma("山田 太郎", [{"name": "山田 一郎", "birth": "2015-04-01"},
                                                {"name": "山田 二郎"}], note="=SUM(A1:A9)")),
        file(client, "gamma", gamma("佐藤 花子", [{"name": "佐藤 桜", "birth": "2018-01-02"}])),
        file(client, "gamma", gamma("鈴木 一", note="-1")),
    ]


def read_csv(body: bytes, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode(encoding), newline="")))


def test_csv_has_numbered_array_columns_masked_values_and_a_bom(client: TestClient, filed: list[str]) -> None:
    headers = bearer(client, "eve", ("dept-a", "exporter"))
    answer = client.get(URL, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"].startswith("attachment; filename*=UTF-8''gamma-")
    assert answer.content.startswith(b"\xef\xbb\xbf")
    rows = read_csv(answer.content, "utf-8-sig")
    assert rows[0] == META + COLUMNS
    times = [jst(received(client, n)) for n in filed]
    assert rows[1:] == [
        [filed[0], times[0], "received", "1.0.0", "山田 太郎", "●●●●", "new", "'=SUM(A1:A9)",
         "山田 一郎", "2015-04-01", "山田 二郎", ""],
        [filed[1], times[1], "received", "1.0.0", "佐藤 花子", "●●●●", "new", "", "佐藤 桜", "2018-01-02", "", ""],
        [filed[2], times[2], "received", "1.0.0", "鈴木 一", "●●●●", "new", "'-1", "", "", "", ""],
    ]


def test_csv_shows_sensitive_values_to_the_sensitive_role_and_admin(client: TestClient, filed: list[str]) -> None:
    for login, grants in (("sam", (("dept-a", "exporter"), ("dept-a", "sensitive"))), ("ada", (("dept-a", "admin"),))):
        rows = read_csv(client.get(URL, headers=bearer(client, login, *grants)).content, "utf-8-sig")
        assert [r[5] for r in rows[1:]] == [MY_NUMBER] * 3


def test_csv_in_cp932_reads_back(client: TestClient, filed: list[str]) -> None:
    answer = client.get(URL, params={"encoding": "cp932"}, headers=bearer(client, "eve", ("dept-a", "exporter")))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=shift_jis"
    rows = read_csv(answer.content, "cp932")
    assert rows[0] == META + COLUMNS
    assert [r[4] for r in rows[1:]] == ["山田 太郎", "佐藤 花子", "鈴木 一"]
    assert rows[1][5] == "●●●●"


def test_cp932_refuses_before_streaming_and_names_every_value(client: TestClient, filed: list[str]) -> None:
    bad = file(client, "gamma", gamma("吉田 花", [{"name": "山田 一"}, {"name": "𠮷田 次郎"}]))
    headers = bearer(client, "eve", ("dept-a", "exporter"))
    before = len(exports_logged(client))
    answer = client.get(URL, params={"encoding": "cp932"}, headers=headers)
    assert answer.status_code == 422
    assert answer.json() == {"errors": [{
        "pointer": "/encoding", "keyword": "encoding", "receipt_number": bad, "field": "子ども2・氏名",
        "character": "𠮷",
        "message": f"受付番号 {bad} の「子ども2・氏名」に cp932 で表せない文字「𠮷」があります（utf-8-sig で書き出してください）",
    }]}
    assert len(exports_logged(client)) == before  # nothing was exported
    rows = read_csv(client.get(URL, headers=headers).content, "utf-8-sig")  # UTF-8 holds it
    assert rows[-1][4:5] + rows[-1][10:11] == ["吉田 花", "𠮷田 次郎"]


def test_jsonl_reads_back_one_submission_a_line(client: TestClient, filed: list[str]) -> None:
    answer = client.get(URL, params={"format": "jsonl"}, headers=bearer(client, "eve", ("dept-a", "exporter")))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in answer.content.decode().splitlines()]
    assert [line["receipt_number"] for line in lines] == filed
    first = lines[0]
    assert first["answers"] == {"name": "山田 太郎", "my_number": "●●●●", "kind": "new", "note": "=SUM(A1:A9)",
                                "children": [{"name": "山田 一郎", "birth": "2015-04-01"}, {"name": "山田 二郎"}]}
    assert (first["masked"], first["status"], first["procedure_id"], first["procedure_version"]) == (
        True, "received", "gamma", "1.0.0")
    assert first["signature"] is None and first["attachments"] == []
    assert datetime.fromisoformat(first["received_at"]) == received(client, filed[0])


def _attach(client: TestClient, number: str, name: str, data: bytes) -> None:
    state = state_of(client)
    with Session(state.engine) as session:
        found = session.exec(select(Submission).where(Submission.receipt_number == number)).one()
        key = f"test/{found.id}"
        storage_for(state.settings).save(key, data)
        session.add(Attachment(id=f"att-{found.id[:8]}", submission_id=found.id, name=name, media_type="image/png",
                               size=len(data), sha256="0" * 64, storage_key=key, created_at=datetime.now(UTC)))
        session.commit()


def test_zip_has_a_folder_per_submission(client: TestClient, filed: list[str]) -> None:
    _attach(client, filed[1], "../写真.png", b"\x89PNG\r\n\x1a\nimage")
    answer = client.get(URL, params={"format": "zip"}, headers=bearer(client, "ada", ("dept-a", "admin")))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    assert archive.testzip() is None
    names = archive.namelist()
    expected = [f"{n}/{part}" for n in filed for part in ("submission.json", "受付票.pdf", "signature.json")]
    expected.insert(expected.index(f"{filed[1]}/signature.json"), f"{filed[1]}/attachments/写真.png")
    assert names == expected
    second = json.loads(archive.read(f"{filed[1]}/submission.json"))
    assert (second["answers"]["my_number"], second["masked"]) == (MY_NUMBER, False)
    assert second["attachments"][0]["name"] == "../写真.png"
    assert archive.read(f"{filed[1]}/attachments/写真.png") == b"\x89PNG\r\n\x1a\nimage"
    assert archive.read(f"{filed[0]}/受付票.pdf").startswith(b"%PDF-")
    assert json.loads(archive.read(f"{filed[0]}/signature.json")) is None


def test_every_export_is_audited_with_format_filters_and_count(client: TestClient, filed: list[str]) -> None:
    headers = bearer(client, "eve", ("dept-a", "exporter"))
    assert client.get(URL, params={"format": "jsonl", "since": "2000-01-01"}, headers=headers).status_code == 200
    entry = exports_logged(client)[-1]
    assert (entry.actor, entry.target) == ("staff:eve", "procedure:gamma")
    until = entry.details.pop("until")
    assert entry.details == {"via": "api", "format": "jsonl", "encoding": "utf-8", "since": "1999-12-31T15:00:00+00:00",
                             "count": 3, "sensitive_shown": False}
    assert datetime.fromisoformat(until) <= datetime.now(UTC)
    with Session(engine_of(client)) as session:
        assert audit.verify(session).ok


def test_since_and_until_choose_the_window(client: TestClient, filed: list[str]) -> None:
    headers = bearer(client, "eve", ("dept-a", "exporter"))
    middle = received(client, filed[1]).isoformat()
    rows = read_csv(client.get(URL, params={"since": middle}, headers=headers).content, "utf-8-sig")
    assert [r[0] for r in rows[1:]] == filed[1:]
    rows = read_csv(client.get(URL, params={"until": "2000-01-01"}, headers=headers).content, "utf-8-sig")
    assert rows == [META + COLUMNS[:4]]  # nothing filed then: no child columns either


NOT_FOUND = {"errors": [{"pointer": "", "keyword": "not_found", "message": "見つかりません"}]}


def test_another_department_answers_404_like_an_unknown_procedure(client: TestClient, filed: list[str]) -> None:
    headers = bearer(client, "bob", ("dept-b", "admin"))
    for url in (URL, "/api/v1/staff/procedures/no-such/export"):
        answer = client.get(url, params={"format": "zip"}, headers=headers)
        assert (answer.status_code, answer.json()) == (404, NOT_FOUND)
    assert client.get(URL).status_code == 401


def test_viewer_without_exporter_gets_403_naming_the_role(client: TestClient, filed: list[str]) -> None:
    headers = bearer(client, "vic", ("dept-a", "viewer"), ("dept-a", "sensitive"))
    answer = client.get(URL, headers=headers)
    assert answer.status_code == 403
    assert answer.json() == {"errors": [{"pointer": "", "keyword": "forbidden",
                                         "message": "書き出しには exporter の役割が必要です", "missing_role": "exporter"}]}


def test_bad_format_and_encoding_are_422(client: TestClient, filed: list[str]) -> None:
    headers = bearer(client, "eve", ("dept-a", "exporter"))
    answer = client.get(URL, params={"format": "xlsx"}, headers=headers)
    assert (answer.status_code, answer.json()["errors"][0]["pointer"]) == (422, "/format")
    answer = client.get(URL, params={"format": "jsonl", "encoding": "cp932"}, headers=headers)
    assert (answer.status_code, answer.json()["errors"][0]["pointer"]) == (422, "/encoding")
    answer = client.get(URL, params={"since": "yesterday"}, headers=headers)
    assert (answer.status_code, answer.json()["errors"][0]["pointer"]) == (422, "/since")
