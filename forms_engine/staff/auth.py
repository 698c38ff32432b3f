"""Who a staff request is: password login (argon2, limited per login and client network), sessions with an
idle timeout and an absolute lifetime, bearer tokens for scripts. Rules only; the cookies are in web.py.

Only SHA-256 digests of session ids and API tokens are stored. Every login, successful or not, is audited.
The limit on wrong passwords works like the resume-code limit (drafts/limiter.py): an attempt's row is
committed *before* the password is checked, then counted, so parallel guesses cannot slip past it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlmodel import Session

from forms_engine.audit import service as audit
from forms_engine.config import Settings
from forms_engine.drafts.limiter import network_of
from forms_engine.models import ApiToken, StaffAccount, StaffLoginAttempt, StaffRole, StaffSession
from forms_engine.sessions import activity_due, digest, timed_out
from forms_engine.staff import passwords, repository
from forms_engine.staff.schemas import ROLES, Actor

TOKEN_PREFIX = "fest_"


class StaffError(ValueError):
    """A refused staff-management request, with the message for the operator."""


def login_problem(login: str) -> str | None:
    """Why a new account's login is refused, or None."""
    if not login or len(login) > 64 or not login.isprintable() or login.strip() != login:
        return "ログインIDは64文字以内で、空白で始まったり終わったりしないものにしてください"
    return None


@dataclass(frozen=True)
class LoginResult:
    outcome: Literal["ok", "refused", "limited"]
    token: str | None = None
    retry_at: datetime | None = None


