"""Request-scoped dependencies: the database session, the engine state, the language."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlmodel import Session

from forms_engine.config import Settings
from forms_engine.db import session_scope
from forms_engine.definitions.service import DefinitionCatalogue
from forms_engine.rendering.widgets import WidgetRegistry
from forms_engine.signatures.service import SigningService
from forms_engine.submissions.service import SubmissionService
from forms_engine.validation.formats import FormatRegistry
from forms_engine.validation.messages import pick_language
from signing import SignatureVerifier


@dataclass
class EngineState:
    """Everything a request needs, built once at start-up and injected (no module globals)."""

    settings: Settings
    engine: Engine
    catalogue: DefinitionCatalogue
    formats: FormatRegistry
    widgets: WidgetRegistry
    secret_key: str
    sign_verifier: SignatureVerifier | None


async def get_state(request: Request) -> EngineState:
    state: EngineState = request.app.state.forms_engine
    return state


def get_session(state: Annotated[EngineState, Depends(get_state)]) -> Iterator[Session]:
    yield from session_scope(state.engine)


def get_language(request: Request) -> str:
    chosen = request.query_params.get("lang") or request.cookies.get("lang")
    if chosen in ("ja", "en"):
        return chosen
    return pick_language(request.headers.get("accept-language"))


def signing_service(state: EngineState, session: Session) -> SigningService:
    return SigningService(session, state.settings, state.sign_verifier)


def submission_service(state: EngineState, session: Session) -> SubmissionService:
    return SubmissionService(session, state.secret_key, signing_service(state, session),
                             state.settings.answers_keyring())


StateDep = Annotated[EngineState, Depends(get_state)]
SessionDep = Annotated[Session, Depends(get_session)]
LangDep = Annotated[str, Depends(get_language)]
