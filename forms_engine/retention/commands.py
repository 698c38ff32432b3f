"""`forms-engine retention purge [--dry-run] [--procedure ID ...] [--database-url URL]`.

Deletes the closed submissions past their procedure's `retention_days` (see retention.service for the rule),
in batches of 500, each one transaction with its audit entry; the files after each commit. Prints one line
per open case kept and one summary line per procedure on standard output, progress on standard error.
Exit 0 when done (open cases kept are reported, not an error), 1 when refused, 2 for a wrong argument.

`--now` (RFC 3339; for tests and for replaying a run) may only be earlier than the clock: a run can never
purge sooner than the rules say.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from forms_engine.config import Settings
from forms_engine.retention.schemas import Candidate, OpenSummary, Plan, ProcedureReport

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from forms_engine.rendering.uploads import StorageBackend
    from forms_engine.retention.service import Run

_CLOCK_SKEW = timedelta(minutes=1)


def _moment(text: str | None) -> datetime | None:
    """The run's moment: the clock, or an earlier `--now`; None when `--now` is wrong."""
    clock = datetime.now(UTC)
    if not text:
        return clock
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None or moment > clock + _CLOCK_SKEW:
        return None
    return moment.astimezone(UTC)


def _day(moment: datetime) -> str:
    from forms_engine.japanese.wareki import JST

    return moment.astimezone(JST).date().isoformat()


def _line(plan: Plan, case: Candidate, what: str) -> str:
    from forms_engine.staff.workflow import label

    return "\t".join([plan.procedure_id, case.receipt_number, label(case.status), f"受付 {_day(case.received_at)}",
                      f"版 {case.procedure_version}", what])


def _rules(plan: Plan) -> str:
    return "、".join(f"版 {rule.version}: {rule.retention_days} 日（{_day(rule.cutoff - timedelta(days=1))} 以前の受付）"
                    for rule in plan.rules)


def _printed(plan: Plan, cases: Iterator[Candidate], what: str) -> Iterator[Candidate]:
    for case in cases:
        print(_line(plan, case, what))
        yield case


