"""`email`: a practical address check (jsonschema's own only looks for an @)."""

from __future__ import annotations

import re

# Dots are allowed anywhere in the local part: older carrier addresses (taro..@docomo.ne.jp) still deliver.
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_TOP_LEVEL = re.compile(r"[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59}")


def _ascii_domain(domain: str) -> str | None:
    """The domain in ASCII (IDNA for 日本語.jp), or None when it cannot be encoded."""
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None


def is_email(value: str) -> bool:
    """`local@domain`: one @, an atext local part, a domain of two or more hostname labels."""
    local, at, domain = value.rpartition("@")
    if not at or len(value) > 254 or _LOCAL.fullmatch(local) is None:
        return False
    ascii_domain = _ascii_domain(domain)
    if ascii_domain is None:
        return False
    labels = ascii_domain.split(".")
    return (
        len(labels) >= 2
        and all(_LABEL.fullmatch(label) for label in labels)
        and _TOP_LEVEL.fullmatch(labels[-1]) is not None
    )
