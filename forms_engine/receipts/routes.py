"""GET /api/v1/receipts/{receipt_number}.pdf: the resident's 控え, to whoever holds the filing's link."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from forms_engine.api.deps import SessionDep, StateDep
from forms_engine.api.errors import error
from forms_engine.receipts.store import receipt_pdf
from forms_engine.submissions import receipt_number, repository
from forms_engine.submissions.service import check_receipt_token

router = APIRouter(prefix="/api/v1", tags=["receipts"])


@router.get("/receipts/{number}.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}, 404: {"description": "unknown or wrong token"}})
def resident_receipt(number: str, state: StateDep, session: SessionDep,
                     token: Annotated[str, Query(max_length=64)] = "") -> Response:
    canonical = receipt_number.parse(number)
    submission = repository.by_receipt_number(session, canonical) if canonical else None
    if submission is None or not check_receipt_token(state.secret_key, submission.id, token):
        return error(404, "not_found", "控えが見つかりません（リンクをご確認ください）")
    pdf = receipt_pdf(session, state.settings, submission, "resident")
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="receipt-{submission.receipt_number}.pdf"',
        "Cache-Control": "private, no-store"})
