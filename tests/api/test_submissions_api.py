"""The submissions API on SQLite and PostgreSQL: samples, corpus verdicts, idempotency, limits."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from forms_engine.models import DefinitionVersion, IdempotencyRecord, Submission
from forms_engine.submissions import receipt_number
from tests.conftest import CORPUS, FIXTURES, SAMPLES_DIR, corpus_names, wrap_corpus

SAMPLE_IDS = sorted(p.stem for p in SAMPLES_DIR.glob("*.json"))
SIGNED = {p.stem for p in SAMPLES_DIR.glob("*.json") if json.loads(p.read_text())["x-procedure"].get("signature") == "required"}


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / "samples" / name).read_text(encoding="utf-8"))


def count(engine: Engine, model: Any) -> int:
    with Session(engine) as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


@pytest.mark.parametrize("procedure_id", sorted(set(SAMPLE_IDS) - SIGNED))
def test_every_sample_accepts_its_valid_submission(client: TestClient, db_engine: Engine, procedure_id: str) -> None:
    answers = fixture(f"{procedure_id}.valid.json")
    response = client.post(f"/api/v1/procedures/{procedure_id}/submissions", json={"answers": answers})
    assert response.status_code == 201, response.text
    body = response.json()
    assert receipt_number.parse(body["receipt_number"]) == body["receipt_number"]
    assert body["receipt_url"].startswith(f"/api/v1/receipts/{body['receipt_number']}.pdf?token=")
    with Session(db_engine) as s:
        stored = s.get(Submission, body["id"])
        assert stored is not None and stored.answers == answers and stored.status == "received"
        document = json.loads((SAMPLES_DIR / f"{procedure_id}.json").read_text())
        assert stored.procedure_version == document["x-procedure"]["version"]
        kept = s.get(DefinitionVersion, stored.definition_sha256)
        assert kept is not None and kept.document == document


@pytest.mark.parametrize("procedure_id", SAMPLE_IDS)
def test_every_sample_rejects_invalid_answers_one_error_per_field(client: TestClient, db_engine: Engine,
                                                                   procedure_id: str) -> None:
    answers = fixture(f"{procedure_id}.invalid.json")
    response = client.post(f"/api/v1/procedures/{procedure_id}/submissions", json={"answers": answers})
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    pointers = [e["pointer"] for e in errors]
    assert sorted(pointers) == sorted(fixture(f"{procedure_id}.invalid-pointers.json"))
    assert len(pointers) == len(set(pointers))
    assert all(any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in e["message"]) for e in errors)
    assert count(db_engine, Submission) == 0


def test_english_messages_with_accept_language(client: TestClient) -> None:
    response = client.post("/api/v1/procedures/dog-registration/submissions", json={"answers": {}},
                           headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert response.status_code == 422
    assert all(e["message"].startswith("Enter ") for e in response.json()["errors"] if e["keyword"] == "required")


@pytest.mark.parametrize("name", corpus_names())
def test_corpus_verdict_equals_the_jsonschema_reference(make_client: Callable[..., TestClient], corpus_dir: Path,
                                                       name: str) -> None:
    data_file = CORPUS / f"{name}.data.json"
    data = json.loads(data_file.read_text(encoding="utf-8")) if data_file.exists() else {}
    schema = wrap_corpus(name)
    reference = jsonschema.validators.validator_for(schema)(schema, format_checker=jsonschema.FormatChecker())
    expected_valid = reference.is_valid(data)
    client = make_client(corpus_dir)
    response = client.post(f"/api/v1/procedures/rjsf-{name.lower()}/submissions", json={"answers": data})
    assert response.status_code == (201 if expected_valid else 422), response.text


def test_idempotency_key_replays_the_first_answer(client: TestClient, db_engine: Engine) -> None:
    answers = fixture("dog-registration.valid.json")
    url = "/api/v1/procedures/dog-registration/submissions"
    first = client.post(url, json={"answers": answers}, headers={"Idempotency-Key": "abc-123"})
    again = client.post(url, json={"answers": answers}, headers={"Idempotency-Key": "abc-123"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert count(db_engine, Submission) == 1
    other = client.post(url, json={"answers": {**answers, "dog_name": "ポチ二号"}}, headers={"Idempotency-Key": "abc-123"})
    assert other.status_code == 422 and other.json()["errors"][0]["keyword"] == "idempotency-key"
    assert count(db_engine, Submission) == 1


def test_identical_requests_racing_store_once(client: TestClient, db_engine: Engine) -> None:
    answers = fixture("dog-registration.valid.json")
    url = "/api/v1/procedures/dog-registration/submissions"
    barrier = threading.Barrier(8)
    results: list[tuple[int, dict[str, Any]]] = []

    def post() -> None:
        barrier.wait()
        r = client.post(url, json={"answers": answers}, headers={"Idempotency-Key": "race-1"})
        results.append((r.status_code, r.json()))

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [code for code, _ in results] == [201] * 8
    assert len({body["id"] for _, body in results}) == 1
    assert count(db_engine, Submission) == 1
    assert count(db_engine, IdempotencyRecord) == 1


def test_unknown_procedure_is_404_with_a_body(client: TestClient) -> None:
    response = client.post("/api/v1/procedures/nope/submissions", json={"answers": {}})
    assert response.status_code == 404
    assert response.json()["errors"][0]["keyword"] == "not_found"


def test_closed_procedure_is_409(make_client: Callable[..., TestClient], definitions_copy: Path) -> None:
    path = definitions_copy / "dog-registration.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["x-procedure"]["closes_at"] = "2020-03-31T23:59:59+09:00"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    client = make_client(definitions_copy)
    response = client.post("/api/v1/procedures/dog-registration/submissions",
                           json={"answers": fixture("dog-registration.valid.json")})
    assert response.status_code == 409
    assert "dog-registration" not in [p["id"] for p in client.get("/api/v1/procedures").json()]


def test_oversized_body_is_413(make_client: Callable[..., TestClient], db_engine: Engine) -> None:
    client = make_client(max_body_bytes=2048)
    response = client.post("/api/v1/procedures/dog-registration/submissions",
                           json={"answers": {"dog_name": "x" * 5000}})
    assert response.status_code == 413
    assert response.json()["errors"][0]["keyword"] == "maxBytes"
    assert count(db_engine, Submission) == 0


def test_malformed_body_is_422_with_pointer(client: TestClient) -> None:
    response = client.post("/api/v1/procedures/dog-registration/submissions", content=b"{not json",
                           headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert "errors" in response.json()


def test_procedures_listing_and_definition(client: TestClient) -> None:
    listed = client.get("/api/v1/procedures").json()
    assert {p["id"] for p in listed} == set(SAMPLE_IDS)
    assert set(listed[0]) >= {"id", "version", "title", "summary", "department", "signature"}
    doc = client.get("/api/v1/procedures/dog-registration").json()
    assert doc == json.loads((SAMPLES_DIR / "dog-registration.json").read_text(encoding="utf-8"))
    assert client.get("/api/v1/procedures/none").status_code == 404


def test_openapi_lists_the_contract(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/v1/procedures", "/api/v1/procedures/{procedure_id}",
            "/api/v1/procedures/{procedure_id}/submissions"} <= set(paths)


@pytest.mark.parametrize("procedure_id", sorted(SIGNED))
def test_a_signed_procedure_is_refused_without_a_signature(client: TestClient, db_engine: Engine,
                                                            procedure_id: str) -> None:
    response = client.post(f"/api/v1/procedures/{procedure_id}/submissions",
                           json={"answers": fixture(f"{procedure_id}.valid.json")})
    assert response.status_code == 422
    assert response.json()["errors"][0]["keyword"] == "signature"
    assert count(db_engine, Submission) == 0


def test_oversized_form_post_gets_a_japanese_page(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_form_bytes=4096)
    response = client.post("/procedures/dog-registration", content=b"x" * 10_000,
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html") and "大きすぎます" in response.text
