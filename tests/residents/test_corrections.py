"""The resident's side of the workflow: 補正 (a correction filed under the same submission and 受付番号, every
earlier version kept) and 取下げ, from 「申請履歴」 and from the 申請状況 link of the completion page. Over HTML, on
SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, select

from forms_engine.audit import service as audit
from forms_engine.models import AuditEntry, CorrectionDraft, Submission, SubmissionEvent, SubmissionRevision
from forms_engine.submissions.corrections import status_token
from forms_engine.submissions.protection import unseal
from forms_engine.submissions.service import receipt_token
from tests.rendering.conftest import file_through, main_of, title_of, walk
from tests.rendering.htmlform import HtmlForm, post_items
from tests.signing.jpki_testkit import Pki
from tests.staff.conftest import ALPHA, DEFS, MY_NUMBER, add_staff, token_for
from tests.staff.conftest import logged_in as staff_logged_in

from .conftest import accounts, another_browser, csrf, engine_of, logged_in

ClientFactory = Callable[..., TestClient]
MESSAGE = "口座番号の記入に誤りがあります。\n正しい口座番号を入力してください。"
CORRECTED = {**ALPHA, "name": "山田 次郎", "bank": {"branch": "駅前支店", "account": "7654321"}}


@pytest.fixture
def client(make_client: ClientFactory, auth_anchors: Path, auth_crl: Path) -> TestClient:
    return make_client(DEFS, jpki_auth_anchors=auth_anchors, crl_dir=auth_crl)


@pytest.fixture
def reviewer(client: TestClient) -> str:
    add_staff(client, "rev", ("dept-a", "reviewer"))
    return token_for(client, "rev")


def state_of(client: TestClient) -> Any:
    return client.app.state.forms_engine  # type: ignore[attr-defined]


def file(client: TestClient, answers: dict[str, Any] = ALPHA) -> tuple[str, Response]:
    """File 試験手続アルファ through the resident pages: (受付番号, the completion page)."""
    response, _ = file_through(client, "alpha", answers)
    assert response.status_code == 303, response.text[:2000]
    number = response.headers["location"].rsplit("/", 1)[-1]
    assert re.fullmatch(r"\d{4}-\d{4}-\d{4}", number), number
    done = client.get(response.headers["location"])
    assert done.status_code == 200
    return number, done


def staff_sets(client: TestClient, token: str, number: str, status: str, reason: str | None = None) -> None:
    answer = client.post(f"/api/v1/staff/submissions/{number}/status", json={"status": status, "reason": reason},
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text


def stored(client: TestClient, number: str) -> Submission:
    with Session(engine_of(client)) as session:
        found = session.exec(select(Submission).where(Submission.receipt_number == number)).one()
        session.expunge(found)
        return found


def events(client: TestClient, number: str) -> list[tuple[str | None, str, str, str | None]]:
    submission = stored(client, number)
    with Session(engine_of(client)) as session:
        found = session.exec(select(SubmissionEvent).where(SubmissionEvent.submission_id == submission.id)
                             .order_by(SubmissionEvent.at)).all()  # type: ignore[arg-type]
        return [(e.from_status, e.to_status, e.actor, e.reason) for e in found]


def revisions(client: TestClient, number: str) -> list[SubmissionRevision]:
    submission = stored(client, number)
    with Session(engine_of(client)) as session:
        found = list(session.exec(select(SubmissionRevision).where(
            SubmissionRevision.submission_id == submission.id).order_by(SubmissionRevision.number)).all())
        for r in found:
            session.expunge(r)
        return found


def audits(client: TestClient, number: str) -> list[tuple[str, str, dict[str, Any]]]:
    with Session(engine_of(client)) as session:
        rows = session.exec(select(AuditEntry).where(AuditEntry.target == f"submission:{number}")
                            .order_by(AuditEntry.seq)).all()  # type: ignore[arg-type]
        assert audit.verify(session).ok
        return [(e.actor, e.action, dict(e.details)) for e in rows]


def raw_json(client: TestClient, table: str) -> str:
    """Every stored answers value of a table, as the database holds it (no model, no decryption)."""
    with engine_of(client).connect() as connection:
        values = connection.execute(sa.text(f"SELECT answers FROM {table}")).scalars().all()
    assert values
    digits = "".join(v if isinstance(v, str) else json.dumps(v) for v in values)  # the stored text, as it is
    readable = "".join(json.dumps(json.loads(v) if isinstance(v, str) else v, ensure_ascii=False) for v in values)
    return digits + readable


def status_link(done: Response) -> str:
    found = re.search(r'<a class="link-strong" href="([^"]+)" id="status-link">', done.text)
    assert found is not None, main_of(done.text)
    return found.group(1).replace("&amp;", "&")


def press_form(client: TestClient, html: str, action: str, extra: list[tuple[str, str]] | None = None) -> Response:
    """Press the button of the page's post form going to ``action`` with its hidden fields (and ``extra``)."""
    forms = re.findall(r'<form class="form" method="post" action="([^"]+)" novalidate>(.*?)</form>', html, re.S)
    chosen = [body for target, body in forms if target == action]
    assert chosen, (action, [t for t, _ in forms])
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', chosen[0])
    return client.post(action, data=post_items(hidden + (extra or [])), follow_redirects=False)


