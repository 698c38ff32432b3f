"""A limit on wrong resume codes per client: `max_failures` within `window` (10 in 10 minutes by default),
then 429 until the oldest counted failure leaves the window. Why this makes guessing impractical, with the
numbers: docs/adr/0003-resume-code-guessing.md.

The count lives in the database (`resume_attempts`), so every worker and machine sees the same one. An
attempt is recorded *before* the code is looked up and committed, then counted: of any `max_failures + 1`
attempts inside one window, the last one committed sees all the others and is refused, however many are
sent at once. A refused attempt's row is deleted (waiting is what lifts the limit, not more tries), and so
is a successful one's: only failures stay, until they leave the window.

A client is its IPv4 address or its IPv6 /64 (one subscriber's network), stored only as a keyed hash.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from forms_engine.drafts import repository
from forms_engine.models import ResumeAttempt


def network_of(address: str | None) -> str:
    """The address a limit counts against: an IPv4 address, or the /64 of an IPv6 address (an IPv6
    subscriber gets at least a /64, and would otherwise have 2**64 fresh addresses to guess from)."""
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


@dataclass(frozen=True)
class Admission:
    """An attempt allowed to look a code up (`attempt_id` set), or refused until `retry_at`."""

    attempt_id: str | None
    retry_at: datetime | None = None

    @property
    def allowed(self) -> bool:
        return self.attempt_id is not None

    def retry_after(self, now: datetime) -> int:
        """Whole seconds until `retry_at` (the Retry-After header), at least 1."""
        assert self.retry_at is not None
        return max(1, math.ceil((self.retry_at - now).total_seconds()))


class ResumeLimiter:
    def __init__(self, session: Session, secret_key: str, max_failures: int, window: timedelta) -> None:
        self.session = session
        self.secret_key = secret_key
        self.max_failures = max(1, max_failures)
        self.window = window

    def client_key(self, address: str | None) -> str:
        network = network_of(address)
        return hmac.new(self.secret_key.encode(), f"resume-client:{network}".encode(), hashlib.sha256).hexdigest()

    def record(self, client: str, now: datetime | None = None) -> str:
        """Step 1, before the lookup: the attempt's row (the caller commits it before `admit`). Rows that
        left the window are cleared on the way."""
        now = now or datetime.now(UTC)
        repository.delete_attempts_before(self.session, now - self.window)
        attempt = ResumeAttempt(id=secrets.token_hex(16), client=client, attempted_at=now)
        repository.add_attempt(self.session, attempt)
        return attempt.id

    def admit(self, client: str, attempt_id: str, now: datetime | None = None) -> Admission:
        """Step 2, with the attempt committed: allowed while this client's attempts in the window, this one
        included, are at most `max_failures`; otherwise the attempt is withdrawn and the answer says when
        one more will be allowed."""
        now = now or datetime.now(UTC)
        since = now - self.window
        if repository.count_attempts(self.session, client, since) <= self.max_failures:
            return Admission(attempt_id)
        repository.delete_attempt(self.session, attempt_id)
        times = repository.attempt_times(self.session, client, since)
        # One more is allowed once at most max_failures - 1 are left in the window: when the
        # (len - max_failures + 1)-th oldest leaves it.
        if not times:  # the others were withdrawn meanwhile
            return Admission(None, now)
        return Admission(None, times[max(0, len(times) - self.max_failures)] + self.window)

    def succeeded(self, attempt_id: str) -> None:
        """The code opened a draft: the attempt was no guess and does not count."""
        repository.delete_attempt(self.session, attempt_id)
