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

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "choices": dict(self.choices)}

    @classmethod
    def from_json(cls, value: Any) -> DraftState:
        data = value if isinstance(value, Mapping) else {}
        step = data.get("step")
        raw = data.get("choices")
        choices = {str(k): v for k, v in raw.items() if isinstance(v, int) and not isinstance(v, bool)} \
            if isinstance(raw, Mapping) else {}
        return cls(step if isinstance(step, str) else None, choices)


@dataclass(frozen=True)
class Started:
    """A new draft and its resume code (the code exists only here and in the resident's hands)."""

    draft: Draft
    code: str
