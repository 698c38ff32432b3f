"""Sensitive answers encrypted at rest: never in the database in clear, shown only to the ``sensitive`` role,
masked on the resident's 控え, bound to their submission and field, readable after a key rotation, never logged."""

from __future__ import annotations

import base64
import json
import logging
import os
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from forms_engine.config import Settings
from forms_engine.definitions.sensitivity import is_sensitive, sensitive_pointers
from forms_engine.models import Submission
from forms_engine.receipts.layout import MASKED
from forms_engine.receipts.store import receipt_data
from forms_engine.staff.service import MASK
from forms_engine.submissions.protection import Keyring, ProtectionError, seal, unseal
from forms_engine.submissions.service import submission_digest
from tests.receipts.tools import squash, text_of
from tests.staff.conftest import add_staff, engine_of, state_of, token_for

DEFS = Path(__file__).resolve().parent / "definitions"
MY_NUMBER = "987654321018"  # format jp-my-number, no x-sensitive: sensitive by default
SECRET = "ひみつのあいことば42"  # x-sensitive: true
CHILD_NUMBER = "111122223333"
AGENT_NUMBER = "555566667772"  # jp-my-number with x-sensitive: false: stored as typed
ANSWERS = {"name": "山田 太郎", "my_number": MY_NUMBER, "secret_word": SECRET, "agent_number": AGENT_NUMBER,
           "children": [{"name": "山田 花子", "my_number": CHILD_NUMBER}]}
HIDDEN = (MY_NUMBER, SECRET, CHILD_NUMBER)


@pytest.fixture
def client(make_client: Any) -> TestClient:
    answer: TestClient = make_client(DEFS)
    return answer


def file(client: TestClient) -> dict[str, Any]:
    answer = client.post("/api/v1/procedures/protected/submissions", json={"answers": ANSWERS})
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def stored(client: TestClient, submission_id: str) -> tuple[Submission, dict[str, Any]]:
    state = state_of(client)
    with Session(engine_of(client)) as session:
        submission = session.get(Submission, submission_id)
        assert submission is not None
        session.expunge(submission)
    return submission, state.catalogue.get("protected").document


