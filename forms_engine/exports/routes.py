"""GET /api/v1/staff/procedures/{id}/export: the streamed export (exporter or admin of the department)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from forms_engine.api.deps import SessionDep, StateDep
from forms_engine.exports.registry import ExporterRegistry
from forms_engine.exports.service import EncodingProblems, ExportService, Forbidden
from forms_engine.staff import web
from forms_engine.staff.service import BadRequest, ReviewService, parse_bound
from forms_engine.submissions.schemas import ErrorBody


def _error(status: int, pointer: str, keyword: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"errors": [{"pointer": pointer, "keyword": keyword, "message": message, **extra}]},
                        status_code=status)


def encoding_body(exc: EncodingProblems) -> JSONResponse:
    """422 before any byte: every value the encoding cannot hold, with its 受付番号 and column."""
    return JSONResponse({"errors": [{
        "pointer": "/encoding", "keyword": "encoding", "receipt_number": p.receipt_number or None, "field": p.field,
        "character": p.character,
        "message": (f"受付番号 {p.receipt_number} の「{p.field}」" if p.receipt_number else f"列名「{p.field}」")
        + f"に {exc.encoding} で表せない文字「{p.character}」があります（utf-8-sig で書き出してください）",
    } for p in exc.problems]}, status_code=422)


def router_for(registry: ExporterRegistry) -> APIRouter:
    router = APIRouter(prefix="/api/v1/staff", tags=["staff"])

    @router.get("/procedures/{procedure_id}/export", response_class=StreamingResponse, responses={
        200: {"content": {"text/csv": {}, "application/x-ndjson": {}, "application/zip": {}}},
        401: {"model": ErrorBody}, 403: {"model": ErrorBody}, 404: {"model": ErrorBody}, 422: {"model": ErrorBody}},
        summary="Streamed export of a procedure's submissions (CSV, JSON Lines or ZIP), oldest first")
    def export(
        procedure_id: str, request: Request, state: StateDep, session: SessionDep,
        format: Annotated[str, Query(max_length=16, description="csv, jsonl or zip")] = "csv",
        encoding: Annotated[str | None, Query(max_length=16, description="CSV: utf-8-sig or cp932")] = None,
        since: Annotated[str | None, Query(max_length=40, description="YYYY-MM-DD (JST) or RFC 3339")] = None,
        until: Annotated[str | None, Query(max_length=40, description="YYYY-MM-DD (JST, inclusive) or RFC 3339")]
        = None,
    ) -> Response:
        actor = web.api_actor(request, state, session)
        if actor is None:
            session.commit()
            return web.unauthorised()
        service = ExportService(session, state.settings, state.catalogue, registry)
        review = ReviewService(session, state.settings, state.catalogue, actor)
        try:
            prepared = service.for_staff(review, procedure_id, format, encoding or None,
                                         parse_bound(since, end=False, pointer="/since"),
                                         parse_bound(until, end=True, pointer="/until"))
        except BadRequest as exc:
            session.commit()
            return _error(422, exc.pointer, "format", str(exc))
        except Forbidden as exc:
            session.commit()
            return _error(403, "", "forbidden", str(exc), missing_role=exc.role)
        except EncodingProblems as exc:
            session.commit()
            return encoding_body(exc)
        if prepared is None:
            session.commit()
            return web.not_found()
        service.record(prepared, actor.audit_name)
        session.commit()  # the audit entry is durable before the first byte
        return StreamingResponse(prepared.stream_on_own_session(state.engine), media_type=prepared.media_type,
                                 headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(prepared.filename)}",
                                          "Cache-Control": "private, no-store", "X-Export-Count": str(prepared.count)})

    return router
