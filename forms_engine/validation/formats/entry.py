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
    culprit: Callable[[str], str | None] | None = None  # the first character the format does not allow
    culprit_ja: str = ""  # the message naming that character: {title}, {char}
    culprit_en: str = ""

    def message(self, lang: str, title: str, value: object = None) -> str:
        """What to tell the resident about a value that fails: its first wrong character named, when the
        format can tell which (「フリガナの「山」はカタカナではありません…」), else the format's message."""
        char = self.culprit(value) if self.culprit is not None and isinstance(value, str) else None
        if char is not None and self.culprit_ja and self.culprit_en:
            return (self.culprit_en if lang == "en" else self.culprit_ja).format(title=title, char=char)
        return (self.message_en if lang == "en" else self.message_ja).format(title=title)
