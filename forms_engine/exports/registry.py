"""Export formats as an extension point: a Protocol and a registry that refuses a name twice."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from sqlmodel import Session

from forms_engine.exports.schemas import Encoding, EncodingProblem, ExportContext


class Exporter(Protocol):
    def prescan(self, session: Session) -> list[EncodingProblem]:
        """Read everything needed before the first byte (column counts, values the encoding cannot hold)."""
        ...

    def chunks(self, session: Session) -> Iterator[bytes]:
        """The file, piece by piece; memory does not grow with the number of submissions."""
        ...


@dataclass(frozen=True)
class ExportFormat:
    name: str
    media_type: str
    extension: str
    encodings: tuple[Encoding, ...]  # the first is the default; empty: always UTF-8, no choice
    build: Callable[[ExportContext], Exporter]


class ExporterRegistry:
    def __init__(self) -> None:
        self._formats: dict[str, ExportFormat] = {}

    def register(self, chosen: ExportFormat) -> None:
        if chosen.name in self._formats:
            raise ValueError(f"export format {chosen.name!r} is already registered")
        self._formats[chosen.name] = chosen

    def get(self, name: str) -> ExportFormat | None:
        return self._formats.get(name)

    def names(self) -> list[str]:
        return list(self._formats)


def default_exporters() -> ExporterRegistry:
    from forms_engine.exports.csv_writer import CSV_FORMAT
    from forms_engine.exports.jsonl_writer import JSONL_FORMAT
    from forms_engine.exports.zip_writer import ZIP_FORMAT

    registry = ExporterRegistry()
    for chosen in (CSV_FORMAT, JSONL_FORMAT, ZIP_FORMAT):
        registry.register(chosen)
    return registry
