"""What validation answers with."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class FieldError:
    """One failing field: the JSON pointer of the answer, the JSON Schema keyword, a message for the resident."""

    pointer: str
    keyword: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
