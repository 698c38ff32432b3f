"""Resuming a draft on another device: type the resume code (or open the resume link), and this browser
takes the draft over and goes back to where the resident left off."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from forms_engine.api.deps import EngineState, LangDep, SessionDep, StateDep
from forms_engine.drafts.limiter import Admission, ResumeLimiter
from forms_engine.drafts.service import format_code, normalise_code, well_formed
from forms_engine.japanese.wareki import JST, format_jst
from forms_engine.rendering import posting, security
from forms_engine.rendering.context import (
    Current,
    completed,
    drafts,
    flow_for,
    page,
    place_url,
    redirect,
    remember,
)
from forms_engine.rendering.pages import error_page, page_title
from forms_engine.rendering.texts import text
from forms_engine.rendering.views import FieldView, SummaryItem

router = APIRouter(include_in_schema=False)
CODE_ID = "resume-code"


@router.get("/resume", response_class=HTMLResponse)
def resume_page(request: Request, state: StateDep, lang: LangDep) -> Response:
    return _form(request, state, lang, "", None)


@router.get("/resume/{code}", response_class=HTMLResponse)
def resume_link(code: str, request: Request, state: StateDep, lang: LangDep) -> Response:
    """The resume link: the code filled in, one button to press (a link alone changes nothing)."""
    typed = normalise_code(code)
    return _form(request, state, lang, format_code(typed) if well_formed(typed) else code[:40], None, ready=True)


@router.post("/resume", response_class=HTMLResponse)
async def resume(request: Request, state: StateDep, session: SessionDep, lang: LangDep) -> Response:
    form = await request.form(max_files=0, max_fields=posting.MAX_FIELDS)
    if not security.csrf_ok(state.secret_key, request, form.get("_csrf")):
        return error_page(request, 403, "")
    typed = form.get("code")
    return await run_in_threadpool(_resume, request, state, session, typed if isinstance(typed, str) else "", lang)


def _resume(request: Request, state: EngineState, session: Session, typed: str, lang: str) -> Response:
    if not typed.strip():
        return _form(request, state, lang, typed, text(lang, "resume_missing"))
    if not well_formed(normalise_code(typed)):  # no lookup, so no guess: not counted
        return _form(request, state, lang, typed, text(lang, "resume_malformed"))
    now = datetime.now(UTC)
    limiter = ResumeLimiter(session, state.secret_key, state.settings.resume_max_failures,
                            timedelta(minutes=state.settings.resume_window_minutes))
    client = limiter.client_key(request.client.host if request.client else None)
    attempt = limiter.record(client, now)
    session.commit()  # counted by every worker before this one counts (see drafts.limiter)
    admission = limiter.admit(client, attempt, now)
    if not admission.allowed:
        session.commit()
        return _too_many(request, state, lang, typed, admission, now)
    found = drafts(state, session).resume(typed, now)
    if found is None:
        session.commit()  # the failure stays counted for the window
        return _form(request, state, lang, typed, text(lang, "resume_unknown"))
    limiter.succeeded(attempt)
    session.commit()
    draft, code = found
    definition = state.catalogue.get(draft.procedure_id)
    if definition is None or not definition.is_open(datetime.now(UTC)):
        return _form(request, state, lang, typed, text(lang, "resume_closed"))
    current = Current(draft, code)
    if current.submitted:
        response = completed(request, state, definition, current.submitted)
    else:
        response = redirect(place_url(flow_for(state, definition, lang), current.state.step))
    return remember(request, response, state, current)


def _too_many(request: Request, state: EngineState, lang: str, typed: str, admission: Admission,
              now: datetime) -> Response:
    """429 in the resident's language: when another try is allowed, also as Retry-After (seconds)."""
    seconds = admission.retry_after(now)
    at = now + timedelta(seconds=seconds)
    if at.second or at.microsecond:  # shown to the minute: never earlier than allowed
        at = at.replace(second=0, microsecond=0) + timedelta(minutes=1)
    shown = format_jst(at) if lang == "ja" else at.astimezone(JST).strftime("%Y-%m-%d %H:%M JST")
    message = text(lang, "resume_too_many", at=shown, minutes=math.ceil(seconds / 60))
    response = _form(request, state, lang, typed, message, status=429)
    response.headers["Retry-After"] = str(seconds)
    return response


def _form(request: Request, state: EngineState, lang: str, value: str, error: str | None, *,
          ready: bool = False, status: int | None = None) -> Response:
    field = FieldView("", CODE_ID, "code", "text", "text", False, text(lang, "resume_code"), required=True,
                      hint=text(lang, "resume_hint"), errors=[error] if error else [], value=value,
                      autocomplete="off", spellcheck=False, css="input--medium")
    summary = [SummaryItem(error, CODE_ID)] if error else []
    return page(request, state, "resume.html", {
        "title": page_title(text(lang, "resume_page"), None, state.settings.organisation_name, error=bool(error),
                            lang=lang),
        "field": field, "summary": summary, "ready": ready and not error,
        "focus": "error-summary" if error else None,
    }, status=status or (422 if error else 200), lang=lang)
