"""Identity of a definition: SHA-256 of its RFC 8785 (JCS) canonical form."""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785


def canonical_bytes(document: Any) -> bytes:
    return bytes(rfc8785.dumps(document))


def definition_sha256(document: Any) -> str:
    return hashlib.sha256(canonical_bytes(document)).hexdigest()