def raw_answers(client: TestClient, db_url: str) -> bytes:
    """What the database holds: the SQLite files' bytes, or PostgreSQL's text of the answers column."""
    if db_url.startswith("sqlite"):
        engine_of(client).dispose()  # checkpoint nothing away: read the database file and any journal beside it
        path = Path(db_url.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    with engine_of(client).connect() as conn:
        return "\n".join(conn.execute(sa.text("SELECT answers::text FROM submissions")).scalars()).encode()


# -- the rule ----------------------------------------------------------------------------------------------
def test_my_number_is_sensitive_unless_the_definition_says_false() -> None:
    assert is_sensitive([{"type": "string", "format": "jp-my-number"}]) is True
    assert is_sensitive([{"format": "jp-my-number", "x-sensitive": False}]) is False
    assert is_sensitive([{"type": "string", "x-sensitive": True}]) is True
    assert is_sensitive([{"type": "string", "format": "email"}]) is False
    assert is_sensitive([{"$ref": "#/$defs/n", "x-sensitive": False}, {"format": "jp-my-number"}]) is False
    assert is_sensitive([{"x-sensitive": True}, {"x-sensitive": False}]) is True  # an explicit true wins
    document = {"properties": {"a": {"$ref": "#/$defs/mn"}, "b": {"type": "string"}}, "$defs": {
        "mn": {"type": "string", "format": "jp-my-number"}}}
    assert sensitive_pointers(document, {"a": "x", "b": "y"}) == ["/a"]
    assert sensitive_pointers(document, {"a": None, "b": "y"}) == []  # no value, nothing to protect


def test_the_walk_is_skipped_only_for_documents_that_mark_nothing() -> None:
    from forms_engine.definitions import sensitivity

    plain = {"properties": {"a": {"type": "string", "format": "email"}, "b": {"x-sensitive": False}}}
    assert not sensitivity._marks_anything(plain)
    assert sensitive_pointers(plain, {"a": "x", "b": "y"}) == []
    deep = {"properties": {"list": {"type": "array", "items": {"$ref": "#/$defs/p"}}}, "$defs": {
        "p": {"type": "object", "properties": {"n": {"type": "string", "x-sensitive": True}}}}}
    assert sensitivity._marks_anything(deep)
    assert sensitive_pointers(deep, {"list": [{"n": "1"}, {"n": "2"}]}) == ["/list/0/n", "/list/1/n"]
    documents = [json.loads(p.read_text(encoding="utf-8")) for p in
                 [*sorted((DEFS.parent.parent.parent / "form_definitions").glob("*.json")), *sorted(DEFS.glob("*.json"))]]
    assert any(sensitivity._marks_anything(d) for d in documents)
    for document in documents:  # the quick answer is the walk's: no pointer out of a document marking nothing
        if not sensitivity._marks_anything(document):
            walker = sensitivity._Walker(document)
            walker.walk([document], _filled(document), "", 0)
            assert walker.found == []


def _filled(schema: Any, depth: int = 0) -> Any:
    """A value for every property of a schema (strings at the leaves): enough to walk every branch."""
    if not isinstance(schema, dict) or depth > 6:
        return "x"
    if isinstance(schema.get("properties"), dict):
        return {k: _filled(v, depth + 1) for k, v in schema["properties"].items()}
    if isinstance(schema.get("items"), dict):
        return [_filled(schema["items"], depth + 1)]
    return "x"


# -- through the API, on both databases --------------------------------------------------------------------
def test_the_raw_database_holds_no_sensitive_value(client: TestClient, db_url: str) -> None:
    created = file(client)
    raw = raw_answers(client, db_url)
    for value in HIDDEN:
        assert value.encode() not in raw, value
    assert AGENT_NUMBER.encode() in raw  # x-sensitive: false is stored as typed (the test can see values)
    submission, document = stored(client, created["id"])
    answers = submission.answers
    assert set(answers["my_number"]) == {"$enc", "kid", "n", "c"} and answers["my_number"]["$enc"] == "aesgcm"
    assert set(answers["secret_word"]) == {"$enc", "kid", "n", "c"}
    assert set(answers["children"][0]["my_number"]) == {"$enc", "kid", "n", "c"}
    assert answers["name"] == "山田 太郎" and answers["children"][0]["name"] == "山田 花子"
    assert unseal(answers, document, submission.id, state_of(client).settings.answers_keyring()) == ANSWERS


def test_staff_see_values_with_the_sensitive_role_only(client: TestClient) -> None:
    add_staff(client, "sens", ("dept-a", "sensitive"))
    add_staff(client, "view", ("dept-a", "viewer"))
    number = file(client)["receipt_number"]
    seen = {who: client.get(f"/api/v1/staff/submissions/{number}",
                            headers={"Authorization": f"Bearer {token_for(client, who)}"}).json()
            for who in ("sens", "view")}
    assert seen["sens"]["answers"] == ANSWERS and seen["sens"]["masked"] is False
    assert seen["view"]["answers"] == {**ANSWERS, "my_number": MASK, "secret_word": MASK,
                                       "children": [{"name": "山田 花子", "my_number": MASK}]}
    assert seen["view"]["masked"] is True


def test_the_residents_receipt_is_masked_and_its_digest_covers_the_answers_as_filed(
        client: TestClient, tmp_path: Path) -> None:
    created = file(client)
    pdf = client.get(created["receipt_url"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    (tmp_path / "r.pdf").write_bytes(pdf.content)
    text = squash(text_of(tmp_path / "r.pdf"))
    assert squash(MASKED) in text and AGENT_NUMBER in text
    for value in HIDDEN:
        assert value not in text
    submission, _ = stored(client, created["id"])
    state = state_of(client)
    with Session(engine_of(client)) as session:
        data = receipt_data(session, state.settings, submission)
    assert data.answers == ANSWERS
    assert data.submission_sha256 == submission_digest(submission, ANSWERS)
    assert data.submission_sha256 != submission_digest(submission)  # not the digest of the ciphertext


def test_nothing_sensitive_is_logged_while_filing_and_viewing(client: TestClient,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    add_staff(client, "sens", ("dept-a", "sensitive"))
    headers = {"Authorization": f"Bearer {token_for(client, 'sens')}"}
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)  # SQL and its parameters, as echo logs them
        try:
            number = file(client)["receipt_number"]
            assert client.get(f"/api/v1/staff/submissions/{number}", headers=headers).status_code == 200
        finally:
            logging.getLogger("sqlalchemy.engine").setLevel(logging.NOTSET)
    assert "INSERT INTO submissions" in caplog.text  # the capture did see the statements and their parameters
    for value in HIDDEN:
        assert value not in caplog.text


# -- sealing -----------------------------------------------------------------------------------------------
DOCUMENT = {"type": "object", "properties": {"a": {"format": "jp-my-number"}, "b": {"x-sensitive": True},
                                             "c": {"type": "string"}}}


def keyring(*pairs: tuple[str, bytes]) -> Keyring:
    return Keyring(dict(pairs))


def test_a_changed_ciphertext_fails_clearly() -> None:
    ring = keyring(("k1", os.urandom(32)))
    sealed = seal({"a": MY_NUMBER, "b": SECRET, "c": "x"}, DOCUMENT, "sub-1", ring)
    cipher = bytearray(base64.b64decode(sealed["a"]["c"]))
    cipher[0] ^= 1
    changed = {**sealed, "a": {**sealed["a"], "c": base64.b64encode(bytes(cipher)).decode()}}
    with pytest.raises(ProtectionError, match=r"submission sub-1, answer /a: the sealed answer does not decrypt"):
        unseal(changed, DOCUMENT, "sub-1", ring)
    damaged = {**sealed, "a": {"$enc": "aesgcm", "c": sealed["a"]["c"]}}  # a key removed: not read as an answer
    with pytest.raises(ProtectionError, match=r"answer /a: not a sealed answer"):
        unseal(damaged, DOCUMENT, "sub-1", ring)


def test_envelopes_do_not_move_between_fields_or_submissions() -> None:
    ring = keyring(("k1", os.urandom(32)))
    sealed = seal({"a": MY_NUMBER, "b": SECRET, "c": "x"}, DOCUMENT, "sub-1", ring)
    with pytest.raises(ProtectionError, match=r"answer /a: the sealed answer does not decrypt"):
        unseal({**sealed, "a": sealed["b"], "b": sealed["a"]}, DOCUMENT, "sub-1", ring)
    with pytest.raises(ProtectionError, match=r"submission sub-2, answer /a"):
        unseal(sealed, DOCUMENT, "sub-2", ring)
    assert unseal(sealed, DOCUMENT, "sub-1", ring) == {"a": MY_NUMBER, "b": SECRET, "c": "x"}


def test_an_old_key_still_decrypts_after_rotation(tmp_path: Path) -> None:
    old = Settings(data_dir=tmp_path)
    sealed = seal({"a": MY_NUMBER, "c": "x"}, DOCUMENT, "sub-1", old.answers_keyring())
    path = old.answers_key_file
    assert path == tmp_path / "keys" / "answers.key" and path.stat().st_mode & 0o777 == 0o600
    old_line = path.read_text(encoding="ascii").strip()
    path.write_text(f"new-2026:{base64.b64encode(os.urandom(32)).decode()}\n{old_line}\n", encoding="ascii")
    rotated = Settings(data_dir=tmp_path).answers_keyring()
    assert rotated.current_id == "new-2026"
    assert unseal(sealed, DOCUMENT, "sub-1", rotated) == {"a": MY_NUMBER, "c": "x"}
    assert seal({"a": MY_NUMBER}, DOCUMENT, "sub-1", rotated)["a"]["kid"] == "new-2026"
    path.write_text(f"new-2026:{base64.b64encode(os.urandom(32)).decode()}\n", encoding="ascii")  # old key dropped
    with pytest.raises(ProtectionError, match=r"sealed with key '[0-9a-f]{8}', which the key file does not hold"):
        unseal(sealed, DOCUMENT, "sub-1", Settings(data_dir=tmp_path).answers_keyring())


def test_a_key_file_that_cannot_be_used_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ProtectionError, match="line 1: expected key_id:base64"):
        Keyring.parse("no-colon-here")
    with pytest.raises(ProtectionError, match="is 16 bytes long, not 32"):
        Keyring.parse(f"k:{base64.b64encode(os.urandom(16)).decode()}")
    with pytest.raises(ProtectionError, match="holds no key"):
        Keyring.parse("# only a comment\n")
