"""「申請状況」 and what a resident may do with a submission: 取下げ (「本当に取り下げますか」, then the change) and
「補正する」 (a draft pre-filled with the submission's answers; filing it is correction_filing's).

Two ways in: /status/{受付番号}?token=… with the token the completion page gave (residents who filed without
logging in; an unknown number and a wrong or missing token get the same 404), and /my/submissions/{受付番号}/…
for the logged-in resident who filed it (申請履歴). Thin: the rules are `submissions.corrections`'; every form
carries the CSRF token; the edge commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from forms_engine.api.deps import EngineState, LangDep, SessionDep, StateDep
from forms_engine.definitions.schemas import Definition
from forms_engine.drafts.schemas import DraftState
from forms_engine.japanese.wareki import format_jst
from forms_engine.models import Submission
from forms_engine.rendering import posting, security, uploads
from forms_engine.rendering.context import (
    Current,
    drafts,
    flow_for,
    page,
    procedure_title,
    redirect,
    remember,
    step_url,
)
from forms_engine.rendering.pages import error_page, page_title
from forms_engine.rendering.views import parse_pointer
from forms_engine.residents import web
from forms_engine.residents.texts import rtext, status_text
from forms_engine.staff.workflow import MAX_REASON, Refused
from forms_engine.submissions import receipt_number
from forms_engine.submissions import repository as submissions
from forms_engine.submissions.corrections import Corrections, actor_for, check_status_token, may
from forms_engine.submissions.service import receipt_token

router = APIRouter(include_in_schema=False)
NOT_FOUND = "この申請状況のページは見つかりません。受付番号とリンクを確かめてください。"
"""The one answer to an unknown 受付番号, another resident's, and a wrong or missing token."""


@dataclass(frozen=True)
class Access:
    """A submission the browser may act on, and how it got there: a status token, or the owner's session."""

    submission: Submission
    account_id: str | None
    token: str | None

    @property
    def number(self) -> str:
        return self.submission.receipt_number

    def url(self, action: str = "") -> str:
        """The address of the status page (action "") or of one of its actions, with the token when there is one."""
        if self.token is None:
            return f"/my/submissions/{self.number}/{action}" if action else "/my"
        return f"/status/{self.number}{'/' + action if action else ''}?token={self.token}"


def corrections(state: EngineState, session: Session) -> Corrections:
    return Corrections(session, state.settings.answers_keyring())


def _by_token(state: EngineState, session: Session, number: str, token: str | None) -> Access:
    canonical = receipt_number.parse(number)
    found = submissions.by_receipt_number(session, canonical) if canonical else None
    if found is None or not check_status_token(state.secret_key, found.id, token):
        raise HTTPException(404, NOT_FOUND)
    return Access(found, None, str(token))


def _by_session(request: Request, state: EngineState, session: Session, number: str) -> Access | Response:
    live, timed_out = web.current_session(request, state, session)
    if live is None:
        session.commit()  # a timed-out session is ended now
        return redirect("/login?notice=timeout" if timed_out else "/login")
    canonical = receipt_number.parse(number)
    found = web.service(request, state, session).own_submission(live.account_id, canonical) if canonical else None
    if found is None:
        raise HTTPException(404, NOT_FOUND)
    return Access(found, live.account_id, None)


async def _form(request: Request, state: EngineState) -> dict[str, str] | None:
    """The posted fields, or None when the CSRF token is wrong."""
    form = await request.form(max_files=0, max_fields=posting.MAX_FIELDS)
    if not security.csrf_ok(state.secret_key, request, form.get("_csrf")):
        return None
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _refusal(lang: str, refused: Refused) -> str:
    status = status_text(lang, refused.current or "")
    if refused.keyword == "already":
        return rtext(lang, "refused_already")
    if refused.keyword == "transition":
        return rtext(lang, "refused_transition", status=status)
    return rtext(lang, "refused_conflict", status=status)


