"""A department's admins manage its staff: who holds which of the five roles there, new accounts, disabling.

The rules (interfaces.md: `admin` manages the department's staff):
- an admin sees and changes only the departments where they hold `admin`; any other department, and any
  account holding no role in the department, is "not found" (None here, 404 at the edge);
- a new account gets its password typed twice (argon2id, as `forms-engine staff add`); an existing login only
  gets the role, and a password typed for it is refused rather than ignored;
- disabling (and enabling) is for accounts whose roles all lie in departments the admin manages, since it
  acts on every department; disabling ends the account's sessions and revokes its API tokens;
- nobody locks themselves out: an admin cannot disable themselves nor remove their own last `admin` role.
Every change goes through `_record` (flush, then one audit entry; never a password); the edge commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from forms_engine.audit import service as audit
from forms_engine.models import StaffAccount, StaffRole
from forms_engine.staff import passwords, repository
from forms_engine.staff.auth import login_problem
from forms_engine.staff.schemas import ROLES, Actor

ROLE_LABELS = {"viewer": "閲覧", "reviewer": "審査", "exporter": "出力", "sensitive": "機微情報の閲覧",
               "admin": "管理"}
ChangeKind = Literal["grant", "revoke", "disable", "enable"]
SELF_LAST_ADMIN = "自分の最後の「管理」の役割は外せません。外す必要があるときは、ほかの管理者に依頼してください。"
SELF_DISABLE = "自分のアカウントは無効にできません。"
OTHER_DEPARTMENTS = ("このアカウントは、あなたが管理していない部署でも役割を持っているため、無効にしたり有効に"
                     "戻したりできません。その部署の管理者に依頼してください。")


def role_label(role: str) -> str:
    return f"{ROLE_LABELS.get(role, role)}（{role}）"


class Refused(ValueError):
    """A change that the rules refuse: (field, message) pairs for the page or the API."""

    def __init__(self, *problems: tuple[str, str]) -> None:
        super().__init__("; ".join(m for _, m in problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class Member:
    account_id: str
    login: str
    roles: frozenset[str]  # in the department shown
    disabled: bool
    last_login: datetime | None
    is_self: bool
    manageable: bool  # every role of the account lies in a department the admin manages


@dataclass(frozen=True)
class Done:
    """What a change did: ``outcome`` names the notice; ``still_member`` is False when the account has no
    role left in the department (the page goes back to the department's list)."""

    outcome: str
    account_id: str
    still_member: bool = True


class StaffAdmin:
    def __init__(self, session: Session, actor: Actor) -> None:
        self.session = session
        self.actor = actor

    # -- what the admin may see --------------------------------------------------------------------
    def departments(self) -> list[str]:
        return sorted(d for d, roles in self.actor.roles.items() if "admin" in roles)

    def manages(self, department: str) -> bool:
        return "admin" in self.actor.roles.get(department, frozenset())

    def members(self, department: str) -> list[Member] | None:
        if not self.manages(department):
            return None
        found = repository.members_of(self.session, department)
        logins = repository.last_logins(self.session, [a.id for a, _ in found])
        return [self._member(a, roles, logins.get(a.id)) for a, roles in found]

    def member(self, department: str, account_id: str) -> Member | None:
        if not self.manages(department):
            return None
        found = repository.account(self.session, account_id)
        roles = repository.roles_of(self.session, account_id).get(department) if found else None
        if found is None or not roles:
            return None
        return self._member(found, roles, repository.last_logins(self.session, [found.id]).get(found.id))

    def _member(self, account: StaffAccount, roles: frozenset[str], last_login: datetime | None) -> Member:
        return Member(account.id, account.login, roles, account.disabled, last_login,
                      account.id == self.actor.account_id, self._manageable(account.id))

    def _manageable(self, account_id: str) -> bool:
        mine = set(self.departments())
        return set(repository.roles_of(self.session, account_id)) <= mine

    # -- changes -----------------------------------------------------------------------------------
    def add(self, department: str, login: str, password: str, confirm: str, role: str) -> Done | None:
        """A new account with one role in the department, or the role for an existing login."""
        if not self.manages(department):
            return None
        problems: list[tuple[str, str]] = []
        if problem := login_problem(login):
            problems.append(("login", problem))
        existing = None if problems else repository.account_by_login(self.session, login)
        if existing is not None:
            if password or confirm:
                problems.append(("password", f"「{login}」は既にあるアカウントです。この部署の役割を付けるだけなら、"
                                             "パスワードは空欄にしてください。"))
        elif not password:
            problems.append(("password", "パスワードを入力してください。"))
        elif problem := passwords.weak(password):
            problems.append(("password", problem))
        elif confirm != password:
            problems.append(("password_confirm", "確認のパスワードが一致しません。同じパスワードをもう一度入力して"
                                                 "ください。"))
        if role not in ROLES:
            problems.append(("role", "付ける役割を選んでください。"))
        elif existing is not None and role in repository.roles_of(self.session, existing.id).get(department, ()):
            problems.append(("role", f"「{login}」は既にこの部署で「{role_label(role)}」の役割を持っています。"))
        if problems:
            raise Refused(*problems)
        now = datetime.now(UTC)
        if existing is None:
            existing = StaffAccount(id=str(uuid.uuid4()), login=login, password_hash=passwords.hash_password(password),
                                    created_at=now)
            try:
                with self.session.begin_nested():  # another admin may create the same login at this moment
                    repository.add_account(self.session, existing)
            except IntegrityError:
                raise Refused(("login", f"「{login}」は、たった今ほかの管理者が作りました。役割だけを付けるときは、"
                                        "パスワードを空欄にして追加してください。")) from None
            action, outcome = "staff.account.create", "created"
        else:
            action, outcome = "staff.role.grant", "granted"
        repository.grant(self.session, StaffRole(account_id=existing.id, department=department, role=role,
                                                 granted_at=now))
        self._record(action, existing.login, {"department": department, "role": role})
        return Done(outcome, existing.id)

    def change(self, department: str, account_id: str, kind: ChangeKind, role: str | None = None) -> Done | None:
        """Grant or revoke one role in the department, or disable or enable the account; None: not found."""
        if not self.manages(department):
            return None
        account = repository.lock_account(self.session, account_id)
        if account is None:
            return None
        held = repository.roles_of(self.session, account.id)
        if not held.get(department):
            return None
        if kind in ("grant", "revoke"):
            return self._role(department, account, held, kind, role or "")
        return self._status(department, account, held, kind == "disable")

    def _role(self, department: str, account: StaffAccount, held: dict[str, frozenset[str]], kind: ChangeKind,
              role: str) -> Done:
        if role not in ROLES:
            raise Refused(("role", "役割を選んでください。"))
        has = role in held[department]
        if (kind == "grant") == has:
            return Done("unchanged", account.id)
        details: dict[str, Any] = {"department": department, "role": role}
        if kind == "grant":
            repository.grant(self.session, StaffRole(account_id=account.id, department=department, role=role,
                                                     granted_at=datetime.now(UTC)))
            self._record("staff.role.grant", account.login, details)
            return Done("granted", account.id)
        if role == "admin" and account.id == self.actor.account_id \
                and not any("admin" in roles for d, roles in held.items() if d != department):
            raise Refused((f"role-{role}", SELF_LAST_ADMIN))
        repository.revoke(self.session, account.id, department, role)
        self._record("staff.role.revoke", account.login, details)
        return Done("revoked", account.id, still_member=len(held[department]) > 1)

    def _status(self, department: str, account: StaffAccount, held: dict[str, frozenset[str]],
                disable: bool) -> Done:
        if account.id == self.actor.account_id:
            raise Refused(("status", SELF_DISABLE))
        if not set(held) <= set(self.departments()):
            raise Refused(("status", OTHER_DEPARTMENTS))
        if account.disabled == disable:
            return Done("unchanged", account.id)
        repository.set_disabled(self.session, account.id, disable)
        details: dict[str, Any] = {"department": department}
        if disable:
            now = datetime.now(UTC)
            details["sessions_ended"] = repository.end_sessions_of(self.session, account.id, now)
            details["tokens_revoked"] = repository.revoke_tokens_of(self.session, account.id, now)
        self._record("staff.account.disable" if disable else "staff.account.enable", account.login, details)
        return Done("disabled" if disable else "enabled", account.id)

    def _record(self, action: str, login: str, details: dict[str, Any]) -> None:
        """The one way a change is kept: flushed, then audited (the audit head's lock is taken last)."""
        self.session.flush()
        audit.append(self.session, self.actor.audit_name, action, f"staff:{login}", details)
