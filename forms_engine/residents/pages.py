"""Resident pages: /login (the challenge code for the card app, 「ログイン状態を確認する」), /logout, /my
(「申請履歴」: the resident's own submissions, their status, the staff's message when a correction is asked for,
「補正する」 and 「取り下げる」 (status_routes.py) and their PDF 控え), /my/link (a renewed card). Thin: the rules
are ResidentService's; every form carries the CSRF token; the edge commits."""

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
from forms_engine.japanese.wareki import format_jst
from forms_engine.models import AuthChallenge, ResidentSession, Submission
from forms_engine.receipts.store import receipt_pdf
from forms_engine.rendering import posting, security
from forms_engine.rendering.context import page, redirect
from forms_engine.rendering.pages import error_page, page_title
from forms_engine.residents import status_routes, web
from forms_engine.residents.schemas import Purpose
from forms_engine.residents.service import CHALLENGE_TTL, ResidentService, format_code
from forms_engine.residents.texts import failure_text, rtext, status_text
from forms_engine.submissions import receipt_number
from forms_engine.submissions.corrections import may

router = APIRouter(include_in_schema=False)
MINUTES = int(CHALLENGE_TTL.total_seconds() // 60)
_NOTICES = {"logged_out", "timeout", "linked", "already_linked", "withdrawn"}


@dataclass(frozen=True)
class Problem:
    title: str
    body: str


def _render(request: Request, state: EngineState, template: str, heading_key: str, lang: str,
            context: dict[str, Any], *, status: int = 200, error: bool = False) -> HTMLResponse:
    title = page_title(rtext(lang, heading_key), None, state.settings.organisation_name, error=error, lang=lang)
    return page(request, state, template, {"title": title, "rt": partial(rtext, lang), "here": request.url.path,
                                           **context}, lang=lang, status=status)


def _notice(request: Request, state: EngineState, lang: str) -> str | None:
    chosen = request.query_params.get("notice")
    if chosen not in _NOTICES:
        return None
    if chosen == "timeout":
        return rtext(lang, "timed_out", minutes=state.settings.resident_session_idle_minutes)
    return rtext(lang, str(chosen))


async def _csrf_ok(request: Request, state: EngineState) -> bool:
    form = await request.form(max_files=0, max_fields=posting.MAX_FIELDS)
    return security.csrf_ok(state.secret_key, request, form.get("_csrf"))


def _live(request: Request, state: EngineState, session: Session) -> ResidentSession | Response:
    """The logged-in resident's session, or the way to the login page (saying so when it timed out)."""
    found, timed_out = web.current_session(request, state, session)
    if found is not None:
        return found
    session.commit()  # a timed-out session is ended now
    response = redirect("/login?notice=timeout" if timed_out else "/login")
    if web.session_token(request):
        web.clear_session(response, state.settings)
    return response


# -- login -----------------------------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, state: StateDep, session: SessionDep, lang: LangDep) -> Response:
    found, timed_out = web.current_session(request, state, session)
    if found is not None:
        return redirect("/my")
    service = web.service(request, state, session)
    pending = web.pending_challenge(request)
    challenge = service.bound(pending.challenge_id, pending.claim, "login") if pending else None
    if challenge is not None and challenge.claimed_at is None and challenge.expires_at > datetime.now(UTC):
        return _code_page(request, state, challenge, "login", lang)
    notice = rtext(lang, "timed_out", minutes=state.settings.resident_session_idle_minutes) if timed_out \
        else _notice(request, state, lang)
    response = _login(request, state, service, lang, notice=notice)
    if timed_out:
        web.clear_session(response, state.settings)
    return response


def _login(request: Request, state: EngineState, service: ResidentService, lang: str, *,
           notice: str | None = None, problem: Problem | None = None, status: int = 200) -> HTMLResponse:
    focus = "problem" if problem else "notice" if notice else None
    return _render(request, state, "login.html", "login_page", lang, {
        "available": service.available, "notice": notice, "problem": problem, "focus": focus,
    }, status=status, error=problem is not None)


def _code_page(request: Request, state: EngineState, challenge: AuthChallenge, purpose: Purpose, lang: str, *,
               waiting_again: bool = False, problem: Problem | None = None, status: int = 200) -> HTMLResponse:
    code = format_code(challenge.id)
    link = purpose == "link"
    return _render(request, state, "auth_code.html", "code_page_link" if link else "code_page_login", lang, {
        "heading": rtext(lang, "code_page_link" if link else "code_page_login"), "purpose": purpose,
        "challenge_id": challenge.id, "code_groups": code.split("-"), "expires": format_jst(challenge.expires_at),
        "minutes": MINUTES, "waiting_again": waiting_again, "problem": problem,
        "check_url": "/my/link/check" if link else "/login/check", "start_url": "/my/link" if link else "/login",
        "back_url": "/my" if link else "/", "back_text": rtext(lang, "my_page" if link else "to_catalogue"),
        "focus": "problem" if problem else "auth-status" if waiting_again else None,
    }, status=status, error=problem is not None)


@router.post("/login", response_class=HTMLResponse)
async def start_login(request: Request, state: StateDep, session: SessionDep, lang: LangDep) -> Response:
    if not await _csrf_ok(request, state):
        return error_page(request, 403, "")
    return await run_in_threadpool(_start, request, state, session, "login", None, lang)


def _start(request: Request, state: EngineState, session: Session, purpose: Purpose, account_id: str | None,
           lang: str) -> Response:
    service = web.service(request, state, session)
    if not service.available:  # nothing can be verified: say so, never accept
        return _login(request, state, service, lang, status=422)
    _, started = service.start(purpose, account_id=account_id)
    session.commit()
    response = redirect("/my/link" if purpose == "link" else "/login")
    web.set_pending(response, state.settings, started.challenge_id, started.claim)
    return response


@router.post("/login/check", response_class=HTMLResponse)
async def check_login(request: Request, state: StateDep, session: SessionDep, lang: LangDep) -> Response:
    if not await _csrf_ok(request, state):
        return error_page(request, 403, "")
    return await run_in_threadpool(_check_login, request, state, session, lang)


def _check_login(request: Request, state: EngineState, session: Session, lang: str) -> Response:
    service = web.service(request, state, session)
    pending = web.pending_challenge(request)
    if pending is None:
        return redirect("/login")
    claimed = service.claim(pending.challenge_id, pending.claim, "login")
    if claimed.state == "session" and claimed.token is not None:
        previous = web.session_token(request)
        service.logout(previous)  # a new session for every login (no fixation)
        session.commit()
        to_history = redirect("/my")
        web.set_session(to_history, state.settings, claimed.token)
        web.clear_pending(to_history, state.settings)
        return to_history
    if claimed.state == "pending":
        challenge = service.bound(pending.challenge_id, pending.claim, "login")
        assert challenge is not None
        return _code_page(request, state, challenge, "login", lang, waiting_again=True)
    if claimed.state == "claimed":  # a second click: the first one logged this browser in
        return redirect("/my")
    response: Response
    if claimed.state == "expired":
        response = _login(request, state, service, lang, status=410, problem=Problem(
            rtext(lang, "expired_title"), rtext(lang, "expired_body", minutes=MINUTES)))
    elif claimed.state == "refused":
        response = _login(request, state, service, lang, status=403, problem=Problem(
            rtext(lang, "refused_title"), failure_text(lang, claimed.failure)))
    else:
        response = redirect("/login")
    web.clear_pending(response, state.settings)
    return response


@router.post("/logout", response_class=HTMLResponse)
async def logout(request: Request, state: StateDep, session: SessionDep) -> Response:
    if not await _csrf_ok(request, state):
        return error_page(request, 403, "")
    web.service(request, state, session).logout(web.session_token(request))
    session.commit()
    response = redirect("/login?notice=logged_out")
    web.clear_session(response, state.settings)
    return response


# -- 申請履歴 ----------------------------------------------------------------------------------------
@router.get("/my", response_class=HTMLResponse)
def my_page(request: Request, state: StateDep, session: SessionDep, lang: LangDep) -> Response:
    live = _live(request, state, session)
    if isinstance(live, Response):
        return live
    service = web.service(request, state, session)
    own, documents = service.history(live.account_id)
    messages = status_routes.corrections(state, session).messages(own)
    items = [_item(submission, documents.get(submission.definition_sha256, {}), messages.get(submission.id), lang)
             for submission in own]
    cards = [{"serial": " ".join(card.serial[i:i + 8] for i in range(0, len(card.serial), 8)),  # wraps at 320 px
              "expires": format_jst(card.not_after), "linked": format_jst(card.linked_at)}
             for card in service.cards(live.account_id)]
    notice = _notice(request, state, lang)
    return _render(request, state, "my.html", "my_page", lang, {
        "items": items, "cards": cards, "notice": notice, "focus": "notice" if notice else None})


def _item(submission: Submission, document: dict[str, Any], message: str | None, lang: str) -> dict[str, Any]:
    """One submission of the history: its status in words, the staff's message when a correction is asked for,
    and what the resident may do (「補正する」, 「取り下げる」)."""
    meta = document.get("x-procedure") if isinstance(document.get("x-procedure"), dict) else {}
    assert isinstance(meta, dict)
    title = (meta.get("title_en") if lang == "en" else None) or document.get("title") or submission.procedure_id
    status = status_text(lang, submission.status)
    actions = f"/my/submissions/{submission.receipt_number}"
    signature = submission.signature if isinstance(submission.signature, dict) else {}
    if signature.get("status") == "indeterminate" and not signature.get("final"):
        status += f"（{rtext(lang, 'signature_pending')}）"
    return {"receipt_number": submission.receipt_number, "title": str(title), "status": status,
            "received_at": format_jst(submission.received_at),
            "receipt_url": f"/my/receipts/{submission.receipt_number}.pdf", "message": message,
            "correct_url": f"{actions}/correct" if may(submission, "received") else None,
            "withdraw_url": f"{actions}/withdraw" if may(submission, "withdrawn") else None}


@router.get("/my/receipts/{number}.pdf")
def my_receipt(number: str, request: Request, state: StateDep, session: SessionDep) -> Response:
    """The PDF 控え of one of the resident's own submissions; any other number is not found (404)."""
    live = _live(request, state, session)
    if isinstance(live, Response):
        return live
    canonical = receipt_number.parse(number)
    found = web.service(request, state, session).own_submission(live.account_id, canonical) if canonical else None
    if found is None:
        raise HTTPException(404, "この受付番号の申請は、申請履歴にありません")
    pdf = receipt_pdf(session, state.settings, found, "resident")
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="receipt-{found.receipt_number}.pdf"',
        "Cache-Control": "private, no-store"})


