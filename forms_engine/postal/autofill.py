"""「住所を自動入力」 without the page: an address's empty 都道府県 / 市区町村 / 町域 filled from its postal code.

Only empty parts are written: what the resident typed is kept, and reported with what the postal code would
have given when it differs. A code covering several 町域 leaves the 町域 to the resident and lists them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from forms_engine.postal.schemas import PostalAddress
from forms_engine.postal.service import PostalLookup, normalise_code

__all__ = ["ROLES", "Kept", "Outcome", "Role", "autofill"]

Role = Literal["prefecture", "city", "town"]
ROLES: tuple[Role, ...] = ("prefecture", "city", "town")
Kind = Literal["filled", "empty", "malformed", "not_found"]


@dataclass(frozen=True)
class Kept:
    """A part the resident had typed: left as it was; `proposed` is what the postal code gives."""

    key: str
    proposed: str

    @property
    def differs(self) -> bool:
        return bool(self.proposed)


@dataclass(frozen=True)
class Outcome:
    """What 「住所を自動入力」 did. `kind` is `filled` whenever the code exists (even if nothing was empty)."""

    kind: Kind
    code: str = ""  # the normalised postal code (filled, not_found)
    filled: tuple[str, ...] = ()  # keys written, in the order of the address's parts
    kept: tuple[Kept, ...] = ()  # keys the resident had typed, in the same order
    towns: tuple[str, ...] = ()  # the 町域 of a code with several (the 町域 part was left empty)
    town_key: str | None = None  # where the 町域 goes


def _same(values: Iterable[str]) -> str | None:
    """The value every address agrees on (None when they differ or there is none)."""
    distinct = set(values)
    return distinct.pop() if len(distinct) == 1 else None


def _typed(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def autofill(address: Mapping[str, Any], code_key: str, parts: Mapping[Role, str],
             lookup: PostalLookup) -> tuple[dict[str, Any], Outcome]:
    """The address after 「住所を自動入力」 and what happened. `parts` names the address's key for each role it
    has (`{"prefecture": "prefecture", "city": "city", "town": "street"}`); the input is not changed."""
    filled_in = dict(address)
    raw = address.get(code_key)
    if not isinstance(raw, str) or not raw.strip():
        return filled_in, Outcome("empty")
    code = normalise_code(raw)
    if code is None:
        return filled_in, Outcome("malformed")
    found: list[PostalAddress] = lookup.lookup(code)
    if not found:
        return filled_in, Outcome("not_found", code)
    proposals: dict[Role, str | None] = {
        "prefecture": _same(a.prefecture for a in found),
        "city": _same(a.city for a in found),
        "town": _same(a.town for a in found),
    }
    filled: list[str] = []
    kept: list[Kept] = []
    for role in ROLES:
        key = parts.get(role)
        proposal = proposals[role]
        if key is None or not proposal:
            continue
        current = address.get(key)
        if _typed(current):
            kept.append(Kept(key, "" if isinstance(current, str) and current.strip() == proposal else proposal))
        else:
            filled_in[key] = proposal
            filled.append(key)
    towns: tuple[str, ...] = ()
    town_key = parts.get("town")
    if town_key is not None and proposals["town"] is None and not _typed(address.get(town_key)):
        towns = tuple(dict.fromkeys(a.town for a in found if a.town))
    return filled_in, Outcome("filled", code, tuple(filled), tuple(kept), towns, town_key)
