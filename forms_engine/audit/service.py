"""Appending to the audit log and verifying its chain.

Each entry's ``hash`` is the SHA-256 of the RFC 8785 (JCS) form of ``{seq, at, actor, action, target,
details, prev_hash}``, and ``prev_hash`` is the hash of the entry before it (64 zeros before the first).
Changing, removing or reordering any entry breaks the chain from there; removing the newest entries is
caught by the head row, which keeps the last seq and hash. Appends take the head row's lock, so entries
from several workers form one chain; the lock is held until the request commits, so append last.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from forms_engine.audit import repository
from forms_engine.definitions.canonical import canonical_bytes
from forms_engine.models import AuditEntry

GENESIS = "0" * 64


def entry_hash(seq: int, at: datetime, actor: str, action: str, target: str, details: dict[str, Any],
               prev_hash: str) -> str:
    return hashlib.sha256(canonical_bytes({
        "seq": seq, "at": at.astimezone(UTC).isoformat(), "actor": actor, "action": action, "target": target,
        "details": details, "prev_hash": prev_hash,
    })).hexdigest()


def append(session: Session, actor: str, action: str, target: str, details: dict[str, Any] | None = None,
           now: datetime | None = None) -> AuditEntry:
    """Append one entry (flushed; the caller's commit makes it durable together with what it records).

    ``details`` must be JSON without floats (strings, integers, booleans, lists, objects), so that it reads
    back from either database exactly as it was hashed."""
    head = repository.lock_head(session)
    at = (now or datetime.now(UTC)).astimezone(UTC)
    actor, target, details = actor[:100], target[:200], dict(details or {})  # hashed as stored
    seq = head.seq + 1
    entry = AuditEntry(seq=seq, at=at, actor=actor, action=action, target=target, details=details,
                       prev_hash=head.hash, hash=entry_hash(seq, at, actor, action, target, details, head.hash))
    repository.append(session, entry)
    return entry


@dataclass(frozen=True)
class Verdict:
    ok: bool
    entries: int
    broken_seq: int | None = None
    reason: str = ""


def verify(session: Session) -> Verdict:
    """Walk the chain from the first entry; the first entry that does not hold is named."""
    previous = GENESIS
    expected_seq = 1
    count = 0
    for entry in repository.entries(session):
        if entry.seq != expected_seq:
            return Verdict(False, count, expected_seq, f"entry {expected_seq} is missing (next is {entry.seq})")
        if entry.prev_hash != previous:
            return Verdict(False, count, entry.seq, "prev_hash is not the hash of the entry before")
        details = entry.details if isinstance(entry.details, dict) else {}
        recomputed = entry_hash(entry.seq, entry.at, entry.actor, entry.action, entry.target, details,
                                entry.prev_hash)
        if recomputed != entry.hash or not isinstance(entry.details, dict):
            return Verdict(False, count, entry.seq, "the entry was changed after it was written (hash differs)")
        previous = entry.hash
        expected_seq += 1
        count += 1
    head = repository.head(session)
    if head.seq != count or head.hash != previous:
        return Verdict(False, count, count + 1 if head.seq > count else head.seq,
                       f"the log ends at entry {count} but its head names entry {head.seq}")
    return Verdict(True, count)
