"""CSRF tokens, the signed cookie naming a browser's draft, the proof that this browser filed a submission,
security headers."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request
from starlette.responses import Response

CSRF_COOKIE = "fe_csrf"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _mac(secret_key: str, purpose: str, value: str) -> str:
    return hmac.new(secret_key.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def secure(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers[name] = value
    return response


def browser_id(request: Request) -> tuple[str, bool]:
    """The per-browser random value behind CSRF tokens, and whether it must be set as a cookie."""
    current = request.cookies.get(CSRF_COOKIE, "")
    if 16 <= len(current) <= 128 and current.isascii():
        return current, False
    return secrets.token_urlsafe(32), True


def csrf_token(secret_key: str, browser: str) -> str:
    return _mac(secret_key, "csrf", browser)


def csrf_ok(secret_key: str, request: Request, token: object) -> bool:
    browser = request.cookies.get(CSRF_COOKIE)
    if not browser or not isinstance(token, str):
        return False
    return hmac.compare_digest(csrf_token(secret_key, browser), token)


def set_browser_cookie(request: Request, response: Response, browser: str) -> None:
    response.set_cookie(CSRF_COOKIE, browser, httponly=True, samesite="lax", path="/",
                        secure=request.url.scheme == "https")


def filed_cookie_name(receipt_number: str) -> str:
    return "fe_filed_" + "".join(c for c in receipt_number if c.isalnum())


def filed_proof(secret_key: str, receipt_number: str) -> str:
    return _mac(secret_key, "filed", receipt_number)


def set_filed_cookie(request: Request, response: Response, secret_key: str, procedure_id: str,
                     receipt_number: str) -> None:
    """A session cookie, scoped to the completion page, proving this browser filed the submission."""
    response.set_cookie(filed_cookie_name(receipt_number), filed_proof(secret_key, receipt_number),
                        httponly=True, samesite="lax", secure=request.url.scheme == "https",
                        path=f"/procedures/{procedure_id}/complete/{receipt_number}")


def filed_here(request: Request, secret_key: str, receipt_number: str) -> bool:
    proof = request.cookies.get(filed_cookie_name(receipt_number))
    return proof is not None and hmac.compare_digest(filed_proof(secret_key, receipt_number), proof)


# -- the draft of this browser, per procedure ------------------------------------------------------
def draft_cookie_name(procedure_id: str) -> str:
    return "fe_draft_" + "".join(c if c.isalnum() or c == "-" else "_" for c in procedure_id)


def _draft_mac(secret_key: str, procedure_id: str, draft_id: str, code: str) -> str:
    return _mac(secret_key, "draft", f"{procedure_id}:{draft_id}:{code}")[:32]


def set_draft_cookie(request: Request, response: Response, secret_key: str, procedure_id: str, draft_id: str,
                     code: str, max_age: int) -> None:
    """Names the draft (and holds its resume code, to show it again); signed, kept as long as the draft."""
    value = f"{draft_id}.{code}.{_draft_mac(secret_key, procedure_id, draft_id, code)}"
    response.set_cookie(draft_cookie_name(procedure_id), value, max_age=max_age, httponly=True, samesite="lax",
                        path="/", secure=request.url.scheme == "https")


def read_draft_cookie(request: Request, secret_key: str, procedure_id: str) -> tuple[str, str] | None:
    """(draft id, resume code) from this browser's cookie, when its signature holds."""
    parts = request.cookies.get(draft_cookie_name(procedure_id), "").split(".")
    if len(parts) != 3 or not all(p.isascii() and p.isalnum() for p in parts):
        return None
    draft_id, code, mac = parts
    if not hmac.compare_digest(_draft_mac(secret_key, procedure_id, draft_id, code), mac):
        return None
    return draft_id, code
