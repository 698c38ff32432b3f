"""The exact bytes a resident signs: NFC-normalised JSON in RFC 8785 (JCS) form."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Mapping
from typing import Any

import rfc8785

#: Largest integer JSON numbers carry exactly (IEEE 754 double); beyond it, use a string.
MAX_SAFE_INTEGER = 2**53 - 1

__all__ = ["MAX_SAFE_INTEGER", "canonical_payload", "normalise", "payload_sha256"]


def normalise(value: Any, path: str = "") -> Any:
    """Return a copy of ``value`` with every string NFC-normalised, refusing what JCS would mangle.

    Raises ``ValueError`` for floats, integers beyond ±(2^53−1), non-string keys, keys that collide
    after normalisation, and values that are not JSON (naming the JSON pointer of the culprit).
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise ValueError(f"{path or '/'}: integer {value} is beyond ±(2^53−1); send it as a string")
        return value
    if isinstance(value, float):
        raise ValueError(f"{path or '/'}: floats are not allowed in a signature envelope")
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{path or '/'}: object key {key!r} is not a string")
            nfc_key = unicodedata.normalize("NFC", key)
            if nfc_key in out:
                raise ValueError(f"{path or '/'}: keys collide after NFC normalisation: {nfc_key!r}")
            out[nfc_key] = normalise(item, f"{path}/{_escape(nfc_key)}")
        return out
    if isinstance(value, list | tuple):
        return [normalise(item, f"{path}/{index}") for index, item in enumerate(value)]
    raise ValueError(f"{path or '/'}: {type(value).__name__} is not a JSON value")


def canonical_payload(envelope: Mapping[str, Any]) -> bytes:
    """Encode ``envelope`` as NFC-normalised RFC 8785 JSON (UTF-8 bytes)."""
    if not isinstance(envelope, Mapping):
        raise ValueError("the envelope must be a JSON object")
    return bytes(rfc8785.dumps(normalise(envelope)))


def payload_sha256(payload: bytes) -> str:
    """Lower-case hexadecimal SHA-256 of ``payload``."""
    return hashlib.sha256(payload).hexdigest()


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")
