"""Drafts: 一時保存 and its resume code, resuming in another browser, retention of at least 20 hours, purge."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session, select

from forms_engine.cli import main
from forms_engine.config import Settings
from forms_engine.drafts.schemas import DraftState
from forms_engine.drafts.service import (
    ALPHABET,
    DraftService,
    code_hash,
    format_code,
    normalise_code,
    well_formed,
)
from forms_engine.models import Draft

from .conftest import (
    SAMPLE_FIXTURES,
    SAMPLES_DIR,
    csrf_of,
    drafts_of,
    encode,
    engine_parts,
    file_through,
    start,
    submissions,
    title_of,
    walk,
)
from .htmlform import HtmlForm, post_items

ClientFactory = Callable[..., TestClient]
DOG = "/procedures/dog-registration"
CODE = re.compile(r'<p class="panel__number" id="resume-code">([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})</p>')


def dog_answers() -> dict[str, object]:
    return dict(json.loads((SAMPLE_FIXTURES / "dog-registration.valid.json").read_text(encoding="utf-8")))


def step_items(client: TestClient, answers: dict[str, object], step: int) -> list[tuple[str, str]]:
    definition, _ = engine_parts(client, "dog-registration")
    names = set((definition.meta.steps or [])[step].properties)
    return [(n, v) for n, v in encode(client, "dog-registration", answers) if n.split("/")[1].split("@")[0] in names]


def save_after_two_steps(client: TestClient) -> tuple[str, dict[str, object]]:
    """Steps 1 and 2 done, something typed on step 3, then 「一時保存」: the resume code shown."""
    answers = dog_answers()
    csrf = csrf_of(start(client, "dog-registration").text)
    for step, url in enumerate(("owner", "dog")):
        response = client.post(f"{DOG}/steps/{url}", data=post_items(csrf + step_items(client, answers, step)),
                               follow_redirects=False)
        assert response.status_code == 303, response.text[:2000]
    third = [("/rabies_vaccinated", str(answers["rabies_vaccinated"])), ("_action", "save")]
    saved = client.post(f"{DOG}/steps/health", data=post_items(csrf + third), follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == f"{DOG}/saved"
    page = client.get(saved.headers["location"])
    assert title_of(page.text).startswith("入力内容を一時保存しました - 犬の登録申請")
    found = CODE.search(page.text)
    assert found is not None, page.text
    code = found.group(1)
    assert f'href="/resume/{code}"' in page.text and f"http://127.0.0.1:8000/resume/{code}" in page.text
    assert "72時間" in page.text and not HtmlForm(page.text).problems()
    assert HtmlForm(page.text).forms == [("get", f"{DOG}/steps/health")]
    return code, answers


def test_resume_by_code_in_a_fresh_browser_loses_nothing(make_client: ClientFactory) -> None:
    client = make_client(SAMPLES_DIR)
    code, answers = save_after_two_steps(client)
    other = TestClient(client.app)  # another device: no cookies at all
    form = other.get("/resume")
    assert form.status_code == 200 and title_of(form.text) == "入力の再開 - forms-engine 見本市"
    assert HtmlForm(form.text).primary().attrs["text"] == "入力を再開する"
    typed = code.lower().replace("-", "ー").translate(str.maketrans("abcdefghijklmnopqrstuvwxyz0123456789",
                                                                    "ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ０１２３４５６７８９"))
    resumed = other.post("/resume", data=post_items([*csrf_of(form.text), ("code", typed)]), follow_redirects=False)
    assert resumed.status_code == 303 and resumed.headers["location"] == f"{DOG}/steps/health"  # where it was left
    health = HtmlForm(other.get(f"{DOG}/steps/health").text)
    assert [c.value for c in health.named("/rabies_vaccinated") if c.checked] == [answers["rabies_vaccinated"]]
    owner = HtmlForm(other.get(f"{DOG}/steps/owner").text)
    assert owner.named("/owner_name/family")[0].value == "山田"
    confirm = walk(other, "dog-registration", answers, page=other.get(f"{DOG}/steps/health"))
    filed = other.post(f"{DOG}/confirm", data=post_items(csrf_of(confirm.text)), follow_redirects=False)
    assert filed.status_code == 303 and other.get(filed.headers["location"]).status_code == 200
    (stored,) = submissions(client)
    _, validator = engine_parts(client, "dog-registration")
    assert stored.answers == validator.normalise(answers)


def test_resume_link_fills_the_code_in(make_client: ClientFactory) -> None:
    client = make_client(SAMPLES_DIR)
    code, _ = save_after_two_steps(client)
    other = TestClient(client.app)
    page = other.get(f"/resume/{code}")
    assert page.status_code == 200 and "この再開コードで入力を再開します" in page.text
    form = HtmlForm(page.text)
    assert form.named("code")[0].value == code and not form.problems()
    resumed = other.post("/resume", data=post_items(form.current()), follow_redirects=False)
    assert resumed.headers["location"] == f"{DOG}/steps/health"


def test_an_unknown_or_expired_code_is_refused_in_japanese(make_client: ClientFactory) -> None:
    client = make_client(SAMPLES_DIR)
    code, _ = save_after_two_steps(client)
    other = TestClient(client.app)
    csrf = csrf_of(other.get("/resume").text)
    for typed, message in (("", "再開コードを入力してください"), ("ABC", "再開コードは英字と数字の12文字です"),
                           ("2345-6789-ABCD", "この再開コードの入力内容は見つかりませんでした")):
        refused = other.post("/resume", data=post_items([*csrf, ("code", typed)]))
        assert refused.status_code == 422 and message in refused.text, typed
        assert title_of(refused.text) == "エラー: 入力の再開 - forms-engine 見本市"
        assert 'data-focus="error-summary"' in refused.text and 'aria-invalid="true"' in refused.text
        assert HtmlForm(refused.text).named("code")[0].value == typed
    engine = client.app.state.forms_engine.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        (draft,) = session.exec(select(Draft)).all()
        draft.expires_at = datetime.now(UTC) - timedelta(minutes=1)
        session.add(draft)
        session.commit()
    expired = other.post("/resume", data=post_items([*csrf, ("code", code)]))
    assert expired.status_code == 422 and "保存期限を過ぎた入力内容は削除されています" in expired.text
    assert client.get(f"{DOG}/steps/owner", follow_redirects=False).headers["location"] == DOG  # gone here too


def test_the_code_is_stored_only_hashed(make_client: ClientFactory) -> None:
    client = make_client(SAMPLES_DIR)
    code, _ = save_after_two_steps(client)
    (draft,) = drafts_of(client)
    plain = normalise_code(code)
    assert well_formed(plain) and set(plain) <= set(ALPHABET) and not set(plain) & set("01ILO")
    assert draft.resume_code_sha256 == code_hash("test-secret", plain)
    assert plain not in json.dumps([draft.id, draft.answers, draft.state, draft.resume_code_sha256])
    assert format_code(plain) == code and normalise_code("ａｂｃｄ－ｅｆｇｈ　ｊｋｍｎ") == "ABCDEFGHJKMN"


def test_a_forged_draft_cookie_is_ignored(make_client: ClientFactory) -> None:
    client = make_client(SAMPLES_DIR)
    save_after_two_steps(client)
    (draft,) = drafts_of(client)
    other = TestClient(client.app)
    other.cookies.set("fe_draft_dog-registration", f"{draft.id}.ABCDEFGHJKMN.{'0' * 32}")
    assert other.get(f"{DOG}/steps/owner", follow_redirects=False).headers["location"] == DOG


def test_resuming_a_submitted_draft_shows_its_completion(make_client: ClientFactory) -> None:
    client = make_client(SAMPLES_DIR)
    code, answers = save_after_two_steps(client)
    filed, _ = file_through(client, "dog-registration", answers)
    other = TestClient(client.app)
    resumed = other.post("/resume", data=post_items([*csrf_of(other.get("/resume").text), ("code", code)]),
                         follow_redirects=False)
    assert resumed.headers["location"] == filed.headers["location"]
    assert other.get(resumed.headers["location"]).status_code == 200
    assert "既に申請済みです" in other.get(f"{DOG}/confirm").text and len(submissions(client)) == 1


def db_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_expired_drafts_are_purged_by_the_command(make_client: ClientFactory, db_engine: Engine,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    client = make_client(SAMPLES_DIR)
    for _ in range(3):
        start(TestClient(client.app), "dog-registration")
    with Session(db_engine) as session:
        old = session.exec(select(Draft)).first()
        assert old is not None
        old.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        session.add(old)
        session.commit()
        gone = old.id
    assert main(["drafts", "purge", "--database-url", db_url(db_engine)]) == 0
    assert "1 件の期限切れの下書きを削除しました" in capsys.readouterr().err
    assert gone not in {d.id for d in drafts_of(client)} and len(drafts_of(client)) == 2


def test_drafts_are_kept_at_least_20_hours(db_engine: Engine, make_client: ClientFactory,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError):
        Settings(draft_retention_hours=19)
    monkeypatch.setenv("FORMS_ENGINE_DRAFT_RETENTION_HOURS", "20")
    assert Settings().draft_retention_hours == 20
    monkeypatch.delenv("FORMS_ENGINE_DRAFT_RETENTION_HOURS")
    assert Settings().draft_retention_hours == 72
    client = make_client(SAMPLES_DIR)
    definition, _ = engine_parts(client, "dog-registration")
    assert definition is not None
    now = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)
    with Session(db_engine) as session:
        service = DraftService(session, "k", retention_hours=1)  # asked for less: 20 hours all the same
        started = service.start(definition, {}, DraftState(), now=now)
        assert started.draft.expires_at - now == timedelta(hours=20)
        later = now + timedelta(hours=5)
        service.save(started.draft, definition, {"breed": "柴"}, DraftState("dog"), now=later)
        session.commit()
        assert started.draft.expires_at == later + timedelta(hours=20)
        assert service.start(definition, {}, DraftState(), now=later + timedelta(hours=19, minutes=59))
        assert service.get("dog-registration", started.draft.id, now=later + timedelta(hours=19, minutes=59))
        session.commit()
        assert service.get("dog-registration", started.draft.id, now=later + timedelta(hours=20)) is None
        service.start(definition, {}, DraftState(), now=later + timedelta(hours=20, seconds=1))  # purges on the way
        session.commit()
        assert session.get(Draft, started.draft.id) is None


def test_every_post_refreshes_the_retention(make_client: ClientFactory, tmp_path: Path) -> None:
    client = make_client(SAMPLES_DIR, draft_retention_hours=30)
    csrf = csrf_of(start(client, "dog-registration").text)
    (before,) = drafts_of(client)
    client.post(f"{DOG}/steps/owner", data=post_items([*csrf, ("/phone", "090")]))
    (after,) = drafts_of(client)
    assert after.updated_at >= before.updated_at and after.expires_at - after.updated_at == timedelta(hours=30)
    assert after.answers["phone"] == "090"
    cookie = next(c for c in client.cookies.jar if c.name == "fe_draft_dog-registration")
    assert cookie.expires is not None and cookie.expires - datetime.now(UTC).timestamp() > 29 * 3600
