"""The resident's side of the status workflow: 取下げ (withdrawing a submission still open) and 補正 (answering a
補正依頼 by filing corrected answers under the same submission and 受付番号).

A correction starts a draft pre-filled with the submission's current answers (decrypted) and links it to the
submission and to the 補正依頼 it answers (``correction_drafts``). Filing that draft keeps the version it replaces
in ``submission_revisions`` (answers as stored, still sealed; definition, signature, when filed and replaced),
seals the new answers to the same submission id and moves the status back to 受付 through `workflow.record`: its
compare-and-set on the status lets one filing through and refuses every other (double click, second tab, an
older draft). Everything is flushed in the caller's transaction; the edge commits.

The 申請状況 page of a resident who filed without logging in is reached with a keyed token (`status_token`), of
another purpose than the receipt's token: a receipt URL does not open the status page, nor the reverse."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from forms_engine.audit import service as audit
from forms_engine.definitions import repository as definitions_repo
from forms_engine.definitions.schemas import Definition
from forms_engine.drafts.schemas import DraftState, Started
from forms_engine.drafts.service import DraftService
from forms_engine.models import CorrectionDraft, Submission, SubmissionEvent, SubmissionRevision
from forms_engine.signatures.service import Binding
from forms_engine.staff import search as search_terms
from forms_engine.staff import workflow
from forms_engine.staff.workflow import Refused
from forms_engine.submissions import repository
from forms_engine.submissions.protection import Keyring, seal, unseal

RESIDENT = "resident"
CORRECTION_REASON = "補正して再申請"
"""The reason of the event that moves a corrected submission back to 受付."""


def status_token(secret_key: str, submission_id: str) -> str:
    """The token of a 申請状況 URL (given on the completion page); not the receipt's (another purpose)."""
    mac = hmac.new(secret_key.encode(), f"status:{submission_id}".encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def check_status_token(secret_key: str, submission_id: str, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(status_token(secret_key, submission_id), str(token))


def actor_for(account_id: str | None) -> str:
    """Who the events and audit entries name: the resident's account when they are logged in."""
    return f"{RESIDENT}:{account_id}" if account_id else RESIDENT


def may(submission: Submission, to: str) -> bool:
    """Whether the resident may move the submission to ``to`` now (`workflow.next_statuses`)."""
    return to in workflow.next_statuses(submission.status, "resident")


@dataclass(frozen=True)
class Filed:
    submission: Submission
    revision: SubmissionRevision
    event: SubmissionEvent


class Corrections:
    def __init__(self, session: Session, keyring: Keyring) -> None:
        self.session = session
        self.keyring = keyring

    # -- what the resident is told ---------------------------------------------------------------------
    def messages(self, submissions: Iterable[Submission]) -> dict[str, str]:
        """The staff's message (reason of the latest 補正依頼) of each submission now waiting for a correction."""
        waiting = [s.id for s in submissions if s.status == "correction_requested"]
        return {sid: event.reason or "" for sid, event in repository.latest_requests(self.session, waiting).items()}

    def revisions(self, submission: Submission) -> list[SubmissionRevision]:
        return repository.revisions_of(self.session, submission.id)

    # -- 取下げ -----------------------------------------------------------------------------------------
    def withdraw(self, submission: Submission, actor: str, reason: str | None, expected: str,
                 now: datetime | None = None) -> SubmissionEvent:
        """Withdraw the submission if it is still in the status the resident saw (``expected``). Refused: 422 for a
        reason too long; 409 ``already`` when it is withdrawn already (a double post), ``conflict`` when its status
        changed meanwhile (a stale page), ``transition`` when it may not be withdrawn any more."""
        reason = (reason or "").strip() or None
        if reason is not None and len(reason) > workflow.MAX_REASON:
            raise Refused(422, "maxLength", f"理由は{workflow.MAX_REASON}文字以内で入力してください。", "/reason")
        self._expect(submission, expected, "withdrawn")
        try:
            return workflow.record(self.session, submission, "withdrawn", actor, reason, "web", expected, now)
        except Refused:  # a twin request changed it between our read and the compare-and-set
            self._expect(submission, expected, "withdrawn")
            raise

    def _expect(self, submission: Submission, expected: str, to: str) -> None:
        current = submission.status
        if current == to:
            raise Refused(409, "already", f"この申請は既に「{workflow.label(to)}」になっています。", current=current)
        if current != expected:
            raise Refused(409, "conflict", f"この申請の状態は「{workflow.label(current)}」に変わっています。",
                          "/from", current=current)
        if not may(submission, to):
            raise Refused(409, "transition", f"「{workflow.label(current)}」の申請は「{workflow.label(to)}」にできません。",
                          "/status", current=current)

    # -- 補正: starting ----------------------------------------------------------------------------------
    def current_answers(self, submission: Submission) -> Any:
        """The submission's answers as filed (sensitive ones decrypted), read with the definition version they
        were filed against."""
        version = definitions_repo.get_version(self.session, submission.definition_sha256)
        document = version.document if version is not None else {}
        return unseal(submission.answers, document, submission.id, self.keyring)

    def start(self, submission: Submission, definition: Definition, answers: Any, state: DraftState,
              drafts: DraftService, now: datetime | None = None) -> Started:
        """A draft of the procedure's current definition holding ``answers``, linked to the submission and to its
        latest 補正依頼. Refused (409) unless the submission waits for a correction."""
        if submission.status != "correction_requested":
            raise Refused(409, "transition", f"「{workflow.label(submission.status)}」の申請は補正できません。",
                          current=submission.status)
        request = repository.latest_requests(self.session, [submission.id]).get(submission.id)
        if request is None:  # a status set without its event: nothing to answer
            raise Refused(409, "conflict", "補正依頼が見つかりません。", current=submission.status)
        started = drafts.start(definition, answers, state, now)
        repository.add_correction_draft(self.session, CorrectionDraft(
            draft_id=started.draft.id, submission_id=submission.id, request_event_id=request.id,
            started_at=(now or datetime.now(UTC))))
        return started

    def link_of(self, draft_id: str) -> CorrectionDraft | None:
        """The correction a draft was started for; None for an ordinary draft."""
        return repository.correction_draft(self.session, draft_id)

    # -- 補正: filing ------------------------------------------------------------------------------------
    def file(self, link: CorrectionDraft, definition: Definition, normalised: Any, binding: Binding | None,
             actor: str, now: datetime | None = None) -> Filed:
        """Replace the submission's answers by ``normalised`` (validated by the caller against ``definition``),
        keeping the replaced version; status back to 受付. Refused (409): ``already`` when the correction was
        filed already, ``stale`` when the draft answers an earlier 補正依頼, ``conflict`` when the submission is
        no longer waiting for a correction; (422) ``signature`` when the signature reserved another submission."""
        now = (now or datetime.now(UTC)).astimezone(UTC)
        submission = repository.lock(self.session, link.submission_id)
        if submission is None:
            raise Refused(404, "not_found", "申請が見つかりません。")
        request = repository.latest_requests(self.session, [submission.id]).get(submission.id)
        if request is None or request.id != link.request_event_id:
            raise Refused(409, "stale", "この補正は、前の補正依頼に対するものです。", current=submission.status)
        if submission.status != "correction_requested":
            if submission.status == "withdrawn":
                raise Refused(409, "conflict", "この申請は取り下げられています。", current=submission.status)
            raise Refused(409, "already", "既に補正して申請済みです。", current=submission.status)
        signature = binding.record if binding is not None and binding.record else None
        if signature is not None and binding is not None and binding.submission_id != submission.id:
            raise Refused(422, "signature", "署名した申請と補正する申請が一致しません。", "/signing_request")
        before = (submission.answers, submission.procedure_version, submission.definition_sha256,
                  submission.signature)
        earlier = self.revisions(submission)
        filed_at = earlier[-1].replaced_at if earlier else submission.received_at
        try:
            event = workflow.record(self.session, submission, "received", actor, CORRECTION_REASON, "web",
                                    "correction_requested", now)
        except Refused as refused:  # a twin filing won the compare-and-set
            raise Refused(409, "already", "既に補正して申請済みです。", current=refused.current) from None
        definitions_repo.ensure_version(self.session, definition)
        revision = SubmissionRevision(
            id=str(uuid.uuid4()), submission_id=submission.id, number=len(earlier) + 1, answers=before[0],
            procedure_version=before[1], definition_sha256=before[2], signature=before[3], filed_at=filed_at,
            replaced_at=now)
        repository.add_revision(self.session, revision)
        stored = seal(normalised, definition.document, submission.id, self.keyring)  # sensitive: encrypted
        repository.replace_answers(self.session, submission, stored, definition.version, definition.sha256, signature)
        search_terms.replace_terms(self.session, submission, definition.document, normalised)  # staff search
        audit.append(self.session, actor, "submission.corrected", f"submission:{submission.receipt_number}",
                     {"via": "web", "revision": revision.number, "definition_sha256": definition.sha256,
                      "event": event.id}, now=now)
        return Filed(submission, revision, event)
