"""What a retention run works with: the rule of each definition version, the submissions it reaches, and
what one batch deleted."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

FINAL_STATUSES = ("completed", "rejected", "withdrawn")
"""完了, 却下, 取下げ (staff.workflow): the only statuses a purge deletes. An open case (受付, 審査中, 補正依頼 or a
status this code does not know) is never deleted, however old: it is reported as still open."""


@dataclass(frozen=True)
class Rule:
    """One stored definition version that has `x-procedure.retention_days`, and the moment it makes the limit:
    its submissions received before ``cutoff`` are past their retention."""

    definition_sha256: str
    version: str
    retention_days: int
    cutoff: datetime


@dataclass(frozen=True)
class Plan:
    """A procedure's rules (only its versions with `retention_days`; the others are never purged)."""

    procedure_id: str
    rules: tuple[Rule, ...]

    @property
    def latest_cutoff(self) -> datetime:
        return max(rule.cutoff for rule in self.rules)


@dataclass(frozen=True)
class Candidate:
    """A submission past its retention: enough to list it, never its answers."""

    id: str
    receipt_number: str
    received_at: datetime
    procedure_version: str
    status: str


@dataclass(frozen=True)
class OpenSummary:
    """Open cases past their retention, kept: how many, and the first of them by 受付番号 (bounded)."""

    count: int = 0
    receipt_numbers: tuple[str, ...] = ()


@dataclass
class Batch:
    """What one transaction deleted. ``files`` maps each submission id to the storage keys of its
    attachments: removed, with its cached receipts, only after the commit."""

    candidates: list[Candidate]
    deleted: dict[str, int]
    files: dict[str, list[str]] = field(default_factory=dict)

    @property
    def last(self) -> tuple[datetime, str]:
        return self.candidates[-1].received_at, self.candidates[-1].id


@dataclass
class ProcedureReport:
    procedure_id: str
    purged: int = 0
    attachments: int = 0
    receipts: int = 0
    open: int = 0
    batches: int = 0
