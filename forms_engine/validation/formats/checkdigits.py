"""Check digits of the マイナンバー (個人番号) and the 法人番号, as japanese-data.md gives them."""

from __future__ import annotations


def _digits(value: str, length: int) -> list[int]:
    if len(value) != length or not (value.isascii() and value.isdigit()):
        raise ValueError(f"expected {length} ASCII digits, got {value!r}")
    return [int(c) for c in value]


def my_number_check_digit(first11: str) -> int:
    """The 12th digit of a マイナンバー from its first 11 (weights 6,5,4,3,2,7,6,5,4,3,2 from the left)."""
    from_right = reversed(_digits(first11, 11))
    r = sum(p * (n + 1 if n <= 6 else n - 5) for n, p in enumerate(from_right, start=1)) % 11
    return 0 if r <= 1 else 11 - r


def corporate_number_check_digit(base12: str) -> int:
    """The leading digit of a 法人番号 from the 12 digits after it."""
    from_right = reversed(_digits(base12, 12))
    total = sum(p * (1 if n % 2 else 2) for n, p in enumerate(from_right, start=1))
    return 9 - total % 9
