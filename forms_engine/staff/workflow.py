"""The status workflow of a submission: the one table of allowed changes, who may make each, and the change
itself (a compare-and-set on the stored status, a ``SubmissionEvent`` and an audit entry, flushed together).

受付 (received) → 審査中 (reviewing) → 完了 (completed) or 却下 (rejected); 補正依頼 (correction requested,
with a message to the resident) from 受付 or 審査中, answered by the resident filing again (back to 受付);
取下げ (withdrawn) by the resident while the submission is still open. 完了, 却下 and 取下げ are final."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlmodel import Session

from forms_engine.audit import service as audit
from forms_engine.models import Submission, SubmissionEvent
from forms_engine.staff import repository
from forms_engine.staff.service import ReviewService

Status = Literal["received", "reviewing", "completed", "rejected", "correction_requested", "withdrawn"]
By = Literal["staff", "resident"]

LABELS: dict[str, str] = {"received": "受付", "reviewing": "審査中", "completed": "完了", "rejected": "却下",
                          "correction_requested": "補正依頼", "withdrawn": "取下げ"}
"""The statuses, in workflow order, with their Japanese names."""

TRANSITIONS: dict[tuple[str, str], By] = {
    ("received", "reviewing"): "staff",
    ("received", "correction_requested"): "staff",
    ("reviewing", "completed"): "staff",
    ("reviewing", "rejected"): "staff",
    ("reviewing", "correction_requested"): "staff",
    ("correction_requested", "received"): "resident",  # the corrected answers are filed again
    ("received", "withdrawn"): "resident",
    ("reviewing", "withdrawn"): "resident",
    ("correction_requested", "withdrawn"): "resident",
}
"""Every allowed change of status (from, to) and who makes it; anything else is refused (409)."""

REASON_REQUIRED = frozenset({"rejected", "correction_requested"})
"""Changes that must say why: the reason is what the resident is told."""
MAX_REASON = 2000


def label(status: str) -> str:
    return LABELS.get(status, status)


def next_statuses(current: str, by: By) -> list[str]:
    """Where ``by`` may move a submission from ``current``, in workflow order."""
    return [to for to in LABELS if TRANSITIONS.get((current, to)) == by]


class Refused(Exception):
    """A change that is not made: ``status`` is the HTTP status, ``keyword`` and ``pointer`` say what is wrong
    in the API's error shape, ``current`` is the submission's status when it is known."""

    def __init__(self, status: int, keyword: str, message: str, pointer: str = "", current: str | None = None,
                 allowed: list[str] | None = None) -> None:
        super().__init__(message)
        self.status, self.keyword, self.message, self.pointer = status, keyword, message, pointer
        self.current, self.allowed = current, allowed

    def body(self) -> dict[str, object]:
        out: dict[str, object] = {"errors": [{"pointer": self.pointer, "keyword": self.keyword,
                                              "message": self.message}]}
        if self.current is not None:
            out["current_status"] = self.current
        if self.allowed is not None:
            out["allowed"] = self.allowed
        return out


@dataclass(frozen=True)
class Changed:
    submission: Submission
    event: SubmissionEvent


def record(session: Session, submission: Submission, to: str, actor: str, reason: str | None, via: str,
           expected: str, now: datetime | None = None) -> SubmissionEvent:
    """Move ``submission`` from ``expected`` to ``to`` if it is still there (else 409 ``conflict``): the status,
    its event and the audit entry are flushed together; the caller commits. Checks no rule: callers do."""
    at = (now or datetime.now(UTC)).astimezone(UTC)
    if not repository.set_status(session, submission.id, expected, to):
        session.refresh(submission)
        raise Refused(409, "conflict", f"この申請の状態は「{label(submission.status)}」に変わっています。"
                      "画面を読み込み直してから操作してください。", "/from", current=submission.status)
    session.refresh(submission)
    event = SubmissionEvent(id=str(uuid.uuid4()), submission_id=submission.id, at=at, actor=actor[:100],
                            from_status=expected, to_status=to, reason=reason)
    repository.add_event(session, event)
    # the reason stays in the event (it may name the resident's data); the chained log keeps who, what, when
    audit.append(session, actor, "submission.status", f"submission:{submission.receipt_number}",
                 {"via": via, "from": expected, "to": to, "event": event.id}, now=at)
    return event


def change_by_staff(review: ReviewService, number: str, to: str, reason: str | None, expected: str | None,
                    via: str) -> Changed | None:
    """A reviewer's (or admin's) change of status; None when the submission is not found for this staff member
    (unknown or another department's). Refused: 403 without the reviewer role in the submission's department,
    422 for an unknown status or a missing reason, 409 when the change is not allowed from the current status
    or the status is no longer the ``expected`` one."""
    located = review.find(number)
    if located is None:
        return None
    submission, document = located
    if "review" not in review.rights_on(submission.procedure_id, document):
        raise Refused(403, "forbidden", "状態を変えるには、この部署の「審査」(reviewer) の役割が必要です。",
                      current=submission.status)
    if to not in LABELS:
        raise Refused(422, "enum", "状態は " + "・".join(LABELS) + " のどれかで指定してください。", "/status")
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > MAX_REASON:
        raise Refused(422, "maxLength", f"理由は{MAX_REASON}文字以内で入力してください。", "/reason")
    if to in REASON_REQUIRED and reason is None:
        raise Refused(422, "required", f"「{label(to)}」にするときは、理由を入力してください（申請者に伝わります）。",
                      "/reason")
    current = submission.status
    if expected is not None and expected != current:
        raise Refused(409, "conflict", f"この申請の状態は「{label(current)}」に変わっています。"
                      "画面を読み込み直してから操作してください。", "/from", current=current)
    allowed = next_statuses(current, "staff")
    if to not in allowed:
        raise Refused(409, "transition", f"「{label(current)}」から「{label(to)}」には変えられません。",
                      "/status", current=current, allowed=allowed)
    event = record(review.session, submission, to, review.actor.audit_name, reason, via, current)
    return Changed(submission, event)
