"""The staff side's edge: the session cookie (HttpOnly, SameSite=Strict, ``__Host-`` and Secure when the
public origin is https), bearer tokens, and who a request is (401 for the API, the login page for pages)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from sqlmodel import Session

from forms_engine.api.deps import EngineState
from forms_engine.config import Settings
from forms_engine.rendering.context import redirect
from forms_engine.staff.auth import StaffAuth
from forms_engine.staff.schemas import Actor
from forms_engine.staff.service import ReviewService

_MAX_COOKIE = 200
NOT_FOUND = "見つかりません"
"""The one 404 message of the staff side: an unknown id and another department's id answer alike."""


def https(settings: Settings) -> bool:
    return settings.public_origin.startswith("https://")


def cookie_name(settings: Settings) -> str:
    """``__Host-`` binds the cookie to this host, path / and https (browsers refuse it otherwise)."""
    return "__Host-fe_staff" if https(settings) else "fe_staff"


def session_token(request: Request, settings: Settings) -> str | None:
    token = request.cookies.get(cookie_name(settings), "")
    return token if 16 <= len(token) <= _MAX_COOKIE and token.isascii() else None


def set_session(response: Response, settings: Settings, token: str) -> None:
    """A browser-session cookie; the server ends the session sooner (idle timeout, absolute lifetime)."""
    response.set_cookie(cookie_name(settings), token, httponly=True, samesite="strict", path="/",
                        secure=https(settings))


def clear_session(response: Response, settings: Settings) -> None:
    response.delete_cookie(cookie_name(settings), path="/", httponly=True, samesite="strict", secure=https(settings))


def auth(state: EngineState, session: Session) -> StaffAuth:
    return StaffAuth(session, state.settings, state.secret_key)


def review(state: EngineState, session: Session, actor: Actor) -> ReviewService:
    return ReviewService(session, state.settings, state.catalogue, actor)


def bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def api_actor(request: Request, state: EngineState, session: Session) -> Actor | None:
    """A bearer token's owner, or else the logged-in browser's staff member (for the 受付票 link)."""
    secret = bearer(request)
    if secret is not None:
        return auth(state, session).bearer(secret)
    actor, _ = auth(state, session).current(session_token(request, state.settings))
    return actor


def unauthorised() -> JSONResponse:
    return JSONResponse({"errors": [{"pointer": "", "keyword": "unauthorized",
                                     "message": "職員のログインか API トークンが必要です"}]},
                        status_code=401, headers={"WWW-Authenticate": 'Bearer realm="forms-engine staff"'})


def not_found() -> JSONResponse:
    return JSONResponse({"errors": [{"pointer": "", "keyword": "not_found", "message": NOT_FOUND}]}, status_code=404)


def page_actor(request: Request, state: EngineState, session: Session) -> Actor | Response:
    """The logged-in staff member, or the way to the login page (saying so when the session timed out)."""
    actor, timed_out = auth(state, session).current(session_token(request, state.settings))
    if actor is not None:
        return actor
    session.commit()  # a timed-out session is ended now
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response = redirect(f"/staff/login?next={quote(here, safe='')}" + ("&notice=timeout" if timed_out else ""))
    if session_token(request, state.settings):
        clear_session(response, state.settings)
    return response
