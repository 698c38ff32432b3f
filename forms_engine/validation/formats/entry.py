"""`FormatEntry`: everything the engine knows about one JSON Schema `format` value."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


def identity(value: str) -> str:
    """The default normaliser: the value unchanged."""
    return value


@dataclass(frozen=True)
class FormatEntry:
    """One format: how to normalise and check a value, what to tell the resident, how to hint the input."""

    name: str
    check: Callable[[str], bool]
    message_ja: str
    message_en: str
    normalise: Callable[[str], str] = identity
    autocomplete: str | None = None
    inputmode: str | None = None
