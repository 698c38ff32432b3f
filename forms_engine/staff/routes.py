"""The staff API (interfaces.md): list and read submissions, the 受付票. Thin: the services decide, the edge
commits (every view is audited). Another department's id answers exactly like an unknown one (404)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from forms_engine.api.deps import SessionDep, StateDep
from forms_engine.staff import web
from forms_engine.staff.schemas import (
    AttachmentOut,
    HistoryOut,
    ListFilter,
    StatusChanged,
    StatusChangeIn,
    SubmissionDetail,
    SubmissionItem,
    SubmissionPage,
)
from forms_engine.staff.service import BadRequest, Detail, Page, parse_bound
from forms_engine.staff.workflow import Refused, change_by_staff
from forms_engine.submissions.schemas import ErrorBody

router = APIRouter(prefix="/api/v1/staff", tags=["staff"])
_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": ErrorBody}, 404: {"model": ErrorBody}}


def _bad(exc: BadRequest) -> JSONResponse:
    return JSONResponse({"errors": [{"pointer": exc.pointer, "keyword": "format", "message": str(exc)}]},
                        status_code=422)


def page_body(page: Page) -> dict[str, Any]:
    items = [SubmissionItem(
        id=s.id, receipt_number=s.receipt_number, received_at=s.received_at, status=s.status,
        procedure_version=s.procedure_version,
        signature_status=str(s.signature.get("status")) if isinstance(s.signature, dict) else None)
        for s in page.items]
    return SubmissionPage(procedure_id=page.procedure_id, items=items, next_cursor=page.next_cursor).model_dump(
        mode="json")


def history(detail: Detail) -> list[HistoryOut]:
    """The filing itself, then every change of status."""
    first = HistoryOut(at=detail.submission.received_at, actor=None, from_status=None, to_status="received",
                       reason=None)
    return [first, *(HistoryOut(at=e.at, actor=e.actor, from_status=e.from_status, to_status=e.to_status,
                                reason=e.reason) for e in detail.events)]


def detail_body(detail: Detail) -> dict[str, Any]:
    s = detail.submission
    return SubmissionDetail(
        id=s.id, receipt_number=s.receipt_number, procedure_id=s.procedure_id, procedure_version=s.procedure_version,
        definition_sha256=s.definition_sha256, received_at=s.received_at, status=s.status, answers=detail.answers,
        masked=detail.masked,
        attachments=[AttachmentOut(id=a.id, name=a.name, media_type=a.media_type, size=a.size, sha256=a.sha256)
                     for a in detail.attachments],
        signature=s.signature if isinstance(s.signature, dict) else None, history=history(detail),
    ).model_dump(mode="json")


@router.get("/procedures/{procedure_id}/submissions", response_model=SubmissionPage, responses={
    **_ERRORS, 422: {"model": ErrorBody}}, summary="Submissions of a procedure, newest first (keyset pages)")
def list_submissions(
    procedure_id: str, request: Request, state: StateDep, session: SessionDep,
    status: Annotated[str | None, Query(max_length=32)] = None,
    since: Annotated[str | None, Query(max_length=40, description="YYYY-MM-DD (JST) or RFC 3339")] = None,
    until: Annotated[str | None, Query(max_length=40, description="YYYY-MM-DD (JST, inclusive) or RFC 3339")] = None,
    q: Annotated[str | None, Query(max_length=64, description=(
        "Free text: the 受付番号 (whole, or its digits from any group on: 5678, 1234-56) and the answers the "
        "definition marks x-staff-search (name, furigana, phone…), each word the beginning of a word of them; "
        "katakana = hiragana, full-width = half-width, case ignored; several words must all match"))] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Any:
    actor = web.api_actor(request, state, session)
    if actor is None:
        session.commit()
        return web.unauthorised()
    try:
        chosen = ListFilter(status=status or None, since=parse_bound(since, end=False, pointer="/since"),
                            until=parse_bound(until, end=True, pointer="/until"), q=q or None, limit=limit)
        page = web.review(state, session, actor).list(procedure_id, chosen, cursor, "api")
    except BadRequest as exc:
        return _bad(exc)
    session.commit()
    return web.not_found() if page is None else JSONResponse(page_body(page))


@router.get("/submissions/{number}", response_model=SubmissionDetail, responses=_ERRORS,
            summary="One submission: answers, attachments, signature verification, history")
def read_submission(number: str, request: Request, state: StateDep, session: SessionDep) -> Any:
    actor = web.api_actor(request, state, session)
    if actor is None:
        session.commit()
        return web.unauthorised()
    detail = web.review(state, session, actor).detail(number, "api")
    session.commit()  # the view is audited before it is answered
    return web.not_found() if detail is None else JSONResponse(detail_body(detail))


@router.get("/receipts/{number}.pdf", response_class=Response, responses={
    **_ERRORS, 200: {"content": {"application/pdf": {}}}}, summary="The back office's 受付票")
def office_receipt(number: str, request: Request, state: StateDep, session: SessionDep) -> Response:
    actor = web.api_actor(request, state, session)
    if actor is None:
        session.commit()
        return web.unauthorised()
    found = web.review(state, session, actor).office_receipt(number)
    session.commit()
    if found is None:
        return web.not_found()
    submission, pdf = found
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="uketsukehyo-{submission.receipt_number}.pdf"',
        "Cache-Control": "private, no-store"})


@router.post("/submissions/{number}/status", response_model=StatusChanged, responses={
    **_ERRORS, 403: {"model": ErrorBody}, 409: {"model": ErrorBody}, 422: {"model": ErrorBody}},
    summary="Change a submission's status (reviewer or admin of its department)",
    description="Allowed changes: received → reviewing or correction_requested; reviewing → completed, rejected or "
                "correction_requested. `reason` is required for rejected and correction_requested. A `from` other "
                "than the current status, or a change not allowed from it, answers 409 with `current_status` "
                "(and `allowed` for the latter); a staff member of the department without the reviewer role 403. "
                "Bearer tokens only: the staff page has its own form.")
def change_status(number: str, change: StatusChangeIn, request: Request, state: StateDep,
                  session: SessionDep) -> Any:
    secret = web.bearer(request)  # a bearer token only: browsers change status by the page's form (CSRF)
    actor = web.auth(state, session).bearer(secret) if secret is not None else None
    if actor is None:
        session.commit()
        return web.unauthorised()
    try:
        changed = change_by_staff(web.review(state, session, actor), number, change.status, change.reason,
                                  change.expected, "api")
    except Refused as exc:
        session.commit()  # nothing was changed (refusals come before any write); the token's use is kept
        return JSONResponse(exc.body(), status_code=exc.status)
    session.commit()
    if changed is None:
        return web.not_found()
    e = changed.event
    return JSONResponse(StatusChanged(
        receipt_number=changed.submission.receipt_number, status=changed.submission.status,
        event=HistoryOut(at=e.at, actor=e.actor, from_status=e.from_status, to_status=e.to_status, reason=e.reason),
    ).model_dump(mode="json"))
