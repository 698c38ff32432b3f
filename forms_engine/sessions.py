"""What resident sessions (residents/) and staff sessions and tokens (staff/) share: cookies and tokens are
stored only as their SHA-256, a session ends when idle too long or too old, and activity is written at most
once a minute so that every page view is not a database write."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

SEEN_EVERY = timedelta(minutes=1)


def digest(secret: str) -> str:
    """How a session cookie or API token is stored and looked up (never the secret itself)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def timed_out(last_seen_at: datetime, expires_at: datetime, idle: timedelta, now: datetime) -> bool:
    """True when a session has been idle for `idle` or has reached its absolute end."""
    return last_seen_at + idle <= now or expires_at <= now


def activity_due(last: datetime | None, now: datetime) -> bool:
    """True when the last recorded activity is old enough to be written again."""
    return last is None or now - last >= SEEN_EVERY
