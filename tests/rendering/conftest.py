"""Apps for the resident pages: built like production (`build_app`) over a temporary SQLite database."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, select

from forms_engine.bootstrap import build_app
from forms_engine.config import Settings
from forms_engine.definitions.schemas import Definition
from forms_engine.models import Draft, Submission
from forms_engine.rendering.parsing import form_items
from forms_engine.rendering.service import build_form
from forms_engine.validation.service import AnswerValidator

from .htmlform import HtmlForm, post_items

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SAMPLES_DIR = ROOT / "form_definitions"
SAMPLE_FIXTURES = ROOT / "tests" / "fixtures" / "samples"
OWN_DEFINITIONS = HERE / "definitions"
OWN_FIXTURES = HERE / "fixtures"
CORPUS = ROOT.parent / "shared" / "corpus" / "rjsf"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


AppFactory = Callable[..., TestClient]


@pytest.fixture
def app_factory(tmp_path: Path) -> Iterator[AppFactory]:
    """`app_factory(definitions_dir, **settings)`: a TestClient over a fresh migrated SQLite database."""
    clients: list[TestClient] = []

    def factory(definitions_dir: Path, **settings: Any) -> TestClient:
        data_dir = tmp_path / f"data-{len(clients)}"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            app = build_app(Settings(data_dir=data_dir, definitions_dir=definitions_dir, **settings))
        client = TestClient(app)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


def write_definition(folder: Path, document: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{document['x-procedure']['id']}.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return folder


def minimal(procedure_id: str, properties: dict[str, Any], required: list[str] | None = None,
            **meta: Any) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": meta.pop("title", "試験の手続"),
        "type": "object",
        "x-procedure": {"id": procedure_id, "version": "1.0.0", "department": "test", "department_name": "試験課",
                        "contact": "試験課 03-0000-0000", **meta},
        "properties": properties,
        "required": required or [],
    }


def sample_ids() -> list[str]:
    return sorted(p.stem for p in SAMPLES_DIR.glob("*.json"))


def corpus_names() -> list[str]:
    return sorted(p.name.removesuffix(".schema.json") for p in CORPUS.glob("*.schema.json"))


def engine_parts(client: TestClient, procedure_id: str) -> tuple[Definition, AnswerValidator]:
    state = client.app.state.forms_engine  # type: ignore[attr-defined]
    return state.catalogue.get(procedure_id), state.catalogue.validator(procedure_id)


def encode(client: TestClient, procedure_id: str, answers: Any) -> list[tuple[str, str]]:
    """The inverse of parse_form: the form pairs that carry these answers."""
    definition, validator = engine_parts(client, procedure_id)
    return form_items(build_form(definition, validator, answers, []))


def _upload_for(form: HtmlForm, name: str) -> tuple[str, bytes, str]:
    accept = str(form.named(name)[-1].attrs.get("accept") or "application/pdf")
    if "application/pdf" in accept:
        return ("書類.pdf", PDF, "application/pdf")
    return ("書類.png", PNG, "image/png")


def start(client: TestClient, procedure_id: str) -> Response:
    """Open the start page and press its button: the first step's page (or where the draft left off)."""
    page = client.get(f"/procedures/{procedure_id}")
    assert page.status_code == 200, page.text[:2000]
    form = HtmlForm(page.text)
    response = client.post(form.action, data=post_items(form.hidden()), follow_redirects=False)
    assert response.status_code == 303, response.text[:2000]
    return client.get(response.headers["location"])


