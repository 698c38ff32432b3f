"""The format registry: the `format` values the engine knows, and a jsonschema FormatChecker over them."""

from __future__ import annotations

from collections.abc import Callable

from jsonschema import FormatChecker  # type: ignore[import-untyped, unused-ignore]

from forms_engine.validation.formats import (
    corporate_number,
    katakana,
    my_number,
    phone,
    postal_code,
    standard,
)
from forms_engine.validation.formats.entry import FormatEntry, identity

__all__ = ["BUILT_IN", "FormatEntry", "FormatRegistry", "default_registry", "identity"]

BUILT_IN: tuple[FormatEntry, ...] = (
    postal_code.ENTRY,
    phone.ENTRY,
    katakana.ENTRY,
    my_number.ENTRY,
    corporate_number.ENTRY,
    *standard.ENTRIES,
)


class FormatRegistry:
    """Format entries by name; a name is registered once."""

    def __init__(self) -> None:
        self._entries: dict[str, FormatEntry] = {}

    def register(self, entry: FormatEntry) -> FormatEntry:
        if entry.name in self._entries:
            raise ValueError(f"format {entry.name!r} is already registered")
        self._entries[entry.name] = entry
        return entry

    def get(self, name: str) -> FormatEntry | None:
        return self._entries.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def names(self) -> frozenset[str]:
        return frozenset(self._entries)

    def format_checker(self) -> FormatChecker:
        """A FormatChecker with exactly this registry's entries (a snapshot: later registrations are not in it)."""
        checker = FormatChecker(formats=())
        for entry in self._entries.values():
            checker.checks(entry.name)(_strings_only(entry.check))
        return checker


def _strings_only(check: Callable[[str], bool]) -> Callable[[object], bool]:
    """JSON Schema `format` applies to strings only: any other instance conforms."""

    def conforms(instance: object) -> bool:
        return not isinstance(instance, str) or check(instance)

    return conforms


def default_registry() -> FormatRegistry:
    """A fresh registry holding every built-in format."""
    registry = FormatRegistry()
    for entry in BUILT_IN:
        registry.register(entry)
    return registry
