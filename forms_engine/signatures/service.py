"""Signing with the マイナンバーカード: the envelope to sign, the verified record, the binding to a submission."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import secrets
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session

from forms_engine.config import Settings
from forms_engine.definitions.schemas import Definition
from forms_engine.models import SigningRequest
from forms_engine.signatures import repository
from forms_engine.signatures.revocation_sources import revocation_checker
from forms_engine.signatures.schemas import ClientStatus, SigningProgress, Stage
from forms_engine.submissions.protection import (
    ProtectionError,
    is_envelope,
    seal_bytes,
    seal_value,
    signing_owner,
    unseal_bytes,
    unseal_value,
)
from signing import Check, SignatureVerifier, TrustAnchors, VerifierRegistry, default_registry, holder_fields
from signing.canonical import canonical_payload, payload_sha256
from signing.cms import CmsError, parse_detached

NO_ANCHORS_JA = "この環境ではマイナンバーカードの署名を検証できません（署名用の信頼点が設定されていません）。窓口または郵送で申請してください"
NO_ANCHORS_EN = "Signatures cannot be verified here (no trust anchors are configured)"
UNREADABLE_JA = "この署名要求はもう使えません。申請画面からもう一度署名をやり直してください"
UNREADABLE_EN = "This signing request can no longer be used: start the signing again"

log = logging.getLogger(__name__)

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
"""Request ids are typed by residents into a card client: no look-alikes (0/O, 1/I/L), as resume codes."""
CODE_LENGTH = 20  # 20 characters of 31: about 99 bits, for a request that lives 5 minutes and is single-use
_SEPARATORS = frozenset(" \t-‐‑‒–—―−ー－ｰ・")

UNSIGNED_KEPT = timedelta(hours=1)
"""An expired request that was never signed is kept this long (its page can still say it expired), then purged."""

HolderFieldsFor = Callable[[str], Sequence[str]]
"""procedure id -> the 基本4情報 its definition asks for (`x-procedure.signature_holder_fields`)."""


class VerifierConfigError(ValueError):
    """``FORMS_ENGINE_SIGNATURE_VERIFIER`` names no registered verifier, or its factory failed."""


def verifier_registry() -> VerifierRegistry:
    """The built-in ``jpki`` verifier and every verifier installed packages offer as entry points
    (group ``forms_engine.signature_verifiers``); a name offered twice is refused (ValueError)."""
    registry = default_registry()
    try:
        registry.load_entry_points()
    except ValueError as exc:  # two packages offer the same name: the deployment must choose, never us
        raise VerifierConfigError(f"signature verifier entry points: {exc}") from exc
    return registry


def build_verifier(settings: Settings, registry: VerifierRegistry | None = None) -> SignatureVerifier | None:
    """The verifier named by ``settings.signature_verifier``, built over the configured sign anchors and
    revocation sources; None when the deployment has no anchors (signed procedures are then refused).

    A verifier factory is called as ``factory(anchors, revocation, purpose="sign")`` (the reference
    ``JpkiVerifier``'s own signature; docs/signing.md) and must return a ``SignatureVerifier``."""
    registry = registry if registry is not None else verifier_registry()
    name = settings.signature_verifier
    try:
        factory = registry.get(name)
    except KeyError as exc:
        raise VerifierConfigError(f"FORMS_ENGINE_SIGNATURE_VERIFIER: {exc.args[0]}") from None
    if settings.jpki_sign_anchors is None:
        return None
    anchors = TrustAnchors.load(settings.jpki_sign_anchors, allow_test_policy=settings.jpki_allow_test_policy)
    if not anchors.certificates:
        return None
    # the same sources as login and `signatures recheck`: OCSP first when configured, then the CRL folder
    verifier = factory(anchors, revocation_checker(settings), purpose="sign")
    if not isinstance(verifier, SignatureVerifier):
        raise VerifierConfigError(f"FORMS_ENGINE_SIGNATURE_VERIFIER: the factory of {name!r} returned "
                                  f"{type(verifier).__name__}, not a SignatureVerifier")
    return verifier


def answers_sha256(answers: Any, secret_key: str) -> str:
    """Keyed (HMAC-SHA256 of the RFC 8785 answers): a plain hash of answers holding a マイナンバー could be
    matched against every possible number."""
    blob = canonical_payload({"answers": answers})
    return hmac.new(secret_key.encode(), b"signing-answers:" + blob, hashlib.sha256).hexdigest()


def purge(session: Session, settings: Settings, now: datetime | None = None) -> int:
    """Delete the signing requests nothing needs any more; how many went. A used one (its filing holds the
    record), an expired one never signed after `UNSIGNED_KEPT`, and a signed one never filed once it can no
    longer be filed (`fileable_until`). A request still waiting for its signature, or signed and fileable,
    is kept."""
    now = now or datetime.now(UTC)
    return repository.purge(session, now, unsigned_before=now - UNSIGNED_KEPT,
                            signed_expired_before=now - signed_grace(settings))


def signed_grace(settings: Settings) -> timedelta:
    """How long after its expiry a signed request may still be filed: as long as the draft that names it is
    kept after its last change (a resident may sign, save, and file the next day)."""
    return timedelta(hours=settings.draft_retention_hours)


def fileable_until(request: SigningRequest, settings: Settings) -> datetime:
    return request.expires_at + signed_grace(settings)


def new_request_id() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def format_request_id(request_id: str) -> str:
    """`ABCDEFGH…` -> `ABCD-EFGH-…` for a code of ours; any other id as it is."""
    if len(request_id) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in request_id):
        return request_id
    return "-".join(request_id[i:i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise_request_id(typed: str) -> str:
    """A code as typed (full-width, lower case, hyphens or spaces anywhere) -> its 20 characters."""
    return "".join(c for c in unicodedata.normalize("NFKC", typed) if c not in _SEPARATORS).upper()


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
    def __init__(self, session: Session, settings: Settings, verifier: SignatureVerifier | None) -> None:
        self.session = session
        self.settings = settings
        self.verifier = verifier

    def find(self, request_id: str) -> SigningRequest | None:
        """The request an id names, as stored or as a resident typed it (`abcd-efgh-…`)."""
        found = repository.get(self.session, request_id)
        if found is None:
            typed = normalise_request_id(request_id)
            if typed != request_id and len(typed) == CODE_LENGTH:
                found = repository.get(self.session, typed)
        return found

    def create_request(self, definition: Definition, answers: Any, lang: str, now: datetime | None = None,
                       submission_id: str | None = None) -> Outcome:
        """Store the exact bytes to sign (RFC 8785 envelope) and answer with them; answers already validated.
        ``submission_id``: the existing submission a correction (補正) replaces the answers of; a new id otherwise."""
        if self.verifier is None:
            return _error(422, NO_ANCHORS_JA if lang == "ja" else NO_ANCHORS_EN)
        now = now or datetime.now(UTC)
        purge(self.session, self.settings, now)  # the opportunistic clean-up, as new drafts do
        submission_id = submission_id or str(uuid.uuid4())
        envelope = {
            "type": "signature-envelope", "version": 1,
            "procedure": {"id": definition.id, "version": definition.version, "definition_sha256": definition.sha256},
            "submission": submission_id, "answers": answers, "attachments": [],
            "challenge": {"nonce": secrets.token_urlsafe(24), "issued_at": _rfc3339(now),
                          "audience": self.settings.public_origin},
        }
        payload = canonical_payload(envelope)
        request_id = new_request_id()
        sealed = seal_bytes(payload, signing_owner(request_id), "payload", self.settings.answers_keyring())
        request = SigningRequest(
            id=request_id, procedure_id=definition.id, definition_sha256=definition.sha256,
            submission_id=submission_id, answers_sha256=self._answers_sha256(answers), payload=sealed,
            payload_sha256=payload_sha256(payload), created_at=now,
            expires_at=now + timedelta(seconds=self.settings.signing_request_ttl_seconds))
        repository.add(self.session, request)
        return Outcome(201, {"id": request.id, "payload": base64.b64encode(payload).decode(),
                             "digest_sha256": request.payload_sha256, "expires_at": _rfc3339(request.expires_at)})

    def status(self, request_id: str, lang: str, now: datetime | None = None) -> Outcome:
        """What a card client needs: the bytes to sign while the request waits, and where it stands."""
        request = self.find(request_id)
        if request is None:
            return _error(404, "署名要求が見つかりません" if lang == "ja" else "Unknown signing request", "not_found")
        state = _client_status(request, now or datetime.now(UTC))
        payload = self._readable_payload(request) if state == "pending" else None
        if state == "pending" and payload is None:
            return _error(410, UNREADABLE_JA if lang == "ja" else UNREADABLE_EN, "gone")
        return Outcome(200, {"id": request.id, "status": state,
                             "payload": base64.b64encode(payload).decode() if payload is not None else None,
                             "digest_sha256": request.payload_sha256, "expires_at": _rfc3339(request.expires_at)})

    def submit_signature(self, request_id: str, fmt: str, signature_b64: str, certificate_b64: str | None,
                         lang: str, holder_fields_for: HolderFieldsFor | None = None) -> Outcome:
        """Verify a signature over a pending request (single use); 404 unknown, 410 expired or used.

        When the procedure asks for some of the 基本4情報 (``holder_fields_for``), only those are read from a
        verified certificate into the record; they are never logged.
        """
        received_at = datetime.now(UTC)
        request = self.find(request_id)
        if request is None:
            return _error(404, "署名要求が見つかりません" if lang == "ja" else "Unknown signing request", "not_found")
        try:  # a malformed body is the client's mistake: the request stays usable
            signature = base64.b64decode(signature_b64, validate=True)
            certificate = base64.b64decode(certificate_b64, validate=True) if certificate_b64 else None
        except (binascii.Error, ValueError):
            return _error(422, "signature と certificate は base64 で送ってください", "contentEncoding")
        if self.verifier is None:
            return _error(422, NO_ANCHORS_JA if lang == "ja" else NO_ANCHORS_EN)
        payload = self._readable_payload(request)
        if payload is None:
            return _error(410, UNREADABLE_JA if lang == "ja" else UNREADABLE_EN, "gone")
        if not repository.consume_for_signature(self.session, request.id, received_at):
            return _error(410, "この署名要求は期限切れか使用済みです。もう一度署名をやり直してください"
                          if lang == "ja" else "This signing request has expired or was used", "gone")
        binding = Check("binding", True, "request exists, unexpired and unused; the stored payload is verified")
        result = self.verifier.verify(payload, fmt, signature, certificate, received_at,
                                      prior_checks=[binding])
        record = result.to_dict()
        wanted = list(holder_fields_for(request.procedure_id)) if holder_fields_for is not None else []
        if wanted and record["status"] != "invalid":
            record.update(_holder(wanted, fmt, signature, certificate, record))
        if isinstance(record.get("holder"), dict):  # the 基本4情報 are kept encrypted, bound to the request
            record["holder"] = seal_value(record["holder"], signing_owner(request.id), "/holder",
                                          self.settings.answers_keyring())
        repository.store_result(self.session, request.id, record)
        return Outcome(200, {"status": record["status"], "failure": record["failure"], "checks": record["checks"]})

    def progress(self, definition: Definition, answers: Any, request_id: str | None,
                 now: datetime | None = None) -> SigningProgress:
        """Where a resident's request stands for these (normalised) answers of this definition."""
        found = self.find(request_id) if request_id else None
        if found is None or found.procedure_id != definition.id:
            return SigningProgress("missing", request_id)
        request: SigningRequest = found

        def at(stage: Stage, failure: str | None = None, record: dict[str, Any] | None = None) -> SigningProgress:
            return SigningProgress(stage, request.id, request.expires_at, failure, record)

        if request.definition_sha256 != definition.sha256 or request.answers_sha256 != self._answers_sha256(answers):
            return at("changed")
        if request.submitted_at is not None:
            return at("used")
        now = now or datetime.now(UTC)
        if request.signed_at is None:
            return at("expired" if request.expires_at <= now else "pending")
        if fileable_until(request, self.settings) <= now:
            return at("expired")
        try:
            record = self.result(request)
        except ProtectionError as exc:  # the key it was sealed with is gone: the resident signs again
            log.warning("signing request unreadable: %s", exc)  # names the request, never a value
            return at("expired")
        if record is None:  # consumed without a verdict: cannot happen since bodies are checked first
            return at("invalid", "bad_format")
        status, failure = record["status"], record.get("failure")
        if status == "valid":
            return at("valid", None, record)
        if status == "indeterminate":
            return at("accepted" if definition.meta.revocation == "best_effort" else "refused", failure, record)
        return at("invalid", failure, record)

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
        request = self.find(request_id)
        if request is None or request.procedure_id != definition.id:
            return _error(422, "署名要求が見つかりません" if ja else "Unknown signing request", pointer="/signing_request")
        try:
            result = self.result(request)
        except ProtectionError as exc:
            log.warning("signing request unreadable: %s", exc)  # names the request, never a value
            return _error(422, UNREADABLE_JA if ja else UNREADABLE_EN, pointer="/signing_request")
        if result is None:
            return _error(422, "まだ署名されていません" if ja else "Not signed yet", pointer="/signing_request")
        if fileable_until(request, self.settings) <= datetime.now(UTC):
            return _error(422, "署名の有効期限が切れました。もう一度署名してください"
                          if ja else "This signature has expired: sign again", pointer="/signing_request")
        if request.definition_sha256 != definition.sha256 or request.answers_sha256 != self._answers_sha256(answers):
            return _error(422, "署名した内容と申請する内容が一致しません。もう一度署名してください"
                          if ja else "The answers differ from the signed ones", pointer="/signing_request")
        status = result["status"]
        if status == "invalid" or (status == "indeterminate" and definition.meta.revocation == "require"):
            failure = result.get("failure")
            return _error(422, f"署名を確認できませんでした（{failure}）。もう一度署名してください"
                          if ja else f"The signature was not accepted ({failure})", pointer="/signing_request")
        if not repository.consume_for_submission(self.session, request.id, datetime.now(UTC)):
            return _error(422, "この署名は既に申請に使われています" if ja else "This signature was already used",
                          pointer="/signing_request")
        return Binding(request.submission_id, {"signing_request": request.id, **result})

    def payload(self, request: SigningRequest) -> bytes:
        """The bytes to sign, decrypted (`ProtectionError` if they do not decrypt)."""
        return unseal_bytes(request.payload, signing_owner(request.id), "payload", self.settings.answers_keyring(),
                            f"signing request {request.id}")

    def _readable_payload(self, request: SigningRequest) -> bytes | None:
        """The payload, or None when it no longer decrypts (its key was retired): the request is unusable."""
        try:
            return self.payload(request)
        except ProtectionError as exc:
            log.warning("signing request unreadable: %s", exc)  # names the request, never a value
            return None

    def result(self, request: SigningRequest) -> dict[str, Any] | None:
        """The verification record with the holder's data decrypted (the stored row is left as it is)."""
        record = request.result
        if record is None or not is_envelope(record.get("holder")):
            return record
        holder = unseal_value(record["holder"], signing_owner(request.id), "/holder", self.settings.answers_keyring(),
                              f"signing request {request.id}")
        return {**record, "holder": holder}

    def _answers_sha256(self, answers: Any) -> str:
        return answers_sha256(answers, self.settings.ensure_secret_key())


def _client_status(request: SigningRequest, now: datetime) -> ClientStatus:
    if request.signed_at is None:
        return "expired" if request.expires_at <= now else "pending"
    status = (request.result or {}).get("status")
    if status == "valid":
        return "valid"
    return "indeterminate" if status == "indeterminate" else "invalid"


def _holder(wanted: list[str], fmt: str, signature: bytes, certificate: bytes | None,
            record: dict[str, Any]) -> dict[str, Any]:
    """`{"holder": {...}}` read from the certificate the verifier accepted (its fingerprint is checked), or
    `{"holder": None, "holder_problem": why}`; the why never carries a value read from the certificate."""
    try:
        der = certificate if certificate is not None or fmt != "cms-detached" else \
            parse_detached(signature).signer_certificate_der()
    except CmsError:
        der = None
    fingerprint = (record.get("certificate") or {}).get("fingerprint_sha256")
    if der is None or hashlib.sha256(der).hexdigest() != fingerprint:
        return {"holder": None, "holder_problem": "the verified certificate could not be read again"}
    try:
        return {"holder": holder_fields(der, wanted)}
    except ValueError as exc:
        return {"holder": None, "holder_problem": str(exc)}


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
