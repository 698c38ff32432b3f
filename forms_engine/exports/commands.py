"""`forms-engine export PROCEDURE_ID --format csv|jsonl|zip [--encoding utf-8-sig|cp932] [--since DATE]
[--until DATE] [--include-sensitive] -o FILE`.

Operator-level: every procedure, ``x-sensitive`` values masked unless ``--include-sensitive``. The file is
written under a temporary name beside FILE and renamed when whole, so a failed export (a value cp932 cannot
hold, listed on standard error; exit 1) leaves nothing behind. Progress goes to standard error: a bar that
redraws itself on a terminal, otherwise a line every 10,000 submissions.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from forms_engine.config import settings_for_command

_EVERY = 10_000


def progress_printer(total: int, stream: TextIO) -> Callable[[int], None]:
    tty = stream.isatty()
    last = [0, 0.0]

    def show(done: int) -> None:
        if tty:
            now = time.monotonic()
            if now - last[1] < 0.2 and done < total:
                return
            last[1] = now
            width = 30
            filled = width * done // total if total else width
            stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} 件")
            if done >= total:
                stream.write("\n")
        elif done // _EVERY > last[0] or done >= total:
            last[0] = done // _EVERY
            stream.write(f"書き出し {done:,}/{total:,} 件\n")
        stream.flush()

    return show


def cmd_export(args: argparse.Namespace) -> int:
    """Only what a CSV export needs is imported (issue 7: the whole command under 100 MiB): not the app, the
    linter or the staff service unless this export needs them (tests/exports/test_lean_imports.py)."""
    from sqlmodel import Session

    from forms_engine.db import engine_for, has_schema, upgrade
    from forms_engine.exports.registry import default_exporters
    from forms_engine.exports.served import served
    from forms_engine.exports.service import EncodingProblems, ExportService

    settings = settings_for_command(args)
    engine = engine_for(settings)
    if settings.is_embedded_sqlite:  # as `serve` does (bootstrap.prepare)
        upgrade(engine)
    elif not has_schema(engine):
        engine.dispose()
        print("データベースにテーブルがありません。先に `forms-engine db upgrade` を実行してください", file=sys.stderr)
        return 1
    out = Path(args.output)
    try:
        since = until = None
        if args.since or args.until:  # parse_bound lives in the staff service: imported only when asked
            from forms_engine.staff.service import BadRequest, parse_bound

            try:
                since = parse_bound(args.since, end=False, pointer="--since")
                until = parse_bound(args.until, end=True, pointer="--until")
            except BadRequest as exc:
                print(f"{exc.pointer}: {exc}", file=sys.stderr)
                return 2
        catalogue = served(engine, settings, args.procedure_id)
        with Session(engine, expire_on_commit=False) as session:
            service = ExportService(session, settings, catalogue, default_exporters())
            try:
                prepared = service.for_operator(args.procedure_id, args.format, args.encoding, since, until,
                                                args.include_sensitive)
            except EncodingProblems as exc:
                for problem in exc.problems:
                    where = f"受付番号 {problem.receipt_number}" if problem.receipt_number else "列名"
                    print(f"{where}\t{problem.field}\t{problem.character}", file=sys.stderr)
                print(f"{exc}（ファイルは作成していません）", file=sys.stderr)
                return 1
            except ValueError as exc:  # an encoding the format does not take (staff.service.BadRequest)
                from forms_engine.staff.service import BadRequest

                if not isinstance(exc, BadRequest):
                    raise
                print(f"{exc.pointer}: {exc}", file=sys.stderr)
                return 2
            if prepared is None:
                print(f"手続 {args.procedure_id} はありません", file=sys.stderr)
                return 1
            prepared.context.progress = progress_printer(prepared.count, sys.stderr)
            fd, temporary = tempfile.mkstemp(dir=out.resolve().parent, prefix=f".{out.name}.")
            try:
                with os.fdopen(fd, "wb") as handle:
                    for chunk in prepared.stream(session):
                        handle.write(chunk)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, out)
            except BaseException as exc:
                Path(temporary).unlink(missing_ok=True)
                if isinstance(exc, Exception):
                    print(f"書き出せませんでした（ファイルは作成していません）: {exc}", file=sys.stderr)
                    return 1
                raise
            service.record(prepared, "cli")
            session.commit()
    finally:
        engine.dispose()
    print(f"{prepared.count:,} 件を {out} に書き出しました", file=sys.stderr)
    return 0


def add_parser(sub: Any) -> None:
    export = sub.add_parser("export", help="export a procedure's submissions (CSV, JSON Lines or ZIP)")
    export.add_argument("procedure_id")
    export.add_argument("--format", choices=("csv", "jsonl", "zip"), default="csv")
    export.add_argument("--encoding", choices=("utf-8-sig", "cp932"), help="CSV only (default utf-8-sig)")
    export.add_argument("--since", help="YYYY-MM-DD (JST) or RFC 3339: received at or after")
    export.add_argument("--until", help="YYYY-MM-DD (JST, inclusive) or RFC 3339")
    export.add_argument("--include-sensitive", action="store_true", help="x-sensitive values unmasked")
    export.add_argument("-o", "--output", required=True, help="the file to write (replaced only when complete)")
    export.add_argument("--definitions", type=Path)
    export.add_argument("--database-url")
    export.set_defaults(func=cmd_export)