def walk(client: TestClient, procedure_id: str, answers: Any, *, page: Response | None = None,
         rounds: int = 40) -> Response:
    """Fill every step as a resident would (only the controls each page shows, with the values they offer,
    「追加」 for list items, posting again when answers reveal more questions, 「次へ進む」 otherwise) until the
    confirmation page, which is returned."""
    page = page if page is not None else start(client, procedure_id)
    wanted = encode(client, procedure_id, answers)
    lengths = {n.removesuffix("@length"): int(v) for n, v in wanted if n.endswith("@length")}
    wanted = [(n, v) for n, v in wanted if not n.endswith("@length") and v]  # untouched fields keep their default
    names = {n for n, _ in wanted}
    uploaded: set[str] = set()
    for _ in range(rounds):
        if page.url.path.endswith("/confirm"):
            assert page.status_code == 200, page.text[:2000]
            return page
        form = HtmlForm(page.text)
        assert not form.problems(), form.problems()
        shown = form.fillable()
        kept = {n for n, _ in form.hidden()}
        present = [(n, v) for n, v in wanted if n in shown and form.named(n)[-1].type != "file"]
        for name, value in present:
            assert form.offers(name, value), f"{name}={value!r} is not offered by the page"
        given = {n for n, _ in present}  # the rest is posted as the page holds it (defaults, hidden fields)
        base = [(n, v) for n, v in form.current() if n not in given and not n.endswith("@choice")]
        lists = {n.removesuffix("@length"): int(v) for n, v in form.hidden() if n.endswith("@length")}
        short = next((p for p, want in lengths.items() if p in lists and lists[p] < want), None)
        unseen = [n for n in names if n not in shown]
        choosing = [b for b in form.buttons() if b.value.startswith("refresh:")
                    and any(n.startswith(b.value.removeprefix("refresh:") + "/") for n in unseen)]
        action: list[tuple[str, str]] = []
        if short is not None:
            action = [("_action", f"add:{short}")]
        elif choosing and any(n.endswith("@choice") for n, _ in present):
            action = [("_action", choosing[0].value)]
        files = {}
        for name in sorted(names & shown):
            if form.named(name)[-1].type == "file" and name not in kept and name not in uploaded:
                files[name] = _upload_for(form, name)
                uploaded.add(name)
        response = client.post(form.action, data=post_items(base + present + action), files=files or None,
                               follow_redirects=False)
        if response.status_code == 303:
            page = client.get(response.headers["location"])
            assert page.status_code in (200, 422), page.text[:2000]
            continue
        assert response.status_code in (200, 422), response.text[:2000]
        if response.status_code == 422 and not action and not (HtmlForm(response.text).fillable() & names) - shown:
            raise AssertionError(f"step refused: {_summary(response.text)}")
        page = response
    raise AssertionError(f"could not reach the confirmation page (at {page.url})")


def file_through(client: TestClient, procedure_id: str, answers: Any) -> tuple[Response, Response]:
    """Every step, then 「この内容で申請する」: (the answer to the filing, the confirmation page)."""
    confirm = walk(client, procedure_id, answers)
    form = HtmlForm(confirm.text)
    response = client.post(form.action, data=post_items(form.hidden()), follow_redirects=False)
    return response, confirm


def _summary(html: str) -> str:
    start = html.find('class="error-summary"')
    return html[start:start + 3000] if start >= 0 else html[:3000]


def title_of(html: str) -> str:
    found = re.search(r"<title>(.*?)</title>", html, re.S)
    assert found is not None
    return found.group(1)


def csrf_of(html: str) -> list[tuple[str, str]]:
    return [(n, v) for n, v in HtmlForm(html).hidden() if n == "_csrf"]


def submissions(client: TestClient) -> list[Submission]:
    with Session(client.app.state.forms_engine.engine) as session:  # type: ignore[attr-defined]
        return list(session.exec(select(Submission)).all())


def drafts_of(client: TestClient) -> list[Draft]:
    with Session(client.app.state.forms_engine.engine) as session:  # type: ignore[attr-defined]
        return list(session.exec(select(Draft)).all())


def step_urls(client: TestClient, procedure_id: str) -> list[str]:
    definition, _ = engine_parts(client, procedure_id)
    ids = [s.id for s in definition.meta.steps or []] or ["form"]
    return [f"/procedures/{procedure_id}/steps/{i}" for i in ids]


def main_of(html: str) -> str:
    return html[html.index("<main"):html.index("</main>")]
