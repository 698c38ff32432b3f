"""GET /language?to=en&next=/…: the language link of every page. Remembers the choice in the `lang` cookie
(which `api.deps.get_language` reads before Accept-Language) and goes back to the page (303).

`next` must be a path of this site: anything else (another origin, `//host`, a backslash trick) goes to the
catalogue instead, so the link cannot be used to send residents elsewhere.

On a step page the link would drop what was typed and not yet saved: there the step form carries its own
button (`_action=language:en`, step_routes) that saves the step first, and static/forms.js turns a click on the
header link into that button when something was changed.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from forms_engine.rendering.context import redirect

router = APIRouter(include_in_schema=False)

LANGUAGES = ("ja", "en")
COOKIE = "lang"
MAX_AGE = 365 * 24 * 60 * 60  # a year: the choice is a preference, not a session


def local_path(target: str | None) -> str:
    """`target` when it is a path on this site (without a `lang` parameter, which would override the cookie);
    `/` otherwise."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != COOKIE])
    return parts.path + (f"?{query}" if query else "")


def remember_choice(request: Request, response: Response, to: str) -> Response:
    """``response`` with the `lang` cookie set to ``to`` (unchanged when ``to`` is not a language served)."""
    if to in LANGUAGES:
        response.set_cookie(COOKIE, to, max_age=MAX_AGE, path="/", httponly=True, samesite="lax",
                            secure=request.url.scheme == "https")
    return response


@router.get("/language")
def switch_language(request: Request, to: Annotated[str, Query()] = "ja",
                    back_to: Annotated[str | None, Query(alias="next")] = None) -> Response:
    return remember_choice(request, redirect(local_path(back_to)), to)
