"""The `forms-engine` command line (see ../shared/spec/interfaces.md): serve, check, db upgrade, drafts purge."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from forms_engine.audit import commands as audit_commands
from forms_engine.config import Settings, settings_for_command
from forms_engine.exports import commands as export_commands
from forms_engine.retention import commands as retention_commands
from forms_engine.signatures import commands as signature_commands
from forms_engine.signatures import recheck as signature_recheck
from forms_engine.staff import commands as staff_commands
from forms_engine.submissions import commands as submission_commands


def _settings(args: argparse.Namespace) -> Settings:
    return settings_for_command(args)


def cmd_check(args: argparse.Namespace) -> int:
    from forms_engine.db import engine_for
    from forms_engine.definitions.service import check, lint_context
    from forms_engine.rendering.widgets import default_widgets
    from forms_engine.validation.formats import default_registry

    settings = _settings(args)
    paths = [Path(p) for p in args.paths] or [settings.definitions_dir]
    engine = None
    if not settings.is_embedded_sqlite or Path(settings.effective_database_url.removeprefix("sqlite:///")).exists():
        engine = engine_for(settings)
    definitions, problems = check(paths, lint_context(default_widgets(), default_registry()), engine)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} 件の問題があります", file=sys.stderr)
        return 1
    print(f"{len(definitions)} 件の定義に問題はありません", file=sys.stderr)
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from forms_engine.db import engine_for, upgrade

    upgrade(engine_for(_settings(args)))
    print("migrations applied", file=sys.stderr)
    return 0


def cmd_drafts_purge(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from forms_engine.db import engine_for, upgrade
    from forms_engine.drafts.service import purge_with_uploads
    from forms_engine.rendering.uploads import remove, storage_for

    settings = _settings(args)
    engine = engine_for(settings)
    if settings.is_embedded_sqlite:
        upgrade(engine)  # as `serve` does: the embedded database is always at the latest schema
    with Session(engine) as session:
        purged = purge_with_uploads(session, keyring=settings.answers_keyring())
        session.commit()  # the rows first; only then their files (see drafts.schemas.Purged)
    removed = remove(storage_for(settings), purged.storage_keys)
    print(f"{purged.drafts} 件の期限切れの下書きを削除しました（添付ファイル {removed} 件）", file=sys.stderr)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from forms_engine.bootstrap import StartupRefused, build_app

    settings = _settings(args)
    try:
        app = build_app(settings)  # checks and migrates once, before any worker starts
    except StartupRefused as exc:
        print("\n".join(exc.lines), file=sys.stderr)
        print("定義に問題があるため起動しません", file=sys.stderr)
        return 1
    if args.workers > 1:
        if settings.database_url:
            os.environ["FORMS_ENGINE_DATABASE_URL"] = settings.database_url
        os.environ["FORMS_ENGINE_DEFINITIONS_DIR"] = str(settings.definitions_dir)
        uvicorn.run("forms_engine.bootstrap:app_from_env", factory=True, host=args.host, port=args.port,
                    workers=args.workers, log_level=args.log_level)
    else:
        uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="forms-engine", description="Japanese administrative procedures online")
    sub = p.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="check the definitions and serve residents, staff and the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--definitions", type=Path)
    serve.add_argument("--database-url")
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--log-level", default="info")
    serve.set_defaults(func=cmd_serve)

    chk = sub.add_parser("check", help="check definition files or folders")
    chk.add_argument("paths", nargs="*")
    chk.add_argument("--database-url")
    chk.set_defaults(func=cmd_check)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    up = db_sub.add_parser("upgrade", help="apply the Alembic migrations")
    up.add_argument("--database-url")
    up.set_defaults(func=cmd_db_upgrade)

    drafts = sub.add_parser("drafts", help="drafts residents saved between steps")
    drafts_sub = drafts.add_subparsers(dest="drafts_command", required=True)
    purge = drafts_sub.add_parser("purge", help="delete the drafts whose retention has ended, and their uploads")
    purge.add_argument("--database-url")
    purge.set_defaults(func=cmd_drafts_purge)
    signature_commands.add_parser(sub)  # dev-sign: a TEST signer (forms_engine/signatures/commands.py)
    signature_recheck.add_parser(sub)  # signatures recheck (forms_engine/signatures/recheck.py)
    staff_commands.add_parser(sub)  # staff add | staff token (forms_engine/staff/commands.py)
    audit_commands.add_parser(sub)  # audit verify (forms_engine/audit/commands.py)
    export_commands.add_parser(sub)  # export (forms_engine/exports/commands.py)
    submission_commands.add_parser(sub)  # submissions reseal (forms_engine/submissions/commands.py)
    retention_commands.add_parser(sub)  # retention purge (forms_engine/retention/commands.py)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
