"""The shapes drafts are made of: where the resident is, which alternatives they picked, a new draft's code."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from forms_engine.models import Draft

CONFIRM = "confirm"
"""The place a resident is at once every step is done: the confirmation page."""


@dataclass(frozen=True)
class DraftState:
    """What the form needs beside the answers: the page to go back to, and the chosen sets of fields."""

    step: str | None = None  # a step id, or CONFIRM
    choices: Mapping[str, int] = field(default_factory=dict)  # `…@choice` name -> index of the picked branch
    signing_request: str | None = None  # the resident's signing request (signed procedures), until filed

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"step": self.step, "choices": dict(self.choices)}
        if self.signing_request is not None:
            data["signing_request"] = self.signing_request
        return data

    @classmethod
    def from_json(cls, value: Any) -> DraftState:
        data = value if isinstance(value, Mapping) else {}
        step = data.get("step")
        raw = data.get("choices")
        choices = {str(k): v for k, v in raw.items() if isinstance(v, int) and not isinstance(v, bool)} \
            if isinstance(raw, Mapping) else {}
        signing_request = data.get("signing_request")
        return cls(step if isinstance(step, str) else None, choices,
                   signing_request if isinstance(signing_request, str) else None)


@dataclass(frozen=True)
class Started:
    """A new draft and its resume code (the code exists only here and in the resident's hands)."""

    draft: Draft
    code: str


@dataclass(frozen=True)
class Purged:
    """What `drafts purge` deleted: the drafts, and the storage keys of the uploads deleted with them.

    The keys' files are removed only after the deletion is committed. In that order nothing stored can be
    lost: a crash before the commit keeps rows and files; a crash after it leaves files no row names
    (garbage, not data). Removing files first could leave committed rows whose bytes are gone.
    """

    drafts: int
    storage_keys: list[str]
