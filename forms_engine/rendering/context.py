"""What the resident pages share: the procedure a URL names, this browser's draft, pages that carry a CSRF
token, redirects, and the pages every route may answer with (closed, already submitted)."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from forms_engine.api.deps import EngineState
from forms_engine.db import READ_ONLY_OPTION, session_scope
from forms_engine.definitions.schemas import Definition
from forms_engine.drafts.schemas import CONFIRM, DraftState
from forms_engine.drafts.service import DraftService
from forms_engine.japanese.wareki import format_jst
from forms_engine.models import Draft
from forms_engine.rendering import security, uploads
from forms_engine.rendering.defaults import default_answers
from forms_engine.rendering.flow import Flow
from forms_engine.rendering.pages import page_title, render, render_body, respond
from forms_engine.rendering.texts import text
from forms_engine.rendering.views import MISSING


def definition_or_404(state: EngineState, procedure_id: str) -> Definition:
    definition = state.catalogue.get(procedure_id)
    if definition is None:
        raise HTTPException(404, "その手続はありません")
    return definition


def flow_for(state: EngineState, definition: Definition, lang: str) -> Flow:
    return Flow(definition, state.catalogue.validator(definition.id), state.widgets, lang)


def procedure_title(definition: Definition, lang: str) -> str:
    return (definition.meta.title_en if lang == "en" and definition.meta.title_en else None) or definition.title


def procedure_context(definition: Definition, lang: str) -> dict[str, Any]:
    meta = definition.meta
    return {"procedure_id": definition.id, "procedure": procedure_title(definition, lang),
            "department": meta.department_name, "contact": meta.contact}


# -- URLs ------------------------------------------------------------------------------------------
def start_url(procedure_id: str) -> str:
    return f"/procedures/{procedure_id}"


def step_url(procedure_id: str, step_id: str, *, to_confirm: bool = False, check: bool = False) -> str:
    query = "&".join(q for q, on in (("return=confirm", to_confirm), ("check=1", check)) if on)
    return f"/procedures/{procedure_id}/steps/{step_id}" + (f"?{query}" if query else "")


def confirm_url(procedure_id: str) -> str:
    return f"/procedures/{procedure_id}/confirm"


def complete_url(procedure_id: str, receipt_number: str) -> str:
    return f"/procedures/{procedure_id}/complete/{receipt_number}"


def place_url(flow: Flow, place: str | None) -> str:
    """Where a draft left off: a step, or the confirmation page."""
    procedure_id = flow.definition.id
    if place == CONFIRM:
        return confirm_url(procedure_id)
    step = flow.step(place) if place else None
    return step_url(procedure_id, (step or flow.steps[0]).id)


def redirect(url: str) -> Response:
    return security.secure(RedirectResponse(url, status_code=303))


# -- drafts ----------------------------------------------------------------------------------------
@dataclass
class Current:
    """This browser's draft of a procedure and its resume code."""

    draft: Draft
    code: str

    @property
    def state(self) -> DraftState:
        return DraftState.from_json(self.draft.state)

    @property
    def submitted(self) -> str | None:
        return self.draft.submitted_receipt_number


def drafts(state: EngineState, session: Session) -> DraftService:
    return DraftService(session, state.secret_key, state.settings.draft_retention_hours,
                        state.settings.answers_keyring())


def current_draft(request: Request, state: EngineState, session: Session, definition: Definition) -> Current | None:
    found = security.read_draft_cookie(request, state.secret_key, definition.id)
    if found is None:
        return None
    draft = drafts(state, session).get(definition.id, found[0])
    return Current(draft, found[1]) if draft is not None else None


def open_draft(request: Request, state: EngineState, session: Session, definition: Definition,
               lang: str) -> Current | Response:
    """The draft a page of an open procedure works on, or the page to show instead: closed, no draft yet
    (back to the start), or already filed (「既に申請済みです」)."""
    if not definition.is_open(datetime.now(UTC)):
        return closed_page(request, state, definition, lang, 200)
    current = current_draft(request, state, session, definition)
    if current is None:
        return redirect(start_url(definition.id))
    if current.submitted:
        return already_page(request, state, definition, current.submitted, lang)
    return current


def remember(request: Request, response: Response, state: EngineState, current: Current) -> Response:
    """Point this browser's cookie at the draft, for as long as the draft is kept."""
    seconds = int((current.draft.expires_at - current.draft.updated_at).total_seconds())
    security.set_draft_cookie(request, response, state.secret_key, current.draft.procedure_id, current.draft.id,
                              current.code, max_age=max(seconds, 0))
    return response


def filing_key(secret_key: str, draft_id: str) -> str:
    """The idempotency key of a draft's filing: one draft is filed once, however often it is posted."""
    return "draft:" + hmac.new(secret_key.encode(), f"filing:{draft_id}".encode(), hashlib.sha256).hexdigest()[:48]


@contextlib.contextmanager
def reading(state: EngineState) -> Iterator[Session]:
    """A session that only reads, for a page that runs in the thread pool on its own (rather than the
    `SessionDep` dependency: its entry and exit are two more thread-pool hand-offs). On SQLite it reads a
    snapshot without joining the writers' queue (`db.READ_ONLY_OPTION`); it is rolled back at the end."""
    with Session(state.engine, expire_on_commit=False, execution_options={READ_ONLY_OPTION: True}) as session:
        try:
            yield session
        finally:
            session.rollback()


@contextlib.contextmanager
def writing(state: EngineState) -> Iterator[Session]:
    """A session that writes, committed at the end (rolled back on an error): for a page that runs in the
    thread pool on its own, as `reading` is."""
    with contextlib.contextmanager(session_scope)(state.engine) as session:
        yield session


