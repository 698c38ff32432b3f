"""Sensitive answers encrypted at rest: AES-256-GCM with keys from a key file outside the database.

``seal`` replaces every sensitive answer (`definitions.sensitivity`) by an envelope
``{"$enc": "aesgcm", "kid": key id, "n": nonce, "c": ciphertext}`` (base64) whose associated data binds it to
the submission id and the answer's JSON pointer: an envelope copied to another field or another submission
does not decrypt. ``unseal`` gives the answers back as filed, at the boundary where they are read (staff
views, receipts, exports); it raises `ProtectionError` rather than ever returning altered values.

The key file holds one ``key_id:base64`` line per key (32 bytes each); the first is used to encrypt, the
others still decrypt (rotation: put a new key first, keep the old ones until nothing is sealed with them).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import re
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from forms_engine.definitions.sensitivity import replace_at, sensitive_pointers, value_at

__all__ = ["ALGORITHM", "Keyring", "ProtectionError", "is_envelope", "seal", "unseal"]

ALGORITHM = "aesgcm"
MARK = "$enc"
KEY_BYTES = 32
NONCE_BYTES = 12
_KEY_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")


class ProtectionError(ValueError):
    """A key file that cannot be used, or a sealed answer that does not decrypt (changed, moved, unknown key)."""


class Keyring:
    """The answer keys by id; the first is the current one (used to encrypt)."""

    def __init__(self, keys: Mapping[str, bytes]) -> None:
        if not keys:
            raise ProtectionError("the key file holds no key")
        for kid, key in keys.items():
            if not _KEY_ID.fullmatch(kid):
                raise ProtectionError(f"key id {kid!r}: use 1 to 64 letters, digits, '_', '.' or '-'")
            if len(key) != KEY_BYTES:
                raise ProtectionError(f"key {kid!r} is {len(key)} bytes long, not {KEY_BYTES}")
        self._ciphers = {kid: AESGCM(key) for kid, key in keys.items()}
        self.current_id = next(iter(keys))

    @classmethod
    def parse(cls, text: str, source: str = "key file") -> Keyring:
        keys: dict[str, bytes] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            kid, sep, encoded = line.partition(":")
            if not sep:
                raise ProtectionError(f"{source}, line {number}: expected key_id:base64")
            try:
                key = base64.b64decode(encoded.strip(), validate=True)
            except binascii.Error:
                raise ProtectionError(f"{source}, line {number}: the key is not base64") from None
            if kid.strip() in keys:
                raise ProtectionError(f"{source}, line {number}: key id {kid.strip()!r} appears twice")
            keys[kid.strip()] = key
        return cls(keys)

    @classmethod
    def load(cls, path: Path) -> Keyring:
        return cls.parse(path.read_text(encoding="ascii"), str(path))

    @classmethod
    def load_or_create(cls, path: Path) -> Keyring:
        """The key file at ``path``; created (mode 0600, one new random key) when there is none yet. Several
        workers starting at once agree: the file appears whole or not at all, and only the first one stays."""
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            line = f"{secrets.token_hex(4)}:{base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()}\n"
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key-")  # mkstemp creates it 0600
            try:
                with os.fdopen(fd, "w", encoding="ascii") as handle:
                    handle.write(line)
                    handle.flush()
                    os.fsync(handle.fileno())
                with contextlib.suppress(FileExistsError):  # another process made it first: keep theirs
                    os.link(tmp, path)
            finally:
                Path(tmp).unlink(missing_ok=True)
        return cls.load(path)

    def encrypt(self, plaintext: bytes, associated: bytes) -> dict[str, str]:
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._ciphers[self.current_id].encrypt(nonce, plaintext, associated)
        return {MARK: ALGORITHM, "kid": self.current_id, "n": _b64(nonce), "c": _b64(sealed)}

    def decrypt(self, envelope: Mapping[str, Any], associated: bytes, where: str) -> bytes:
        if envelope.get(MARK) != ALGORITHM or set(envelope) != {MARK, "kid", "n", "c"}:
            raise ProtectionError(f"{where}: not a sealed answer of this engine ({ALGORITHM} with kid, n and c)")
        kid = envelope.get("kid")
        cipher = self._ciphers.get(kid) if isinstance(kid, str) else None
        if cipher is None:
            raise ProtectionError(f"{where}: sealed with key {kid!r}, which the key file does not hold")
        try:
            nonce = base64.b64decode(str(envelope.get("n")), validate=True)
            sealed = base64.b64decode(str(envelope.get("c")), validate=True)
            if len(nonce) != NONCE_BYTES:
                raise ValueError("nonce length")
            return cipher.decrypt(nonce, sealed, associated)
        except (InvalidTag, ValueError, binascii.Error):
            raise ProtectionError(f"{where}: the sealed answer does not decrypt (it was changed, or moved from "
                                  "another field or submission)") from None


def is_envelope(value: Any) -> bool:
    """A sealed answer (or what is left of one: a damaged envelope must fail to decrypt, not read as an answer)."""
    return isinstance(value, Mapping) and MARK in value


def seal(answers: Any, document: Mapping[str, Any], submission_id: str, keyring: Keyring) -> Any:
    """A copy of ``answers`` with every sensitive answer encrypted, bound to ``submission_id`` and its pointer."""
    def encrypt(pointer: str, value: Any) -> Any:
        plain = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        return keyring.encrypt(plain.encode(), _associated(submission_id, pointer))

    return replace_at(answers, sensitive_pointers(document, answers), encrypt)


def unseal(answers: Any, document: Mapping[str, Any], submission_id: str, keyring: Keyring) -> Any:
    """The answers as filed: every envelope at a sensitive place decrypted (answers stored before encryption
    came in are returned as they are). Raises `ProtectionError` when one does not decrypt."""
    def decrypt(pointer: str, envelope: Any) -> Any:
        where = f"submission {submission_id}, answer {pointer or '/'}"
        return json.loads(keyring.decrypt(envelope, _associated(submission_id, pointer), where).decode())

    sealed = [p for p in sensitive_pointers(document, answers) if is_envelope(value_at(answers, p))]
    return replace_at(answers, sealed, decrypt)


def _associated(submission_id: str, pointer: str) -> bytes:
    return json.dumps(["forms-engine/answer/v1", submission_id, pointer], separators=(",", ":")).encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
