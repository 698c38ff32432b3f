"""`forms-engine signatures recheck`: decide the signatures stored ``indeterminate`` (revocation
``best_effort``, revocation not checked or unreachable at receipt) once revocation data can be had.

Each such submission is asked about again with the configured revocation source (signing.recheck), as of
its receipt time, with data issued after it. A decisive answer is *appended* to the stored record, never
written over it: ``revocation_rechecks`` gets the new evidence and ``final`` the decided status (``valid``;
``invalid`` when the certificate was revoked at or before the receipt). An answer that is still not
decisive changes nothing, so the command is idempotent and can run from cron, next to the workers and to
itself: each row is decided under a row lock, and only if no other run decided it meanwhile.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

from forms_engine.config import Settings
from forms_engine.signatures.commands import add_purge_parser

if TYPE_CHECKING:  # imported when used: `forms-engine` starts without them
    from sqlalchemy import Engine

    from signing import SerialRevocationChecker, TrustAnchors
    from signing.recheck import Recheck

_REVOCATION_RECHECKS, _FINAL = "revocation_rechecks", "final"  # signing.recheck.APPENDED_KEYS
_STATUS_JA = {"valid": "有効", "invalid": "無効", "indeterminate": "未確定"}


class ConfigurationError(Exception):
    """The deployment cannot re-check anything; the message says what to configure."""


@dataclass(frozen=True)
class Line:
    """One submission looked at: 受付番号, old → new status, why."""

    receipt_number: str
    old: str
    new: str
    reason: str
    changed: bool

    def __str__(self) -> str:
        return f"{self.receipt_number}  {self.old} → {self.new}  {self.reason}"


def add_parser(sub: Any) -> None:
    """Register `signatures recheck` (and `signatures purge`) on the `forms-engine` subcommands."""
    signatures = sub.add_parser("signatures", help="signatures stored with submissions")
    signatures_sub = signatures.add_subparsers(dest="signatures_command", required=True)
    recheck = signatures_sub.add_parser(
        "recheck", help="decide the signatures stored indeterminate, with the configured revocation source",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    recheck.add_argument("--database-url")
    recheck.add_argument("--procedure", metavar="ID", help="only this procedure's submissions")
    recheck.set_defaults(func=cmd_recheck)
    add_purge_parser(signatures_sub)  # signatures purge (forms_engine/signatures/commands.py)


def cmd_recheck(args: argparse.Namespace) -> int:
    from forms_engine.db import engine_for, upgrade

    settings = Settings(**({"database_url": args.database_url} if args.database_url else {}))
    try:
        anchors, checker = configured(settings)
    except ConfigurationError as exc:
        print(f"signatures recheck: {exc}", file=sys.stderr)
        return 1
    engine = engine_for(settings)
    if settings.is_embedded_sqlite:
        upgrade(engine)  # as `serve` does: the embedded database is always at the latest schema
    try:
        lines = recheck_all(engine, anchors, checker, procedure_id=args.procedure, out=sys.stdout)
    finally:
        engine.dispose()
    from forms_engine.signatures.revocation_sources import describe

    print(summary(lines, describe(settings)), file=sys.stderr)
    return 0


def configured(settings: Settings) -> tuple[TrustAnchors, SerialRevocationChecker]:
    """The signing anchors and the revocation source; ``ConfigurationError`` naming what is missing."""
    from forms_engine.signatures.revocation_sources import revocation_checker
    from signing import TrustAnchors

    checker = revocation_checker(settings)
    if checker is None:
        raise ConfigurationError("失効確認の手段が設定されていません。FORMS_ENGINE_CRL_DIR（CRL のフォルダ）か "
                                 "FORMS_ENGINE_JPKI_OCSP_URL を設定してください / no revocation source is configured")
    if settings.crl_dir is not None and not settings.crl_dir.is_dir():
        raise ConfigurationError(f"FORMS_ENGINE_CRL_DIR {settings.crl_dir} はフォルダではありません / not a folder")
    if settings.jpki_sign_anchors is None:
        raise ConfigurationError("FORMS_ENGINE_JPKI_SIGN_ANCHORS（署名用の信頼点）が設定されていません / "
                                 "no signing trust anchors are configured")
    try:
        anchors = TrustAnchors.load(settings.jpki_sign_anchors, allow_test_policy=settings.jpki_allow_test_policy)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None
    if len(anchors) == 0:
        raise ConfigurationError(f"{settings.jpki_sign_anchors} に信頼点の証明書がありません / no anchor certificate")
    return anchors, checker


def recheck_all(engine: Engine, anchors: TrustAnchors, checker: SerialRevocationChecker, *,
                procedure_id: str | None = None, out: TextIO | None = None,
                clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> list[Line]:
    """Re-check every undecided submission (of one procedure), one transaction each; a line per submission."""
    from sqlmodel import Session

    from forms_engine.submissions import repository

    with Session(engine) as session:
        ids = repository.undecided_signatures(session, procedure_id)
    lines = []
    for submission_id in ids:
        line = recheck_one(engine, anchors, checker, submission_id, clock)
        if line is None:
            continue
        lines.append(line)
        if out is not None:
            print(line, file=out, flush=True)
    return lines


def recheck_one(engine: Engine, anchors: TrustAnchors, checker: SerialRevocationChecker, submission_id: str,
                clock: Callable[[], datetime]) -> Line | None:
    """Ask outside any transaction (an OCSP responder may be slow), then append under the row lock, only if
    the record is still the one asked about. None when there was nothing (left) to decide."""
    from sqlmodel import Session

    from forms_engine.submissions import repository
    from signing import recheck_revocation

    with Session(engine) as session:
        submission = repository.by_id(session, submission_id)
        if submission is None or not isinstance(submission.signature, dict):
            return None
        record, number = dict(submission.signature), submission.receipt_number
    if record.get(_FINAL) is not None:
        return None
    outcome = recheck_revocation(record, anchors, checker)
    if not outcome.final:
        return Line(number, "indeterminate", outcome.status, outcome.reason, changed=False)
    with Session(engine) as session:
        locked = repository.lock(session, submission_id)
        if locked is None or locked.signature != record:  # another run (or worker) got there first
            return None
        locked.signature = appended(record, outcome, clock())
        session.add(locked)
        session.commit()
    return Line(number, "indeterminate", outcome.status, outcome.reason, changed=True)


def appended(record: dict[str, Any], outcome: Recheck, now: datetime) -> dict[str, Any]:
    """The record with the new evidence and the final status added; everything it held is kept as it was."""
    entry = {"checked_at": now.isoformat(), **outcome.to_dict()}
    rechecks = [*record.get(_REVOCATION_RECHECKS, []), entry]
    final = {"status": outcome.status, "failure": outcome.failure, "decided_at": now.isoformat(),
             "by": "signatures recheck"}
    return {**record, _REVOCATION_RECHECKS: rechecks, _FINAL: final}


def summary(lines: list[Line], sources: str) -> str:
    counts = Counter(line.new for line in lines if line.changed)
    pending = sum(1 for line in lines if not line.changed)
    decided = ", ".join(f"{_STATUS_JA[s]} {counts[s]}" for s in ("valid", "invalid") if counts[s]) or "なし"
    return (f"{len(lines)} 件を再確認しました（{sources}）: 確定 {sum(counts.values())} 件（{decided}）、"
            f"未確定のまま {pending} 件")
