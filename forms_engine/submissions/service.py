"""Filing a submission: validate, store whole or not at all, answer a retry with the first answer."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from forms_engine.definitions import repository as definitions_repo
from forms_engine.definitions.canonical import canonical_bytes
from forms_engine.definitions.schemas import Definition
from forms_engine.models import IdempotencyRecord, Submission
from forms_engine.signatures.service import Binding, SigningService
from forms_engine.staff import search as search_terms
from forms_engine.submissions import receipt_number, repository
from forms_engine.submissions.protection import Keyring, seal
from forms_engine.validation.service import AnswerValidator
from signing.recheck import APPENDED_KEYS

_ATTEMPTS = 5


@dataclass(frozen=True)
class Outcome:
    status_code: int
    body: dict[str, Any]
    submission: Submission | None = None


def receipt_token(secret_key: str, submission_id: str) -> str:
    """The token in a receipt URL: only who was given the URL at filing can fetch the 控え."""
    mac = hmac.new(secret_key.encode(), f"receipt:{submission_id}".encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def check_receipt_token(secret_key: str, submission_id: str, token: str) -> bool:
    return hmac.compare_digest(receipt_token(secret_key, submission_id), token)


_STORED = object()


def submission_digest(submission: Submission, answers: Any = _STORED) -> str:
    """SHA-256 of the submission (RFC 8785), printed in the receipt's QR code. ``answers``: the answers as filed
    (`protection.unseal`): the digest covers them, not their encryption at rest, so it does not change when keys
    are rotated. It covers the signature record as filed: what a later revocation re-check appends to it does
    not change the receipt's digest."""
    signature = submission.signature
    if isinstance(signature, dict) and any(key in signature for key in APPENDED_KEYS):
        signature = {key: value for key, value in signature.items() if key not in APPENDED_KEYS}
    return hashlib.sha256(canonical_bytes({
        "id": submission.id, "receipt_number": submission.receipt_number,
        "procedure": {"id": submission.procedure_id, "version": submission.procedure_version,
                      "definition_sha256": submission.definition_sha256},
        "answers": submission.answers if answers is _STORED else answers, "received_at": submission.received_at.isoformat(),
        "signature": signature,
    })).hexdigest()


def _request_hash(secret_key: str, procedure_id: str, answers: Any) -> str:
    """Keyed: a plain hash of answers holding a マイナンバー could be matched against every possible number."""
    blob = json.dumps([procedure_id, answers], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hmac.new(secret_key.encode(), blob.encode(), hashlib.sha256).hexdigest()


def errors_body(errors: list[Any]) -> dict[str, Any]:
    return {"errors": [e.as_dict() for e in errors]}


class SubmissionService:
    def __init__(self, session: Session, secret_key: str, signing: SigningService, keyring: Keyring) -> None:
        self.session = session
        self.secret_key = secret_key
        self.signing = signing
        self.keyring = keyring

    def file(
        self,
        definition: Definition,
        validator: AnswerValidator,
        answers: Any,
        *,
        lang: str = "ja",
        idempotency_key: str | None = None,
        signing_request: str | None = None,
        resident_account_id: str | None = None,
        now: datetime | None = None,
    ) -> Outcome:
        """Validate and store; 201 with the 受付番号, 422 with every failing field, 409 when closed.
        ``resident_account_id``: the logged-in resident's account (申請履歴), when filed from their session."""
        now = now or datetime.now(UTC)
        request_hash = _request_hash(self.secret_key, definition.id, [answers, signing_request])
        # Validation is pure: do it before the first statement, which on SQLite takes the write lock.
        normalised = validator.normalise(answers)
        errors = validator.validate(normalised, lang)
        if idempotency_key is not None:
            replay = self._replay(definition.id, idempotency_key, request_hash)
            if replay is not None:
                return replay
        if not definition.is_open(now):
            message = "この手続は現在受け付けていません" if lang == "ja" else "This procedure is not open now"
            return Outcome(409, {"errors": [{"pointer": "", "keyword": "x-procedure", "message": message}]})
        if errors:
            return Outcome(422, errors_body(errors))
        bound = self.signing.bind(definition, normalised, signing_request, lang)
        if not isinstance(bound, Binding):
            if idempotency_key is not None:  # a racing twin may have used the signature: answer as it did
                replay = self._replay(definition.id, idempotency_key, request_hash)
                if replay is not None:
                    return replay
            return Outcome(bound.status_code, bound.body)
        definitions_repo.ensure_version(self.session, definition)
        stored = seal(normalised, definition.document, bound.submission_id, self.keyring)  # sensitive: encrypted
        for _ in range(_ATTEMPTS):
            submission = Submission(
                id=bound.submission_id, receipt_number=receipt_number.generate(), procedure_id=definition.id,
                procedure_version=definition.version, definition_sha256=definition.sha256, answers=stored,
                received_at=now, status="received", signature=bound.record or None,
                resident_account_id=resident_account_id,
            )
            body = self.created_body(submission)
            record = None
            if idempotency_key is not None:
                record = IdempotencyRecord(scope=definition.id, key=idempotency_key, request_sha256=request_hash,
                                           status_code=201, response=body, created_at=now)
            try:
                repository.add(self.session, submission, record)
            except IntegrityError:
                if idempotency_key is not None:
                    replay = self._replay(definition.id, idempotency_key, request_hash)
                    if replay is not None:  # an identical request won the race: answer as it did
                        return replay
                continue  # the receipt number was taken: draw another
            search_terms.write_terms(self.session, submission, definition.document, normalised)
            return Outcome(201, body, submission)
        raise RuntimeError("could not allocate a unique receipt number")

    def created_body(self, submission: Submission) -> dict[str, Any]:
        token = receipt_token(self.secret_key, submission.id)
        return {
            "receipt_number": submission.receipt_number,
            "id": submission.id,
            "received_at": submission.received_at.isoformat().replace("+00:00", "Z"),
            "receipt_url": f"/api/v1/receipts/{submission.receipt_number}.pdf?token={token}",
        }

    def _replay(self, scope: str, key: str, request_hash: str) -> Outcome | None:
        record = repository.get_idempotency(self.session, scope, key)
        if record is None:
            return None
        if record.request_sha256 != request_hash:
            return Outcome(422, {"errors": [{
                "pointer": "", "keyword": "idempotency-key",
                "message": "この Idempotency-Key は別の内容の申請に使われています"}]})
        return Outcome(record.status_code, record.response)
