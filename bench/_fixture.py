"""The benchmark's procedure and answers, and variants of the answers with other phone numbers.

Residents file their own phone numbers, and the engine may cache what it computed for a number it has
seen (jp-phone does). Sending one body again and again would measure that cache, so the benchmarks vary
the last four digits of the four phone fields, keeping the width each was typed in.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
FIXTURES = BENCH / "fixtures"
DEFINITION = FIXTURES / "thirty-fields.json"
ANSWERS = FIXTURES / "answers" / "thirty-fields.answers.json"
PROCEDURE_ID = "bench-thirty"
PHONE_FIELDS = ("phone", "mobile_phone", "workplace_phone", "pickup_phone")
FULL_WIDTH_ZERO = 0xFF10
# Markers bench/wrk_report.lua replaces with a 4-digit number: half-width, and full-width (全角).
MARK_HALF, MARK_FULL = "%N%", "%Z%"


def load_answers() -> dict[str, Any]:
    answers: dict[str, Any] = json.loads(ANSWERS.read_text(encoding="utf-8"))
    return answers


def _full_width(value: str) -> bool:
    return FULL_WIDTH_ZERO <= ord(value[-1]) <= FULL_WIDTH_ZERO + 9


def four_digits(number: int, full_width: bool) -> str:
    text = f"{number % 10_000:04d}"
    return "".join(chr(FULL_WIDTH_ZERO + int(d)) for d in text) if full_width else text


def phone_variant(answers: dict[str, Any], number: int) -> dict[str, Any]:
    """The answers with the last four digits of every phone field replaced by `number` (0–9999)."""
    variant = copy.deepcopy(answers)
    for name in PHONE_FIELDS:
        value = variant[name]
        variant[name] = value[:-4] + four_digits(number, _full_width(value))
    return variant


def wrk_body_template(answers: dict[str, Any]) -> str:
    """`{"answers": …}` with the last four digits of every phone field replaced by a marker for wrk."""
    marked = copy.deepcopy(answers)
    for name in PHONE_FIELDS:
        value = marked[name]
        marked[name] = value[:-4] + (MARK_FULL if _full_width(value) else MARK_HALF)
    return json.dumps({"answers": marked}, ensure_ascii=False)