# -- pages -----------------------------------------------------------------------------------------
def page(request: Request, state: EngineState, template: str, context: dict[str, Any], *, lang: str,
         status: int = 200) -> HTMLResponse:
    """A page whose forms carry this browser's CSRF token (the browser cookie is set when new)."""
    browser, fresh = security.browser_id(request)
    response = render(request, template, {"csrf": security.csrf_token(state.secret_key, browser), **context},
                      status=status, lang=lang)
    if fresh:
        security.set_browser_cookie(request, response, browser)
    return response


# -- pages that are the same for every resident but for the CSRF token -------------------------------
_CSRF_MARK = "fecsrf" + secrets.token_hex(16)
"""Stands for the token in a shared page: letters and digits only, so escaping leaves it as it is."""
_SHARED_PAGES = 512
"""At most this many shared pages per application (steps x languages x the two addresses of a step)."""
SHARED_QUERIES = ("", "return=confirm")
"""The addresses whose page may be shared: the page shows its own address (the language link)."""


def _shared(request: Request) -> dict[Any, Any]:
    """This application's shared pages and what they are computed from (per app: its settings, widgets
    and definitions; the key always names the definition by its SHA-256)."""
    found: dict[Any, Any] | None = getattr(request.app.state, "forms_engine_shared_pages", None)
    if found is None:
        found = {}
        request.app.state.forms_engine_shared_pages = found
    return found


def shared_page(request: Request, state: EngineState, key: tuple[Any, ...],
                build: Callable[[], tuple[str, dict[str, Any]]], *, lang: str, status: int = 200) -> HTMLResponse:
    """`page()` for a page that holds nothing of the resident's, e.g. a blank step: rendered once per `key`
    (which must name everything the page shows: definition SHA-256, step, language, address), then only this
    browser's CSRF token is put in. `build` gives the template and its context, without `csrf`."""
    cache = _shared(request)
    full_key = ("page", lang, request.url.path, request.url.query, *key)
    chunks: tuple[str, ...] | None = cache.get(full_key)
    if chunks is None:
        template, context = build()
        chunks = tuple(render_body(request, template, {**context, "csrf": _CSRF_MARK}, lang=lang).split(_CSRF_MARK))
        if len(cache) >= _SHARED_PAGES:
            with contextlib.suppress(RuntimeError, StopIteration):  # another thread changed it meanwhile
                cache.pop(next(iter(cache)), None)
        cache[full_key] = chunks
    browser, fresh = security.browser_id(request)
    response = respond(request, security.csrf_token(state.secret_key, browser).join(chunks), status=status)
    if fresh:
        security.set_browser_cookie(request, response, browser)
    return response


def blank_answers(request: Request, definition: Definition) -> tuple[Any, bool]:
    """What a new draft of this definition holds (its defaults), and whether a page showing exactly that may be
    shared (no file answers among the defaults: those would name an attachment)."""
    cache = _shared(request)
    key = ("blank", definition.id, definition.sha256)
    found: tuple[Any, bool] | None = cache.get(key)
    if found is None:
        answers = default_answers(definition)
        answers = None if answers is MISSING else answers
        found = (answers, not any(True for _ in uploads.file_answers(definition, answers)))
        cache[key] = found
    return found


def may_hold_files(request: Request, definition: Definition) -> bool:
    """Whether any schema object of the definition (or of the files its `$ref`s reach) is a file field."""
    cache = _shared(request)
    key = ("files", definition.id, definition.sha256)
    found: bool | None = cache.get(key)
    if found is None:
        found = cache[key] = any(_file_widget(doc) for doc in (definition.document,
                                                               *definition.extra_resources.values()))
    return found


def _file_widget(node: Any) -> bool:
    if isinstance(node, dict):
        return node.get("x-widget") == "file" or any(_file_widget(v) for v in node.values())
    return isinstance(node, list) and any(_file_widget(v) for v in node)


def is_blank(request: Request, definition: Definition, current: Current) -> bool:
    """Whether this draft is still as it was started: nothing answered, nothing chosen."""
    answers, shareable = blank_answers(request, definition)
    return shareable and not current.state.choices and current.draft.answers == answers \
        and request.url.query in SHARED_QUERIES


def closed_page(request: Request, state: EngineState, definition: Definition, lang: str, status: int) -> HTMLResponse:
    meta = definition.meta
    title = procedure_title(definition, lang)
    return render(request, "closed.html", {
        "title": page_title(text(lang, "closed_title"), title, state.settings.organisation_name, lang=lang),
        "procedure": title, "contact": meta.contact,
        "opens_at": format_jst(meta.opens_at) if meta.opens_at and meta.opens_at.tzinfo else None,
        "closes_at": format_jst(meta.closes_at) if meta.closes_at and meta.closes_at.tzinfo else None,
    }, status=status, lang=lang)


def already_page(request: Request, state: EngineState, definition: Definition, receipt_number: str, lang: str,
                 status: int = 200) -> HTMLResponse:
    """「既に申請済みです」: back or a re-post after filing; nothing is filed again."""
    context = procedure_context(definition, lang)
    return render(request, "submitted.html", {
        **context,
        "title": page_title(text(lang, "already_page"), context["procedure"], state.settings.organisation_name,
                            lang=lang),
        "receipt_number": receipt_number, "complete_url": complete_url(definition.id, receipt_number),
        "start_url": start_url(definition.id),
    }, status=status, lang=lang)


def completed(request: Request, state: EngineState, definition: Definition, receipt_number: str) -> Response:
    """To the completion page, with the proof that this browser filed (a refresh or a second click too)."""
    response = redirect(complete_url(definition.id, receipt_number))
    security.set_filed_cookie(request, response, state.secret_key, definition.id, receipt_number)
    return response