def test_a_requested_correction_is_filed_under_the_same_number_and_the_old_version_kept(
        client: TestClient, pki: Pki, reviewer: str) -> None:
    logged_in(client, pki)
    number, _ = file(client)
    before = stored(client, number)
    staff_sets(client, reviewer, number, "correction_requested", MESSAGE)

    history = client.get("/my")
    item = main_of(history.text)
    assert "補正依頼（補正が必要です）" in item and "担当課からの補正依頼" in item
    assert "<p>口座番号の記入に誤りがあります。</p>" in item and "<p>正しい口座番号を入力してください。</p>" in item
    assert not HtmlForm(history.text).problems()
    started = press_form(client, history.text, f"/my/submissions/{number}/correct")
    assert started.status_code == 303 and started.headers["location"] == "/procedures/alpha/steps/person"
    first = client.get(started.headers["location"])
    assert 'value="山田 太郎"' in first.text  # pre-filled with the answers as filed

    confirm = walk(client, "alpha", CORRECTED, page=first)
    assert "<h1>補正する内容の確認</h1>" in confirm.text and title_of(confirm.text).startswith("補正する内容の確認 - ")
    assert f"受付番号 {number} の申請の補正です" in confirm.text
    assert HtmlForm(confirm.text).primary().attrs["text"] == "補正して申請する"
    filed = press_form(client, confirm.text, "/procedures/alpha/confirm")
    assert filed.status_code == 303 and filed.headers["location"] == f"/procedures/alpha/complete/{number}"
    complete = client.get(filed.headers["location"])
    assert "補正した内容で申請しました" in complete.text and number in complete.text

    after = stored(client, number)
    assert after.id == before.id and after.status == "received" and after.received_at == before.received_at
    state = state_of(client)
    keyring = state.settings.answers_keyring()
    document = state.catalogue.get("alpha").document
    assert unseal(after.answers, document, after.id, keyring) == CORRECTED
    (revision,) = revisions(client, number)
    assert revision.number == 1 and revision.answers == before.answers  # as stored: still sealed
    assert unseal(revision.answers, document, after.id, keyring) == ALPHA
    assert revision.definition_sha256 == before.definition_sha256 and revision.signature is None
    assert revision.filed_at == before.received_at and revision.replaced_at > before.received_at
    for table in ("submissions", "submission_revisions"):  # sensitive answers are sealed in both
        raw = raw_json(client, table)
        assert MY_NUMBER not in raw and "7654321" not in raw and "1234567" not in raw and "$enc" in raw
    assert "山田 次郎" in raw_json(client, "submissions") and "山田 太郎" in raw_json(client, "submission_revisions")

    with engine_of(client).connect() as connection:  # the staff search still finds it by its 受付番号
        terms = set(connection.execute(sa.text("SELECT term FROM submission_search_terms WHERE submission_id = :s"),
                                       {"s": after.id}).scalars())
    assert number.replace("-", "") in terms

    (account,) = accounts(client)
    assert events(client, number) == [("received", "correction_requested", "staff:rev", MESSAGE),
                                      ("correction_requested", "received", f"resident:{account.id}", "補正して再申請")]
    assert [(a, act, d.get("to") or d.get("revision")) for a, act, d in audits(client, number)] == [
        ("staff:rev", "submission.status", "correction_requested"),
        (f"resident:{account.id}", "submission.status", "received"),
        (f"resident:{account.id}", "submission.corrected", 1)]

    again = press_form(client, confirm.text, "/procedures/alpha/confirm")  # a double click / refresh
    assert again.status_code == 409 and "既に補正して申請済みです" in again.text
    assert len(revisions(client, number)) == 1 and len(events(client, number)) == 2
    listed = client.get("/my").text
    assert "受付済み" in main_of(listed) and f"/my/submissions/{number}/correct" not in listed
    staff = client.get(f"/api/v1/staff/submissions/{number}", headers={"Authorization": f"Bearer {reviewer}"})
    assert staff.json()["status"] == "received" and staff.json()["answers"]["name"] == "山田 次郎"
    detail = staff_logged_in(client, "rev").get(f"/staff/submissions/{number}")
    assert "補正前の内容（第1版）" in detail.text and "補正依頼 → 受付" in detail.text and "補正して再申請" in detail.text


