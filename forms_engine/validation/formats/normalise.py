"""Shared normalisers for numbers and codes (never for names or kana: they delete ー)."""

from __future__ import annotations

import re
import unicodedata

HYPHEN_LOOKALIKES = "-‐‑‒–—―−－ー─━ｰ"
_NUMBER_NOISE = re.compile(f"[{re.escape(HYPHEN_LOOKALIKES)}\\s]+")
_PHONE_NOISE = re.compile(f"[{re.escape(HYPHEN_LOOKALIKES + '()（）')}\\s]+")


def nfkc(value: str) -> str:
    """NFKC, then strip surrounding whitespace."""
    return unicodedata.normalize("NFKC", value).strip()


def _delete(noise: re.Pattern[str], value: str) -> str:
    # NFKC again: deleting a character can put a combining mark next to a new base.
    return unicodedata.normalize("NFKC", noise.sub("", nfkc(value)))


def compact(value: str) -> str:
    """NFKC, strip, delete hyphen look-alikes and whitespace."""
    return _delete(_NUMBER_NOISE, value)


def compact_phone(value: str) -> str:
    """`compact`, also deleting round brackets, half- and full-width."""
    return _delete(_PHONE_NOISE, value)
