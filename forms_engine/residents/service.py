"""Resident login with the マイナンバーカード's 利用者証明用 certificate, accounts, sessions and 「申請履歴」.

Login is challenge-response: a random single-use nonce, stored with its expiry, is signed by the card's
authentication key and verified with ``signing.verify_auth_challenge`` against the authentication trust
anchors (FORMS_ENGINE_JPKI_AUTH_ANCHORS) and policy. The certificate only names an account linked
earlier: the first login with a certificate opens an account linked to it (fingerprint, issuer, serial;
the authentication certificate holds no personal data), a logged-in resident links a renewed card with
a second challenge. Without anchors nothing is ever accepted.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session

from forms_engine.config import Settings
from forms_engine.models import (
    AuthChallenge,
    ResidentAccount,
    ResidentCertificate,
    ResidentSession,
    Submission,
)
from forms_engine.residents import repository
from forms_engine.residents.schemas import Answer, Claimed, Outcome, Purpose, Started
from forms_engine.sessions import activity_due, digest, timed_out
from forms_engine.signatures.revocation_sources import revocation_checker
from forms_engine.submissions import repository as submissions
from signing import Check, NotChecked, RevocationChecker, TrustAnchors, verify_auth_challenge
from signing.protocols import VerificationResult

CHALLENGE_TTL = timedelta(minutes=5)
NONCE_BYTES = 32
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
"""Challenge ids are typed by residents into a card app: no look-alikes (0/O, 1/I/L)."""
CODE_LENGTH = 20  # about 99 bits, for a challenge that lives 5 minutes and is single-use
_SEPARATORS = frozenset(" \t-‐‑‒–—―−ー－ｰ・")

NO_ANCHORS_JA = ("この環境ではマイナンバーカードでログインできません"
                 "（利用者証明用の信頼点が設定されていません）")
NO_ANCHORS_EN = "Logging in with a My Number Card is not available here (no authentication trust anchors)"


@dataclass(frozen=True)
class AuthConfig:
    """Built once at start-up: the authentication anchors (None: login refused) and the revocation source."""

    anchors: TrustAnchors | None
    revocation: RevocationChecker
    accept_unknown_revocation: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> AuthConfig:
        anchors = None
        if settings.jpki_auth_anchors is not None:
            loaded = TrustAnchors.load(settings.jpki_auth_anchors)
            anchors = loaded if len(loaded) else None
        return cls(anchors, revocation_checker(settings) or NotChecked(),
                   settings.jpki_auth_revocation == "best_effort")


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """`ABCDEFGH…` -> `ABCD-EFGH-…`."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def normalise_code(typed: str) -> str:
    """A code as typed (full-width, lower case, hyphens or spaces anywhere) -> its characters."""
    return "".join(c for c in unicodedata.normalize("NFKC", typed) if c not in _SEPARATORS).upper()


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _error(status: int, keyword: str, message: str, pointer: str = "") -> Answer:
    return Answer(status, {"errors": [{"pointer": pointer, "keyword": keyword, "message": message}]})