def test_two_drafts_of_one_request_file_once(client: TestClient, reviewer: str) -> None:
    """A second tab (or another device) with its own correction draft: the compare-and-set lets one through."""
    number, done = file(client)
    link = status_link(done)
    staff_sets(client, reviewer, number, "correction_requested", MESSAGE)
    browsers = [client, another_browser(client)]
    confirms = []
    for browser in browsers:
        page = browser.get(link)
        assert page.status_code == 200 and "担当課からの補正依頼" in page.text
        started = press_form(browser, page.text, f"/status/{number}/correct")
        assert started.status_code == 303, started.text[:2000]
        confirms.append(walk(browser, "alpha", CORRECTED, page=browser.get(started.headers["location"])))
    first = press_form(browsers[1], confirms[1].text, "/procedures/alpha/confirm")
    assert first.status_code == 303
    second = press_form(browsers[0], confirms[0].text, "/procedures/alpha/confirm")
    assert second.status_code == 409 and "既に補正して申請済みです" in second.text
    assert len(revisions(client, number)) == 1 and [e[1] for e in events(client, number)] == [
        "correction_requested", "received"]
    with Session(engine_of(client)) as session:
        assert len(session.exec(select(CorrectionDraft)).all()) == 2
    # a correction asked for again: the old draft answers the earlier request and is refused
    staff_sets(client, reviewer, number, "correction_requested", "もう一度お願いします")
    stale = press_form(browsers[0], confirms[0].text, "/procedures/alpha/confirm")
    assert stale.status_code == 409 and "前の補正依頼に対するもの" in stale.text
    assert len(revisions(client, number)) == 1


def test_withdrawing_from_the_status_link(client: TestClient, reviewer: str) -> None:
    number, done = file(another_browser(client))
    link = status_link(done)
    browser = another_browser(client)  # the link works in any browser: the token is the proof
    page = browser.get(link)
    assert page.status_code == 200 and "<h1>申請状況</h1>" in page.text and "受付済み" in page.text
    assert not HtmlForm(page.text).problems() and f"/status/{number}/correct" not in page.text
    withdraw = re.search(r'href="([^"]+)" id="withdraw-link"', page.text)
    assert withdraw is not None
    confirm = browser.get(withdraw.group(1).replace("&amp;", "&"))
    assert confirm.status_code == 200 and "<h1>本当に取り下げますか</h1>" in confirm.text
    assert not HtmlForm(confirm.text).problems()
    answer = press_form(browser, confirm.text, f"/status/{number}/withdraw", [("reason", "転居のため")])
    assert answer.status_code == 303 and answer.headers["location"] == link + "&notice=withdrawn"
    shown = browser.get(answer.headers["location"])
    assert "申請を取り下げました。" in shown.text and "取下げ済み" in shown.text and "withdraw-link" not in shown.text
    assert events(client, number) == [("received", "withdrawn", "resident", "転居のため")]

    twice = press_form(browser, confirm.text, f"/status/{number}/withdraw", [("reason", "転居のため")])
    assert twice.status_code == 409 and "この申請は既に取り下げられています。" in twice.text
    assert len(events(client, number)) == 1
    staff = client.get(f"/api/v1/staff/submissions/{number}", headers={"Authorization": f"Bearer {reviewer}"})
    assert [(h["to_status"], h["actor"], h["reason"]) for h in staff.json()["history"]][-1] == (
        "withdrawn", "resident", "転居のため")
    assert [(a, d["via"], d["to"]) for a, action, d in audits(client, number) if action == "submission.status"] == [
        ("resident", "web", "withdrawn")]


def test_withdrawing_from_the_history(client: TestClient, pki: Pki) -> None:
    logged_in(client, pki)
    number, _ = file(client)
    history = client.get("/my")
    assert f'href="/my/submissions/{number}/withdraw"' in history.text
    confirm = client.get(f"/my/submissions/{number}/withdraw")
    assert confirm.status_code == 200 and "<h1>本当に取り下げますか</h1>" in confirm.text
    answer = press_form(client, confirm.text, f"/my/submissions/{number}/withdraw")
    assert answer.status_code == 303 and answer.headers["location"] == "/my?notice=withdrawn"
    after = client.get(answer.headers["location"])
    assert "申請を取り下げました。" in after.text and "取下げ済み" in main_of(after.text)
    assert f"/my/submissions/{number}/withdraw" not in after.text
    (account,) = accounts(client)
    assert events(client, number) == [("received", "withdrawn", f"resident:{account.id}", None)]
    stranger = another_browser(client)  # not logged in: to the login page; nobody else's number is found
    assert stranger.get(f"/my/submissions/{number}/withdraw", follow_redirects=False).headers["location"] == "/login"


