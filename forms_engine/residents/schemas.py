"""Bodies of the login API, and what the resident service answers the pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Purpose = Literal["login", "link"]
Outcome = Literal["account_created", "logged_in", "linked", "already_linked", "linked_elsewhere", "refused"]
ClaimState = Literal["unknown", "pending", "expired", "refused", "claimed", "session", "linked"]


class ChallengeCreated(BaseModel):
    id: str = Field(description="the challenge id; residents type it into the card app as the login code")
    nonce: str = Field(description="base64 of the random bytes to sign with the card's authentication key")
    expires_at: str


class ChallengeState(ChallengeCreated):
    purpose: Purpose
    status: Literal["pending", "answered", "expired"]


class ChallengeAnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal["raw-pkcs1v15", "cms-detached"] = "raw-pkcs1v15"
    signature: str = Field(max_length=90_000, description="base64 of the signature over the nonce bytes")
    certificate: str | None = Field(default=None, max_length=20_000,
                                    description="base64 DER of the 利用者証明用 certificate; needed for raw")


class ChallengeVerdict(BaseModel):
    status: Literal["valid", "invalid", "indeterminate"]
    failure: str | None
    accepted: bool = Field(description="whether the login (or the card's registration) is granted")
    outcome: Outcome
    checks: list[dict[str, Any]]


@dataclass(frozen=True)
class Answer:
    """A service answer for the API: the status code and the JSON body."""

    status_code: int
    body: dict[str, Any]


@dataclass(frozen=True)
class Started:
    """A challenge a browser started: its id and the claim only that browser holds."""

    challenge_id: str
    claim: str
    expires_at: datetime


@dataclass(frozen=True)
class Claimed:
    """Where a browser's challenge stands; ``token`` is the new session's cookie value (login only)."""

    state: ClaimState
    failure: str | None = None
    token: str | None = None
    outcome: Outcome | None = None
