"""The `x-procedure` block and a loaded definition."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,63}$"
# semver.org 2.0.0, the official regular expression
SEMVER_PATTERN = (
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Step(_Strict):
    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    properties: list[str] = Field(min_length=1)
    description: str | None = None


class Fee(_Strict):
    amount: int = Field(ge=0)
    description: str


class ProcedureMeta(_Strict):
    """`x-procedure`, exactly as ../shared/spec/procedure-format.md lists it."""

    id: str
    version: str
    department: str = Field(min_length=1)
    department_name: str = Field(min_length=1)
    summary: str = ""
    signature: Literal["none", "optional", "required"] = "none"
    revocation: Literal["require", "best_effort"] = "require"
    signature_holder_fields: list[Literal["name", "address", "birth_date", "sex"]] = []
    processing_days: int | None = Field(default=None, ge=0)
    title_en: str | None = None
    summary_en: str | None = None
    steps: list[Step] | None = None
    fee: Fee | None = None
    contact: str = ""
    retention_days: int | None = Field(default=None, ge=1)
    opens_at: datetime | None = Field(default=None, strict=False)
    closes_at: datetime | None = Field(default=None, strict=False)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition file, printed as `file: /pointer: message`."""

    file: str
    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.pointer or '/'}: {self.message}"


@dataclass(frozen=True)
class Definition:
    """A procedure definition as loaded: its document, identity and parsed `x-procedure`."""

    path: Path
    document: Any
    sha256: str
    meta: ProcedureMeta
    dialect: str
    base_uri: str
    extra_resources: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.meta.id

    @property
    def version(self) -> str:
        return self.meta.version

    @property
    def title(self) -> str:
        title = self.document.get("title") if isinstance(self.document, dict) else None
        return str(title) if title else self.meta.id

    def is_open(self, now: datetime) -> bool:
        if self.meta.opens_at is not None and now < self.meta.opens_at:
            return False
        return not (self.meta.closes_at is not None and now >= self.meta.closes_at)
