"""POST /api/v1/procedures/{id}/submissions: thin; the service decides, this edge commits."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse

from forms_engine.api.deps import LangDep, SessionDep, StateDep, submission_service
from forms_engine.api.errors import error
from forms_engine.submissions.schemas import ErrorBody, SubmissionCreated, SubmissionIn

router = APIRouter(prefix="/api/v1", tags=["submissions"])


@router.post(
    "/procedures/{procedure_id}/submissions",
    status_code=201,
    response_model=SubmissionCreated,
    responses={404: {"model": ErrorBody}, 409: {"model": ErrorBody}, 413: {"model": ErrorBody}, 422: {"model": ErrorBody}},
    summary="File a submission",
)
def file_submission(
    procedure_id: str,
    body: SubmissionIn,
    state: StateDep,
    session: SessionDep,
    lang: LangDep,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> Any:
    definition = state.catalogue.get(procedure_id)
    if definition is None:
        return error(404, "not_found", "その手続はありません" if lang == "ja" else "No such procedure")
    outcome = submission_service(state, session).file(
        definition, state.catalogue.validator(procedure_id), body.answers,
        lang=lang, idempotency_key=idempotency_key, signing_request=body.signing_request)
    session.commit()  # the answer goes out only once the submission is durable
    return JSONResponse(outcome.body, status_code=outcome.status_code)
