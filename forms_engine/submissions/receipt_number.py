"""受付番号: twelve digits read out as three groups of four, the last digit a Damm check digit.

`1234-5678-9013`: eleven random digits and one check digit. Digits only, because they are read out on
the phone and typed on a keypad; groups of four, because people say them that way. The Damm algorithm
(python-stdnum) catches every single mistyped digit and every swap of two neighbouring digits.
See docs/adr/0002-receipt-number.md.
"""

from __future__ import annotations

import secrets
import unicodedata

from stdnum import damm

DIGITS = 12
_SEPARATORS = str.maketrans("", "", "-‐‑‒–—―−－ー ｰ\u3000")


def generate() -> str:
    body = "".join(secrets.choice("0123456789") for _ in range(DIGITS - 1))
    return format_number(body + str(damm.calc_check_digit(body)))


def format_number(digits: str) -> str:
    return "-".join(digits[i : i + 4] for i in range(0, DIGITS, 4))


def parse(text: str) -> str | None:
    """The canonical `XXXX-XXXX-XXXX` form, or None when it is not a valid 受付番号 (e.g. a typo)."""
    digits = unicodedata.normalize("NFKC", text).strip().translate(_SEPARATORS)
    if len(digits) != DIGITS or not digits.isascii() or not digits.isdigit() or not damm.is_valid(digits):
        return None
    return format_number(digits)
