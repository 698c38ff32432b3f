"""Drafts: answers kept on the server between steps, for at least 20 hours after the last change.

A draft is reached from the browser that holds its cookie, or from anywhere with its resume code:
12 characters from an alphabet without look-alikes (no 0/O, 1/I/L), shown as `ABCD-EFGH-JKLM`. The
code is stored only as an HMAC under the engine's secret key, so the database alone never gives it away.

Sensitive answers (`definitions.sensitivity`) are sealed in the row as submissions' are
(`submissions.protection`, bound to ``draft:<id>`` and their pointer). A draft this service hands out is
detached from the session and carries its answers in clear; every write is an UPDATE of sealed values, so
plaintext is never flushed. A draft whose sealed answers no longer decrypt (a key removed within the
retention) reads as gone.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import logging
import re
import secrets
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session

from forms_engine.config import MIN_DRAFT_RETENTION_HOURS
from forms_engine.definitions.schemas import Definition
from forms_engine.definitions.sensitivity import sensitive_pointers
from forms_engine.drafts import repository
from forms_engine.drafts.schemas import DraftState, Purged, Started
from forms_engine.models import Draft
from forms_engine.submissions.protection import (
    Keyring,
    ProtectionError,
    draft_owner,
    seal_found,
    unseal_found,
)

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12
_SEPARATORS = re.compile(r"[\s\-_‐‑‒–—―−ー－ｰ・.。、,]+")
_ATTEMPTS = 5
_ATTACHMENT_ID = re.compile(r"att_[0-9a-f]{8,64}")  # rendering.uploads.store: `att_` + 32 hex digits
_SEALED_BATCH = 100  # expired drafts with sealed answers opened per new draft (the rest wait for the next)
log = logging.getLogger(__name__)


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


def purge(session: Session, keyring: Keyring, now: datetime | None = None) -> int:
    """The clean-up done on every new draft: delete the drafts whose retention has ended and that hold no
    upload (a draft with sealed answers is opened first: an upload may sit inside one). Drafts holding
    uploads wait for `purge_with_uploads` (`forms-engine drafts purge`), which also removes their files once
    the deletion is committed: a request does no file housekeeping."""
    now = now or datetime.now(UTC)
    deleted = repository.purge_expired_without_uploads(session, now)
    empty = [draft_id for draft_id, answers in repository.expired_sealed_without_uploads(session, now, _SEALED_BATCH)
             if (ids := _readable_ids(draft_id, answers, keyring)) is not None and not ids]
    return deleted + repository.delete_expired_ids(session, empty, now)


def purge_with_uploads(session: Session, now: datetime | None = None, *, keyring: Keyring) -> Purged:
    """Delete every draft whose retention has ended, and the uploads only those drafts held: attachments no
    submission has claimed and no draft still kept names (sealed answers are opened to find them; a draft
    whose sealed answers no longer decrypt is deleted all the same, its uploads then stay unclaimed). The
    files are the caller's to remove, after the commit (see `Purged`)."""
    now = now or datetime.now(UTC)
    held: set[str] = set()
    deleted = repository.delete_expired(session, now)
    for draft_id, value in deleted:
        held.update(_readable_ids(draft_id, value, keyring) or ())
    if held:  # an upload posted back by id into another draft that is still kept stays with that draft
        for draft_id, value in repository.live_answers_with_uploads(session, now):
            held.difference_update(_readable_ids(draft_id, value, keyring) or ())
    keys = repository.delete_unclaimed_attachments(session, held) if held else []
    return Purged(len(deleted), keys)


