"""Signing with the マイナンバーカード: the envelope to sign, the verified record, the binding to a submission."""

from __future__ import annotations

import base64
import binascii
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session

from forms_engine.config import Settings
from forms_engine.definitions.schemas import Definition
from forms_engine.models import SigningRequest
from forms_engine.signatures import repository
from signing import Check, CrlFolderChecker, JpkiVerifier, NotChecked, TrustAnchors
from signing.canonical import canonical_payload, payload_sha256

NO_ANCHORS_JA = "この環境ではマイナンバーカードの署名を検証できません（署名用の信頼点が設定されていません）。窓口または郵送で申請してください"
NO_ANCHORS_EN = "Signatures cannot be verified here (no trust anchors are configured)"


def build_verifier(settings: Settings) -> JpkiVerifier | None:
    """The reference JPKI verifier over the configured anchors; None when the deployment has none."""
    if settings.jpki_sign_anchors is None:
        return None
    anchors = TrustAnchors.load(settings.jpki_sign_anchors, allow_test_policy=settings.jpki_allow_test_policy)
    if not anchors.certificates:
        return None
    revocation = CrlFolderChecker(settings.crl_dir) if settings.crl_dir is not None else NotChecked()
    return JpkiVerifier(anchors, revocation, purpose="sign")


def answers_sha256(answers: Any) -> str:
    return payload_sha256(canonical_payload({"answers": answers}))


def _error(status: int, message: str, keyword: str = "signature", pointer: str = "") -> Outcome:
    return Outcome(status, {"errors": [{"pointer": pointer, "keyword": keyword, "message": message}]})


@dataclass(frozen=True)
class Outcome:
    status_code: int
    body: dict[str, Any]


@dataclass(frozen=True)
class Binding:
    """What a verified signing request contributes to a submission."""

    submission_id: str
    record: dict[str, Any]


class SigningService:
    def __init__(self, session: Session, settings: Settings, verifier: JpkiVerifier | None) -> None:
        self.session = session
        self.settings = settings
        self.verifier = verifier

    def create_request(self, definition: Definition, answers: Any, lang: str, now: datetime | None = None) -> Outcome:
        """Store the exact bytes to sign (RFC 8785 envelope) and answer with them; answers already validated."""
        if self.verifier is None:
            return _error(422, NO_ANCHORS_JA if lang == "ja" else NO_ANCHORS_EN)
        now = now or datetime.now(UTC)
        submission_id = str(uuid.uuid4())
        envelope = {
            "type": "signature-envelope", "version": 1,
            "procedure": {"id": definition.id, "version": definition.version, "definition_sha256": definition.sha256},
            "submission": submission_id, "answers": answers, "attachments": [],
            "challenge": {"nonce": secrets.token_urlsafe(24), "issued_at": _rfc3339(now),
                          "audience": self.settings.public_origin},
        }
        payload = canonical_payload(envelope)
        request = SigningRequest(
            id=secrets.token_urlsafe(24), procedure_id=definition.id, definition_sha256=definition.sha256,
            submission_id=submission_id, answers_sha256=answers_sha256(answers), payload=payload,
            payload_sha256=payload_sha256(payload), created_at=now,
            expires_at=now + timedelta(seconds=self.settings.signing_request_ttl_seconds))
        repository.add(self.session, request)
        return Outcome(201, {"id": request.id, "payload": base64.b64encode(payload).decode(),
                             "digest_sha256": request.payload_sha256, "expires_at": _rfc3339(request.expires_at)})

    def submit_signature(self, request_id: str, fmt: str, signature_b64: str, certificate_b64: str | None,
                         lang: str) -> Outcome:
        """Verify a signature over a pending request (single use); 404 unknown, 410 expired or used."""
        received_at = datetime.now(UTC)
        request = repository.get(self.session, request_id)
        if request is None:
            return _error(404, "署名要求が見つかりません" if lang == "ja" else "Unknown signing request", "not_found")
        if not repository.consume_for_signature(self.session, request_id, received_at):
            return _error(410, "この署名要求は期限切れか使用済みです。もう一度署名をやり直してください"
                          if lang == "ja" else "This signing request has expired or was used", "gone")
        try:
            signature = base64.b64decode(signature_b64, validate=True)
            certificate = base64.b64decode(certificate_b64, validate=True) if certificate_b64 else None
        except (binascii.Error, ValueError):
            return _error(422, "signature と certificate は base64 で送ってください", "contentEncoding")
        if self.verifier is None:
            return _error(422, NO_ANCHORS_JA if lang == "ja" else NO_ANCHORS_EN)
        binding = Check("binding", True, "request exists, unexpired and unused; the stored payload is verified")
        result = self.verifier.verify(request.payload, fmt, signature, certificate, received_at, prior_checks=[binding])
        record = result.to_dict()
        repository.store_result(self.session, request_id, record)
        return Outcome(200, {"status": record["status"], "failure": record["failure"], "checks": record["checks"]})

    def bind(self, definition: Definition, answers: Any, request_id: str | None, lang: str) -> Binding | Outcome:
        """The signature a submission carries, checked against what it files; an Outcome (422) when refused."""
        ja = lang == "ja"
        if request_id is None:
            if definition.meta.signature == "required":
                if self.verifier is None:
                    return _error(422, NO_ANCHORS_JA if ja else NO_ANCHORS_EN, pointer="/signing_request")
                return _error(422, "この手続はマイナンバーカードによる署名が必要です。署名してから申請してください"
                              if ja else "This procedure must be signed with a My Number Card", pointer="/signing_request")
            return Binding(str(uuid.uuid4()), {})
        request = repository.get(self.session, request_id)
        if request is None or request.procedure_id != definition.id:
            return _error(422, "署名要求が見つかりません" if ja else "Unknown signing request", pointer="/signing_request")
        if request.result is None:
            return _error(422, "まだ署名されていません" if ja else "Not signed yet", pointer="/signing_request")
        if request.definition_sha256 != definition.sha256 or request.answers_sha256 != answers_sha256(answers):
            return _error(422, "署名した内容と申請する内容が一致しません。もう一度署名してください"
                          if ja else "The answers differ from the signed ones", pointer="/signing_request")
        status = request.result["status"]
        if status == "invalid" or (status == "indeterminate" and definition.meta.revocation == "require"):
            failure = request.result.get("failure")
            return _error(422, f"署名を確認できませんでした（{failure}）。もう一度署名してください"
                          if ja else f"The signature was not accepted ({failure})", pointer="/signing_request")
        if not repository.consume_for_submission(self.session, request_id, datetime.now(UTC)):
            return _error(422, "この署名は既に申請に使われています" if ja else "This signature was already used",
                          pointer="/signing_request")
        return Binding(request.submission_id, {"signing_request": request.id, **request.result})


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
