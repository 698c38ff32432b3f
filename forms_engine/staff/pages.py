"""Staff pages (Japanese): /staff/login, /staff/logout, /staff/ (my procedures), /staff/procedures/{id} (the
list, filters, pages), /staff/submissions/{受付番号} (answers worded as on the confirmation page, attachments,
signature, history), /staff/tokens (API tokens: created and shown once, revoked). Thin: the services decide;
every form carries the CSRF token; the edge commits; another department's id is "not found" (404)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from forms_engine.api.deps import EngineState, SessionDep, StateDep
from forms_engine.japanese.wareki import format_jst
from forms_engine.rendering import posting, security
from forms_engine.rendering.context import page, redirect
from forms_engine.rendering.pages import error_page, page_title
from forms_engine.staff import web
from forms_engine.staff.presenter import detail_view, item_view
from forms_engine.staff.schemas import Actor, ListFilter
from forms_engine.staff.service import BadRequest, parse_bound
from forms_engine.staff.workflow import LABELS, Refused, change_by_staff

router = APIRouter(include_in_schema=False)
LOGIN_FAILED = "ログインIDまたはパスワードが正しくありません。"
_NOTICES = {"logged_out": "ログアウトしました。", "revoked": "API トークンを無効にしました。",
            "status": "状態を変えました。"}


def _render(request: Request, state: EngineState, template: str, heading: str, context: dict[str, Any], *,
            status: int = 200, error: bool = False) -> HTMLResponse:
    title = page_title(heading, "職員用", state.settings.organisation_name, error=error)
    return page(request, state, template, {"title": title, "heading": heading, **context}, lang="ja", status=status)


async def _form(request: Request, state: EngineState) -> dict[str, str] | None:
    """The posted fields, when the CSRF token holds."""
    form = await request.form(max_files=0, max_fields=posting.MAX_FIELDS)
    if not security.csrf_ok(state.secret_key, request, form.get("_csrf")):
        return None
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _local(target: str | None) -> str:
    """Where to go after logging in: a staff page of this site, never elsewhere."""
    if target and target.startswith("/staff/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/staff/"


def _not_found(request: Request) -> HTMLResponse:
    return error_page(request, 404, web.NOT_FOUND)


# -- login and logout ------------------------------------------------------------------------------
@router.get("/staff/login", response_class=HTMLResponse)
def login_page(request: Request, state: StateDep, session: SessionDep) -> Response:
    actor, timed_out = web.auth(state, session).current(web.session_token(request, state.settings))
    if actor is not None:
        return redirect(_local(request.query_params.get("next")))
    chosen = request.query_params.get("notice")
    notice = (f"{state.settings.staff_session_idle_minutes}分間操作がなかったため、ログアウトしました。"
              if timed_out or chosen == "timeout" else _NOTICES.get(chosen or ""))
    response = _login(request, state, notice=notice)
    if timed_out:
        web.clear_session(response, state.settings)
    return response


def _login(request: Request, state: EngineState, *, notice: str | None = None, problem: str | None = None,
           login: str = "", status: int = 200, next_url: str | None = None) -> HTMLResponse:
    return _render(request, state, "staff/login.html", "職員ログイン", {
        "notice": notice, "problem": problem, "login": login,
        "next": _local(next_url or request.query_params.get("next")),
        "focus": "problem" if problem else "notice" if notice else None,
    }, status=status, error=problem is not None)


@router.post("/staff/login", response_class=HTMLResponse)
async def login(request: Request, state: StateDep, session: SessionDep) -> Response:
    form = await _form(request, state)
    if form is None:
        return error_page(request, 403, "")
    return await run_in_threadpool(_do_login, request, state, session, form)


def _do_login(request: Request, state: EngineState, session: Session, form: dict[str, str]) -> Response:
    login_name = form.get("login", "").strip()[:64]
    password = form.get("password", "")[:1024]
    next_url = _local(form.get("next"))
    if not login_name or not password:
        return _login(request, state, problem=LOGIN_FAILED, login=login_name, status=401, next_url=next_url)
    auth = web.auth(state, session)
    address = request.client.host if request.client else None
    attempt = auth.record_attempt(login_name, address)
    session.commit()  # counted before the password is checked (see staff/auth.py)
    result = auth.login(login_name, password, address, attempt)
    if result.outcome == "ok" and result.token is not None:
        auth.logout(web.session_token(request, state.settings))  # a new session for every login
        session.commit()
        response = redirect(next_url)
        web.set_session(response, state.settings, result.token)
        return response
    session.commit()  # the failure stays counted and audited
    if result.outcome == "limited" and result.retry_at is not None:
        wait = max(1, math.ceil((result.retry_at - datetime.now(UTC)).total_seconds()))
        limited = _login(request, state, login=login_name, status=429, next_url=next_url, problem=(
            f"ログインの失敗が続いたため、しばらくログインできません。{math.ceil(wait / 60)}分ほど待ってから"
            "もう一度お試しください。"))
        limited.headers["Retry-After"] = str(wait)
        return limited
    return _login(request, state, problem=LOGIN_FAILED, login=login_name, status=401, next_url=next_url)


@router.post("/staff/logout", response_class=HTMLResponse)
async def logout(request: Request, state: StateDep, session: SessionDep) -> Response:
    if await _form(request, state) is None:
        return error_page(request, 403, "")
    web.auth(state, session).logout(web.session_token(request, state.settings))
    session.commit()
    response = redirect("/staff/login?notice=logged_out")
    web.clear_session(response, state.settings)
    return response


# -- review ----------------------------------------------------------------------------------------
def _who(actor: Actor) -> dict[str, Any]:
    return {"staff_login": actor.login,  # the bar links 「職員の管理」 for a department's admins (staff/admin_pages.py)
            "staff_admin": any("admin" in roles for roles in actor.roles.values())}


@router.get("/staff/", response_class=HTMLResponse)
def home(request: Request, state: StateDep, session: SessionDep) -> Response:
    actor = web.page_actor(request, state, session)
    if isinstance(actor, Response):
        return actor
    procedures = [{"id": d.id, "title": d.title, "department": d.meta.department_name or d.meta.department,
                   "roles": "・".join(sorted(actor.roles.get(d.meta.department, ())))}
                  for d in web.review(state, session, actor).procedures()]
    return _render(request, state, "staff/index.html", "担当の手続", {**_who(actor), "procedures": procedures})


@router.get("/staff/procedures/{procedure_id}", response_class=HTMLResponse)
def procedure_page(procedure_id: str, request: Request, state: StateDep, session: SessionDep) -> Response:
    actor = web.page_actor(request, state, session)
    if isinstance(actor, Response):
        return actor
    query = {k: request.query_params.get(k, "")[:64] for k in ("status", "since", "until", "q")}
    cursor = request.query_params.get("cursor", "")[:200] or None
    service = web.review(state, session, actor)
    problem: str | None = None
    try:
        chosen = ListFilter(status=query["status"] or None, q=query["q"] or None,
                            since=parse_bound(query["since"], end=False, pointer="/since"),
                            until=parse_bound(query["until"], end=True, pointer="/until"))
        listed = service.list(procedure_id, chosen, cursor, "page")
    except BadRequest as exc:
        problem, listed = str(exc), None
        if not service.allowed(procedure_id):
            return _not_found(request)
    else:
        if listed is None:
            session.commit()
            return _not_found(request)
    session.commit()
    filters = {k: v for k, v in query.items() if v}
    next_url = None
    if listed is not None and listed.next_cursor:
        next_url = f"/staff/procedures/{procedure_id}?" + urlencode({**filters, "cursor": listed.next_cursor})
    return _render(request, state, "staff/procedure.html", service.title(procedure_id), {
        **_who(actor), "procedure_id": procedure_id, "query": query, "problem": problem,
        "statuses": list(LABELS.items()), "search_fields": service.search_fields(procedure_id),
        "items": [item_view(s) for s in listed.items] if listed is not None else [],
        "next_url": next_url, "first_url": f"/staff/procedures/{procedure_id}?" + urlencode(filters) if cursor else None,
        "focus": "problem" if problem else None,
    }, status=422 if problem else 200, error=problem is not None)


@router.get("/staff/submissions/{number}", response_class=HTMLResponse)
def submission_page(number: str, request: Request, state: StateDep, session: SessionDep) -> Response:
    actor = web.page_actor(request, state, session)
    if isinstance(actor, Response):
        return actor
    return _submission(request, state, session, actor, number,
                       notice=_NOTICES.get(request.query_params.get("notice", "")))


def _submission(request: Request, state: EngineState, session: Session, actor: Actor, number: str, *,
                notice: str | None = None, refused: Refused | None = None, chosen: dict[str, str] | None = None,
                ) -> Response:
    service = web.review(state, session, actor)
    detail = service.detail(number, "page")
    session.commit()  # the view is audited before the page is sent
    if detail is None:
        return _not_found(request)
    view = detail_view(detail)
    return _render(request, state, "staff/submission.html", f"受付番号 {detail.submission.receipt_number}", {
        **_who(actor), **view, "procedure": service.title(detail.submission.procedure_id), "notice": notice,
        "problem": refused.message if refused is not None else None,
        "problem_field": refused.pointer.lstrip("/") if refused is not None else "",
        "chosen": chosen or {"status": "", "reason": ""}, "focus": "problem" if refused else "notice" if notice else None,
    }, status=refused.status if refused is not None else 200, error=refused is not None)


@router.post("/staff/submissions/{number}/status", response_class=HTMLResponse)
async def change_status(number: str, request: Request, state: StateDep, session: SessionDep) -> Response:
    form = await _form(request, state)
    if form is None:
        return error_page(request, 403, "")
    return await run_in_threadpool(_change_status, number, request, state, session, form)


def _change_status(number: str, request: Request, state: EngineState, session: Session,
                   form: dict[str, str]) -> Response:
    actor = web.page_actor(request, state, session)
    if isinstance(actor, Response):
        return actor
    chosen = {"status": form.get("status", "")[:32], "reason": form.get("reason", "")[:4000]}
    try:
        changed = change_by_staff(web.review(state, session, actor), number, chosen["status"], chosen["reason"],
                                  form.get("from", "")[:32] or None, "page")
    except Refused as exc:
        session.commit()  # nothing was changed; the session's activity is kept
        return _submission(request, state, session, actor, number, refused=exc, chosen=chosen)
    session.commit()
    if changed is None:
        return _not_found(request)
    return redirect(f"/staff/submissions/{changed.submission.receipt_number}?notice=status#status-form")


# -- API tokens ------------------------------------------------------------------------------------
def _tokens_page(request: Request, state: EngineState, session: Session, actor: Actor, *,
                 new_token: str | None = None, notice: str | None = None, status: int = 200) -> HTMLResponse:
    tokens = [{"id": t.id, "name": t.name, "created": format_jst(t.created_at),
               "last_used": format_jst(t.last_used_at) if t.last_used_at else None,
               "revoked": format_jst(t.revoked_at) if t.revoked_at else None}
              for t in web.auth(state, session).tokens(actor.account_id)]
    return _render(request, state, "staff/tokens.html", "API トークン", {
        **_who(actor), "tokens": tokens, "new_token": new_token, "notice": notice,
        "focus": "new-token" if new_token else "notice" if notice else None}, status=status)


@router.get("/staff/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, state: StateDep, session: SessionDep) -> Response:
    actor = web.page_actor(request, state, session)
    if isinstance(actor, Response):
        return actor
    return _tokens_page(request, state, session, actor, notice=_NOTICES.get(request.query_params.get("notice", "")))


@router.post("/staff/tokens", response_class=HTMLResponse)
async def create_token(request: Request, state: StateDep, session: SessionDep) -> Response:
    form = await _form(request, state)
    if form is None:
        return error_page(request, 403, "")
    return await run_in_threadpool(_create_token, request, state, session, form.get("name", ""))


def _create_token(request: Request, state: EngineState, session: Session, name: str) -> Response:
    actor = web.page_actor(request, state, session)
    if isinstance(actor, Response):
        return actor
    _, secret = web.auth(state, session).create_token(actor.account_id, name, actor.audit_name)
    session.commit()
    return _tokens_page(request, state, session, actor, new_token=secret, status=201)


@router.post("/staff/tokens/{token_id}/revoke", response_class=HTMLResponse)
async def revoke_token(token_id: str, request: Request, state: StateDep, session: SessionDep) -> Response:
    if await _form(request, state) is None:
        return error_page(request, 403, "")
    return await run_in_threadpool(_revoke, token_id, request, state, session)


def _revoke(token_id: str, request: Request, state: EngineState, session: Session) -> Response:
    actor = web.page_actor(request, state, session)
    if isinstance(actor, Response):
        return actor
    if not web.auth(state, session).revoke_token(actor.account_id, token_id[:36], actor.audit_name):
        session.commit()
        return _not_found(request)
    session.commit()
    return redirect("/staff/tokens?notice=revoked")
