"""Saving a step: the work is done on a snapshot of the draft and the draft is written only if nobody saved it
meanwhile (another tab, another device); otherwise the post is worked out again on what is there now, so
neither save loses what it kept. A draft that keeps changing is saved under the write lock throughout."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from forms_engine.drafts.schemas import DraftState
from forms_engine.drafts.service import DraftService
from forms_engine.models import Draft
from forms_engine.rendering import step_routes

from .conftest import SAMPLES_DIR, csrf_of, drafts_of, start
from .htmlform import post_items

ClientFactory = Callable[..., TestClient]
OWNER = "/procedures/dog-registration/steps/owner"


def service(client: TestClient, session: Session) -> DraftService:
    state = client.app.state.forms_engine  # type: ignore[attr-defined]
    return DraftService(session, state.secret_key, state.settings.draft_retention_hours,
                        state.settings.answers_keyring())


def another_tab_names_the_dog(client: TestClient, engine: Engine, name: str) -> None:
    """What a second tab of the same draft does meanwhile: saves the dog step with a name."""
    definition = client.app.state.forms_engine.catalogue.get("dog-registration")  # type: ignore[attr-defined]
    with Session(engine, expire_on_commit=False) as session:
        drafts = service(client, session)
        (row,) = session.exec(select(Draft)).all()
        draft = drafts.get("dog-registration", row.id)
        assert draft is not None
        answers = {**draft.answers, "dog_name": name}
        assert drafts.save(draft, definition, answers, DraftState("dog"))
        session.commit()


def interfere(monkeypatch: pytest.MonkeyPatch, client: TestClient, engine: Engine, times: int) -> list[int]:
    """The first `times` workings-out of a post are followed by another tab's save; the calls are counted."""
    calls: list[int] = []
    real = step_routes._work_out

    def working_out(*args: Any, **kwargs: Any) -> Any:
        saving = real(*args, **kwargs)
        calls.append(1)
        if len(calls) <= times:
            another_tab_names_the_dog(client, engine, f"ポチ{len(calls)}")
        return saving

    monkeypatch.setattr(step_routes, "_work_out", working_out)
    return calls


def test_a_draft_saved_meanwhile_is_worked_out_again_and_both_saves_are_kept(
        make_client: ClientFactory, db_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    client = make_client(SAMPLES_DIR)
    csrf = csrf_of(start(client, "dog-registration").text)
    calls = interfere(monkeypatch, client, db_engine, times=1)
    posted = client.post(OWNER, data=post_items([*csrf, ("_action", "save"), ("/phone", "090-1234-5678")]),
                         follow_redirects=False)
    assert posted.status_code == 303, posted.text[:2000]
    (draft,) = drafts_of(client)
    assert draft.answers["phone"] == "090-1234-5678"  # this post
    assert draft.answers["dog_name"] == "ポチ1"  # … and the other tab's, which a blind write would have lost
    assert len(calls) == 2


def test_a_draft_that_keeps_changing_is_saved_under_the_write_lock(
        make_client: ClientFactory, db_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    client = make_client(SAMPLES_DIR)
    csrf = csrf_of(start(client, "dog-registration").text)
    calls = interfere(monkeypatch, client, db_engine, times=step_routes._OPTIMISTIC_TRIES)
    posted = client.post(OWNER, data=post_items([*csrf, ("/phone", "03-12")]), follow_redirects=False)
    assert posted.status_code == 422 and 'id="error-summary"' in posted.text  # the step's errors, as always
    (draft,) = drafts_of(client)
    assert draft.answers["phone"] == "03-12"
    assert draft.answers["dog_name"] == f"ポチ{step_routes._OPTIMISTIC_TRIES}"
    assert len(calls) == step_routes._OPTIMISTIC_TRIES + 1  # the last one read and wrote under the lock


def test_a_stale_write_is_refused_and_writes_nothing(make_client: ClientFactory, db_engine: Engine) -> None:
    client = make_client(SAMPLES_DIR)
    start(client, "dog-registration")
    definition = client.app.state.forms_engine.catalogue.get("dog-registration")  # type: ignore[attr-defined]
    (row,) = drafts_of(client)
    with Session(db_engine, expire_on_commit=False) as session:
        drafts = service(client, session)
        draft = drafts.get("dog-registration", row.id)
        assert draft is not None
        read_at = draft.updated_at
        later = datetime.now(UTC) + timedelta(seconds=1)
        assert drafts.save(draft, definition, {"phone": "1"}, DraftState("owner"), later, unchanged_since=read_at)
        stale = drafts.get("dog-registration", row.id)
        assert stale is not None
        assert not drafts.save(stale, definition, {"phone": "2"}, DraftState("owner"), unchanged_since=read_at)
        session.commit()
    (after,) = drafts_of(client)
    assert after.answers["phone"] == "1"
