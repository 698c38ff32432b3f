"""Helpers for the japanese-data tests: a resident filling steps, reading inline errors and the confirmation,
and the API client doing the same; one app per module (each test gets its own browser)."""

from __future__ import annotations

import html
import json
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, select

from forms_engine.bootstrap import build_app
from forms_engine.config import Settings
from forms_engine.models import Submission

from .conftest import csrf_of, main_of, start, write_definition
from .htmlform import HtmlForm, post_items

_ERROR = re.compile(r'<p class="field__error" id="([^"]+)--error"><span class="visually-hidden">[^<]*</span>(.*?)</p>',
                    re.S)
_ROW = re.compile(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", re.S)


def build(folder: Path, data_dir: Path) -> FastAPI:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return build_app(Settings(data_dir=data_dir, definitions_dir=folder))


def app_fixture(document: dict[str, Any], name: str) -> Any:
    """A module-scoped fixture: the engine over a fresh SQLite database serving `document`."""

    @pytest.fixture(scope="module")
    def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
        folder = write_definition(tmp_path_factory.mktemp(f"{name}-defs"), document)
        yield build(folder, tmp_path_factory.mktemp(f"{name}-data"))

    return app


class Resident:
    """One browser on the resident pages of one procedure."""

    def __init__(self, app: FastAPI, procedure_id: str, **headers: str) -> None:
        self.client = TestClient(app, headers=headers)
        self.procedure_id = procedure_id
        self.first = start(self.client, procedure_id)
        self.csrf = csrf_of(self.first.text)

    def url(self, step: str) -> str:
        return f"/procedures/{self.procedure_id}/steps/{step}"

    def post(self, step: str, items: list[tuple[str, str]], action: str | None = None) -> Response:
        extra = [("_action", action)] if action else []
        return self.client.post(self.url(step), data=post_items(self.csrf + items + extra), follow_redirects=False)

    def go(self, steps: list[tuple[str, list[tuple[str, str]]]]) -> Response:
        """Post each step with its answers (each must go on), then open the confirmation page."""
        for step, items in steps:
            response = self.post(step, items)
            assert response.status_code == 303, errors_of(response.text) or response.text[:2000]
        page = self.client.get(f"/procedures/{self.procedure_id}/confirm")
        assert page.status_code == 200, page.text[:2000]
        return page

    def file(self, confirm: Response) -> Response:
        form = HtmlForm(confirm.text)
        response = self.client.post(form.action, data=post_items(form.hidden()), follow_redirects=False)
        assert response.status_code == 303, response.text[:2000]
        return self.client.get(response.headers["location"])


def errors_of(page: str) -> dict[str, str]:
    """The inline errors of a page: field id -> message (as the resident reads it)."""
    return {i: html.unescape(m) for i, m in _ERROR.findall(page)}


def values_of(page: str) -> dict[str, str]:
    """The confirmation's answers: label -> value as shown (tags dropped, entities decoded)."""
    found: dict[str, str] = {}
    for label, value in _ROW.findall(main_of(page)):
        found.setdefault(html.unescape(label), html.unescape(re.sub(r"<[^>]+>|\s+", " ", value).strip()))
    return found


def value_in(page: str, name: str) -> str:
    """What the input named `name` holds on the page."""
    [control] = [c for c in HtmlForm(page).controls if c.name == name and c.tag != "button"]
    return control.value


def api_file(app: FastAPI, procedure_id: str, answers: Any, lang: str = "ja") -> Response:
    client = TestClient(app, headers={"Accept-Language": lang})
    body = json.dumps({"answers": answers}, ensure_ascii=False).encode("utf-8")  # raw UTF-8, as a client sends it
    return client.post(f"/api/v1/procedures/{procedure_id}/submissions", content=body,
                       headers={"Content-Type": "application/json"})


def api_errors(response: Response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return {e["pointer"]: e["message"] for e in response.json()["errors"]}


def stored(app: FastAPI, submission_id: str) -> Any:
    with Session(app.state.forms_engine.engine) as session:
        found = session.get(Submission, submission_id)
        assert found is not None
        return found.answers


def latest(app: FastAPI) -> Submission:
    with Session(app.state.forms_engine.engine) as session:
        rows = list(session.exec(select(Submission)).all())
        return max(rows, key=lambda s: s.received_at)
