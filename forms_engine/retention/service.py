"""Retention: which submissions are past their procedure's `retention_days`, and purging them completely.

The rule is the one of the definition version a submission was filed against (definition_versions keeps
it for ever), not the current definition file: it is what was in force, and what residents were told,
when the document was received; a procedure whose file was removed (closed) still gets purged; a later
version that changes the period neither shortens nor lengthens the keeping of what was filed before.
A version without `retention_days` is never purged.

Days are calendar days in Japan (JST), the day of receipt not counted (初日不算入, 民法第140条): a submission
received on 4月1日 with `retention_days` 30 is kept through 5月1日 and purged by a run on 5月2日 or later.

Only closed cases (完了, 却下, 取下げ) are purged. An open case past the period is kept and reported by its
受付番号: an office must not lose an open case silently.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session

from forms_engine.audit import service as audit
from forms_engine.japanese.wareki import JST
from forms_engine.rendering.uploads import StorageBackend
from forms_engine.retention import files, repository
from forms_engine.retention.files import Journal
from forms_engine.retention.schemas import Batch, Candidate, OpenSummary, Plan, Rule

ACTION = "submissions.purge"
LISTED_OPEN = 100
"""At most this many 受付番号 of open cases in an audit entry (the count is always complete)."""


def cutoff(now: datetime, days: int) -> datetime:
    """The start (JST) of the day `days` days before today in Japan: received before it = past retention."""
    today: date = now.astimezone(JST).date()
    return datetime.combine(today - timedelta(days=days), time(), JST).astimezone(UTC)


def retention_days(document: Any) -> int | None:
    """`x-procedure.retention_days` of a stored definition, when it is a positive whole number."""
    meta = document.get("x-procedure") if isinstance(document, dict) else None
    days = meta.get("retention_days") if isinstance(meta, dict) else None
    if isinstance(days, int) and not isinstance(days, bool) and days >= 1:
        return days
    return None


def plans(session: Session, now: datetime, only: set[str] | None = None) -> list[Plan]:
    """The procedures with at least one version that has `retention_days`, with their rules, by id."""
    rules: dict[str, list[Rule]] = {}
    for sha256, procedure_id, version, document in repository.versions(session):
        if only is not None and procedure_id not in only:
            continue
        days = retention_days(document)
        if days is not None:
            rules.setdefault(procedure_id, []).append(Rule(sha256, version, days, cutoff(now, days)))
    return [Plan(procedure_id, tuple(found)) for procedure_id, found in sorted(rules.items())]


def _walk(session: Session, plan: Plan, batch_size: int, closed: bool) -> Iterator[Candidate]:
    after: tuple[datetime, str] | None = None
    while True:
        page = (repository.purgeable(session, plan, after, batch_size, lock=False) if closed
                else repository.still_open(session, plan, after, batch_size))
        yield from page
        if len(page) < batch_size:
            return
        after = page[-1].received_at, page[-1].id


def open_cases(session: Session, plan: Plan, batch_size: int = 500) -> Iterator[Candidate]:
    """The open cases past their retention, oldest first (kept, reported)."""
    return _walk(session, plan, batch_size, closed=False)


def purgeable(session: Session, plan: Plan, batch_size: int = 500) -> Iterator[Candidate]:
    """What a purge would delete now, oldest first (`--dry-run`: nothing is locked or changed)."""
    return _walk(session, plan, batch_size, closed=True)


def summarise_open(cases: Iterator[Candidate]) -> OpenSummary:
    count, listed = 0, list[str]()
    for case in cases:
        count += 1
        if len(listed) < LISTED_OPEN:
            listed.append(case.receipt_number)
    return OpenSummary(count, tuple(listed))


@dataclass(frozen=True)
class Run:
    """One run of the command: its id (in every audit entry it writes), the moment the rules count from,
    the batch size, where journals go and who is recorded as the actor."""

    now: datetime
    journal_dir: Path
    batch_size: int = 500
    actor: str = "cli"
    id: str = ""

    @classmethod
    def start(cls, now: datetime, journal_dir: Path, batch_size: int = 500, actor: str = "cli") -> Run:
        return cls(now.astimezone(UTC), journal_dir, batch_size, actor, uuid.uuid4().hex)


def purge_batch(session: Session, run: Run, plan: Plan, after: tuple[datetime, str] | None, number: int,
                tables: set[str], still_open: OpenSummary | None = None) -> tuple[Batch, Journal] | None:
    """Delete the next batch of closed submissions past their retention, with every row that belongs to them,
    and record it in the audit log; flushed, the caller commits, then removes the batch's files and closes
    the journal (`files.remove`). None when nothing is left. ``still_open`` goes into this batch's entry
    (the first of the procedure in this run)."""
    candidates = repository.purgeable(session, plan, after, run.batch_size, lock=True)
    if not candidates:
        return None
    ids = [candidate.id for candidate in candidates]
    held: dict[str, list[str]] = {submission_id: [] for submission_id in ids}
    for submission_id, key in repository.attachment_keys(session, ids):
        held[submission_id].append(key)
    journal = Journal.write(run.journal_dir, held)
    try:
        deleted = repository.delete_submissions(session, plan.procedure_id, ids, tables)
        batch = Batch(candidates, deleted, held)
        append_entry(session, run, plan, number, batch, still_open)
    except BaseException:
        journal.close()
        raise
    return batch, journal


def append_entry(session: Session, run: Run, plan: Plan, number: int, batch: Batch | None,
                 still_open: OpenSummary | None) -> None:
    """The audit entry of one batch (or, with ``batch`` None, of a run that only found open cases): counts,
    the rules and their cut-offs, and the 受付番号 deleted (at most one batch of them). Never answers."""
    details: dict[str, Any] = {
        "run": run.id, "batch": number, "now": run.now.isoformat(),
        "rules": [{"version": rule.version, "definition_sha256": rule.definition_sha256,
                   "retention_days": rule.retention_days, "cutoff": rule.cutoff.isoformat()} for rule in plan.rules],
        "purged": 0, "receipt_numbers": [],
    }
    if batch is not None:
        details.update({
            "purged": batch.deleted.get("submissions", 0),
            "receipt_numbers": [candidate.receipt_number for candidate in batch.candidates],
            "received_from": batch.candidates[0].received_at.isoformat(),
            "received_until": batch.candidates[-1].received_at.isoformat(),
            "deleted": dict(sorted(batch.deleted.items())),
            "attachment_files": sum(len(keys) for keys in batch.files.values()),
        })
    if still_open is not None:
        details["open"] = still_open.count
        details["open_receipt_numbers"] = list(still_open.receipt_numbers)
    audit.append(session, run.actor, ACTION, f"procedure:{plan.procedure_id}", details)


@dataclass(frozen=True)
class Finished:
    """What finishing the journals of earlier runs removed."""

    journals: int = 0
    attachments: int = 0
    receipts: int = 0


def finish_leftovers(session: Session, data_dir: Path, storage: StorageBackend, journal_dir: Path) -> Finished:
    """Remove the files earlier runs left behind (stopped between a commit and the removal): only those of
    submissions that are gone; a journal whose submissions are still stored never committed and is dropped."""
    journals = attachments = receipts = 0
    for journal in files.leftovers(journal_dir):
        try:
            still = repository.existing(session, journal.files)
            removed = files.remove(data_dir, storage, {k: v for k, v in journal.files.items() if k not in still})
        except BaseException:
            journal.release()
            raise
        journal.close()
        journals, attachments, receipts = journals + 1, attachments + removed[0], receipts + removed[1]
    return Finished(journals, attachments, receipts)
