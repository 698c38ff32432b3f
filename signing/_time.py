"""Clock and time helpers shared by the revocation checkers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from cryptography import x509

Clock = Callable[[], datetime]

#: Clock skew tolerated between this server and a revocation source.
SKEW = timedelta(minutes=5)


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None) -> str:
    return "none" if moment is None else moment.isoformat()


def reason_text(reason: x509.ReasonFlags | None) -> str | None:
    return None if reason is None else reason.value
