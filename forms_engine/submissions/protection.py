"""Sensitive answers encrypted at rest: AES-256-GCM with keys from a key file outside the database.

``seal`` replaces every sensitive answer (`definitions.sensitivity`) by an envelope
``{"$enc": "aesgcm", "kid": key id, "n": nonce, "c": ciphertext}`` (base64) whose associated data binds it to
the submission id and the answer's JSON pointer: an envelope copied to another field or another submission
does not decrypt. ``unseal`` gives the answers back as filed, at the boundary where they are read (staff
views, receipts, exports); it raises `ProtectionError` rather than ever returning altered values.

The key file holds one ``key_id:base64`` line per key (32 bytes each); the first is used to encrypt, the
others still decrypt (rotation: put a new key first, keep the old ones until nothing is sealed with them;
`forms-engine submissions reseal` re-encrypts what an old key sealed).

The same envelopes protect what is kept before filing, each bound to its owner: a draft's answers
(``draft_owner``: found by walking the answers, so a draft reads back whatever its definition says today) and
a signing request's payload and certificate holder data (``signing_owner``). The owner names are prefixed, a
submission's is its bare UUID: an envelope never decrypts under another kind of owner.
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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from forms_engine.definitions.sensitivity import escape_token, replace_at, sensitive_pointers, value_at

__all__ = ["ALGORITHM", "Keyring", "ProtectionError", "Resealed", "draft_owner", "is_envelope", "reseal", "seal",
           "seal_bytes", "seal_found", "seal_value", "signing_owner", "unseal", "unseal_bytes", "unseal_found",
           "unseal_value"]

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
    return seal_found(answers, sensitive_pointers(document, answers), submission_id, keyring)


def unseal(answers: Any, document: Mapping[str, Any], submission_id: str, keyring: Keyring) -> Any:
    """The answers as filed: every envelope at a sensitive place decrypted (answers stored before encryption
    came in are returned as they are). Raises `ProtectionError` when one does not decrypt."""
    sealed = [p for p in sensitive_pointers(document, answers) if is_envelope(value_at(answers, p))]
    return _unseal_at(answers, sealed, submission_id, keyring, f"submission {submission_id}")


# -- what is kept before filing: drafts and signing requests -------------------------------------------------
def draft_owner(draft_id: str) -> str:
    """What a draft's envelopes are bound to (never a submission's id: those are bare UUIDs)."""
    return f"draft:{draft_id}"


def signing_owner(request_id: str) -> str:
    """What a signing request's envelopes are bound to."""
    return f"signing-request:{request_id}"


def seal_value(value: Any, owner: str, pointer: str, keyring: Keyring) -> dict[str, str]:
    """One JSON value encrypted, bound to ``owner`` and ``pointer``."""
    plain = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return keyring.encrypt(plain.encode(), _associated(owner, pointer))


def unseal_value(envelope: Any, owner: str, pointer: str, keyring: Keyring, where: str) -> Any:
    return json.loads(keyring.decrypt(envelope, _associated(owner, pointer), f"{where}, answer {pointer or '/'}"))


def seal_found(answers: Any, pointers: list[str], owner: str, keyring: Keyring) -> Any:
    """A copy of ``answers`` with the values at ``pointers`` (`sensitivity.sensitive_pointers`) encrypted."""
    return replace_at(answers, pointers, lambda pointer, value: seal_value(value, owner, pointer, keyring))


def unseal_found(answers: Any, owner: str, keyring: Keyring, where: str) -> Any:
    """``answers`` with every envelope found in them decrypted, wherever it sits (a draft's: the schema that
    chose what to seal may have changed since). Raises `ProtectionError` when one does not decrypt."""
    return _unseal_at(answers, list(_envelopes(answers, "")), owner, keyring, where)


def seal_bytes(data: bytes, owner: str, label: str, keyring: Keyring) -> bytes:
    """Bytes kept encrypted in a binary column: the envelope as JSON (it starts with ``{"$enc"``)."""
    envelope = keyring.encrypt(data, _associated(owner, label))
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True).encode()


def unseal_bytes(stored: bytes, owner: str, label: str, keyring: Keyring, where: str) -> bytes:
    """The bytes `seal_bytes` sealed; bytes stored before encryption came in are returned as they are."""
    if not stored.startswith(_SEALED_BYTES):
        return stored
    try:
        envelope = json.loads(stored)
    except ValueError:
        raise ProtectionError(f"{where}: the sealed {label} is damaged") from None
    return keyring.decrypt(envelope if isinstance(envelope, dict) else {}, _associated(owner, label),
                           f"{where}, {label}")


# -- re-sealing stored submissions ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Resealed:
    """A submission's answers after `reseal`: how many values were sealed for the first time (stored before
    encryption came in) and how many were re-encrypted under the current key."""

    answers: Any
    sealed: int
    rekeyed: int

    @property
    def changed(self) -> bool:
        return bool(self.sealed or self.rekeyed)


def reseal(answers: Any, document: Mapping[str, Any], submission_id: str, keyring: Keyring) -> Resealed:
    """Every sensitive answer of a submission sealed with the current key: plain ones sealed, envelopes of
    another key decrypted and sealed again (bound as before). Raises `ProtectionError` when one does not
    decrypt; nothing is changed then."""
    plain: list[str] = []
    old: list[str] = []
    for pointer in sensitive_pointers(document, answers):
        value = value_at(answers, pointer)
        if not is_envelope(value):
            plain.append(pointer)
        elif value.get("kid") != keyring.current_id:
            old.append(pointer)
    where = f"submission {submission_id}"

    def change(pointer: str, value: Any) -> Any:
        if pointer in old:
            value = unseal_value(value, submission_id, pointer, keyring, where)
        return seal_value(value, submission_id, pointer, keyring)

    return Resealed(replace_at(answers, plain + old, change), len(plain), len(old))


_SEALED_BYTES = b'{"' + MARK.encode() + b'"'


def _unseal_at(answers: Any, pointers: list[str], owner: str, keyring: Keyring, where: str) -> Any:
    return replace_at(answers, pointers, lambda pointer, envelope: unseal_value(envelope, owner, pointer, keyring,
                                                                                where))


def _envelopes(value: Any, pointer: str) -> Iterator[str]:
    if is_envelope(value):
        yield pointer
    elif isinstance(value, Mapping):
        for key, child in value.items():
            yield from _envelopes(child, f"{pointer}/{escape_token(key)}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _envelopes(child, f"{pointer}/{index}")


def _associated(owner: str, pointer: str) -> bytes:
    return json.dumps(["forms-engine/answer/v1", owner, pointer], separators=(",", ":")).encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