class ResidentService:
    def __init__(self, session: Session, settings: Settings, config: AuthConfig) -> None:
        self.session = session
        self.settings = settings
        self.config = config

    @property
    def available(self) -> bool:
        return self.config.anchors is not None

    # -- challenges --------------------------------------------------------------------------------
    def start(self, purpose: Purpose, *, account_id: str | None = None, for_browser: bool = True,
              now: datetime | None = None) -> tuple[AuthChallenge, Started]:
        """A new challenge; ``for_browser``: bound to a claim that only the asking browser gets."""
        now = now or datetime.now(UTC)
        claim = secrets.token_urlsafe(24)
        challenge = AuthChallenge(
            id=new_code(), nonce=secrets.token_bytes(NONCE_BYTES), purpose=purpose, account_id=account_id,
            claim_sha256=digest(claim) if for_browser else None, created_at=now, expires_at=now + CHALLENGE_TTL)
        repository.add_challenge(self.session, challenge)
        return challenge, Started(challenge.id, claim, challenge.expires_at)

    def create_for_api(self, lang: str) -> Answer:
        """POST /api/v1/auth/challenges: a login challenge for a client that drives the login itself."""
        if not self.available:
            return _error(422, "authentication", NO_ANCHORS_JA if lang == "ja" else NO_ANCHORS_EN)
        challenge, _ = self.start("login", for_browser=False)
        return Answer(201, self._describe(challenge))

    def find(self, challenge_id: str) -> AuthChallenge | None:
        """The challenge an id names, as stored or as a resident typed it (`abcd-efgh-…`)."""
        found = repository.get_challenge(self.session, challenge_id)
        if found is None:
            typed = normalise_code(challenge_id)
            if typed != challenge_id and len(typed) == CODE_LENGTH:
                found = repository.get_challenge(self.session, typed)
        return found

    def describe(self, challenge_id: str, lang: str) -> Answer:
        """GET /api/v1/auth/challenges/{id}: what the card app needs (the nonce) and where it stands."""
        challenge = self.find(challenge_id)
        if challenge is None:
            return _error(404, "not_found", "ログイン用コードが見つかりません" if lang == "ja" else "Unknown challenge")
        now = datetime.now(UTC)
        status = "answered" if challenge.answered_at else "expired" if challenge.expires_at <= now else "pending"
        return Answer(200, {**self._describe(challenge), "purpose": challenge.purpose, "status": status})

    @staticmethod
    def _describe(challenge: AuthChallenge) -> dict[str, Any]:
        return {"id": challenge.id, "nonce": base64.b64encode(challenge.nonce).decode(),
                "expires_at": _rfc3339(challenge.expires_at)}

    def answer(self, challenge_id: str, fmt: str, signature_b64: str, certificate_b64: str | None,
               lang: str) -> Answer:
        """Verify a signature over a challenge's nonce (single use: consumed whatever the verdict)."""
        received_at = datetime.now(UTC)
        challenge = self.find(challenge_id)
        if challenge is None:
            return _error(404, "not_found", "ログイン用コードが見つかりません" if lang == "ja" else "Unknown challenge")
        if not repository.answer_challenge(self.session, challenge.id, received_at):
            return _error(410, "gone", "このログイン用コードは期限切れか使用済みです。もう一度ログインを始めてください"
                          if lang == "ja" else "This challenge has expired or was used")
        try:
            signature = base64.b64decode(signature_b64, validate=True)
            certificate = base64.b64decode(certificate_b64, validate=True) if certificate_b64 else None
        except (binascii.Error, ValueError):
            return _error(422, "contentEncoding", "signature と certificate は base64 で送ってください")
        if self.config.anchors is None:
            return _error(422, "authentication", NO_ANCHORS_JA if lang == "ja" else NO_ANCHORS_EN)
        binding = Check("binding", True, "challenge issued by this server, unexpired and unused (now used)")
        result = verify_auth_challenge(self.config.anchors, challenge.nonce, signature, certificate, received_at,
                                       fmt=fmt, revocation=self.config.revocation, prior_checks=[binding])
        outcome, account_id = self._account_for(challenge, result, received_at)
        record = {**result.to_dict(), "purpose": challenge.purpose, "outcome": outcome}
        accepted = account_id is not None
        repository.store_answer(self.session, challenge.id, record, account_id)
        return Answer(200, {"status": result.status, "failure": self._failure(result, outcome),
                            "accepted": accepted, "outcome": outcome, "checks": record["checks"]})

    def _accepts(self, result: VerificationResult) -> bool:
        if result.status == "valid":
            return True
        return (result.status == "indeterminate" and self.config.accept_unknown_revocation
                and result.failure in ("revocation_not_checked", "revocation_unknown"))

    @staticmethod
    def _failure(result: VerificationResult, outcome: Outcome) -> str | None:
        return "linked_elsewhere" if outcome == "linked_elsewhere" else result.failure

    def _account_for(self, challenge: AuthChallenge, result: VerificationResult,
                     now: datetime) -> tuple[Outcome, str | None]:
        """Who this verified certificate is: the account linked to it, a new one (first login), or the
        logged-in resident's (linking a renewed card)."""
        info = result.certificate
        if info is None or not self._accepts(result):
            return "refused", None
        linked = repository.certificate(self.session, info.fingerprint_sha256)
        if linked is None:
            account = None
            account_id = challenge.account_id
            if challenge.purpose == "login":
                account = ResidentAccount(id=str(uuid.uuid4()), created_at=now)
                account_id = account.id
            assert account_id is not None
            new = ResidentCertificate(fingerprint_sha256=info.fingerprint_sha256, account_id=account_id,
                                      issuer=info.issuer, serial=info.serial, not_after=info.not_after,
                                      linked_at=now, last_used_at=now)
            if repository.link(self.session, new, account):
                return ("account_created" if account is not None else "linked"), account_id
            linked = repository.certificate(self.session, info.fingerprint_sha256)  # a twin request won
            if linked is None:
                return "refused", None
        repository.touch_certificate(self.session, linked.fingerprint_sha256, now)
        if challenge.purpose == "login":
            return "logged_in", linked.account_id
        if linked.account_id == challenge.account_id:
            return "already_linked", linked.account_id
        return "linked_elsewhere", None

    # -- the browser that started a challenge ------------------------------------------------------
    def bound(self, challenge_id: str, claim: str, purpose: Purpose, *,
              account_id: str | None = None) -> AuthChallenge | None:
        """The challenge, when this browser (its claim) started it for ``purpose`` (and, to link, this account)."""
        challenge = repository.get_challenge(self.session, challenge_id)
        if (challenge is None or challenge.claim_sha256 is None or challenge.purpose != purpose
                or not hmac.compare_digest(challenge.claim_sha256, digest(claim))
                or (purpose == "link" and challenge.account_id != account_id)):
            return None
        return challenge

    def claim(self, challenge_id: str, claim: str, purpose: Purpose, *, account_id: str | None = None,
              now: datetime | None = None) -> Claimed:
        """Where this browser's challenge stands; a verified login opens the session (once)."""
        now = now or datetime.now(UTC)
        challenge = self.bound(challenge_id, claim, purpose, account_id=account_id)
        if challenge is None:
            return Claimed("unknown")
        if challenge.answered_at is None:
            return Claimed("expired" if challenge.expires_at <= now else "pending")
        result = challenge.result or {}
        outcome = result.get("outcome")
        if challenge.verified_account_id is None:
            failure = "linked_elsewhere" if outcome == "linked_elsewhere" else result.get("failure")
            return Claimed("refused", failure=failure, outcome=outcome)
        if not repository.claim_challenge(self.session, challenge.id, now):
            return Claimed("claimed")
        if purpose == "link":
            return Claimed("linked", outcome=outcome)
        fingerprint = str((result.get("certificate") or {}).get("fingerprint_sha256", ""))
        token = self.open_session(challenge.verified_account_id, fingerprint, now)
        return Claimed("session", token=token, outcome=outcome)

    # -- sessions ----------------------------------------------------------------------------------
    def open_session(self, account_id: str, certificate_sha256: str, now: datetime) -> str:
        token = secrets.token_urlsafe(32)
        repository.add_session(self.session, ResidentSession(
            id=digest(token), account_id=account_id, certificate_sha256=certificate_sha256, created_at=now,
            last_seen_at=now, expires_at=now + timedelta(hours=self.settings.resident_session_max_hours)))
        repository.logged_in(self.session, account_id, now)
        return token

    def current(self, token: str | None, now: datetime | None = None) -> tuple[ResidentSession | None, bool]:
        """The live session a cookie names (its activity noted), and whether the cookie named one that
        timed out (idle or too old)."""
        if not token:
            return None, False
        now = now or datetime.now(UTC)
        found = repository.get_session(self.session, digest(token))
        if found is None or found.ended_at is not None:
            return None, False
        idle = timedelta(minutes=self.settings.resident_session_idle_minutes)
        if timed_out(found.last_seen_at, found.expires_at, idle, now):
            repository.end_session(self.session, found.id, now)
            return None, True
        if activity_due(found.last_seen_at, now):
            repository.seen(self.session, found.id, now)
        return found, False

    def logout(self, token: str | None) -> None:
        if token:
            repository.end_session(self.session, digest(token), datetime.now(UTC))

    # -- what the history shows --------------------------------------------------------------------
    def history(self, account_id: str) -> tuple[list[Submission], dict[str, dict[str, Any]]]:
        """The account's own submissions, newest first, and the definitions they were filed against."""
        own = submissions.of_resident(self.session, account_id)
        return own, repository.definition_documents(self.session, (s.definition_sha256 for s in own))

    def own_submission(self, account_id: str, receipt_number: str) -> Submission | None:
        """The submission, only when this account filed it."""
        found = submissions.by_receipt_number(self.session, receipt_number)
        return found if found is not None and found.resident_account_id == account_id else None

    def cards(self, account_id: str) -> list[ResidentCertificate]:
        return repository.certificates_of(self.session, account_id)
