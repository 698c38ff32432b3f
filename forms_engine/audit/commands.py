"""`forms-engine audit verify`: walk the audit log's hash chain; exit 1 naming the first broken entry."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from forms_engine.config import Settings


def cmd_verify(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from forms_engine.audit.service import verify
    from forms_engine.db import READ_ONLY_OPTION, engine_for

    settings = Settings(**({"database_url": args.database_url} if args.database_url else {}))
    engine = engine_for(settings)
    with Session(engine, execution_options={READ_ONLY_OPTION: True}) as session:
        verdict = verify(session)
        session.rollback()
    engine.dispose()
    if verdict.ok:
        print(f"監査ログの {verdict.entries} 件の記録に改ざんはありません", file=sys.stderr)
        return 0
    print(f"audit log broken at entry {verdict.broken_seq}: {verdict.reason}")
    print(f"監査ログの記録 {verdict.broken_seq} 番以降が改ざんされているか欠けています", file=sys.stderr)
    return 1


def add_parser(sub: Any) -> None:
    audit = sub.add_parser("audit", help="the audit log of staff actions")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser("verify", help="check the audit log's hash chain (exit 1 at the first broken entry)")
    verify.add_argument("--database-url")
    verify.set_defaults(func=cmd_verify)
