"""The catalogue without HTTP: the open procedures as residents see them, grouped by department (担当課), and
the search over them (GET /?q=). Two ways to a procedure besides its link in the list (WCAG 2.4.5): the search
here and the site map, which lists the same groups.

A query and the words it is matched against are folded alike: NFKC (full-width letters and digits, half-width
katakana), katakana to hiragana (jaconv), case-folded; every word of the query (split at spaces, full-width
ones included) must occur in the procedure's title, summary or department name, in Japanese or English.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import jaconv

from forms_engine.definitions.schemas import Definition

MAX_QUERY = 100
"""Characters of a query kept (a longer one is cut: nothing a resident types is that long)."""


@dataclass(frozen=True)
class Entry:
    """One procedure in the list."""

    id: str
    title: str
    summary: str
    department: str
    department_id: str
    words: str  # everything the search looks in, folded


@dataclass(frozen=True)
class Department:
    """The procedures of one department, under its name."""

    id: str
    name: str
    entries: tuple[Entry, ...]


def fold(text: str) -> str:
    """「ｺﾞﾐ」, 「ゴミ」 and 「ごみ」 (and 「ＡＢＣ」, 「abc」) are the same to the search."""
    return str(jaconv.kata2hira(unicodedata.normalize("NFKC", text))).casefold()


def query_of(raw: str | None) -> str:
    """The query as typed, without surrounding spaces and cut at MAX_QUERY characters ("" for none)."""
    return (raw or "").strip()[:MAX_QUERY].strip()


def entries(definitions: Iterable[Definition], lang: str, now: datetime) -> list[Entry]:
    """The procedures open now, in the catalogue's order, worded for `lang` (English where the definition has it)."""
    found = []
    for d in definitions:
        if not d.is_open(now):
            continue
        meta = d.meta
        title = (meta.title_en if lang == "en" and meta.title_en else None) or d.title
        summary = (meta.summary_en if lang == "en" and meta.summary_en else None) or meta.summary
        words = " ".join(w for w in (d.title, meta.title_en, meta.summary, meta.summary_en, meta.department_name) if w)
        found.append(Entry(d.id, title, summary, meta.department_name, meta.department, fold(words)))
    return found


def by_department(found: Iterable[Entry]) -> list[Department]:
    """The entries under their departments, departments in the order of their ids, entries kept in order."""
    groups: dict[str, list[Entry]] = {}
    for entry in found:
        groups.setdefault(entry.department_id, []).append(entry)
    return [Department(key, groups[key][0].department, tuple(groups[key])) for key in sorted(groups)]


def search(found: Iterable[Entry], query: str) -> list[Entry]:
    """The entries that hold every word of the query (all of them for a query without words)."""
    terms = fold(query).split()
    return [e for e in found if all(t in e.words for t in terms)]
