"""Resident pages: the catalogue and each procedure's start page; the steps, the confirmation, the
completion and resuming live in their own modules, gathered on this router (thin: rules live in flow.py,
summary.py and the drafts and submissions services)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from forms_engine.api.deps import EngineState, LangDep, SessionDep, StateDep
from forms_engine.definitions.schemas import Definition
from forms_engine.drafts.schemas import DraftState
from forms_engine.rendering import catalogue as listing
from forms_engine.rendering import confirm_routes, posting, resume_routes, step_routes
from forms_engine.rendering.context import (
    Current,
    closed_page,
    current_draft,
    definition_or_404,
    drafts,
    flow_for,
    page,
    place_url,
    procedure_context,
    redirect,
    remember,
)
from forms_engine.rendering.defaults import default_answers
from forms_engine.rendering.pages import STATIC_DIR, error_page, page_title, render
from forms_engine.rendering.texts import text
from forms_engine.rendering.views import MISSING

router = APIRouter(include_in_schema=False)
router.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
router.include_router(step_routes.router)
router.include_router(confirm_routes.router)
router.include_router(resume_routes.router)


@router.get("/", response_class=HTMLResponse)
def catalogue(request: Request, state: StateDep, lang: LangDep, q: str | None = None) -> HTMLResponse:
    """The open procedures by department; with `?q=`, those the words match (rules in catalogue.py)."""
    found = listing.entries(state.catalogue.all(), lang, datetime.now(UTC))
    query = listing.query_of(q)
    organisation = state.settings.organisation_name
    context: dict[str, Any] = {"procedures": found, "departments": listing.by_department(found), "query": query}
    if not query:
        return render(request, "catalogue.html", {
            **context, "title": page_title(text(lang, "catalogue"), None, organisation)}, lang=lang)
    results = listing.search(found, query)
    return render(request, "catalogue.html", {
        **context, "results": results, "focus": "search-results",
        "title": page_title(text(lang, "search_title", q=query, n=len(results)), text(lang, "catalogue"), organisation),
    }, lang=lang)


@router.get("/sitemap", response_class=HTMLResponse)
def sitemap(request: Request, state: StateDep, lang: LangDep) -> HTMLResponse:
    """サイトマップ: every open procedure by department, and the site's other pages."""
    found = listing.entries(state.catalogue.all(), lang, datetime.now(UTC))
    return render(request, "sitemap.html", {
        "title": page_title(text(lang, "sitemap"), None, state.settings.organisation_name),
        "departments": listing.by_department(found)}, lang=lang)


@router.get("/procedures/{procedure_id}", response_class=HTMLResponse)
def start_page(procedure_id: str, request: Request, state: StateDep, session: SessionDep, lang: LangDep) -> Response:
    """What the procedure is, what it costs, how long it takes, who to ask; 「申請を始める」."""
    definition = definition_or_404(state, procedure_id)
    if not definition.is_open(datetime.now(UTC)):
        return closed_page(request, state, definition, lang, 200)
    current = current_draft(request, state, session, definition)
    meta = definition.meta
    context = procedure_context(definition, lang)
    flow = flow_for(state, definition, lang)
    return page(request, state, "start.html", {
        **context,
        "title": page_title(context["procedure"], None, state.settings.organisation_name, lang=lang),
        "description": _description(definition, lang),
        "fee": meta.fee, "processing": text(lang, "processing_short", n=meta.processing_days)
        if meta.processing_days else None,
        "signature_required": meta.signature == "required" and state.sign_verifier is None,  # "cannot sign here"
        "steps": [] if len(flow.steps) == 1 and not meta.steps else flow.steps,
        "resumable": current is not None and not current.submitted,
    }, lang=lang)


@router.post("/procedures/{procedure_id}", response_class=HTMLResponse)
async def start(procedure_id: str, request: Request, state: StateDep, session: SessionDep, lang: LangDep) -> Response:
    """A new draft (or the one this browser has in progress), then its first step (or where it left off)."""
    definition = definition_or_404(state, procedure_id)
    posted = await posting.read(request, state)
    if not posted.csrf_ok:
        return error_page(request, 403, "")
    return await run_in_threadpool(_start, request, state, session, definition, posted.action, lang)


def _start(request: Request, state: EngineState, session: Session, definition: Definition, action: str,
           lang: str) -> Response:
    if not definition.is_open(datetime.now(UTC)):
        return closed_page(request, state, definition, lang, 409)
    flow = flow_for(state, definition, lang)
    current = current_draft(request, state, session, definition)
    if current is not None and not current.submitted and action != "restart":
        return remember(request, redirect(place_url(flow, current.state.step)), state, current)
    started = drafts(state, session).start(definition, initial_answers(definition), DraftState(flow.steps[0].id))
    session.commit()
    return remember(request, redirect(place_url(flow, None)), state, Current(started.draft, started.code))


def _description(definition: Definition, lang: str) -> str | None:
    """The procedure's `description` (its `x-description-en` on English pages, when given)."""
    document = definition.document if isinstance(definition.document, dict) else {}
    english = document.get("x-description-en") if lang == "en" else None
    found = english if isinstance(english, str) else document.get("description")
    return found if isinstance(found, str) else None


def initial_answers(definition: Definition) -> Any:
    """Every `default`, and `minItems` empty list items (None when the form starts empty and is not an object)."""
    answers = default_answers(definition)
    return None if answers is MISSING else answers
