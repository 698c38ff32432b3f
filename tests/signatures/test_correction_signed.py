"""A correction (補正) of a procedure that must be signed (児童手当) is signed again: the signing request reserves the
submission being corrected, and the corrected answers are filed under it with the new signature record, the
earlier record kept with the earlier version. On SQLite and PostgreSQL."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from forms_engine.models import Submission, SubmissionRevision
from tests.rendering.conftest import walk
from tests.rendering.htmlform import HtmlForm
from tests.signing.jpki_testkit import Pki
from tests.staff.conftest import add_staff, token_for

from .conftest import (
    ANSWERS,
    BASE,
    CODE,
    PROCEDURE,
    card_signs,
    engine_of,
    press,
    signing_request,
    start_signing,
)


def _sign_and_file(client: TestClient, pki: Pki, request_id: str) -> str:
    assert card_signs(client, pki, request_id)["status"] == "valid"
    filed = press(client, client.get(f"{BASE}/signing"))
    assert filed.status_code == 303, filed.text[:2000]
    return str(filed.headers["location"])


def _stored(client: TestClient) -> Submission:
    with Session(engine_of(client)) as session:
        (found,) = session.exec(select(Submission)).all()
        session.expunge(found)
        return found


def test_a_signed_procedure_is_corrected_with_a_new_signature(signed_client: TestClient, pki: Pki) -> None:
    client = signed_client
    first_request, _ = start_signing(client)
    done = client.get(_sign_and_file(client, pki, first_request))
    number = re.search(r'id="receipt-number">([0-9-]+)<', done.text).group(1)  # type: ignore[union-attr]
    link = re.search(r'href="([^"]+)" id="status-link"', done.text).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    before = _stored(client)
    add_staff(client, "rev", ("kodomo-katei", "reviewer"))
    changed = client.post(f"/api/v1/staff/submissions/{number}/status",
                          json={"status": "correction_requested", "reason": "振込先を確認してください"},
                          headers={"Authorization": f"Bearer {token_for(client, 'rev')}"})
    assert changed.status_code == 200, changed.text

    status = client.get(link)
    assert "振込先を確認してください" in status.text
    forms = re.findall(r'<form class="form" method="post" action="([^"]+)" novalidate>(.*?)</form>', status.text, re.S)
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', forms[0][1])
    started = client.post(forms[0][0], data=dict(hidden), follow_redirects=False)
    assert started.status_code == 303, started.text[:2000]
    confirm = walk(client, PROCEDURE, ANSWERS, page=client.get(started.headers["location"]))
    assert "<h1>補正する内容の確認</h1>" in confirm.text
    assert HtmlForm(confirm.text).primary().attrs["text"] == "マイナンバーカードで署名する"
    pressed = press(client, confirm)
    assert pressed.status_code == 303 and pressed.headers["location"] == f"{BASE}/signing"
    found = CODE.search(client.get(f"{BASE}/signing").text)
    assert found is not None
    second_request = found.group(1)
    assert second_request != first_request
    assert signing_request(client, second_request).submission_id == before.id  # the corrected submission's id
    assert _sign_and_file(client, pki, second_request) == f"{BASE}/complete/{number}"

    after = _stored(client)
    assert after.id == before.id and after.receipt_number == number and after.status == "received"
    assert before.signature is not None and after.signature is not None
    assert before.signature["signing_request"] == first_request
    assert after.signature["signing_request"] == second_request and after.signature["status"] == "valid"
    with Session(engine_of(client)) as session:
        (revision,) = session.exec(select(SubmissionRevision)).all()
        assert revision.signature == before.signature and revision.answers == before.answers