class StaffAuth:
    def __init__(self, session: Session, settings: Settings, secret_key: str) -> None:
        self.session = session
        self.settings = settings
        self.secret_key = secret_key

    # -- accounts ----------------------------------------------------------------------------------
    def add_staff(self, login: str, password: str | None, department: str, role: str, actor: str) -> bool:
        """Create the account (``password`` needed then) or only grant the role; True when the account is new."""
        if role not in ROLES:
            raise StaffError(f"役割は {', '.join(ROLES)} のいずれかです")
        if problem := login_problem(login):
            raise StaffError(problem)
        if not department or len(department) > 64:
            raise StaffError("部署コードを指定してください")
        found = repository.account_by_login(self.session, login)
        created = found is None
        if found is None:
            if password is None:
                raise StaffError("新しいアカウントにはパスワードが必要です")
            problem = passwords.weak(password)
            if problem:
                raise StaffError(problem)
            found = StaffAccount(id=str(uuid.uuid4()), login=login, password_hash=passwords.hash_password(password),
                                 created_at=datetime.now(UTC))
            repository.add_account(self.session, found)
        granted = repository.grant(self.session, StaffRole(account_id=found.id, department=department, role=role,
                                                           granted_at=datetime.now(UTC)))
        audit.append(self.session, actor, "staff.add" if created else "staff.grant", f"staff:{login}",
                     {"department": department, "role": role, "new_role": granted})
        return created

    def actor(self, account: StaffAccount, via: Literal["session", "token"] = "session",
              session_id: str | None = None) -> Actor:
        return Actor(account.id, account.login, repository.roles_of(self.session, account.id), via, session_id)

    # -- the limit on wrong passwords ----------------------------------------------------------------
    def client_key(self, login: str, address: str | None) -> str:
        value = f"staff-login:{login}:{network_of(address)}"
        return hmac.new(self.secret_key.encode(), value.encode(), hashlib.sha256).hexdigest()

    def record_attempt(self, login: str, address: str | None, now: datetime | None = None) -> str:
        """Step 1, before the password is checked: the attempt's row (the caller commits it)."""
        now = now or datetime.now(UTC)
        repository.delete_attempts_before(self.session, now - self.window)
        attempt = StaffLoginAttempt(id=secrets.token_hex(16), client=self.client_key(login, address), attempted_at=now)
        repository.add_attempt(self.session, attempt)
        return attempt.id

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=self.settings.staff_login_window_minutes)

    def login(self, login: str, password: str, address: str | None, attempt_id: str,
              now: datetime | None = None) -> LoginResult:
        """Step 2, with the attempt committed: check the password unless the limit is reached; audited."""
        now = now or datetime.now(UTC)
        client = self.client_key(login, address)
        details = {"client": network_of(address), "via": "password"}
        times = repository.attempt_times(self.session, client, now - self.window)
        limit = self.settings.staff_login_max_failures
        if len(times) > limit:
            repository.delete_attempt(self.session, attempt_id)
            audit.append(self.session, f"login:{login}", "login.limited", f"staff:{login}", details, now)
            return LoginResult("limited", retry_at=times[max(0, len(times) - limit)] + self.window)
        found = repository.account_by_login(self.session, login)
        ok = passwords.verify_password(found.password_hash if found else None, password)
        if found is None or not ok or found.disabled:
            audit.append(self.session, f"login:{login}", "login.failure", f"staff:{login}", details, now)
            return LoginResult("refused")
        repository.delete_attempt(self.session, attempt_id)
        if passwords.needs_rehash(found.password_hash):
            repository.set_password_hash(self.session, found.id, passwords.hash_password(password))
        token = self.open_session(found.id, now)
        audit.append(self.session, f"staff:{login}", "login.success", f"staff:{login}", details, now)
        return LoginResult("ok", token=token)

    # -- sessions ----------------------------------------------------------------------------------
    def open_session(self, account_id: str, now: datetime) -> str:
        token = secrets.token_urlsafe(32)
        repository.add_session(self.session, StaffSession(
            id=digest(token), account_id=account_id, created_at=now, last_seen_at=now,
            expires_at=now + timedelta(hours=self.settings.staff_session_max_hours)))
        return token

    def current(self, token: str | None, now: datetime | None = None) -> tuple[Actor | None, bool]:
        """The staff member a session cookie names (activity noted), and whether it named one that timed out."""
        if not token:
            return None, False
        now = now or datetime.now(UTC)
        found = repository.get_session(self.session, digest(token))
        if found is None or found.ended_at is not None:
            return None, False
        idle = timedelta(minutes=self.settings.staff_session_idle_minutes)
        if timed_out(found.last_seen_at, found.expires_at, idle, now):
            repository.end_session(self.session, found.id, now)
            return None, True
        account = repository.account(self.session, found.account_id)
        if account is None or account.disabled:
            repository.end_session(self.session, found.id, now)
            return None, False
        if activity_due(found.last_seen_at, now):
            repository.seen(self.session, found.id, now)
        return self.actor(account, "session", found.id), False

    def logout(self, token: str | None) -> Actor | None:
        actor, _ = self.current(token)
        if token:
            repository.end_session(self.session, digest(token), datetime.now(UTC))
        if actor is not None:
            audit.append(self.session, actor.audit_name, "logout", actor.audit_name, {})
        return actor

    # -- API tokens --------------------------------------------------------------------------------
    def create_token(self, account_id: str, name: str, actor: str) -> tuple[ApiToken, str]:
        name = name.strip()[:100] or "API"
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken(id=str(uuid.uuid4()), account_id=account_id, name=name, token_sha256=digest(secret),
                         created_at=datetime.now(UTC))
        repository.add_token(self.session, token)
        audit.append(self.session, actor, "token.create", f"token:{token.id}", {"name": name})
        return token, secret

    def revoke_token(self, account_id: str, token_id: str, actor: str) -> bool:
        revoked = repository.revoke_token(self.session, account_id, token_id, datetime.now(UTC))
        if revoked:
            audit.append(self.session, actor, "token.revoke", f"token:{token_id}", {})
        return revoked

    def tokens(self, account_id: str) -> list[ApiToken]:
        return repository.tokens_of(self.session, account_id)

    def bearer(self, secret: str, now: datetime | None = None) -> Actor | None:
        """The staff member a live bearer token belongs to."""
        if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
            return None
        now = now or datetime.now(UTC)
        token = repository.token_by_digest(self.session, digest(secret))
        if token is None or token.revoked_at is not None:
            return None
        account = repository.account(self.session, token.account_id)
        if account is None or account.disabled:
            return None
        if activity_due(token.last_used_at, now):
            repository.token_used(self.session, token.id, now)
        return self.actor(account, "token")

    def account_by_login(self, login: str) -> StaffAccount | None:
        return repository.account_by_login(self.session, login)