# -- linking a renewed card ------------------------------------------------------------------------
@router.post("/my/link", response_class=HTMLResponse)
async def start_link(request: Request, state: StateDep, session: SessionDep, lang: LangDep) -> Response:
    if not await _csrf_ok(request, state):
        return error_page(request, 403, "")
    return await run_in_threadpool(_start_link, request, state, session, lang)


def _start_link(request: Request, state: EngineState, session: Session, lang: str) -> Response:
    live = _live(request, state, session)
    if isinstance(live, Response):
        return live
    return _start(request, state, session, "link", live.account_id, lang)


@router.get("/my/link", response_class=HTMLResponse)
def link_page(request: Request, state: StateDep, session: SessionDep, lang: LangDep) -> Response:
    live = _live(request, state, session)
    if isinstance(live, Response):
        return live
    pending = web.pending_challenge(request)
    challenge = web.service(request, state, session).bound(
        pending.challenge_id, pending.claim, "link", account_id=live.account_id) if pending else None
    if challenge is None or challenge.claimed_at is not None:
        return redirect("/my")
    if challenge.expires_at <= datetime.now(UTC) and challenge.answered_at is None:
        return _code_page(request, state, challenge, "link", lang, problem=Problem(
            rtext(lang, "expired_title"), rtext(lang, "expired_body", minutes=MINUTES)))
    return _code_page(request, state, challenge, "link", lang)


