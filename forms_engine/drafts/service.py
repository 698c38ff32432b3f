"""Drafts: answers kept on the server between steps, for at least 20 hours after the last change.

A draft is reached from the browser that holds its cookie, or from anywhere with its resume code:
12 characters from an alphabet without look-alikes (no 0/O, 1/I/L), shown as `ABCD-EFGH-JKLM`. The
code is stored only as an HMAC under the engine's secret key, so the database alone never gives it away.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session

from forms_engine.config import MIN_DRAFT_RETENTION_HOURS
from forms_engine.definitions.schemas import Definition
from forms_engine.drafts import repository
from forms_engine.drafts.schemas import DraftState, Purged, Started
from forms_engine.models import Draft

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12
_SEPARATORS = re.compile(r"[\s\-_‐‑‒–—―−ー－ｰ・.。、,]+")
_ATTEMPTS = 5
_ATTACHMENT_ID = re.compile(r"att_[0-9a-f]{8,64}")  # rendering.uploads.store: `att_` + 32 hex digits


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """`ABCDEFGHJKLM` -> `ABCD-EFGH-JKLM`."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def normalise_code(typed: str) -> str:
    """A code as typed (full-width, lower case, hyphens or spaces anywhere) -> its 12 characters."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", typed)).upper()


def well_formed(code: str) -> bool:
    return len(code) == CODE_LENGTH and all(c in ALPHABET for c in code)


def code_hash(secret_key: str, code: str) -> str:
    return hmac.new(secret_key.encode(), f"resume:{code}".encode(), hashlib.sha256).hexdigest()


def purge(session: Session, now: datetime | None = None) -> int:
    """The clean-up done on every new draft: delete the drafts whose retention has ended and that hold no
    upload. Drafts holding uploads wait for `purge_with_uploads` (`forms-engine drafts purge`), which also
    removes their files once the deletion is committed: a request does no file housekeeping."""
    return repository.purge_expired_without_uploads(session, now or datetime.now(UTC))


def purge_with_uploads(session: Session, now: datetime | None = None) -> Purged:
    """Delete every draft whose retention has ended, and the uploads only those drafts held: attachments no
    submission has claimed and no draft still kept names. The files are the caller's to remove, after the
    commit (see `Purged`)."""
    now = now or datetime.now(UTC)
    held: set[str] = set()
    answers = repository.delete_expired(session, now)
    for value in answers:
        held.update(_attachment_ids(value))
    if held:  # an upload posted back by id into another draft that is still kept stays with that draft
        for value in repository.live_answers_with_uploads(session, now):
            held.difference_update(_attachment_ids(value))
    keys = repository.delete_unclaimed_attachments(session, held) if held else []
    return Purged(len(answers), keys)


def _attachment_ids(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for child in value.values():
            yield from _attachment_ids(child)
    elif isinstance(value, list):
        for child in value:
            yield from _attachment_ids(child)
    elif isinstance(value, str) and _ATTACHMENT_ID.fullmatch(value):
        yield value


class DraftService:
    def __init__(self, session: Session, secret_key: str, retention_hours: int) -> None:
        self.session = session
        self.secret_key = secret_key
        self.retention = timedelta(hours=max(retention_hours, MIN_DRAFT_RETENTION_HOURS))

    def start(self, definition: Definition, answers: Any, state: DraftState,
              now: datetime | None = None) -> Started:
        """A new draft (expired ones are purged on the way: the opportunistic clean-up)."""
        now = now or datetime.now(UTC)
        purge(self.session, now)
        for _ in range(_ATTEMPTS):
            code = new_code()
            draft = Draft(id=secrets.token_hex(16), procedure_id=definition.id,
                          definition_sha256=definition.sha256, answers=copy.deepcopy(answers),
                          state=state.to_json(), resume_code_sha256=code_hash(self.secret_key, code),
                          created_at=now, updated_at=now, expires_at=now + self.retention)
            if repository.add(self.session, draft):
                return Started(draft, code)
        raise RuntimeError("could not allocate a unique resume code")

    def get(self, procedure_id: str, draft_id: str, now: datetime | None = None) -> Draft | None:
        """The draft, unless it belongs to another procedure or its retention has ended."""
        draft = repository.get(self.session, draft_id)
        if draft is None or draft.procedure_id != procedure_id or draft.expires_at <= (now or datetime.now(UTC)):
            return None
        return draft

    def save(self, draft: Draft, definition: Definition, answers: Any, state: DraftState,
             now: datetime | None = None) -> None:
        """Keep the answers; the retention starts again from now."""
        now = now or datetime.now(UTC)
        draft.answers = copy.deepcopy(answers)
        draft.state = state.to_json()
        draft.definition_sha256 = definition.sha256
        draft.updated_at = now
        draft.expires_at = now + self.retention
        repository.save(self.session, draft)

    def submitted(self, draft: Draft, receipt_number: str, now: datetime | None = None) -> None:
        """Filed: the answers now live in the submission, the draft keeps only its 受付番号."""
        now = now or datetime.now(UTC)
        draft.submitted_receipt_number = receipt_number
        draft.answers = None
        draft.state = DraftState().to_json()
        draft.updated_at = now
        draft.expires_at = now + self.retention
        repository.save(self.session, draft)

    def resume(self, typed: str, now: datetime | None = None) -> tuple[Draft, str] | None:
        """The draft a typed code opens, with the code normalised; None when unknown or expired."""
        code = normalise_code(typed)
        if not well_formed(code):
            return None
        digest = code_hash(self.secret_key, code)
        draft = repository.by_code_hash(self.session, digest)
        # The database compares keyed hashes, not codes: its timing can tell at most how much of an HMAC
        # matched, which says nothing about any code without the secret key. The constant-time comparison
        # restates the match in Python. Unknown and expired codes get the same answer (None), after the
        # same single query: the resident is told "not found, or deleted after its time limit" either way.
        if draft is None or not hmac.compare_digest(draft.resume_code_sha256, digest) \
                or draft.expires_at <= (now or datetime.now(UTC)):
            return None
        return draft, code

