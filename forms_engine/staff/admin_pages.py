"""Staff administration pages (Japanese), for the admins of a department: /staff/admin (the departments one
manages), /staff/admin/{department} (its staff and adding an account or a role), /staff/admin/{department}/
accounts/{id} (the five roles, disabling and enabling). Thin: staff/admin.py decides; every form carries the
CSRF token; the edge commits; a department one does not manage, or an account without a role in it, is
"not found" (404), as everywhere on the staff side."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

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
from forms_engine.staff.admin import (
    OTHER_DEPARTMENTS,
    ROLE_LABELS,
    SELF_DISABLE,
    ChangeKind,
    Member,
    Refused,
    StaffAdmin,
)
from forms_engine.staff.schemas import ROLES, Actor

router = APIRouter(include_in_schema=False)
NOTICES = {
    "created": "アカウントを作り、役割を付けました。本人にログインIDと初期パスワードを伝えてください。",
    "granted": "役割を付けました。", "revoked": "役割を外しました。",
    "removed": "役割を外しました。このアカウントは、この部署の役割をもう持っていません。",
    "disabled": "アカウントを無効にしました。ログイン中のセッションは終わり、API トークンは使えなくなりました。",
    "enabled": "アカウントを有効に戻しました。API トークンは本人が作り直す必要があります。",
    "unchanged": "変更はありません（既にその状態です）。",
}
KINDS: dict[str, dict[str, ChangeKind]] = {"roles": {"grant": "grant", "revoke": "revoke"},
                                         "status": {"disable": "disable", "enable": "enable"}}
FIELD_TARGETS = {"login": "login", "password": "password", "password_confirm": "password_confirm",
                 "role": f"role-{ROLES[0]}", "status": "status-button"}


def department_url(department: str) -> str:
    return f"/staff/admin/{quote(department, safe='')}"


def account_url(department: str, account_id: str) -> str:
    return f"{department_url(department)}/accounts/{account_id}"


def _render(request: Request, state: EngineState, actor: Actor, template: str, heading: str,
            context: dict[str, Any], *, status: int = 200, problems: list[tuple[str, str]] | None = None,
            notice: str | None = None, targets: dict[str, str] | None = None) -> HTMLResponse:
    title = page_title(heading, "職員用", state.settings.organisation_name, error=bool(problems))
    errors = dict(problems or [])
    summary = [{"target": {**FIELD_TARGETS, **(targets or {})}.get(field, field), "message": message} for field, message in problems or []]
    return page(request, state, template, {
        "title": title, "heading": heading, "staff_login": actor.login, "staff_admin": True, "errors": errors,
        "summary": summary, "notice": notice, "role_labels": ROLE_LABELS,
        "focus": "error-summary" if summary else "notice" if notice else None, **context,
    }, lang="ja", status=status)


async def _form(request: Request, state: EngineState) -> dict[str, str] | None:
    """The posted fields, when the CSRF token holds."""
    form = await request.form(max_files=0, max_fields=posting.MAX_FIELDS)
    if not security.csrf_ok(state.secret_key, request, form.get("_csrf")):
        return None
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _not_found(request: Request) -> HTMLResponse:
    return error_page(request, 404, web.NOT_FOUND)


def _department_name(state: EngineState, department: str) -> str:
    names = [d.meta.department_name for d in state.catalogue.all()
             if d.meta.department == department and d.meta.department_name]
    return f"{names[0]}（{department}）" if names else department


def _member_view(department: str, member: Member) -> dict[str, Any]:
    return {"login": member.login, "url": account_url(department, member.account_id),
            "roles": "・".join(ROLE_LABELS[r] for r in ROLES if r in member.roles),
            "held": member.roles, "disabled": member.disabled, "is_self": member.is_self,
            "manageable": member.manageable,
            "last_login": format_jst(member.last_login) if member.last_login else "記録なし"}


# -- the departments one manages -------------------------------------------------------------------
@router.get("/staff/admin", response_class=HTMLResponse)
def admin_home(request: Request, state: StateDep, session: SessionDep) -> Response:
    actor = web.page_actor(request, state, session)
    if isinstance(actor, Response):
        return actor
    departments = StaffAdmin(session, actor).departments()
    session.commit()
    if not departments:
        return _not_found(request)
    return _render(request, state, actor, "staff/admin_index.html", "職員の管理", {
        "departments": [{"name": _department_name(state, d), "url": department_url(d)} for d in departments]})


# -- one department: its staff and adding an account ------------------------------------------------
def _department_page(request: Request, state: EngineState, session: Session, actor: Actor, department: str, *,
                     problems: list[tuple[str, str]] | None = None, chosen: dict[str, str] | None = None,
                     notice: str | None = None) -> Response:
    members = StaffAdmin(session, actor).members(department)
    session.commit()
    if members is None:
        return _not_found(request)
    return _render(request, state, actor, "staff/admin_department.html", _department_name(state, department), {
        "members": [_member_view(department, m) for m in members], "action": f"{department_url(department)}/accounts",
        "chosen": chosen or {"login": "", "role": ""}, "roles": ROLES,
    }, status=422 if problems else 200, problems=problems, notice=notice)


@router.get("/staff/admin/{department}", response_class=HTMLResponse)
def department_page(department: str, request: Request, state: StateDep, session: SessionDep) -> Response:
    actor = web.page_actor(request, state, session)
    if isinstance(actor, Response):
        return actor
    return _department_page(request, state, session, actor, department,
                            notice=NOTICES.get(request.query_params.get("notice", "")))


@router.post("/staff/admin/{department}/accounts", response_class=HTMLResponse)
async def add_account(department: str, request: Request, state: StateDep, session: SessionDep) -> Response:
    form = await _form(request, state)
    if form is None:
        return error_page(request, 403, "")
    return await run_in_threadpool(_add, department, request, state, session, form)


def _add(department: str, request: Request, state: EngineState, session: Session, form: dict[str, str]) -> Response:
    actor = web.page_actor(request, state, session)
    if isinstance(actor, Response):
        return actor
    chosen = {"login": form.get("login", "").strip()[:200], "role": form.get("role", "")[:32]}
    try:
        done = StaffAdmin(session, actor).add(department, chosen["login"], form.get("password", "")[:1024],
                                              form.get("password_confirm", "")[:1024], chosen["role"])
    except Refused as exc:
        session.commit()  # nothing was changed; the session's activity is kept
        return _department_page(request, state, session, actor, department, problems=exc.problems, chosen=chosen)
    if done is None:
        session.commit()
        return _not_found(request)
    session.commit()
    return redirect(f"{account_url(department, done.account_id)}?notice={done.outcome}")


# -- one account in one department ------------------------------------------------------------------
def _account_page(request: Request, state: EngineState, session: Session, actor: Actor, department: str,
                  account_id: str, *, problems: list[tuple[str, str]] | None = None,
                  notice: str | None = None) -> Response:
    member = StaffAdmin(session, actor).member(department, account_id[:36])
    session.commit()
    if member is None:
        return _not_found(request)
    view = _member_view(department, member)
    why_not = SELF_DISABLE if member.is_self else None if member.manageable else OTHER_DEPARTMENTS
    return _render(request, state, actor, "staff/admin_account.html", f"アカウント {member.login}", {
        "member": view, "department": _department_name(state, department),
        "department_url": department_url(department),
        "roles_action": f"{view['url']}/roles", "status_action": f"{view['url']}/status",
        "roles": [{"value": r, "label": ROLE_LABELS[r], "held": r in member.roles} for r in ROLES],
        "why_not": why_not,
    }, status=422 if problems else 200, problems=problems, notice=notice,
        targets={"status": "status"} if why_not else None)  # no button then: the section's heading


@router.get("/staff/admin/{department}/accounts/{account_id}", response_class=HTMLResponse)
def account_page(department: str, account_id: str, request: Request, state: StateDep,
                 session: SessionDep) -> Response:
    actor = web.page_actor(request, state, session)
    if isinstance(actor, Response):
        return actor
    return _account_page(request, state, session, actor, department, account_id,
                         notice=NOTICES.get(request.query_params.get("notice", "")))


@router.post("/staff/admin/{department}/accounts/{account_id}/{what}", response_class=HTMLResponse)
async def change_account(department: str, account_id: str, what: str, request: Request, state: StateDep,
                         session: SessionDep) -> Response:
    if what not in ("roles", "status"):
        return _not_found(request)
    form = await _form(request, state)
    if form is None:
        return error_page(request, 403, "")
    return await run_in_threadpool(_change, department, account_id[:36], what, request, state, session, form)


def _change(department: str, account_id: str, what: str, request: Request, state: EngineState, session: Session,
            form: dict[str, str]) -> Response:
    actor = web.page_actor(request, state, session)
    if isinstance(actor, Response):
        return actor
    kind = KINDS[what].get(form.get("action", ""))
    if kind is None:
        return _account_page(request, state, session, actor, department, account_id,
                             problems=[("role" if what == "roles" else "status", "操作を選んでください。")])
    try:
        done = StaffAdmin(session, actor).change(department, account_id, kind, form.get("role", "")[:32] or None)
    except Refused as exc:
        session.commit()  # nothing was changed; the session's activity is kept
        return _account_page(request, state, session, actor, department, account_id, problems=exc.problems)
    if done is None:
        session.commit()
        return _not_found(request)
    session.commit()
    if not done.still_member:
        return redirect(f"{department_url(department)}?notice=removed")
    return redirect(f"{account_url(department, account_id)}?notice={done.outcome}")