@router.post("/my/link/check", response_class=HTMLResponse)
async def check_link(request: Request, state: StateDep, session: SessionDep, lang: LangDep) -> Response:
    if not await _csrf_ok(request, state):
        return error_page(request, 403, "")
    return await run_in_threadpool(_check_link, request, state, session, lang)


def _check_link(request: Request, state: EngineState, session: Session, lang: str) -> Response:
    live = _live(request, state, session)
    if isinstance(live, Response):
        return live
    service = web.service(request, state, session)
    pending = web.pending_challenge(request)
    if pending is None:
        return redirect("/my")
    claimed = service.claim(pending.challenge_id, pending.claim, "link", account_id=live.account_id)
    session.commit()
    challenge = service.bound(pending.challenge_id, pending.claim, "link", account_id=live.account_id)
    if claimed.state == "pending" and challenge is not None:
        return _code_page(request, state, challenge, "link", lang, waiting_again=True)
    if claimed.state in ("expired", "refused") and challenge is not None:
        problem = Problem(rtext(lang, "expired_title"), rtext(lang, "expired_body", minutes=MINUTES)) \
            if claimed.state == "expired" else Problem(rtext(lang, "link_refused_title"),
                                                       failure_text(lang, claimed.failure))
        response: Response = _code_page(request, state, challenge, "link", lang, problem=problem,
                                        status=410 if claimed.state == "expired" else 403)
    else:
        notice = "already_linked" if claimed.outcome == "already_linked" else "linked"
        response = redirect(f"/my?notice={notice}" if claimed.state in ("linked", "claimed") else "/my")
    web.clear_pending(response, state.settings)
    return response
