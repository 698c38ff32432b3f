"""`forms-engine staff add LOGIN --department CODE [--role ROLE]`, `forms-engine staff token LOGIN [--name NAME]` and
`forms-engine staff reindex [--procedure ID] [--batch N]` (the staff search's terms, staff/search.py).

The password of a new account is read from standard input (one line) when it is not a terminal, otherwise
prompted twice without echo. The token command prints the token and nothing else on standard output.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from forms_engine.config import Settings, settings_for_command
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


def cmd_reindex(args: argparse.Namespace) -> int:
    """Build the search terms of every submission (those filed before the staff search, or before a definition
    changed which answers are searchable), in keyset batches, one commit per batch; running it again is harmless."""
    from sqlmodel import Session

    from forms_engine.audit import service as audit
    from forms_engine.bootstrap import StartupRefused, prepare
    from forms_engine.staff.search import reindex_batch

    settings = settings_for_command(args)
    try:
        ready = prepare(settings)
    except StartupRefused as exc:
        print("\n".join(exc.lines), file=sys.stderr)
        return 1
    if ready.problems:
        print("\n".join(map(str, ready.problems)), file=sys.stderr)
        return 1
    done, after = 0, None
    try:
        with Session(ready.engine) as session:
            while True:
                count, after = reindex_batch(session, ready.catalogue, after, args.batch, args.procedure)
                session.commit()
                done += count
                if count < args.batch:
                    break
                print(f"検索語 {done:,} 件の申請", file=sys.stderr)
            audit.append(session, "cli", "search.reindex", f"procedure:{args.procedure or '*'}", {"count": done})
            session.commit()
    finally:
        ready.engine.dispose()
    print(f"{done:,} 件の申請の検索語を作り直しました", file=sys.stderr)
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
    reindex = staff_sub.add_parser("reindex", help="build the staff search's terms of the submissions already filed")
    reindex.add_argument("--procedure", help="only this procedure's submissions")
    reindex.add_argument("--batch", type=int, default=1000, help="submissions per transaction (default 1000)")
    reindex.add_argument("--database-url")
    reindex.add_argument("--definitions", help="definitions folder (default: FORMS_ENGINE_DEFINITIONS_DIR)")
    reindex.set_defaults(func=cmd_reindex)
