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
    procedure_title,
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
def catalogue(request: Request, state: StateDep, lang: LangDep) -> HTMLResponse:
    now = datetime.now(UTC)
    english = lang == "en"
    procedures = [{
        "id": d.id,
        "title": procedure_title(d, lang),
        "summary": (d.meta.summary_en if english and d.meta.summary_en else None) or d.meta.summary,
        "department": d.meta.department_name,
    } for d in state.catalogue.all() if d.is_open(now)]
    organisation = state.settings.organisation_name
    return render(request, "catalogue.html", {
        "title": page_title(text(lang, "catalogue"), None, organisation), "procedures": procedures}, lang=lang)


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
        "description": definition.document.get("description") if isinstance(definition.document, dict) else None,
        "fee": meta.fee, "processing": text(lang, "processing_short", n=meta.processing_days)
        if meta.processing_days else None,
        "signature_required": meta.signature == "required",
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


def initial_answers(definition: Definition) -> Any:
    """Every `default`, and `minItems` empty list items (None when the form starts empty and is not an object)."""
    answers = default_answers(definition)
    return None if answers is MISSING else answers
