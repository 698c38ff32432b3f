"""CSRF tokens, the one-time form token, the proof that this browser filed a submission, security headers."""

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


def form_token(posted: object = None) -> str:
    """The one-time token of a form: kept across re-renders, it is the idempotency key of the filing."""
    if isinstance(posted, str) and 16 <= len(posted) <= 128 and posted.replace("-", "").replace("_", "").isalnum():
        return posted
    return secrets.token_urlsafe(24)


def idempotency_key(secret_key: str, request: Request, token: str) -> str:
    """The filing's idempotency key: the form token bound to this browser, so only the browser that was
    given the form can replay its filing (and so reach its completion page)."""
    return "html:" + _mac(secret_key, "idempotency", f"{request.cookies.get(CSRF_COOKIE, '')}:{token}")[:48]


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
