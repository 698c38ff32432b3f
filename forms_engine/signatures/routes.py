"""The signing API for card clients (see docs/signing.md): ask for the bytes to sign, read a request, sign it."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from forms_engine.api.deps import EngineState, LangDep, SessionDep, StateDep, signing_service
from forms_engine.api.errors import error
from forms_engine.submissions.schemas import ErrorBody
from forms_engine.submissions.service import errors_body

router = APIRouter(prefix="/api/v1", tags=["signatures"])


class SigningRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answers: Any


class SigningRequestCreated(BaseModel):
    id: str
    payload: str = Field(description="base64 of the exact bytes to sign (RFC 8785 envelope)")
    digest_sha256: str
    expires_at: str


class SigningRequestStatus(BaseModel):
    id: str
    status: Literal["pending", "expired", "valid", "invalid", "indeterminate"]
    payload: str | None = Field(description="base64 of the exact bytes to sign; null unless the status is pending")
    digest_sha256: str
    expires_at: str


class SignatureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal["raw-pkcs1v15", "cms-detached"]
    signature: str = Field(max_length=90_000, description="base64")
    certificate: str | None = Field(default=None, max_length=20_000, description="base64 DER; needed for raw")


class SignatureVerdict(BaseModel):
    status: Literal["valid", "invalid", "indeterminate"]
    failure: str | None
    checks: list[dict[str, Any]]


def holder_fields_of(state: EngineState, procedure_id: str) -> list[str]:
    """The 基本4情報 a procedure reads from the signing certificate (none for an unknown procedure)."""
    definition = state.catalogue.get(procedure_id)
    return [] if definition is None else list(definition.meta.signature_holder_fields)


@router.post("/procedures/{procedure_id}/signing-requests", status_code=201, response_model=SigningRequestCreated,
             responses={404: {"model": ErrorBody}, 422: {"model": ErrorBody}})
def create_signing_request(procedure_id: str, body: SigningRequestIn, state: StateDep, session: SessionDep,
                           lang: LangDep) -> Any:
    definition = state.catalogue.get(procedure_id)
    if definition is None:
        return error(404, "not_found", "その手続はありません" if lang == "ja" else "No such procedure")
    if definition.meta.signature == "none":
        return error(422, "signature", "この手続は署名を受け付けていません" if lang == "ja" else "This procedure takes no signature")
    validator = state.catalogue.validator(procedure_id)
    answers = validator.normalise(body.answers)
    errors = validator.validate(answers, lang)
    if errors:
        return JSONResponse(errors_body(errors), status_code=422)
    outcome = signing_service(state, session).create_request(definition, answers, lang)
    session.commit()
    return JSONResponse(outcome.body, status_code=outcome.status_code)


@router.get("/signing-requests/{request_id}", response_model=SigningRequestStatus,
            responses={404: {"model": ErrorBody}})
def read_signing_request(request_id: str, state: StateDep, session: SessionDep, lang: LangDep) -> Any:
    """The bytes to sign (while pending) and where the request stands; the id may be typed as shown
    (`ABCD-EFGH-…`, any case, full-width)."""
    outcome = signing_service(state, session).status(request_id, lang)
    return JSONResponse(outcome.body, status_code=outcome.status_code, headers={"Cache-Control": "no-store"})


@router.post("/signing-requests/{request_id}", response_model=SignatureVerdict,
             responses={404: {"model": ErrorBody}, 410: {"model": ErrorBody}, 422: {"model": ErrorBody}})
def submit_signature(request_id: str, body: SignatureIn, state: StateDep, session: SessionDep, lang: LangDep) -> Any:
    outcome = signing_service(state, session).submit_signature(
        request_id, body.format, body.signature, body.certificate, lang,
        holder_fields_for=lambda procedure_id: holder_fields_of(state, procedure_id))
    session.commit()
    return JSONResponse(outcome.body, status_code=outcome.status_code)
