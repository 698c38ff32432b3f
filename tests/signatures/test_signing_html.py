"""The signing flow on the resident pages, for 児童手当 (signature required, revocation best_effort): confirmation
→ 「マイナンバーカードで署名する」 → 「署名の手順」 → the card client signs over the API (test PKI) → the verdict
→ 「申請する」 → completion. Each test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import logging
import re
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session

from forms_engine.models import Draft, SigningRequest
from forms_engine.submissions.protection import draft_owner, unseal, unseal_found
from tests.conftest import SAMPLES_DIR
from tests.rendering.conftest import main_of, title_of, walk
from tests.rendering.htmlform import HtmlForm, post_items
from tests.signing.jpki_testkit import Pki

from .conftest import (
    ANSWERS,
    BASE,
    HOLDER_ADDRESS,
    HOLDER_NAME,
    PROCEDURE,
    card_signs,
    draft_state,
    drafts_of,
    engine_of,
    hidden_fields_of_form,
    press,
    signing_request,
    start_signing,
    submissions_of,
    to_confirmation,
)

ClientFactory = Callable[..., TestClient]
TITLE = "児童手当 認定請求書"
ORGANISATION = "forms-engine 見本市"


def result_of(html: str) -> str:
    found = re.search(r'<div class="notice[^"]*" id="signing-result" role="status" tabindex="-1">(.*?)</div>', html,
                      re.S)
    assert found is not None, main_of(html)
    return re.sub(r"<[^>]+>|\s+", "", found.group(1))


def rows_of(html: str) -> dict[str, str]:
    block = re.search(r'<dl class="summary-list" id="signing-certificate">(.*?)</dl>', html, re.S)
    assert block is not None, main_of(html)
    return dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", block.group(1)))


def test_a_resident_signs_and_files_child_allowance(signed_client: TestClient, pki: Pki) -> None:
    client = signed_client
    confirm = to_confirmation(client)
    form = HtmlForm(confirm.text)
    assert form.primary().attrs["text"] == "マイナンバーカードで署名する" and not form.problems()
    assert "マイナンバーカードによる電子署名" in confirm.text and "電子署名の手順をまだ利用できません" not in confirm.text
    assert "もう一度署名してください" in confirm.text  # changing an answer after signing is said up front
    assert hidden_fields_of_form(confirm.text, 0)[1:] == [("_signing", "start")]

    request_id, steps = start_signing(client)
    assert title_of(steps.text) == f"署名の手順 - {TITLE} - {ORGANISATION}"
    assert draft_state(client).signing_request == request_id  # kept in the draft, not in a cookie
    assert not any("signing" in c.lower() or request_id in (v or "") for c, v in client.cookies.items())
    groups = "-<wbr>".join(request_id[i:i + 4] for i in range(0, 20, 4))
    assert f'data-request="{request_id}">{groups}</p>' in steps.text
    stored = signing_request(client, request_id)
    expires = stored.expires_at.astimezone(UTC)
    assert expires - stored.created_at.astimezone(UTC) == timedelta(minutes=5)
    jst = expires + timedelta(hours=9)
    assert f"{jst.hour}時{jst.minute:02d}分（JST）まで（発行から5分間）" in steps.text
    assert re.search(r'<img src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+" width="200" height="200" alt="署名コードの'
                     r'QRコード（上の署名コードと同じ内容です）" id="signing-qr">', steps.text)
    assert 'role="status" data-poll="/api/v1/signing-requests/' + request_id + '"' in steps.text
    assert "署名の状態を確認する" in steps.text and "http-equiv" not in steps.text  # no auto refresh
    assert not HtmlForm(steps.text).problems() and HtmlForm(steps.text).forms == [
        ("get", f"{BASE}/signing"), ("post", f"{BASE}/confirm")]

    # the envelope holds exactly the draft's normalised answers
    status = client.get(f"/api/v1/signing-requests/{request_id}").json()
    envelope = json.loads(base64.b64decode(status["payload"]))
    (draft,) = drafts_of(client)
    validator = client.app.state.forms_engine.catalogue.validator(PROCEDURE)  # type: ignore[attr-defined]
    keyring = client.app.state.forms_engine.settings.answers_keyring()  # type: ignore[attr-defined]
    in_clear = unseal_found(draft.answers, draft_owner(draft.id), keyring, "draft")  # sealed at rest
    assert envelope["answers"] == validator.normalise(in_clear) and in_clear != draft.answers
    assert envelope["procedure"]["id"] == PROCEDURE and envelope["submission"] == stored.submission_id

    again = client.get(f"{BASE}/signing")  # 「署名の状態を確認する」 before signing: still waiting
    assert "まだ署名を受け取っていません" in again.text and request_id in again.text

    verdict = card_signs(client, pki, request_id)
    assert verdict["status"] == "valid"
    result = client.get(f"{BASE}/signing")
    assert title_of(result.text) == f"署名を確認しました - {TITLE} - {ORGANISATION}"
    assert 'data-focus="signing-result"' in result.text
    assert result_of(result.text).startswith("マイナンバーカードの署名用電子証明書による署名を確認しました")
    rows = rows_of(result.text)
    assert rows["氏名"] == HOLDER_NAME and rows["住所"] == HOLDER_ADDRESS
    assert rows["生年月日"] == "平成2年（1990年）1月1日" and "性別" not in rows  # only what the procedure asks
    assert rows["シリアル番号"] == format(pki.certs["valid"].serial_number, "x")
    assert rows["失効の確認"] == "失効していないことを確認しました"
    assert HtmlForm(result.text).primary().attrs["text"] == "申請する" and not HtmlForm(result.text).problems()

    filed = press(client, result)
    assert filed.status_code == 303 and re.fullmatch(rf"{BASE}/complete/\d{{4}}-\d{{4}}-\d{{4}}",
                                                     filed.headers["location"])
    done = client.get(filed.headers["location"])
    assert done.status_code == 200 and title_of(done.text) == f"申請完了 - {TITLE} - {ORGANISATION}"
    (submission,) = submissions_of(client)
    record = submission.signature
    assert record is not None and record["status"] == "valid" and record["signing_request"] == request_id
    assert record["holder"] == {"name": HOLDER_NAME, "address": HOLDER_ADDRESS, "birth_date": "1990-01-01"}
    state = client.app.state.forms_engine  # type: ignore[attr-defined]
    filed_answers = unseal(submission.answers, state.catalogue.get(PROCEDURE).document, submission.id,
                           state.settings.answers_keyring())  # the マイナンバー fields are encrypted at rest
    assert submission.answers["my_number"]["$enc"] == "aesgcm"
    assert submission.id == stored.submission_id and filed_answers == envelope["answers"]

    twice = press(client, result)  # a double click or a refresh of the post: the first filing stands
    assert twice.status_code == 303 and twice.headers["location"] == filed.headers["location"]
    assert len(submissions_of(client)) == 1
    after = client.get(f"{BASE}/signing")
    assert after.status_code == 200 and "既に申請済みです" in after.text


def test_pressing_sign_twice_shows_the_same_code(signed_client: TestClient) -> None:
    request_id, steps = start_signing(signed_client)
    confirm = signed_client.get(f"{BASE}/confirm")
    assert "署名の途中です" in confirm.text and f'href="{BASE}/signing"' in confirm.text
    assert press(signed_client, confirm).headers["location"] == f"{BASE}/signing"
    assert draft_state(signed_client).signing_request == request_id
    renewed = press(signed_client, steps)  # 「新しい署名コードを発行する」
    assert renewed.status_code == 303
    fresh = draft_state(signed_client).signing_request
    assert fresh is not None and fresh != request_id


@pytest.mark.parametrize(("cert", "key", "failure", "words"), [
    ("revoked", None, "revoked", "署名用電子証明書が失効しています"),
    ("valid", "gen1", "signature_mismatch", "署名が申請内容と一致しませんでした"),
    ("forged", None, "untrusted_chain", "証明書の発行元を確認できませんでした"),
    ("auth", None, "wrong_purpose", "申請の署名には使えない種類の証明書でした"),
], ids=["revoked", "wrong-key", "untrusted", "authentication-certificate"])
def test_an_invalid_signature_is_explained_and_can_be_tried_again(
    signed_client: TestClient, pki: Pki, cert: str, key: str | None, failure: str, words: str
) -> None:
    client = signed_client
    request_id, _ = start_signing(client)
    verdict = card_signs(client, pki, request_id, cert=cert, key=key)
    assert verdict["status"] == "invalid" and verdict["failure"] == failure
    page = client.get(f"{BASE}/signing")
    assert title_of(page.text).startswith("署名を確認できませんでした - ")
    assert result_of(page.text) == f"確認できなかったこと：{words}" + {
        "revoked": "（住所や氏名が変わると失効します）。お住まいの市区町村の窓口で新しい証明書の発行を受けてください。",
        "signature_mismatch": "。申請内容を変えずに、もう一度署名してください。",
        "untrusted_chain": "。マイナンバーカードの署名用電子証明書で署名してください。",
        "wrong_purpose": "。マイナンバーカードの署名用電子証明書（パスワードは英数字6〜16文字）で署名してください。",
    }[failure] + "申請はまだ送信されていません。「もう一度署名する」を押して、署名をやり直してください。"
    assert HOLDER_NAME not in page.text and 'id="signing-certificate"' not in page.text
    form = HtmlForm(page.text)
    assert form.primary().attrs["text"] == "もう一度署名する" and not form.problems()
    forced = client.post(f"{BASE}/confirm", data=post_items(
        [*hidden_fields_of_form(page.text, 0)[:1], ("_signing", "file"), ("_request", request_id)]),
        follow_redirects=False)
    assert forced.status_code == 303 and forced.headers["location"] == f"{BASE}/signing"
    assert submissions_of(client) == []
    again = press(client, page)
    assert again.status_code == 303 and again.headers["location"] == f"{BASE}/signing"
    fresh = draft_state(client).signing_request
    assert fresh is not None and fresh != request_id
    assert "署名の手順" in client.get(f"{BASE}/signing").text


def test_an_expired_request_asks_for_a_new_signature(signed_client: TestClient, pki: Pki) -> None:
    client = signed_client
    request_id, _ = start_signing(client)
    with Session(engine_of(client)) as session:
        session.execute(update(SigningRequest).where(SigningRequest.id == request_id)  # type: ignore[arg-type]
                        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        session.commit()
    page = client.get(f"{BASE}/signing")
    assert title_of(page.text).startswith("有効期限が切れました - ")
    assert result_of(page.text) == "有効期限が切れました。もう一度署名してください。署名コードの有効期限は発行から5分です。"
    assert client.get(f"/api/v1/signing-requests/{request_id}").json() | {"expires_at": None} == {
        "id": request_id, "status": "expired", "payload": None, "expires_at": None,
        "digest_sha256": signing_request(client, request_id).payload_sha256}
    late = client.post(f"/api/v1/signing-requests/{request_id}", json={"format": "raw-pkcs1v15", "signature": "AAAA",
                                                                       "certificate": "AAAA"})
    assert late.status_code == 410
    assert HtmlForm(page.text).primary().attrs["text"] == "もう一度署名する"
    assert press(client, page).headers["location"] == f"{BASE}/signing"
    fresh = draft_state(client).signing_request
    assert fresh is not None and fresh != request_id
    assert card_signs(client, pki, fresh)["status"] == "valid"


def test_changing_an_answer_after_signing_needs_a_new_signature(signed_client: TestClient, pki: Pki) -> None:
    client = signed_client
    request_id, _ = start_signing(client)
    card_signs(client, pki, request_id)
    signed = client.get(f"{BASE}/signing")
    confirm = client.get(f"{BASE}/confirm")
    assert "署名済みです" in confirm.text and HtmlForm(confirm.text).primary().attrs["text"] == "申請する"
    assert "前の署名は使えなくなります" in confirm.text and rows_of(confirm.text)["氏名"] == HOLDER_NAME

    # 「変更」: the phone number on the first step, then back to the confirmation page
    change = client.get(f"{BASE}/steps/applicant?return=confirm")
    form = HtmlForm(change.text)
    fields = [(n, "03-9999-0000" if n == "/phone" else v) for n, v in form.current()]
    saved = client.post(form.action, data=post_items(fields), follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == f"{BASE}/confirm"
    confirm = client.get(f"{BASE}/confirm")
    assert HtmlForm(confirm.text).primary().attrs["text"] == "マイナンバーカードで署名する"
    assert "署名済みです" not in confirm.text

    stale = press(client, signed)  # 「申請する」 on the page shown before the change
    assert stale.status_code == 200 and 'data-focus="notice"' in stale.text
    assert "署名した後で申請内容が変更されたため、その署名は今の内容には使えません" in stale.text
    assert submissions_of(client) == [] and signing_request(client, request_id).submitted_at is None

    fresh, _ = start_signing_from(client, confirm)
    assert fresh != request_id
    card_signs(client, pki, fresh)
    filed = press(client, client.get(f"{BASE}/signing"))
    assert filed.status_code == 303
    (submission,) = submissions_of(client)
    assert submission.answers["phone"] == "03-9999-0000" and submission.signature is not None
    assert submission.signature["signing_request"] == fresh


def start_signing_from(client: TestClient, confirm: Any) -> tuple[str, Any]:
    pressed = press(client, confirm)
    assert pressed.headers["location"] == f"{BASE}/signing"
    state = draft_state(client)
    assert state.signing_request is not None
    return state.signing_request, client.get(f"{BASE}/signing")


def test_answers_changed_under_a_kept_request_are_caught(signed_client: TestClient, pki: Pki) -> None:
    """A draft whose answers no longer hash to the signed ones (whatever changed them) is never filed with it."""
    client = signed_client
    request_id, _ = start_signing(client)
    card_signs(client, pki, request_id)
    (draft,) = drafts_of(client)
    with Session(engine_of(client)) as session:
        session.execute(update(Draft).where(Draft.id == draft.id)  # type: ignore[arg-type]
                        .values(answers={**draft.answers, "phone": "03-1111-2222"}))
        session.commit()
    page = client.get(f"{BASE}/signing")
    assert title_of(page.text).startswith("申請内容が変更されました - ")
    assert result_of(page.text) == ("署名した後で申請内容が変更されたため、その署名は今の内容には使えません。"
                                    "内容を確かめて、もう一度署名してください。")
    forced = client.post(f"{BASE}/confirm", data=post_items(
        [*hidden_fields_of_form(page.text, 0)[:1], ("_signing", "file"), ("_request", request_id)]),
        follow_redirects=False)
    assert forced.headers["location"] == f"{BASE}/signing" and submissions_of(client) == []


def test_unknown_revocation_is_stored_and_explained_under_best_effort(
    make_client: ClientFactory, anchors: Path, pki: Pki
) -> None:
    client = make_client(jpki_sign_anchors=anchors, jpki_allow_test_policy=True)  # no CRL: not checked
    request_id, _ = start_signing(client)
    assert card_signs(client, pki, request_id)["status"] == "indeterminate"
    page = client.get(f"{BASE}/signing")
    assert title_of(page.text).startswith("署名を確認しました（失効の確認はあとで行います） - ")
    assert "担当課があとで失効の確認をします" in result_of(page.text)
    assert rows_of(page.text)["失効の確認"] == "未確認（担当課があとで確認します）"
    assert press(client, page).status_code == 303
    (submission,) = submissions_of(client)
    assert submission.signature is not None and submission.signature["status"] == "indeterminate"
    assert submission.signature["failure"] == "revocation_not_checked"


def test_unknown_revocation_is_refused_where_the_procedure_requires_it(
    make_client: ClientFactory, anchors: Path, pki: Pki, tmp_path: Path
) -> None:
    folder = tmp_path / "defs"
    shutil.copytree(SAMPLES_DIR, folder)
    path = folder / f"{PROCEDURE}.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["x-procedure"]["revocation"] = "require"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    client = make_client(folder, jpki_sign_anchors=anchors, jpki_allow_test_policy=True)
    request_id, _ = start_signing(client)
    card_signs(client, pki, request_id)
    page = client.get(f"{BASE}/signing")
    assert result_of(page.text).startswith("確認できなかったこと：証明書が失効していないかを確認できなかったため")
    assert HtmlForm(page.text).primary().attrs["text"] == "もう一度署名する"
    assert submissions_of(client) == []


def test_without_anchors_the_clear_refusal_stays(make_client: ClientFactory) -> None:
    client = make_client()
    start = client.get(BASE)
    assert "電子署名の手順をまだ利用できない" in start.text
    confirm = to_confirmation(client)
    assert HtmlForm(confirm.text).primary().attrs["text"] == "この内容で申請する"
    refused = press(client, confirm)
    assert refused.status_code == 200 and "電子署名の手順をまだ利用できません" in refused.text
    assert 'data-focus="notice"' in refused.text
    signing = client.get(f"{BASE}/signing", follow_redirects=False)
    assert signing.status_code == 303 and signing.headers["location"] == f"{BASE}/confirm"
    forced = client.post(f"{BASE}/confirm", data=post_items(
        [*hidden_fields_of_form(confirm.text, 0), ("_signing", "start")]), follow_redirects=False)
    assert forced.status_code == 200 and "電子署名の手順をまだ利用できません" in forced.text
    assert submissions_of(client) == [] and draft_state(client).signing_request is None


def test_with_anchors_the_start_page_does_not_say_signing_is_unavailable(signed_client: TestClient) -> None:
    start = signed_client.get(BASE)
    assert start.status_code == 200 and "電子署名の手順をまだ利用できない" not in start.text


def test_english_pages(signed_client: TestClient, pki: Pki) -> None:
    signed_client.cookies.set("lang", "en")
    request_id, steps = start_signing(signed_client)
    assert title_of(steps.text).startswith("How to sign - ") and "Check the signature" in steps.text
    card_signs(signed_client, pki, request_id)
    page = signed_client.get(f"{BASE}/signing")
    assert title_of(page.text).startswith("Your signature is verified - ")
    assert rows_of(page.text)["Name"] == HOLDER_NAME and "Submit application" in page.text


def test_no_value_of_the_certificate_is_logged(signed_client: TestClient, pki: Pki,
                                               caplog: pytest.LogCaptureFixture,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)
    request_id, _ = start_signing(signed_client)
    card_signs(signed_client, pki, request_id)
    page = signed_client.get(f"{BASE}/signing")
    assert HOLDER_NAME in page.text  # shown to the resident…
    assert press(signed_client, page).status_code == 303
    (submission,) = submissions_of(signed_client)
    assert submission.signature is not None and submission.signature["holder"]["name"] == HOLDER_NAME  # …stored…
    captured = capsys.readouterr()
    logged = caplog.text + captured.out + captured.err
    assert caplog.records  # the capture works (httpx logs each request)
    for value in (HOLDER_NAME, HOLDER_ADDRESS, "1990-01-01", "419900101", "平成2年"):  # …never logged
        assert value not in logged


def test_optional_signature(make_client: ClientFactory, anchors: Path, crl_dir: Path, pki: Pki,
                            tmp_path: Path) -> None:
    from tests.rendering.conftest import minimal, write_definition

    folder = write_definition(tmp_path / "optional", minimal(
        "optional-sign", {"name": {"type": "string", "title": "氏名", "minLength": 1}}, ["name"],
        signature="optional", signature_holder_fields=["name", "sex"]))
    client = make_client(folder, jpki_sign_anchors=anchors, jpki_allow_test_policy=True, crl_dir=crl_dir)
    base = "/procedures/optional-sign"
    confirm = walk(client, "optional-sign", {"name": "山田"})
    form = HtmlForm(confirm.text)
    assert form.primary().attrs["text"] == "この内容で申請する" and not form.problems()
    assert form.named("_signing")[0].type == "checkbox"
    ticked = client.post(form.action, data=post_items([*form.hidden(), ("_signing", "start")]), follow_redirects=False)
    assert ticked.headers["location"] == f"{base}/signing"
    state = draft_state(client)
    assert state.signing_request is not None
    card_signs(client, pki, state.signing_request)
    page = client.get(f"{base}/signing")
    assert rows_of(page.text)["性別"] == "女" and rows_of(page.text)["氏名"] == HOLDER_NAME
    assert press(client, page).status_code == 303
    (submission,) = submissions_of(client)
    assert submission.signature is not None
    assert submission.signature["holder"] == {"name": HOLDER_NAME, "sex": "2"}


def test_optional_signature_left_unticked_files_unsigned(make_client: ClientFactory, anchors: Path,
                                                         tmp_path: Path) -> None:
    from tests.rendering.conftest import minimal, write_definition

    folder = write_definition(tmp_path / "optional", minimal(
        "optional-sign", {"name": {"type": "string", "title": "氏名", "minLength": 1}}, ["name"],
        signature="optional"))
    client = make_client(folder, jpki_sign_anchors=anchors, jpki_allow_test_policy=True)
    confirm = walk(client, "optional-sign", {"name": "山田"})
    filed = press(client, confirm)
    assert filed.status_code == 303 and "/complete/" in filed.headers["location"]
    (submission,) = submissions_of(client)
    assert submission.signature is None and submission.answers == {"name": "山田"}


def test_the_signing_page_needs_a_request(signed_client: TestClient) -> None:
    to_confirmation(signed_client)
    response = signed_client.get(f"{BASE}/signing", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"{BASE}/confirm"


def test_old_drafts_without_the_field_still_load(signed_client: TestClient) -> None:
    to_confirmation(signed_client)
    (draft,) = drafts_of(signed_client)
    assert "signing_request" not in draft.state  # unsigned drafts keep their old shape
    assert draft_state(signed_client).signing_request is None
    assert signed_client.get(f"{BASE}/confirm").status_code == 200
    _ = ANSWERS
