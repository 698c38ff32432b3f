"""`forms-engine submissions reseal`: every sensitive answer stored sealed with the current key.

Walks the submissions in batches by id (keyset: each batch is one transaction, its rows locked, committed
before the next). For each submission it (a) seals the sensitive answers stored in clear before encryption
came in (sensitive as the definition version the submission was filed against says) and (b) re-encrypts the
envelopes sealed with a key other than the current one (key rotation: put the new key first in the key file,
run this, then the old key can go). Each changed submission's answers are replaced whole in one UPDATE.

Idempotent and resumable: a second run changes nothing, an interrupted one is simply run again (``--after``
starts after a submission id the output printed). A value that does not decrypt stops the run with its
受付番号; that submission is left as it was (the ones before it are kept). ``--dry-run`` counts without
writing. A real run appends one audit entry (``submissions.reseal``) with the counts.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from forms_engine.config import Settings

if TYPE_CHECKING:  # imported when used: `forms-engine` starts without them
    from sqlalchemy import Engine

    from forms_engine.submissions.protection import Keyring

BATCH = 200


class ResealStopped(Exception):
    """A sealed answer that does not decrypt: the message names the 受付番号 and the answer."""


@dataclass
class Counts:
    """What a run did (or, dry, would do)."""

    examined: int = 0
    submissions: int = 0  # submissions whose answers changed
    sealed: int = 0  # values stored in clear, now sealed
    rekeyed: int = 0  # envelopes of an older key, now under the current one
    revisions: int = 0  # earlier versions (補正前) whose answers changed
    last_id: str = ""
    dry_run: bool = False
    key_id: str = ""
    stopped_at: str | None = field(default=None)  # the 受付番号 that did not decrypt

    def details(self) -> dict[str, Any]:
        return {"examined": self.examined, "submissions": self.submissions, "sealed": self.sealed,
                "rekeyed": self.rekeyed, "revisions": self.revisions, "key_id": self.key_id, "stopped_at": self.stopped_at}

    def __str__(self) -> str:
        verb = "対象" if self.dry_run else "更新"
        return (f"{self.examined} 件を確認、{verb} {self.submissions} 件（平文を暗号化 {self.sealed} 項目、"
                f"鍵 {self.key_id} で再暗号化 {self.rekeyed} 項目、うち補正前の版 {self.revisions} 件）" + ("（--dry-run: 変更していません）" if self.dry_run else ""))


def add_parser(sub: Any) -> None:
    """Register `submissions reseal` on the `forms-engine` subcommands."""
    submissions = sub.add_parser("submissions", help="stored submissions")
    submissions_sub = submissions.add_subparsers(dest="submissions_command", required=True)
    reseal = submissions_sub.add_parser(
        "reseal", help="seal sensitive answers stored in clear, re-encrypt those of older keys with the current one",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    reseal.add_argument("--database-url")
    reseal.add_argument("--dry-run", action="store_true", help="count what would change, change nothing")
    reseal.add_argument("--batch", type=int, default=BATCH, help="submissions per transaction (default %(default)s)")
    reseal.add_argument("--after", default="", metavar="ID", help="start after this submission id (resume a run)")
    reseal.set_defaults(func=cmd_reseal)


def cmd_reseal(args: argparse.Namespace) -> int:
    from forms_engine.db import engine_for, upgrade
    from forms_engine.submissions.protection import ProtectionError

    settings = Settings(**({"database_url": args.database_url} if args.database_url else {}))
    try:
        keyring = settings.answers_keyring()
    except (ProtectionError, OSError) as exc:
        print(f"submissions reseal: {exc}", file=sys.stderr)
        return 1
    engine = engine_for(settings)
    if settings.is_embedded_sqlite:
        upgrade(engine)  # as `serve` does: the embedded database is always at the latest schema
    try:
        counts = reseal_all(engine, keyring, dry_run=args.dry_run, batch=max(1, args.batch), after=args.after,
                            out=sys.stderr)
    except ResealStopped as exc:
        print(f"submissions reseal: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(counts, file=sys.stderr)
    return 0


def reseal_all(engine: Engine, keyring: Keyring, *, dry_run: bool = False, batch: int = BATCH, after: str = "",
               out: TextIO | None = None, actor: str = "cli") -> Counts:
    """Reseal every submission after ``after`` (see the module docstring); the counts. Raises `ResealStopped`
    (after committing the submissions before it and the audit entry) at a value that does not decrypt."""
    from sqlmodel import Session

    from forms_engine.audit import service as audit
    from forms_engine.definitions import repository as definitions
    from forms_engine.submissions import repository
    from forms_engine.submissions.protection import ProtectionError, reseal

    counts = Counts(dry_run=dry_run, key_id=keyring.current_id, last_id=after)
    documents: dict[str, Any] = {}
    problem: str | None = None
    while problem is None:
        with Session(engine) as session:
            rows = repository.answers_batch(session, counts.last_id, batch)
            if not rows:
                break
            earlier: dict[str, list[tuple[str, int, str, Any]]] = {}
            for revision_id, of, version_number, revision_sha, revision_answers in repository.revision_answers_of(
                    session, [row[0] for row in rows]):
                earlier.setdefault(of, []).append((revision_id, version_number, revision_sha, revision_answers))

            def document(sha256: str) -> Any:
                if sha256 not in documents:
                    version = definitions.get_version(session, sha256)
                    documents[sha256] = version.document if version is not None else {}
                return documents[sha256]

            for submission_id, number, sha256, answers in rows:
                # the answers and every earlier version (補正前, sealed to the same submission) change together
                changes: list[tuple[str | None, Any]] = []
                where = ""
                try:
                    resealed = reseal(answers, document(sha256), submission_id, keyring)
                    if resealed.changed:
                        changes.append((None, resealed))
                    for revision_id, version_number, revision_sha, revision_answers in earlier.get(submission_id, []):
                        where = f"（補正前の第{version_number}版）"
                        revised = reseal(revision_answers, document(revision_sha), submission_id, keyring)
                        if revised.changed:
                            changes.append((revision_id, revised))
                except ProtectionError as exc:
                    counts.stopped_at = number
                    problem = f"受付番号 {number}{where}: {exc}（この申請は変更していません）"
                    break
                counts.examined += 1
                counts.last_id = submission_id
                if changes:
                    counts.submissions += 1
                for changed_revision, done in changes:
                    counts.sealed += done.sealed
                    counts.rekeyed += done.rekeyed
                    counts.revisions += changed_revision is not None
                    if dry_run:
                        continue
                    if changed_revision is None:
                        repository.set_answers(session, submission_id, done.answers)
                    else:
                        repository.set_revision_answers(session, changed_revision, done.answers)
            if dry_run:
                session.rollback()
            else:
                session.commit()
        if out is not None and problem is None:
            print(f"… {counts.examined} 件（最後の id {counts.last_id}）", file=out, flush=True)
    if not dry_run:
        with Session(engine) as session:
            audit.append(session, actor, "submissions.reseal", "submissions", counts.details())
            session.commit()
    if problem is not None:
        raise ResealStopped(f"{problem}; {counts}")
    return counts