def _readable_ids(draft_id: str, answers: Any, keyring: Keyring) -> set[str] | None:
    """The attachment ids a draft's answers name, sealed ones included; None when they do not decrypt."""
    try:
        return set(_attachment_ids(unseal_found(answers, draft_owner(draft_id), keyring, f"draft {draft_id}")))
    except ProtectionError as exc:
        log.warning("drafts purge: %s", exc)  # the message names the draft and pointer, never a value
        return None


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
    def __init__(self, session: Session, secret_key: str, retention_hours: int, keyring: Keyring) -> None:
        self.session = session
        self.secret_key = secret_key
        self.retention = timedelta(hours=max(retention_hours, MIN_DRAFT_RETENTION_HOURS))
        self.keyring = keyring

    def start(self, definition: Definition, answers: Any, state: DraftState,
              now: datetime | None = None) -> Started:
        """A new draft (expired ones are purged on the way: the opportunistic clean-up)."""
        now = now or datetime.now(UTC)
        purge(self.session, self.keyring, now)
        for _ in range(_ATTEMPTS):
            code = new_code()
            draft_id = secrets.token_hex(16)
            draft = Draft(id=draft_id, procedure_id=definition.id, definition_sha256=definition.sha256,
                          answers=self._sealed(draft_id, definition, answers),
                          state=state.to_json(), resume_code_sha256=code_hash(self.secret_key, code),
                          created_at=now, updated_at=now, expires_at=now + self.retention)
            if repository.add(self.session, draft):
                return Started(self._handed_out(draft, copy.deepcopy(answers)), code)
        raise RuntimeError("could not allocate a unique resume code")

    def get(self, procedure_id: str, draft_id: str, now: datetime | None = None) -> Draft | None:
        """The draft, unless it belongs to another procedure or its retention has ended."""
        draft = repository.get(self.session, draft_id)
        if draft is None or draft.procedure_id != procedure_id or draft.expires_at <= (now or datetime.now(UTC)):
            return None
        return self._opened(draft)

    def save(self, draft: Draft, definition: Definition, answers: Any, state: DraftState,
             now: datetime | None = None, *, unchanged_since: datetime | None = None) -> bool:
        """Keep the answers; the retention starts again from now. With `unchanged_since` (the `updated_at` the
        draft was read with) only if nobody saved it since: False, and nothing written, when somebody did."""
        now = now or datetime.now(UTC)
        repository.detach(self.session, draft)
        values = {"answers": self._sealed(draft.id, definition, answers), "state": state.to_json(),
                  "definition_sha256": definition.sha256, "updated_at": now, "expires_at": now + self.retention}
        if not repository.write(self.session, draft.id, values, unchanged_since=unchanged_since):
            return False
        for name, value in {**values, "answers": copy.deepcopy(answers)}.items():
            setattr(draft, name, value)
        return True

    def submitted(self, draft: Draft, receipt_number: str, now: datetime | None = None) -> None:
        """Filed: the answers now live in the submission, the draft keeps only its 受付番号."""
        now = now or datetime.now(UTC)
        repository.detach(self.session, draft)
        values = {"submitted_receipt_number": receipt_number, "answers": None, "state": DraftState().to_json(),
                  "updated_at": now, "expires_at": now + self.retention}
        repository.write(self.session, draft.id, values)
        for name, value in values.items():
            setattr(draft, name, value)

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
        opened = self._opened(draft)
        return (opened, code) if opened is not None else None

    def _sealed(self, draft_id: str, definition: Definition, answers: Any) -> Any:
        """The answers as the row keeps them: every sensitive one sealed, bound to the draft."""
        pointers = sensitive_pointers(definition.document, answers)
        return seal_found(copy.deepcopy(answers), pointers, draft_owner(draft_id), self.keyring)

    def _opened(self, draft: Draft) -> Draft | None:
        """The stored draft, detached, with its answers in clear; None when they no longer decrypt."""
        try:
            answers = unseal_found(draft.answers, draft_owner(draft.id), self.keyring, f"draft {draft.id}")
        except ProtectionError as exc:
            log.warning("draft unreadable, treated as gone: %s", exc)  # names draft and pointer, never a value
            repository.detach(self.session, draft)
            return None
        return self._handed_out(draft, copy.deepcopy(answers))

    def _handed_out(self, draft: Draft, answers: Any) -> Draft:
        repository.detach(self.session, draft)
        draft.answers = answers
        return draft
