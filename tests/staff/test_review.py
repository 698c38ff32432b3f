"""The staff API and pages: the role matrix (x-sensitive values masked unless the staff member holds the
`sensitive` or `admin` role), the detail (answers, attachments, signature, history), filters and keyset pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from forms_engine.models import Submission
from forms_engine.staff.service import MASK, mask_sensitive
from tests.receipts.tools import squash, text_of
from tests.staff.conftest import ALPHA, MY_NUMBER, add_staff, engine_of, file, logged_in, token_for

MASKED_ANSWERS = {**ALPHA, "my_number": MASK, "bank": {"branch": "本店", "account": MASK}}


@pytest.mark.parametrize(("role", "sees_sensitive"), [
    ("viewer", False), ("reviewer", False), ("exporter", False), ("sensitive", True), ("admin", True)])
def test_role_matrix_on_the_detail(client: TestClient, role: str, sees_sensitive: bool) -> None:
    add_staff(client, "staff", ("dept-a", role))
    number = file(client)
    headers = {"Authorization": f"Bearer {token_for(client, 'staff')}"}
    body = client.get(f"/api/v1/staff/submissions/{number}", headers=headers).json()
    assert body["answers"] == (ALPHA if sees_sensitive else MASKED_ANSWERS)
    assert body["masked"] is (not sees_sensitive)
    assert body["procedure_id"] == "alpha" and body["receipt_number"] == number and body["status"] == "received"
    assert body["attachments"] == [] and body["signature"] is None
    assert [(h["from_status"], h["to_status"], h["actor"]) for h in body["history"]] == [(None, "received", None)]
    page = logged_in(client, "staff").get(f"/staff/submissions/{number}")
    assert page.status_code == 200
    assert (MY_NUMBER in page.text) is sees_sensitive
    assert ("1234567" in page.text) is sees_sensitive
    assert (MASK in page.text) is (not sees_sensitive)
    assert "山田 太郎" in page.text and "令和7年（2025年）4月1日" in page.text  # worded as on the confirmation
    assert ('id="masked"' in page.text) is (not sees_sensitive)


def test_roles_in_one_department_give_nothing_in_another(client: TestClient) -> None:
    add_staff(client, "mixed", ("dept-a", "viewer"), ("dept-b", "sensitive"))
    number = file(client)
    body = client.get(f"/api/v1/staff/submissions/{number}",
                      headers={"Authorization": f"Bearer {token_for(client, 'mixed')}"}).json()
    assert body["answers"]["my_number"] == MASK  # `sensitive` is held in dept-b, not in alpha's dept-a


def test_the_office_receipt_is_masked_without_the_sensitive_role(client: TestClient, tmp_path: Path) -> None:
    add_staff(client, "viewer", ("dept-a", "viewer"))
    add_staff(client, "sens", ("dept-a", "sensitive"))
    number = file(client)
    texts = {}
    for who in ("sens", "viewer"):
        answer = client.get(f"/api/v1/staff/receipts/{number}.pdf",
                            headers={"Authorization": f"Bearer {token_for(client, who)}"})
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
        (tmp_path / f"{who}.pdf").write_bytes(answer.content)
        texts[who] = squash(text_of(tmp_path / f"{who}.pdf"))
    assert "受付票" in texts["sens"] and "受付票" in texts["viewer"]
    assert MY_NUMBER in texts["sens"] and "1234567" in texts["sens"]
    assert MY_NUMBER not in texts["viewer"] and "1234567" not in texts["viewer"]


def test_masking_follows_refs_branches_and_arrays() -> None:
    document = {"type": "object", "$defs": {"secret": {"type": "string", "x-sensitive": True}},
                "properties": {"a": {"$ref": "#/$defs/secret"}, "list": {"type": "array", "items": {
                    "type": "object", "properties": {"n": {"x-sensitive": True}, "ok": {}}}}},
                "if": {"properties": {"kind": {"const": "x"}}},
                "then": {"properties": {"hidden": {"type": "object", "x-sensitive": True}}}}
    answers = {"a": "1", "list": [{"n": 5, "ok": "y"}], "hidden": {"k": "v"}, "other": "z", "none": None}
    masked, any_masked = mask_sensitive(document, answers)
    assert masked == {"a": MASK, "list": [{"n": MASK, "ok": "y"}], "hidden": MASK, "other": "z", "none": None}
    assert any_masked is True
    assert mask_sensitive(document, {"other": "z"}) == ({"other": "z"}, False)


def _set_received(client: TestClient, number: str, at: datetime) -> None:
    table = Submission.__table__  # type: ignore[attr-defined]
    with engine_of(client).begin() as conn:  # through the column's type: stored as the engine stores it
        conn.execute(sa.update(table).where(table.c.receipt_number == number).values(received_at=at))


def test_keyset_pages_walk_every_submission_once_newest_first(client: TestClient) -> None:
    add_staff(client, "v", ("dept-a", "viewer"))
    headers = {"Authorization": f"Bearer {token_for(client, 'v')}"}
    base = datetime(2025, 4, 1, 0, 0, tzinfo=UTC)
    numbers = [file(client) for _ in range(7)]
    for i, number in enumerate(numbers):  # two share a moment: the id breaks the tie
        _set_received(client, number, base + timedelta(hours=min(i, 5)))
    seen: list[str] = []
    url = "/api/v1/staff/procedures/alpha/submissions?limit=3"
    cursor = None
    for _ in range(5):
        answer = client.get(url + (f"&cursor={cursor}" if cursor else ""), headers=headers)
        assert answer.status_code == 200, answer.text
        seen += [item["receipt_number"] for item in answer.json()["items"]]
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(numbers) and len(seen) == 7
    times = [numbers.index(n) for n in seen]
    assert [min(i, 5) for i in times] == sorted((min(i, 5) for i in times), reverse=True)


def test_filters(client: TestClient) -> None:
    add_staff(client, "v", ("dept-a", "viewer"))
    headers = {"Authorization": f"Bearer {token_for(client, 'v')}"}
    early, late, other = file(client), file(client), file(client)
    _set_received(client, early, datetime(2025, 3, 31, 15, 0, tzinfo=UTC))  # 2025-04-01 00:00 JST
    _set_received(client, late, datetime(2025, 4, 30, 14, 59, tzinfo=UTC))  # 2025-04-30 23:59 JST
    _set_received(client, other, datetime(2025, 5, 1, 0, 0, tzinfo=UTC))
    with engine_of(client).begin() as conn:
        conn.execute(sa.text("UPDATE submissions SET status = 'accepted' WHERE receipt_number = :n"), {"n": other})

    def numbers(query: str) -> list[str]:
        answer = client.get(f"/api/v1/staff/procedures/alpha/submissions?{query}", headers=headers)
        assert answer.status_code == 200, answer.text
        return [item["receipt_number"] for item in answer.json()["items"]]

    assert numbers("since=2025-04-01&until=2025-04-30") == [late, early]
    assert numbers("since=2025-04-02") == [other, late]
    assert numbers("until=2025-03-31") == []
    assert numbers("status=accepted") == [other]
    assert numbers(f"q={early}") == [early]
    assert numbers(f"q={early.replace('-', '')[4:10]}") == [early]  # from a group on, across the hyphen
    full_width = early[:9].translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))
    assert numbers(f"q={full_width}") == [early]
    assert numbers("q=山田") == []  # answers are not searched (x-sensitive values must not be findable)
    bad = client.get("/api/v1/staff/procedures/alpha/submissions?since=April", headers=headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"] == "/since"
    bad = client.get("/api/v1/staff/procedures/alpha/submissions?cursor=xyz", headers=headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"] == "/cursor"


def test_list_page_filters_and_next_link(client: TestClient) -> None:
    add_staff(client, "v", ("dept-a", "viewer"))
    browser = logged_in(client, "v")
    numbers = [file(client) for _ in range(3)]
    page = browser.get("/staff/procedures/alpha")
    assert page.status_code == 200 and all(n in page.text for n in numbers)
    assert 'id="next-page"' not in page.text
    only = browser.get(f"/staff/procedures/alpha?q={numbers[0]}")
    assert numbers[0] in only.text and numbers[1] not in only.text
    bad = browser.get("/staff/procedures/alpha?since=yesterday")
    assert bad.status_code == 422 and 'id="problem"' in bad.text
