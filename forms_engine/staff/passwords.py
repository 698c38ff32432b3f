"""Staff passwords: argon2id (argon2-cffi's defaults, RFC 9106's second recommended parameters)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
_HASHER = PasswordHasher()


@cache
def _dummy() -> str:
    return _HASHER.hash("an unknown login still costs one verification")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches; an unknown account (``stored`` None) costs the same time."""
    try:
        return _HASHER.verify(stored or _dummy(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _HASHER.check_needs_rehash(stored)


def weak(password: str) -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < MIN_LENGTH:
        return f"パスワードは {MIN_LENGTH} 文字以上にしてください"
    if password.strip() != password:
        return "パスワードの先頭と末尾に空白は使えません"
    return None
