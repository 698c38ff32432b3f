"""The shapes of signing: a request's public status (for card clients) and where a resident's signing stands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

ClientStatus = Literal["pending", "expired", "valid", "invalid", "indeterminate"]
"""What `GET /api/v1/signing-requests/{id}` says: waiting for a signature, too late, or the verdict."""

Stage = Literal["pending", "expired", "valid", "accepted", "refused", "invalid", "changed", "used", "missing"]
"""Where a resident's signing request stands against the answers they mean to file:

- ``pending``: waiting for the card client's signature, still in time;
- ``expired``: no signature came in time;
- ``valid``: verified, fit to file;
- ``accepted``: verified except revocation (unknown or not checked) and the procedure says ``best_effort``:
  fit to file, stored for a later re-check;
- ``refused``: as ``accepted``, but the procedure says ``revocation: require``;
- ``invalid``: the signature failed a check (``failure`` says which);
- ``changed``: the answers (or the procedure's definition) are no longer the signed ones;
- ``used``: the signature was already filed;
- ``missing``: no such request (or one of another procedure).
"""

FILEABLE: frozenset[str] = frozenset({"valid", "accepted"})


@dataclass(frozen=True)
class SigningProgress:
    """A signing request as the resident pages show it."""

    stage: Stage
    request_id: str | None = None
    expires_at: datetime | None = None
    failure: str | None = None
    record: dict[str, Any] | None = None  # the verification record, with `holder` when the procedure asks

    @property
    def fileable(self) -> bool:
        return self.stage in FILEABLE

    @property
    def holder(self) -> dict[str, str | None]:
        """The 基本4情報 the procedure reads (only those), from a verified certificate; {} otherwise."""
        holder = (self.record or {}).get("holder")
        return dict(holder) if isinstance(holder, dict) else {}
