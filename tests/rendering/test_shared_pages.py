"""A blank step is rendered once and shared: only the browser's CSRF token differs between residents, and a
draft with anything in it (or another language, or another address) never gets the shared page."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from forms_engine.rendering import step_routes

from .conftest import SAMPLES_DIR, start
from .htmlform import HtmlForm, post_items

ClientFactory = Callable[..., TestClient]
OWNER = "/procedures/dog-registration/steps/owner"
TOKEN = re.compile(r'name="_csrf" value="([0-9a-f]{64})"')


def _token(html: str) -> str:
    found = TOKEN.findall(html)
    assert len(found) == 1, found
    return found[0]


def test_two_residents_get_the_same_blank_step_with_their_own_token(app_factory: ClientFactory) -> None:
    first = app_factory(SAMPLES_DIR)
    second = TestClient(first.app)
    pages = [start(first, "dog-registration"), start(second, "dog-registration")]
    again = [first.get(OWNER), second.get(OWNER)]  # the shared page, rendered before
    tokens = [_token(p.text) for p in pages]
    assert tokens[0] != tokens[1]
    assert [_token(p.text) for p in again] == tokens
    for page, token in zip(again, tokens, strict=True):
        assert page.status_code == 200
        assert page.headers["content-security-policy"].startswith("default-src 'self'")
        assert page.headers["cache-control"] == "no-store"
        assert page.text.replace(token, "TOKEN") == pages[0].text.replace(tokens[0], "TOKEN")
    # each token is the one its browser's form needs: posting the step with it is accepted (not 403)
    for client, page in ((first, again[0]), (second, again[1])):
        form = HtmlForm(page.text)
        saved = client.post(form.action, data=post_items([*form.current(), ("_action", "save")]),
                            follow_redirects=False)
        assert saved.status_code == 303 and saved.headers["location"] == "/procedures/dog-registration/saved"
    swapped = second.post(OWNER, data=post_items([("_csrf", tokens[0]), ("_action", "save")]),
                          follow_redirects=False)
    assert swapped.status_code == 403


def test_a_step_with_an_answer_is_not_the_shared_page(app_factory: ClientFactory) -> None:
    client = app_factory(SAMPLES_DIR)
    page = start(client, "dog-registration")
    form = HtmlForm(page.text)
    items = [(n, "山田" if n == "/owner_name/family" else v) for n, v in form.current()]
    saved = client.post(form.action, data=post_items([*items, ("_action", "save")]), follow_redirects=False)
    assert saved.status_code == 303
    shown = client.get(OWNER)
    assert shown.status_code == 200 and 'value="山田"' in shown.text
    other = TestClient(client.app)
    blank = start(other, "dog-registration")
    assert 'value="山田"' not in blank.text and 'value="山田"' not in other.get(OWNER).text


def test_the_shared_page_follows_language_and_address(app_factory: ClientFactory) -> None:
    client = app_factory(SAMPLES_DIR)
    japanese = start(client, "dog-registration")
    assert '<html lang="ja">' in japanese.text
    english = client.get(OWNER, headers={"Accept-Language": "en"})
    assert english.status_code == 200 and '<html lang="en">' in english.text
    assert client.get(OWNER).text == japanese.text  # the Japanese page is still the Japanese one
    returning = client.get(OWNER + "?return=confirm")
    assert f'action="{OWNER}?return=confirm"' in returning.text and f'action="{OWNER}"' not in returning.text
    assert f'action="{OWNER}"' in client.get(OWNER).text
    checked = client.get(OWNER + "?check=1")  # errors of a blank step: never the shared page
    assert checked.status_code == 422 and 'id="error-summary"' in checked.text


def test_the_shared_page_is_the_page_rendered_for_the_draft(app_factory: ClientFactory,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    client = app_factory(SAMPLES_DIR)
    shared = start(client, "dog-registration")
    monkeypatch.setattr(step_routes, "is_blank", lambda *_: False)  # render it the ordinary way
    rendered = client.get(OWNER)
    assert rendered.status_code == shared.status_code == 200
    assert rendered.text == shared.text
    assert {k: v for k, v in rendered.headers.items() if k != "date"} == \
        {k: v for k, v in shared.headers.items() if k != "date"}


def test_a_step_page_is_read_while_a_writer_holds_the_lock(app_factory: ClientFactory) -> None:
    """Page views do not queue behind a save: they read a snapshot (SQLite WAL), without the write lock."""
    client = app_factory(SAMPLES_DIR)
    start(client, "dog-registration")
    engine = client.app.state.forms_engine.engine  # type: ignore[attr-defined]
    answers: list[int] = []
    with Session(engine) as writer:
        writer.execute(text("SELECT 1"))  # a write transaction: BEGIN IMMEDIATE, this process's writer lock
        reader = threading.Thread(target=lambda: answers.append(client.get(OWNER).status_code))
        reader.start()
        reader.join(timeout=10)
        finished = not reader.is_alive()
        writer.rollback()
    reader.join(timeout=30)
    assert finished and answers == [200]
