"""The status workflow: every allowed change by a reviewer (API and page), every refused one (409 with the
current status and what is allowed), reasons, optimistic concurrency, roles (403 in one's own department,
404 in another's), the history on the detail API and the audit entries."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from forms_engine.audit import service as audit
from forms_engine.models import AuditEntry, Submission, SubmissionEvent
from forms_engine.staff.workflow import LABELS, TRANSITIONS, Refused, next_statuses, record
from tests.rendering.htmlform import HtmlForm, post_items
from tests.staff.conftest import add_staff, csrf, engine_of, file, logged_in, token_for

STAFF_CHANGES = sorted(pair for pair, by in TRANSITIONS.items() if by == "staff")
REASONS = {"rejected": "要件を満たしていません", "correction_requested": "住所の番地を記入してください"}
NOT_FOUND_BODY = {"errors": [{"pointer": "", "keyword": "not_found", "message": "見つかりません"}]}


def _post(client: TestClient, token: str, number: str, body: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/staff/submissions/{number}/status", json=body,
                       headers={"Authorization": f"Bearer {token}"})


def _set_status(client: TestClient, number: str, status: str) -> None:
    table = Submission.__table__  # type: ignore[attr-defined]
    with engine_of(client).begin() as connection:
        connection.execute(sa.update(table).where(table.c.receipt_number == number).values(status=status))


def _stored(client: TestClient, number: str) -> tuple[str, list[tuple[str | None, str, str, str | None]]]:
    """The stored status and events (from, to, actor, reason) of a submission."""
    with Session(engine_of(client)) as session:
        found = session.execute(sa.select(Submission).where(
            Submission.__table__.c.receipt_number == number)).scalar_one()  # type: ignore[attr-defined]
        events = session.execute(sa.select(SubmissionEvent).where(
            SubmissionEvent.__table__.c.submission_id == found.id)  # type: ignore[attr-defined]
            .order_by(SubmissionEvent.__table__.c.at)).scalars()  # type: ignore[attr-defined]
        return found.status, [(e.from_status, e.to_status, e.actor, e.reason) for e in events]


def _status_audits(client: TestClient) -> list[tuple[str, str, dict[str, Any]]]:
    with Session(engine_of(client)) as session:
        rows = session.execute(sa.select(AuditEntry).where(AuditEntry.__table__.c.action == "submission.status")
                               .order_by(AuditEntry.__table__.c.seq)).scalars()  # type: ignore[attr-defined]
        return [(e.actor, e.target, dict(e.details)) for e in rows]


def _audit_ok(client: TestClient) -> bool:
    with Session(engine_of(client)) as session:
        return audit.verify(session).ok


@pytest.fixture
def reviewer(client: TestClient) -> str:
    add_staff(client, "rev", ("dept-a", "reviewer"))
    return token_for(client, "rev")


def test_the_table_names_known_statuses_and_final_ones_lead_nowhere() -> None:
    assert all(a in LABELS and b in LABELS and a != b for a, b in TRANSITIONS)
    assert STAFF_CHANGES == [("received", "correction_requested"), ("received", "reviewing"),
                             ("reviewing", "completed"), ("reviewing", "correction_requested"),
                             ("reviewing", "rejected")]
    for final in ("completed", "rejected", "withdrawn"):
        assert next_statuses(final, "staff") == next_statuses(final, "resident") == []


@pytest.mark.parametrize(("before", "after"), STAFF_CHANGES)
def test_every_allowed_change_is_made_recorded_and_audited(client: TestClient, reviewer: str, before: str,
                                                           after: str) -> None:
    number = file(client)
    path = [] if before == "received" else [before]
    for step in path:
        assert _post(client, reviewer, number, {"status": step}).status_code == 200
    reason = REASONS.get(after)
    answer = _post(client, reviewer, number, {"status": after, "reason": reason, "from": before})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["receipt_number"] == number and body["status"] == after
    assert {k: body["event"][k] for k in ("actor", "from_status", "to_status", "reason")} == {
        "actor": "staff:rev", "from_status": before, "to_status": after, "reason": reason}
    expected = [("received", s, "staff:rev", None) for s in path] + [(before, after, "staff:rev", reason)]
    assert _stored(client, number) == (after, expected)
    detail = client.get(f"/api/v1/staff/submissions/{number}", headers={"Authorization": f"Bearer {reviewer}"})
    assert detail.json()["status"] == after
    assert [(h["from_status"], h["to_status"], h["actor"], h["reason"]) for h in detail.json()["history"]] == [
        (None, "received", None, None), *expected]
    audits = _status_audits(client)
    assert [(a, t, d["from"], d["to"], d["via"]) for a, t, d in audits] == [
        ("staff:rev", f"submission:{number}", f, to, "api") for f, to, _, _ in expected]
    assert all("reason" not in d for _, _, d in audits)  # the reason stays in the event, not the chained log
    assert _audit_ok(client)


@pytest.mark.parametrize("before", list(LABELS))
def test_every_other_change_is_refused_with_409_and_nothing_changes(client: TestClient, reviewer: str,
                                                                     before: str) -> None:
    number = file(client)
    _set_status(client, number, before)
    refused = [to for to in LABELS if (before, to) not in STAFF_CHANGES]
    assert len(refused) == 6 - len(next_statuses(before, "staff"))
    for to in refused:
        answer = _post(client, reviewer, number, {"status": to, "reason": "理由"})
        assert answer.status_code == 409, (before, to, answer.text)
        assert answer.json() == {
            "errors": [{"pointer": "/status", "keyword": "transition",
                        "message": f"「{LABELS[before]}」から「{LABELS[to]}」には変えられません。"}],
            "current_status": before, "allowed": next_statuses(before, "staff")}
    assert _stored(client, number) == (before, [])
    assert _status_audits(client) == []


@pytest.mark.parametrize("to", ["rejected", "correction_requested"])
@pytest.mark.parametrize("reason", [None, "", " \u3000\n"])
def test_rejection_and_correction_need_a_reason(client: TestClient, reviewer: str, to: str,
                                                reason: str | None) -> None:
    number = file(client)
    _set_status(client, number, "reviewing")
    answer = _post(client, reviewer, number, {"status": to, **({} if reason is None else {"reason": reason})})
    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"pointer": "/reason", "keyword": "required", "message": (
        f"「{LABELS[to]}」にするときは、理由を入力してください（申請者に伝わります）。")}]
    assert _stored(client, number) == ("reviewing", [])


def test_unknown_status_long_reason_and_bad_bodies_answer_422(client: TestClient, reviewer: str) -> None:
    number = file(client)
    unknown = _post(client, reviewer, number, {"status": "approved"})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["pointer"] == "/status" and unknown.json()["errors"][0]["keyword"] == "enum"
    long = _post(client, reviewer, number, {"status": "reviewing", "reason": "あ" * 2001})
    assert long.status_code == 422 and long.json()["errors"][0]["pointer"] == "/reason"
    extra = _post(client, reviewer, number, {"status": "reviewing", "who": "x"})
    assert extra.status_code == 422 and extra.json()["errors"][0]["pointer"] == "/who"
    assert _post(client, reviewer, number, {}).status_code == 422
    assert _stored(client, number) == ("received", [])
    assert _post(client, reviewer, number, {"status": "reviewing", "reason": "あ" * 2000}).status_code == 200


def test_a_stale_from_answers_409_with_the_current_status(client: TestClient, reviewer: str) -> None:
    number = file(client)
    assert _post(client, reviewer, number, {"status": "reviewing", "from": "received"}).status_code == 200
    again = _post(client, reviewer, number, {"status": "reviewing", "from": "received"})
    assert again.status_code == 409
    assert again.json() == {"errors": [{"pointer": "/from", "keyword": "conflict", "message": (
        "この申請の状態は「審査中」に変わっています。画面を読み込み直してから操作してください。")}],
        "current_status": "reviewing"}
    assert _stored(client, number) == ("reviewing", [("received", "reviewing", "staff:rev", None)])


def test_a_change_made_meanwhile_by_someone_else_is_not_overwritten(client: TestClient) -> None:
    """The compare-and-set itself: the submission read as 受付 but changed in the database since."""
    number = file(client)
    with Session(engine_of(client), expire_on_commit=False) as session:
        submission = session.execute(sa.select(Submission).where(
            Submission.__table__.c.receipt_number == number)).scalar_one()  # type: ignore[attr-defined]
        session.commit()  # read as 受付 ...
        _set_status(client, number, "withdrawn")  # ... then changed by another connection
        assert submission.status == "received"
        with pytest.raises(Refused) as refused:
            record(session, submission, "reviewing", "staff:rev", None, "api", "received")
        assert (refused.value.status, refused.value.keyword, refused.value.current) == (409, "conflict", "withdrawn")
        session.commit()
    assert _stored(client, number) == ("withdrawn", [])


@pytest.mark.parametrize("role", ["viewer", "exporter", "sensitive"])
def test_staff_of_the_department_without_the_reviewer_role_get_403(client: TestClient, role: str) -> None:
    add_staff(client, "someone", ("dept-a", role))
    number = file(client)
    answer = _post(client, token_for(client, "someone"), number, {"status": "reviewing"})
    assert answer.status_code == 403
    assert answer.json() == {"errors": [{"pointer": "", "keyword": "forbidden", "message": (
        "状態を変えるには、この部署の「審査」(reviewer) の役割が必要です。")}], "current_status": "received"}
    assert _stored(client, number) == ("received", [])


def test_admin_may_change_and_other_departments_see_404(client: TestClient, reviewer: str) -> None:
    add_staff(client, "boss", ("dept-a", "admin"))
    add_staff(client, "beta-rev", ("dept-b", "reviewer"))
    alpha, beta = file(client, "alpha"), file(client, "beta")
    assert _post(client, token_for(client, "boss"), alpha, {"status": "reviewing"}).status_code == 200
    denied = _post(client, reviewer, beta, {"status": "reviewing"})
    unknown = _post(client, reviewer, "0000-0000-0000", {"status": "reviewing"})
    from_other = _post(client, token_for(client, "beta-rev"), alpha, {"status": "completed"})
    assert denied.status_code == unknown.status_code == from_other.status_code == 404
    assert denied.json() == unknown.json() == from_other.json() == NOT_FOUND_BODY
    assert _stored(client, beta) == ("received", [])
    assert _stored(client, alpha) == ("reviewing", [("received", "reviewing", "staff:boss", None)])


def test_the_api_takes_bearer_tokens_only(client: TestClient) -> None:
    add_staff(client, "rev", ("dept-a", "reviewer"))
    number = file(client)
    browser = logged_in(client, "rev")  # a staff session cookie is not enough for the JSON API
    answer = browser.post(f"/api/v1/staff/submissions/{number}/status", json={"status": "reviewing"})
    assert answer.status_code == 401 and answer.json()["errors"][0]["keyword"] == "unauthorized"
    wrong = _post(client, "not-a-token", number, {"status": "reviewing"})
    assert wrong.status_code == 401
    assert _stored(client, number) == ("received", [])


def _status_form(html: str) -> list[tuple[str, str]]:
    form = HtmlForm(html)
    assert form.problems() == []
    return form.current()


def test_the_page_form_changes_status_with_csrf(client: TestClient) -> None:
    add_staff(client, "rev", ("dept-a", "reviewer"))
    number = file(client)
    browser = logged_in(client, "rev")
    page = browser.get(f"/staff/submissions/{number}")
    assert page.status_code == 200 and 'id="status-form"' in page.text
    form = HtmlForm(page.text)
    assert [c.value for c in form.named("status")] == ["reviewing", "correction_requested"]
    assert ("post", f"/staff/submissions/{number}/status") in form.forms
    fields = dict(_status_form(page.text))
    assert fields["from"] == "received"
    url = f"/staff/submissions/{number}/status"
    missing = browser.post(url, data=post_items([("_csrf", fields["_csrf"]), ("from", "received"),
                                                 ("status", "correction_requested"), ("reason", "")]))
    assert missing.status_code == 422 and 'id="problem"' in missing.text and 'aria-invalid="true"' in missing.text
    assert "「補正依頼」にするときは、理由を入力してください" in missing.text
    no_csrf = browser.post(url, data={"from": "received", "status": "reviewing"}, follow_redirects=False)
    assert no_csrf.status_code == 403
    assert _stored(client, number) == ("received", [])
    done = browser.post(url, data=post_items([("_csrf", fields["_csrf"]), ("from", "received"),
                                              ("status", "correction_requested"), ("reason", "番地を記入してください")]),
                        follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith(f"/staff/submissions/{number}?notice=")
    after = browser.get(done.headers["location"])
    assert "状態を変えました。" in after.text and "受付 → 補正依頼（staff:rev）：番地を記入してください" in after.text
    assert 'id="status-form"' not in after.text  # nothing more for staff until the resident files again
    stale = browser.post(url, data=post_items([("_csrf", fields["_csrf"]), ("from", "received"),
                                               ("status", "reviewing"), ("reason", "")]))
    assert stale.status_code == 409 and "「補正依頼」に変わっています" in stale.text
    assert _stored(client, number) == ("correction_requested", [
        ("received", "correction_requested", "staff:rev", "番地を記入してください")])
    assert [d["via"] for _, _, d in _status_audits(client)] == ["page"]


def test_viewers_see_no_form_and_cannot_post_one(client: TestClient) -> None:
    add_staff(client, "view", ("dept-a", "viewer"))
    number = file(client)
    browser = logged_in(client, "view")
    page = browser.get(f"/staff/submissions/{number}")
    assert page.status_code == 200 and 'id="status-form"' not in page.text
    token = csrf(page.text)
    answer = browser.post(f"/staff/submissions/{number}/status", data=post_items([
        ("_csrf", token), ("from", "received"), ("status", "reviewing")]))
    assert answer.status_code == 403 and "「審査」(reviewer) の役割が必要です" in answer.text
    assert _stored(client, number) == ("received", [])


def test_the_list_filters_by_every_status(client: TestClient, reviewer: str) -> None:
    first, second = file(client), file(client)
    assert _post(client, reviewer, second, {"status": "reviewing"}).status_code == 200
    headers = {"Authorization": f"Bearer {reviewer}"}
    listed = client.get("/api/v1/staff/procedures/alpha/submissions?status=reviewing", headers=headers).json()
    assert [i["receipt_number"] for i in listed["items"]] == [second]
    page = logged_in(client, "rev").get("/staff/procedures/alpha?status=reviewing")
    assert second in page.text and first not in page.text
    assert [v for v, _ in HtmlForm(page.text).named("status")[0].options] == ["", *LABELS]