def test_a_completed_or_changed_submission_is_not_withdrawn(client: TestClient, reviewer: str) -> None:
    number, done = file(client)
    link = status_link(done)
    confirm = client.get(link.replace("?", "/withdraw?"))
    staff_sets(client, reviewer, number, "reviewing")  # meanwhile: the page the resident holds is stale
    stale = press_form(client, confirm.text, f"/status/{number}/withdraw")
    assert stale.status_code == 409 and "この申請の状態は「審査中」に変わっています" in stale.text
    staff_sets(client, reviewer, number, "completed")
    page = client.get(link)
    assert "完了" in page.text and "withdraw-link" not in page.text
    refused = client.get(link.replace("?", "/withdraw?"))
    assert refused.status_code == 409 and "「完了」の申請は取り下げられません。" in refused.text
    forced = client.post(f"/status/{number}/withdraw", data=post_items([
        ("_csrf", csrf(confirm.text)), ("token", link.split("token=")[1]), ("from", "completed")]),
        follow_redirects=False)
    assert forced.status_code == 409 and "「完了」の申請は取り下げられません。" in forced.text
    assert [e[1] for e in events(client, number)] == ["reviewing", "completed"]
    assert stored(client, number).status == "completed"


def test_a_reason_too_long_is_shown_next_to_the_field(client: TestClient) -> None:
    number, done = file(client)
    confirm = client.get(status_link(done).replace("?", "/withdraw?"))
    answer = press_form(client, confirm.text, f"/status/{number}/withdraw", [("reason", "あ" * 2001)])
    assert answer.status_code == 422 and 'aria-invalid="true"' in answer.text
    assert '<p class="field__error" id="reason-error">' in answer.text and 'href="#reason"' in answer.text
    assert "理由は2000文字以内で入力してください。" in answer.text and not HtmlForm(answer.text).problems()
    assert events(client, number) == [] and stored(client, number).status == "received"


def test_wrong_or_missing_tokens_and_unknown_numbers_get_the_same_404(client: TestClient) -> None:
    number, done = file(client)
    submission = stored(client, number)
    secret = state_of(client).secret_key
    assert client.get(status_link(done)).status_code == 200
    assert status_link(done) == f"/status/{number}?token={status_token(secret, submission.id)}"
    wrong = [f"/status/{number}", f"/status/{number}?token=", f"/status/{number}?token={'0' * 32}",
             f"/status/{number}?token={receipt_token(secret, submission.id)}",  # a receipt token is not a status token
             f"/status/0000-0000-0000?token={status_token(secret, submission.id)}", "/status/nonsense?token=x",
             f"/status/{number}/withdraw?token={'0' * 32}"]
    bodies = set()
    for url in wrong:
        answer = client.get(url)
        assert answer.status_code == 404, url
        bodies.add(main_of(answer.text))
    assert len(bodies) == 1
    page = client.get(status_link(done).replace("?", "/withdraw?"))  # a page with a form: this browser's token
    posted = client.post(f"/status/{number}/withdraw", data=post_items([
        ("_csrf", csrf(page.text)), ("token", "0" * 32), ("from", "received")]), follow_redirects=False)
    assert posted.status_code == 404 and main_of(posted.text) in bodies
    no_csrf = client.post(f"/status/{number}/withdraw", data=post_items([
        ("token", status_link(done).split("token=")[1]), ("from", "received")]), follow_redirects=False)
    assert no_csrf.status_code == 403
    assert events(client, number) == []


def test_correcting_is_refused_unless_asked_for(client: TestClient, reviewer: str) -> None:
    number, done = file(client)
    page = client.get(status_link(done).replace("?", "/withdraw?"))  # a page with a form: this browser's token
    forced = client.post(f"/status/{number}/correct", data=post_items([
        ("_csrf", csrf(page.text)), ("token", status_link(done).split("token=")[1])]), follow_redirects=False)
    assert forced.status_code == 409 and "「受付済み」の申請は補正できません。" in forced.text
    with Session(engine_of(client)) as session:
        assert session.exec(select(CorrectionDraft)).all() == []
    english = client.get(status_link(done) + "&lang=en")
    assert "<h1>Application status</h1>" in english.text and "Received" in english.text
