"""The resident's cookies: the session (HttpOnly, SameSite=Lax, Secure when the public origin is https; the
server keeps only its SHA-256, with an idle timeout) and the challenge this browser started (its id and the
claim that binds it to this browser). Also the account a page acts for, for the filing pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import Request
from sqlmodel import Session
from starlette.responses import Response

from forms_engine.api.deps import EngineState
from forms_engine.config import Settings
from forms_engine.models import ResidentSession
from forms_engine.residents.service import CHALLENGE_TTL, CODE_ALPHABET, AuthConfig, ResidentService

SESSION_COOKIE = "fe_resident"
CHALLENGE_COOKIE = "fe_auth"
_MAX_COOKIE = 200


def config_of(request: Request) -> AuthConfig:
    config: AuthConfig = request.app.state.residents
    return config


def service(request: Request, state: EngineState, session: Session) -> ResidentService:
    return ResidentService(session, state.settings, config_of(request))


def secure_cookies(settings: Settings) -> bool:
    return settings.public_origin.startswith("https://")


def session_token(request: Request) -> str | None:
    token = request.cookies.get(SESSION_COOKIE, "")
    return token if 16 <= len(token) <= _MAX_COOKIE and token.isascii() else None


def set_session(response: Response, settings: Settings, token: str) -> None:
    """A browser-session cookie: gone when the browser closes; the server ends it sooner when idle."""
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", path="/",
                        secure=secure_cookies(settings))


def clear_session(response: Response, settings: Settings) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure_cookies(settings))


@dataclass(frozen=True)
class Pending:
    challenge_id: str
    claim: str


def pending_challenge(request: Request) -> Pending | None:
    value = request.cookies.get(CHALLENGE_COOKIE, "")
    challenge_id, _, claim = value.partition(".")
    if (not challenge_id or not claim or len(value) > _MAX_COOKIE or not value.isascii()
            or any(c not in CODE_ALPHABET for c in challenge_id)):
        return None
    return Pending(challenge_id, claim)


def set_pending(response: Response, settings: Settings, challenge_id: str, claim: str) -> None:
    response.set_cookie(CHALLENGE_COOKIE, f"{challenge_id}.{claim}", httponly=True, samesite="lax", path="/",
                        max_age=int(CHALLENGE_TTL.total_seconds()) + 600, secure=secure_cookies(settings))


def clear_pending(response: Response, settings: Settings) -> None:
    response.delete_cookie(CHALLENGE_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=secure_cookies(settings))


def current_session(request: Request, state: EngineState, session: Session,
                    now: datetime | None = None) -> tuple[ResidentSession | None, bool]:
    """The resident logged in on this browser (None if nobody), and whether their session timed out."""
    return service(request, state, session).current(session_token(request), now)


def resident_account_id(request: Request, state: EngineState, session: Session) -> str | None:
    """The account a filing from this browser belongs to (申請履歴), None when nobody is logged in."""
    found, _ = current_session(request, state, session)
    return None if found is None else found.account_id
