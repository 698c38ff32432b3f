"""Rendering resident pages: the Jinja2 environment (autoescape on), page titles, error pages."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined, select_autoescape

from forms_engine.api.deps import get_language
from forms_engine.rendering.dates import ERA_NAMES
from forms_engine.rendering.security import secure
from forms_engine.rendering.texts import text

ROOT = Path(__file__).resolve().parent.parent.parent
TEMPLATES_DIR = ROOT / "templates"
STATIC_DIR = ROOT / "static"

_ERRORS: dict[int, tuple[str, str]] = {
    400: ("送信内容を読み取れませんでした", "お手数ですが、もう一度フォームを開いて入力してください。"),
    403: ("送信を受け付けられませんでした",
          "ページを開いてから時間がたったか、ブラウザの Cookie が無効になっている可能性があります。"
          "お手数ですが、もう一度フォームを開いて入力してください。"),
    404: ("ページが見つかりません", "アドレスが正しいか確認してください。手続は一覧から探せます。"),
    405: ("このページはこの方法では表示できません", "手続の一覧からもう一度お進みください。"),
    413: ("送信された内容が大きすぎます", "添付ファイルを小さくして、もう一度お試しください。"),
    500: ("エラーが発生しました", "時間をおいて、もう一度お試しください。"),
}


@lru_cache(maxsize=8)
def environment(directory: str, lang: str) -> Environment:
    """One environment per language, so macros imported without context still speak the page's language."""
    env = Environment(
        loader=FileSystemLoader(directory),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # Templates are part of the release: compiled once per process, never looked at again (no stat()
        # per template and request); the compiled code is kept on disk for the next worker that starts.
        auto_reload=False,
        bytecode_cache=FileSystemBytecodeCache(),
    )
    macros: dict[str, Any] = {}

    def widget(macro: str) -> Any:
        found = macros.get(macro)
        if found is None:
            found = macros[macro] = getattr(env.get_template(f"components/{macro}.html").module, macro)
        return found

    def t(key: str, **params: Any) -> str:
        return text(lang, key, **params)

    env.globals.update(widget=widget, t=t, lang=lang, eras=ERA_NAMES)
    return env


def page_title(page: str, procedure: str | None, organisation: str, *, error: bool = False, lang: str = "ja") -> str:
    """`{エラー: }{page} - {procedure} - {organisation}`."""
    parts = [page] + ([procedure] if procedure and procedure != page else []) + [organisation]
    return (text(lang, "title_error") if error else "") + " - ".join(p for p in parts if p)


def render_body(request: Request, template: str, context: dict[str, Any], *, lang: str = "ja") -> str:
    """The HTML of a page (the organisation and this page's address for the language link filled in)."""
    state = getattr(request.app.state, "forms_engine", None)
    organisation = state.settings.organisation_name if state is not None else ""
    env = environment(str(TEMPLATES_DIR), lang)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")  # for the language link
    return env.get_template(template).render({"organisation": organisation, "contact": None, "here": here, **context})


def respond(request: Request, body: str, *, status: int = 200) -> HTMLResponse:
    """A page's response: the security headers, and the `lang` cookie when `?lang=` chose a language."""
    response = HTMLResponse(body, status_code=status)
    secure(response)
    chosen = request.query_params.get("lang")
    if chosen in ("ja", "en") and request.cookies.get("lang") != chosen:  # `?lang=en` holds for the next pages
        response.set_cookie("lang", chosen, httponly=True, samesite="lax", path="/",
                            secure=request.url.scheme == "https")
    return response


def render(request: Request, template: str, context: dict[str, Any], *, status: int = 200,
           lang: str = "ja") -> HTMLResponse:
    return respond(request, render_body(request, template, context, lang=lang), status=status)


def error_page(request: Request, status: int, detail: str) -> HTMLResponse:
    """A resident-facing error page in Japanese (the detail is shown when it is ours, i.e. not ASCII)."""
    heading, advice = _ERRORS.get(status, _ERRORS[500] if status >= 500 else _ERRORS[400])
    state = getattr(request.app.state, "forms_engine", None)
    organisation = state.settings.organisation_name if state is not None else ""
    lang = get_language(request)
    return render(request, "error.html", {
        "title": page_title(heading, None, organisation),
        "heading": heading,
        "detail": detail if detail and not detail.isascii() else None,
        "advice": advice,
    }, status=status, lang=lang)
