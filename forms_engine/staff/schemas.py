"""Shapes of the staff side: roles and what they allow, who is acting, the API's answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["viewer", "reviewer", "exporter", "sensitive", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "reviewer", "exporter", "sensitive", "admin")
Right = Literal["view", "review", "export", "sensitive", "manage"]

RIGHTS_OF: dict[str, frozenset[Right]] = {
    "viewer": frozenset({"view"}),
    "reviewer": frozenset({"view", "review"}),
    "exporter": frozenset({"view", "export"}),
    "sensitive": frozenset({"view", "sensitive"}),
    "admin": frozenset({"view", "review", "export", "sensitive", "manage"}),
}
"""interfaces.md: every role can read; admin holds all the others and manages the department's staff."""


@dataclass(frozen=True)
class Actor:
    """A logged-in staff member (by session or bearer token) and their rights per department."""

    account_id: str
    login: str
    roles: dict[str, frozenset[str]] = field(default_factory=dict)  # department -> roles
    via: Literal["session", "token"] = "session"
    session_id: str | None = None

    def rights(self, department: str) -> frozenset[Right]:
        out: set[Right] = set()
        for role in self.roles.get(department, frozenset()):
            out |= RIGHTS_OF.get(role, frozenset())
        return frozenset(out)

    def can(self, department: str, right: Right) -> bool:
        return right in self.rights(department)

    @property
    def departments(self) -> list[str]:
        return sorted(d for d in self.roles if self.rights(d))

    @property
    def audit_name(self) -> str:
        return f"staff:{self.login}"


@dataclass(frozen=True)
class ListFilter:
    status: str | None = None
    since: datetime | None = None  # received at or after
    until: datetime | None = None  # received before
    q: str | None = None  # free text: 受付番号 (whole or in part) and the x-staff-search answers (staff/search.py)
    limit: int = 50


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the last row's (received_at, id); the next page starts after it (newest first)."""

    received_at: datetime
    id: str


class SubmissionItem(BaseModel):
    id: str
    receipt_number: str
    received_at: datetime
    status: str
    procedure_version: str
    signature_status: str | None


class SubmissionPage(BaseModel):
    procedure_id: str
    items: list[SubmissionItem]
    next_cursor: str | None
    """Pass as ``cursor`` for the next (older) page; null on the last page."""


class AttachmentOut(BaseModel):
    id: str
    name: str
    media_type: str
    size: int
    sha256: str


class HistoryOut(BaseModel):
    at: datetime
    actor: str | None
    from_status: str | None
    to_status: str
    reason: str | None


class SubmissionDetail(BaseModel):
    id: str
    receipt_number: str
    procedure_id: str
    procedure_version: str
    definition_sha256: str
    received_at: datetime
    status: str
    answers: Any
    masked: bool
    """True when some ``x-sensitive`` value is shown as ●●●● (the staff member lacks the ``sensitive`` role)."""
    attachments: list[AttachmentOut]
    signature: dict[str, Any] | None
    history: list[HistoryOut]


class StatusChangeIn(BaseModel):
    """A reviewer's change of status (forms_engine/staff/workflow.py has the allowed changes)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    status: str = Field(max_length=32, description="received, reviewing, completed, rejected or correction_requested")
    reason: str | None = Field(default=None, description="Required for rejected and correction_requested; the "
                                                         "resident is told it")
    expected: str | None = Field(default=None, alias="from", max_length=32,
                                 description="The status the client saw; another current status answers 409")


class StatusChanged(BaseModel):
    receipt_number: str
    status: str
    event: HistoryOut
