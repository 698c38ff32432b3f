"""「申請履歴」: submissions filed while logged in belong to the account, each resident sees only their own,
and a renewed card is linked from the old one's session. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re

from cryptography.hazmat.primitives import hashes
from fastapi.testclient import TestClient
from httpx import Response

from forms_engine.japanese.wareki import format_jst
from forms_engine.models import Submission
from tests.conftest import FIXTURES
from tests.rendering.conftest import file_through, main_of
from tests.signing.jpki_testkit import Pki

from .conftest import (
    CODE,
    accounts,
    another_browser,
    card_app_signs,
    certificates,
    logged_in,
    post_form,
    rows,
)

DOG = json.loads((FIXTURES / "samples" / "dog-registration.valid.json").read_text(encoding="utf-8"))
GOMI = json.loads((FIXTURES / "samples" / "sodai-gomi.valid.json").read_text(encoding="utf-8"))


def file(client: TestClient, procedure_id: str, answers: object) -> str:
    """File through the resident pages; the 受付番号 of the completion page."""
    response, _ = file_through(client, procedure_id, answers)
    assert response.status_code == 303, response.text[:2000]
    number = response.headers["location"].rsplit("/", 1)[-1]
    assert re.fullmatch(r"\d{4}-\d{4}-\d{4}", number), number
    return number


def history_of(html: str) -> list[dict[str, str]]:
    """Each listed submission: title and the rows of its summary list."""
    items = []
    for block in re.findall(r'<li class="procedure">(.*?)</li>', main_of(html).split('id="cards"')[0], re.S):
        title = re.search(r'<h2 class="procedure__title">(.*?)</h2>', block, re.S)
        assert title is not None
        pairs = dict(re.findall(r"<dt>(.*?)</dt><dd[^>]*>(.*?)</dd>", block))
        link = re.search(r'<a class="link-strong" href="([^"]+)"', block)
        assert link is not None
        items.append({"title": title.group(1), **pairs, "receipt": link.group(1)})
    return items


def by_number(client: TestClient, number: str) -> Submission:
    (found,) = [s for s in rows(client, Submission) if s.receipt_number == number]
    return found


def test_submissions_filed_while_logged_in_are_listed_with_their_receipts(client: TestClient, pki: Pki) -> None:
    anonymous = file(another_browser(client), "dog-registration", DOG)  # nobody logged in: belongs to nobody
    logged_in(client, pki)
    first = file(client, "dog-registration", DOG)
    second = file(client, "sodai-gomi", GOMI)
    (account,) = accounts(client)
    assert by_number(client, first).resident_account_id == account.id
    assert by_number(client, second).resident_account_id == account.id
    assert by_number(client, anonymous).resident_account_id is None
    listed = history_of(client.get("/my").text)
    assert [item["受付番号"] for item in listed] == [second, first]  # newest first
    newest = by_number(client, second)
    assert listed[0] == {"title": "粗大ごみ収集申込", "受付番号": second, "受付日時": format_jst(newest.received_at),
                         "状態": "受付済み", "receipt": f"/my/receipts/{second}.pdf"}
    assert listed[0]["受付日時"].startswith("令和") and listed[0]["受付日時"].endswith("（JST）")
    pdf = client.get(f"/my/receipts/{first}.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    english = client.get("/my?lang=en")
    assert "<h1>Your applications</h1>" in english.text and "Received" in english.text


def test_a_resident_sees_only_their_own(client: TestClient, pki: Pki) -> None:
    logged_in(client, pki)
    mine = file(client, "dog-registration", DOG)
    other = another_browser(client)
    logged_in(other, pki, "auth_other")
    theirs = file(other, "sodai-gomi", GOMI)
    assert len(accounts(client)) == 2
    assert [i["受付番号"] for i in history_of(client.get("/my").text)] == [mine]
    assert [i["受付番号"] for i in history_of(other.get("/my").text)] == [theirs]
    assert other.get(f"/my/receipts/{mine}.pdf").status_code == 404
    assert client.get(f"/my/receipts/{theirs}.pdf").status_code == 404
    assert client.get("/my/receipts/0000-0000-0000.pdf").status_code == 404
    nobody = another_browser(client)
    assert nobody.get(f"/my/receipts/{mine}.pdf", follow_redirects=False).headers["location"] == "/login"
    assert nobody.get("/my", follow_redirects=False).headers["location"] == "/login"


def link_card(client: TestClient, pki: Pki, cert: str) -> Response:
    """From 申請履歴, 「新しいカードを登録する」, the card app signs with ``cert``, 「登録状態を確認する」."""
    started = post_form(client, "/my/link", client.get("/my"))
    assert started.status_code == 303 and started.headers["location"] == "/my/link"
    code_page = client.get("/my/link")
    assert code_page.status_code == 200 and "新しいカードの登録" in code_page.text
    found = CODE.search(code_page.text)
    assert found is not None
    verdict = card_app_signs(client, pki, found.group(1), cert)
    assert verdict.status_code == 200, verdict.text
    return post_form(client, "/my/link/check", code_page)


def test_a_renewed_card_is_linked_to_the_same_history(client: TestClient, pki: Pki) -> None:
    logged_in(client, pki, "auth")  # the old card
    filed = file(client, "dog-registration", DOG)
    checked = link_card(client, pki, "auth_renewed")
    assert checked.status_code == 303 and checked.headers["location"] == "/my?notice=linked"
    assert "新しいカードを登録しました。" in client.get("/my?notice=linked").text
    (account,) = accounts(client)
    assert {c.fingerprint_sha256 for c in certificates(client)} == {
        c.fingerprint(hashes.SHA256()).hex()
        for c in (pki.certs["auth"], pki.certs["auth_renewed"])}
    assert {c.account_id for c in certificates(client)} == {account.id}
    renewed = another_browser(client)
    history = logged_in(renewed, pki, "auth_renewed")  # the new card opens the same history
    assert [i["受付番号"] for i in history_of(history.text)] == [filed]
    assert len(re.findall(r"<dt>シリアル番号</dt>", history.text)) == 2
    assert link_card(client, pki, "auth_renewed").headers["location"] == "/my?notice=already_linked"


def test_a_card_of_another_resident_cannot_be_linked(client: TestClient, pki: Pki) -> None:
    logged_in(another_browser(client), pki, "auth_other")
    logged_in(client, pki, "auth")
    refused = link_card(client, pki, "auth_other")
    assert refused.status_code == 403
    assert "このカードは別の申請履歴に登録されています。" in refused.text
    assert len(accounts(client)) == 2
    assert sorted(len([c for c in certificates(client) if c.account_id == a.id]) for a in accounts(client)) == [1, 1]


def test_linking_needs_a_login_and_a_valid_certificate(client: TestClient, pki: Pki) -> None:
    nobody = another_browser(client)
    page = nobody.get("/resume")
    assert post_form(nobody, "/my/link", page).headers["location"] == "/login"
    logged_in(client, pki)
    refused = link_card(client, pki, "valid")  # the signing certificate is not an authentication one
    assert refused.status_code == 403 and "署名用電子証明書ではログインできません" in refused.text
    assert len(certificates(client)) == 1
