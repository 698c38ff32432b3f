"""The login API of card apps: POST /api/v1/auth/challenges, GET and POST /api/v1/auth/challenges/{id}
(docs/signing.md, "Authentication"). Thin: ResidentService decides, this edge commits."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from forms_engine.api.deps import LangDep, SessionDep, StateDep
from forms_engine.residents import web
from forms_engine.residents.schemas import (
    ChallengeAnswerIn,
    ChallengeCreated,
    ChallengeState,
    ChallengeVerdict,
)
from forms_engine.submissions.schemas import ErrorBody

router = APIRouter(prefix="/api/v1/auth", tags=["authentication"])


@router.post("/challenges", status_code=201, response_model=ChallengeCreated,
             responses={422: {"model": ErrorBody}}, summary="A login challenge (nonce) to sign with the card")
def create_challenge(request: Request, state: StateDep, session: SessionDep, lang: LangDep) -> Any:
    answer = web.service(request, state, session).create_for_api(lang)
    session.commit()
    return JSONResponse(answer.body, status_code=answer.status_code)


@router.get("/challenges/{challenge_id}", response_model=ChallengeState, responses={404: {"model": ErrorBody}},
            summary="The nonce of a challenge and its status, for the card app given the login code")
def get_challenge(challenge_id: str, request: Request, state: StateDep, session: SessionDep, lang: LangDep) -> Any:
    answer = web.service(request, state, session).describe(challenge_id, lang)
    return JSONResponse(answer.body, status_code=answer.status_code)


@router.post("/challenges/{challenge_id}", response_model=ChallengeVerdict,
             responses={404: {"model": ErrorBody}, 410: {"model": ErrorBody}, 422: {"model": ErrorBody}},
             summary="The signature over the nonce with the 利用者証明用 key (single use)")
def answer_challenge(challenge_id: str, body: ChallengeAnswerIn, request: Request, state: StateDep,
                     session: SessionDep, lang: LangDep) -> Any:
    answer = web.service(request, state, session).answer(challenge_id, body.format, body.signature,
                                                         body.certificate, lang)
    session.commit()
    return JSONResponse(answer.body, status_code=answer.status_code)