def cmd_purge(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError
    from sqlmodel import Session

    from forms_engine.db import READ_ONLY_OPTION, engine_for, upgrade
    from forms_engine.rendering.uploads import storage_for
    from forms_engine.retention import repository, service

    now = _moment(args.now)
    if now is None:
        print("--now: 2025-04-01T09:00:00+09:00 の形で、今より前の日時を指定してください", file=sys.stderr)
        return 2
    if args.batch_size < 1:
        print("--batch-size: 1 以上を指定してください", file=sys.stderr)
        return 2
    settings = Settings(**({"database_url": args.database_url} if args.database_url else {}))
    engine = engine_for(settings)
    read_only = {READ_ONLY_OPTION: True}
    try:
        if settings.is_embedded_sqlite:
            upgrade(engine)  # as `serve` does: the embedded database is always at the latest schema
        with Session(engine, execution_options=read_only) as session:
            unknown = repository.unknown_children(session)
            tables = repository.table_names(session)
            plans = service.plans(session, now, set(args.procedure) if args.procedure else None)
            session.rollback()
        if unknown:
            print(f"submissions を参照する表 {', '.join(unknown)} の扱いが決まっていないため、削除しません"
                  "（forms_engine/retention/repository.py の CHILD_TABLES に加えてください）", file=sys.stderr)
            return 1
        storage = storage_for(settings)
        run = service.Run.start(now, settings.data_dir / "retention", args.batch_size)
        if not args.dry_run:
            with Session(engine, execution_options=read_only) as session:
                finished = service.finish_leftovers(session, settings.data_dir, storage, run.journal_dir)
                session.rollback()
            if finished.journals:
                print(f"前回の実行で残ったファイルを削除しました（添付ファイル {finished.attachments} 件、"
                      f"控え {finished.receipts} 件）", file=sys.stderr)
        total = 0
        for plan in plans:
            report = (_preview(engine, plan, run) if args.dry_run
                      else _purge(engine, settings, storage, plan, run, tables))
            total += report.purged
            done = "削除対象" if args.dry_run else "削除"
            files = "" if args.dry_run else f"（添付ファイル {report.attachments} 件、控え {report.receipts} 件）"
            print(f"{plan.procedure_id}\t{done} {report.purged} 件{files}\t未完了で保留 {report.open} 件\t{_rules(plan)}")
    except (SQLAlchemyError, OSError, ValueError) as exc:
        print(f"削除を中断しました（確定した分の記録は監査ログにあります）: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    if args.dry_run:
        print(f"保存期間を過ぎた申請のうち削除対象は {total} 件です（--dry-run: 何も変更していません）", file=sys.stderr)
    else:
        print(f"保存期間を過ぎた申請 {total} 件を削除しました", file=sys.stderr)
    return 0


def _preview(engine: Engine, plan: Plan, run: Run) -> ProcedureReport:
    from sqlmodel import Session

    from forms_engine.db import READ_ONLY_OPTION
    from forms_engine.retention import service

    report = ProcedureReport(plan.procedure_id)
    with Session(engine, execution_options={READ_ONLY_OPTION: True}) as session:
        report.open = sum(1 for _ in _printed(plan, service.open_cases(session, plan, run.batch_size),
                                              "未完了のため削除しません"))
        report.purged = sum(1 for _ in _printed(plan, service.purgeable(session, plan, run.batch_size), "削除対象"))
        session.rollback()
    return report


def _purge(engine: Engine, settings: Settings, storage: StorageBackend, plan: Plan, run: Run,
           tables: set[str]) -> ProcedureReport:
    from sqlmodel import Session

    from forms_engine.db import READ_ONLY_OPTION
    from forms_engine.retention import files, service

    report = ProcedureReport(plan.procedure_id)
    with Session(engine, execution_options={READ_ONLY_OPTION: True}) as session:
        still_open: OpenSummary = service.summarise_open(
            _printed(plan, service.open_cases(session, plan, run.batch_size), "未完了のため削除していません"))
        session.rollback()
    report.open = still_open.count
    after: tuple[datetime, str] | None = None
    while True:
        with Session(engine, expire_on_commit=False) as session:
            done = service.purge_batch(session, run, plan, after, report.batches + 1, tables,
                                       still_open if report.batches == 0 else None)
            if done is None:
                if report.batches == 0 and still_open.count:  # nothing deleted: the open cases are still recorded
                    service.append_entry(session, run, plan, 1, None, still_open)
                    session.commit()
                break
            batch, journal = done
            try:
                session.commit()
            except BaseException:
                journal.release()  # committed or not is unknown: the next run decides from the database
                raise
        try:
            attachments, receipts = files.remove(settings.data_dir, storage, batch.files)
        except BaseException:
            journal.release()
            raise
        journal.close()
        report.batches += 1
        report.purged += batch.deleted.get("submissions", 0)
        report.attachments += attachments
        report.receipts += receipts
        after = batch.last
        print(f"{plan.procedure_id}: {len(batch.candidates):,} 件を削除（累計 {report.purged:,} 件）", file=sys.stderr)
    return report


def add_parser(sub: Any) -> None:
    retention = sub.add_parser("retention", help="submissions past their procedure's retention_days")
    retention_sub = retention.add_subparsers(dest="retention_command", required=True)
    purge = retention_sub.add_parser("purge", help="delete the closed submissions past retention_days (open cases "
                                                   "are kept and listed), with their files, recorded in the audit log")
    purge.add_argument("--dry-run", action="store_true", help="list what would be deleted; change nothing")
    purge.add_argument("--procedure", action="append", metavar="ID", help="only this procedure (repeatable)")
    purge.add_argument("--database-url")
    purge.add_argument("--now", help=argparse.SUPPRESS)  # RFC 3339, not later than the clock (tests, replays)
    purge.add_argument("--batch-size", type=int, default=500, help=argparse.SUPPRESS)
    purge.set_defaults(func=cmd_purge)
