"""Request and response bodies of the submissions API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class SubmissionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: Any = Field(description="The answers, shaped as the procedure's JSON Schema says")
    signing_request: str | None = Field(default=None, description="Id of the signing request, for signed procedures")


class SubmissionCreated(BaseModel):
    receipt_number: str = Field(description="受付番号, e.g. 1234-5678-9013")
    id: str
    received_at: datetime
    receipt_url: str


class ErrorItem(BaseModel):
    pointer: str = Field(description="JSON pointer of the answer in error; for a missing answer, its own pointer")
    keyword: str
    message: str


class ErrorBody(BaseModel):
    errors: list[ErrorItem]
