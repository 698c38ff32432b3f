"""`forms-engine staff add LOGIN --department CODE [--role ROLE]` and `forms-engine staff token LOGIN [--name NAME]`.

The password of a new account is read from standard input (one line) when it is not a terminal, otherwise
prompted twice without echo. The token command prints the token and nothing else on standard output.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from forms_engine.config import Settings
from forms_engine.staff.schemas import ROLES


def _settings(args: argparse.Namespace) -> Settings:
    return Settings(**({"database_url": args.database_url} if args.database_url else {}))


def _engine(settings: Settings) -> Any:
    from forms_engine.db import engine_for, upgrade

    engine = engine_for(settings)
    if settings.is_embedded_sqlite:
        upgrade(engine)  # as `serve` does: the embedded database is always at the latest schema
    return engine


def _read_password() -> str | None:
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        return line.rstrip("\r\n") or None
    first = getpass.getpass("パスワード: ")
    if getpass.getpass("パスワード（確認）: ") != first:
        print("二つのパスワードが一致しません", file=sys.stderr)
        return None
    return first


def cmd_add(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from forms_engine.staff.auth import StaffAuth, StaffError

    settings = _settings(args)
    engine = _engine(settings)
    try:
        with Session(engine) as session:
            auth = StaffAuth(session, settings, settings.ensure_secret_key())
            password = None if auth.account_by_login(args.login) is not None else _read_password()
            if password is None and auth.account_by_login(args.login) is None:
                print("新しいアカウントのパスワードを入力してください（標準入力の1行目）", file=sys.stderr)
                return 1
            try:
                created = auth.add_staff(args.login, password, args.department, args.role, "cli")
            except StaffError as exc:
                print(str(exc), file=sys.stderr)
                return 1
            session.commit()
    finally:
        engine.dispose()
    what = "作成し" if created else "更新し"
    print(f"職員アカウント {args.login} を{what}ました（{args.department}: {args.role}）", file=sys.stderr)
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from forms_engine.staff.auth import StaffAuth

    settings = _settings(args)
    engine = _engine(settings)
    try:
        with Session(engine) as session:
            auth = StaffAuth(session, settings, settings.ensure_secret_key())
            account = auth.account_by_login(args.login)
            if account is None or account.disabled:
                print(f"職員アカウント {args.login} はありません", file=sys.stderr)
                return 1
            _, secret = auth.create_token(account.id, args.name, "cli")
            session.commit()
    finally:
        engine.dispose()
    print(secret)
    return 0


def add_parser(sub: Any) -> None:
    staff = sub.add_parser("staff", help="staff accounts of the back office")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True)
    add = staff_sub.add_parser("add", help="create a staff account or grant it a role in a department")
    add.add_argument("login")
    add.add_argument("--department", required=True, help="department code (x-procedure.department)")
    add.add_argument("--role", default="viewer", choices=ROLES)
    add.add_argument("--database-url")
    add.set_defaults(func=cmd_add)
    token = staff_sub.add_parser("token", help="print a new API token for a staff member")
    token.add_argument("login")
    token.add_argument("--name", default="cli")
    token.add_argument("--database-url")
    token.set_defaults(func=cmd_token)
