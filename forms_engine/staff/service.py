"""Review rules: which procedures a staff member sees (departments where they hold a role; anything else is
"not found"), the submission list (filters, keyset pages), one submission (answers, attachments, signature,
history), the 受付票, and the masking of sensitive values (decrypted only for the ``sensitive`` role). Every view is audited."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from forms_engine.audit import service as audit
from forms_engine.config import Settings
from forms_engine.definitions.schemas import Definition
from forms_engine.definitions.sensitivity import replace_at, sensitive_pointers
from forms_engine.definitions.service import DefinitionCatalogue
from forms_engine.models import Attachment, Submission, SubmissionEvent
from forms_engine.receipts.service import render_receipt
from forms_engine.receipts.store import receipt_data, receipt_pdf
from forms_engine.staff import repository, search
from forms_engine.staff.schemas import Actor, Cursor, ListFilter, Right
from forms_engine.submissions import receipt_number
from forms_engine.submissions.protection import unseal

MASK = "●●●●"
JST = ZoneInfo("Asia/Tokyo")
MAX_PAGE = 200


class BadRequest(ValueError):
    """A filter or cursor that cannot be read; ``pointer`` names the query parameter."""

    def __init__(self, pointer: str, message: str) -> None:
        super().__init__(message)
        self.pointer = pointer


# -- masking ---------------------------------------------------------------------------------------
def mask_sensitive(document: Mapping[str, Any], answers: Any) -> tuple[Any, bool]:
    """The answers with every sensitive value (`definitions.sensitivity`: ``x-sensitive``, a マイナンバー) replaced
    by ●●●●, whatever its type, so neither its length nor its shape shows; and whether any was. The one place
    where staff-facing values are masked (lists, details, the 受付票 of staff without the ``sensitive`` role).
    Works on the answers as stored too: a sealed value is masked without being decrypted."""
    pointers = sensitive_pointers(document, answers)
    return replace_at(answers, pointers, lambda _pointer, _value: MASK), bool(pointers)


# -- filters and cursors ---------------------------------------------------------------------------
def parse_bound(text: str | None, *, end: bool, pointer: str) -> datetime | None:
    """``YYYY-MM-DD`` (a day in Japan: from its start, or up to its end when ``end``) or an RFC 3339 date-time."""
    if not text:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime.combine(day + timedelta(days=1) if end else day, time(), JST)
            return start.astimezone(UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(pointer, "日付は 2025-04-01 か 2025-04-01T09:00:00+09:00 の形で指定してください") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=JST)
    return moment.astimezone(UTC)


def encode_cursor(cursor: Cursor) -> str:
    raw = json.dumps([cursor.received_at.astimezone(UTC).isoformat(), cursor.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(text: str | None) -> Cursor | None:
    if not text:
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        at, ident = raw
        moment = datetime.fromisoformat(at)
        if not isinstance(ident, str) or len(ident) > 36 or moment.tzinfo is None:
            raise ValueError
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        raise BadRequest("/cursor", "cursor が正しくありません（前のページの next_cursor をそのまま渡してください）") from None
    return Cursor(moment, ident)


# -- what the service answers ----------------------------------------------------------------------
@dataclass
class Page:
    procedure_id: str
    items: list[Submission]
    next_cursor: str | None


@dataclass
class Detail:
    submission: Submission
    document: dict[str, Any]
    answers: Any  # masked unless the staff member holds the sensitive role
    masked: bool
    attachments: list[Attachment]
    events: list[SubmissionEvent]
    rights: frozenset[Right]


class ReviewService:
    def __init__(self, session: Session, settings: Settings, catalogue: DefinitionCatalogue, actor: Actor) -> None:
        self.session = session
        self.settings = settings
        self.catalogue = catalogue
        self.actor = actor

    def procedures(self) -> list[Definition]:
        """The procedures of the departments where this staff member holds a role."""
        return [d for d in self.catalogue.all() if self.actor.can(d.meta.department, "view")]

    def department_of(self, procedure_id: str, document: Mapping[str, Any] | None = None) -> str | None:
        """The procedure's department as defined now, or as last stored when it is no longer defined."""
        current = self.catalogue.get(procedure_id)
        if current is not None:
            return current.meta.department
        document = document or repository.latest_document(self.session, procedure_id)
        meta = document.get("x-procedure") if document else None
        return str(meta["department"]) if isinstance(meta, Mapping) and "department" in meta else None

    def allowed(self, procedure_id: str, right: Right = "view", document: Mapping[str, Any] | None = None) -> bool:
        department = self.department_of(procedure_id, document)
        return department is not None and self.actor.can(department, right)

    def title(self, procedure_id: str) -> str:
        found = self.catalogue.get(procedure_id)
        return found.title if found is not None else procedure_id

    def list(self, procedure_id: str, chosen: ListFilter, cursor: str | None, via: str) -> Page | None:
        """A page of the procedure's submissions, newest first; None when not found for this staff member."""
        if not self.allowed(procedure_id):
            return None
        after = decode_cursor(cursor)
        chosen = replace(chosen, limit=max(1, min(chosen.limit, MAX_PAGE)))
        words = search.query_words(chosen.q)
        items = repository.submission_page(self.session, procedure_id, chosen, after, words,
                                           search.whole_receipt_number(words))
        last = items[-1] if len(items) == chosen.limit else None
        next_cursor = encode_cursor(Cursor(last.received_at, last.id)) if last is not None else None
        audit.append(self.session, self.actor.audit_name, "submissions.list", f"procedure:{procedure_id}", {
            "via": via, "status": chosen.status, "q": chosen.q, "cursor": cursor is not None, "count": len(items),
            "since": chosen.since.isoformat() if chosen.since else None,
            "until": chosen.until.isoformat() if chosen.until else None})
        return Page(procedure_id, items, next_cursor)

    def search_fields(self, procedure_id: str) -> Sequence[str]:
        """The titles of the answers the free-text filter searches besides the 受付番号 (``x-staff-search``)."""
        stored = None if self.catalogue.get(procedure_id) else repository.latest_document(self.session, procedure_id)
        return search.fields_of(self.catalogue, procedure_id, stored)

    def find(self, number: str) -> tuple[Submission, dict[str, Any]] | None:
        """The submission a 受付番号 names and its definition, when this staff member may see it."""
        canonical = receipt_number.parse(number)
        found = repository.by_receipt_number(self.session, canonical) if canonical else None
        if found is None:
            return None
        document = repository.definition_document(self.session, found.definition_sha256) or {}
        if not self.allowed(found.procedure_id, "view", document):
            return None
        return found, document

    def rights_on(self, procedure_id: str, document: Mapping[str, Any]) -> frozenset[Right]:
        department = self.department_of(procedure_id, document)
        return self.actor.rights(department) if department is not None else frozenset()

    def detail(self, number: str, via: str) -> Detail | None:
        located = self.find(number)
        if located is None:
            return None
        submission, document = located
        rights = self.rights_on(submission.procedure_id, document)
        if "sensitive" in rights:
            answers = unseal(submission.answers, document, submission.id, self.settings.answers_keyring())
            masked = False
        else:  # masked as stored: what the staff member may not see is not even decrypted
            answers, masked = mask_sensitive(document, submission.answers)
        detail = Detail(submission, document, answers, masked, repository.attachments_of(self.session, submission.id),
                        repository.events_of(self.session, submission.id), rights)
        audit.append(self.session, self.actor.audit_name, "submission.view", f"submission:{submission.receipt_number}",
                     {"via": via, "sensitive_shown": "sensitive" in rights})
        return detail

    def office_receipt(self, number: str) -> tuple[Submission, bytes] | None:
        """The 受付票 (PDF); ``x-sensitive`` values masked for staff without the sensitive role."""
        located = self.find(number)
        if located is None:
            return None
        submission, document = located
        shown = "sensitive" in self.rights_on(submission.procedure_id, document)
        if shown:
            pdf = receipt_pdf(self.session, self.settings, submission, "office")
        else:
            data = receipt_data(self.session, self.settings, submission)
            masked, _ = mask_sensitive(document, dict(data.answers))
            pdf = render_receipt(replace(data, answers=masked), "office", mask_sensitive=True)
        audit.append(self.session, self.actor.audit_name, "receipt.view", f"submission:{submission.receipt_number}",
                     {"copy": "office", "sensitive_shown": shown})
        return submission, pdf
