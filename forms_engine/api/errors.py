"""Every 4xx of the API has one machine-readable shape: {"errors": [{pointer, keyword, message}]}."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from forms_engine.definitions.pointers import to_pointer


def error(status: int, keyword: str, message: str, pointer: str = "") -> JSONResponse:
    return JSONResponse({"errors": [{"pointer": pointer, "keyword": keyword, "message": message}]}, status_code=status)


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _request_invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        items: list[dict[str, Any]] = []
        for e in exc.errors():
            loc = [p for p in e.get("loc", ()) if isinstance(p, str | int)]
            if loc and loc[0] == "body":
                loc = loc[1:]
            items.append({"pointer": to_pointer(loc), "keyword": str(e.get("type", "invalid")), "message": str(e.get("msg"))})
        return JSONResponse({"errors": items}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Any:
        if request.url.path.startswith("/api/"):
            return error(exc.status_code, "http", str(exc.detail))
        from forms_engine.rendering.pages import error_page

        return error_page(request, exc.status_code, str(exc.detail))