# -- the pages -----------------------------------------------------------------------------------------
def _render(request: Request, state: EngineState, template: str, heading: str, access: Access, lang: str,
            context: dict[str, Any], *, status: int = 200) -> HTMLResponse:
    submission = access.submission
    definition = state.catalogue.get(submission.procedure_id)
    title = page_title(heading, None, state.settings.organisation_name, error=status >= 400, lang=lang)
    here = request.url.path + (f"?token={access.token}" if access.token else "")  # the language link keeps it
    return page(request, state, template, {
        "title": title, "rt": partial(rtext, lang), "here": here, "heading": heading,
        "procedure": procedure_title(definition, lang) if definition is not None else submission.procedure_id,
        "contact": definition.meta.contact if definition is not None else None,
        "number": submission.receipt_number, "received_at": format_jst(submission.received_at),
        "status_text": status_text(lang, submission.status), "token": access.token, "home": access.url(),
        "problem": None, "notice": None, "focus": None, **context,
    }, lang=lang, status=status)


def status_view(request: Request, state: EngineState, session: Session, access: Access, lang: str, *,
                notice: str | None = None, problem: str | None = None, status: int = 200) -> HTMLResponse:
    submission = access.submission
    message = corrections(state, session).messages([submission]).get(submission.id)
    receipt = f"/api/v1/receipts/{submission.receipt_number}.pdf?token={receipt_token(state.secret_key, submission.id)}" \
        if access.token else f"/my/receipts/{submission.receipt_number}.pdf"
    return _render(request, state, "status.html", rtext(lang, "status_page"), access, lang, {
        "message": message, "receipt_url": receipt, "notice": notice, "problem": problem,
        "can_correct": may(submission, "received"), "can_withdraw": may(submission, "withdrawn"),
        "correct_url": access.url("correct"), "withdraw_url": access.url("withdraw"),
        "focus": "problem" if problem else "notice" if notice else None,
    }, status=status)


@router.get("/status/{number}", response_class=HTMLResponse)
def status_page(number: str, request: Request, state: StateDep, session: SessionDep, lang: LangDep,
                token: str = "") -> Response:
    access = _by_token(state, session, number, token)
    notice = rtext(lang, "withdrawn") if request.query_params.get("notice") == "withdrawn" else None
    return status_view(request, state, session, access, lang, notice=notice)


# -- 取下げ --------------------------------------------------------------------------------------------
def _withdraw_page(request: Request, state: EngineState, access: Access, lang: str, *, reason: str = "",
                   error: str | None = None) -> HTMLResponse:
    return _render(request, state, "withdraw.html", rtext(lang, "withdraw_page"), access, lang, {
        "action": access.url("withdraw").split("?")[0], "expected": access.submission.status, "reason": reason,
        "error": error, "max": MAX_REASON, "focus": "problem" if error else None,
    }, status=422 if error else 200)


def _show_withdraw(request: Request, state: EngineState, session: Session, access: Access, lang: str) -> Response:
    if not may(access.submission, "withdrawn"):
        problem = rtext(lang, "refused_already") if access.submission.status == "withdrawn" else rtext(
            lang, "refused_transition", status=status_text(lang, access.submission.status))
        return status_view(request, state, session, access, lang, problem=problem, status=409)
    return _withdraw_page(request, state, access, lang)


def _withdraw(request: Request, state: EngineState, session: Session, access: Access | Response,
              fields: dict[str, str], lang: str) -> Response:
    if isinstance(access, Response):
        return access
    reason = fields.get("reason", "")
    try:
        corrections(state, session).withdraw(access.submission, actor_for(access.account_id), reason,
                                             fields.get("from", ""))
    except Refused as refused:
        session.rollback()
        if refused.keyword == "maxLength":
            return _withdraw_page(request, state, access, lang, reason=reason,
                                  error=rtext(lang, "reason_too_long", max=MAX_REASON))
        return status_view(request, state, session, access, lang, problem=_refusal(lang, refused), status=409)
    session.commit()
    home = access.url()
    return redirect(home + ("&" if "?" in home else "?") + "notice=withdrawn")


@router.get("/status/{number}/withdraw", response_class=HTMLResponse)
def withdraw_page(number: str, request: Request, state: StateDep, session: SessionDep, lang: LangDep,
                  token: str = "") -> Response:
    return _show_withdraw(request, state, session, _by_token(state, session, number, token), lang)


@router.post("/status/{number}/withdraw", response_class=HTMLResponse)
async def withdraw(number: str, request: Request, state: StateDep, session: SessionDep, lang: LangDep) -> Response:
    fields = await _form(request, state)
    if fields is None:
        return error_page(request, 403, "")

    def run() -> Response:
        return _withdraw(request, state, session, _by_token(state, session, number, fields.get("token")), fields,
                         lang)
    return await run_in_threadpool(run)


@router.get("/my/submissions/{number}/withdraw", response_class=HTMLResponse)
def my_withdraw_page(number: str, request: Request, state: StateDep, session: SessionDep, lang: LangDep) -> Response:
    access = _by_session(request, state, session, number)
    return access if isinstance(access, Response) else _show_withdraw(request, state, session, access, lang)


@router.post("/my/submissions/{number}/withdraw", response_class=HTMLResponse)
async def my_withdraw(number: str, request: Request, state: StateDep, session: SessionDep, lang: LangDep) -> Response:
    fields = await _form(request, state)
    if fields is None:
        return error_page(request, 403, "")
    return await run_in_threadpool(lambda: _withdraw(request, state, session,
                                                     _by_session(request, state, session, number), fields, lang))


# -- 補正する ------------------------------------------------------------------------------------------
def without_files(definition: Definition, answers: Any) -> Any:
    """The answers without their attachments: files filed with the submission stay with it (and with the version
    a correction replaces); the corrected version is given its files again on the step pages."""
    found = [parse_pointer(pointer) for pointer, _ in uploads.file_answers(definition, answers)]
    for path in reversed(found):  # later items first: removing one from a list keeps the earlier indices
        holder = answers
        for token in path[:-1]:
            holder = holder[int(token)] if isinstance(holder, list) else holder[str(token)]
        last = path[-1]
        if isinstance(holder, list):
            del holder[int(last)]
        elif isinstance(holder, dict):
            holder.pop(str(last), None)
    return answers


def _correct(request: Request, state: EngineState, session: Session, access: Access | Response,
             lang: str) -> Response:
    if isinstance(access, Response):
        return access
    submission = access.submission
    definition = state.catalogue.get(submission.procedure_id)
    problem = None
    if not may(submission, "received"):
        problem = rtext(lang, "refused_correct", status=status_text(lang, submission.status))
    elif definition is None or not definition.is_open(datetime.now(UTC)):
        problem = rtext(lang, "correct_unavailable")
    elif definition.meta.signature == "required" and state.sign_verifier is None:
        problem = rtext(lang, "correct_signature_unavailable")
    if problem is not None or definition is None:
        return status_view(request, state, session, access, lang, problem=problem, status=409)
    service = corrections(state, session)
    flow = flow_for(state, definition, lang)
    answers = without_files(definition, service.current_answers(submission))
    first = flow.steps[0].id
    try:
        started = service.start(submission, definition, answers, DraftState(first), drafts(state, session))
    except Refused as refused:
        session.rollback()
        return status_view(request, state, session, access, lang, problem=_refusal(lang, refused), status=409)
    session.commit()
    return remember(request, redirect(step_url(definition.id, first)), state, Current(started.draft, started.code))


@router.post("/status/{number}/correct", response_class=HTMLResponse)
async def correct(number: str, request: Request, state: StateDep, session: SessionDep, lang: LangDep) -> Response:
    fields = await _form(request, state)
    if fields is None:
        return error_page(request, 403, "")
    return await run_in_threadpool(lambda: _correct(request, state, session,
                                                    _by_token(state, session, number, fields.get("token")), lang))


@router.post("/my/submissions/{number}/correct", response_class=HTMLResponse)
async def my_correct(number: str, request: Request, state: StateDep, session: SessionDep, lang: LangDep) -> Response:
    fields = await _form(request, state)
    if fields is None:
        return error_page(request, 403, "")
    return await run_in_threadpool(lambda: _correct(request, state, session,
                                                    _by_session(request, state, session, number), lang))
