"""The QR text format and the modules: the fast mask choice must equal ReportLab's own symbol."""

from __future__ import annotations

import hashlib
import random
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reportlab.graphics.barcode import qrencoder  # type: ignore[import-untyped]

from forms_engine.receipts.qr import _build, parse_qr_text, penalty, qr_matrix, qr_text


def test_text_format_round_trip() -> None:
    digest = hashlib.sha256(b"x").hexdigest()
    text = qr_text("1234-5678-9013", digest)
    assert text == f"FE1:1234-5678-9013:{digest.upper()}"
    assert set(text) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")  # QR alphanumeric mode
    assert parse_qr_text(text) == ("1234-5678-9013", digest)
    assert parse_qr_text(text.lower().replace("fe1", "FE1")) == ("1234-5678-9013", digest)
    assert parse_qr_text("FE2:1234:" + digest) is None


@pytest.mark.parametrize(("number", "digest"), [("12345678901x", "0" * 64), ("1234-5678-9013", "0" * 63)])
def test_text_refuses_bad_input(number: str, digest: str) -> None:
    with pytest.raises(ValueError):
        qr_text(number, digest)


@pytest.mark.parametrize("seed", range(12))
def test_matrix_equals_reportlab_symbol_with_the_chosen_mask(seed: int) -> None:
    text = qr_text("1234-5678-9013", hashlib.sha256(str(seed).encode()).hexdigest())
    rows, size, mask = _build(text)
    reference = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    reference.addData(text)
    reference.version = reference.calculate_version()
    assert reference.version == 4
    scores = []
    for candidate in range(8):
        reference.makeImpl(False, candidate)
        as_rows = tuple(sum(1 << (size - 1 - c) for c in range(size) if line[c]) for line in reference.modules)
        scores.append(penalty(as_rows, size))
        if candidate == mask:
            assert as_rows == rows
            assert qr_matrix(text) == tuple(tuple(bool(m) for m in line) for line in reference.modules)
    assert scores[mask] == min(scores)


def _reference_penalty(rows: tuple[int, ...], size: int) -> int:
    """ISO/IEC 18004 N1-N4 counted the plain way, module by module, to check the bit-parallel one."""
    grid = [[bool(row >> (size - 1 - col) & 1) for col in range(size)] for row in rows]
    lines = grid + [list(column) for column in zip(*grid, strict=True)]
    score = 0
    for line in lines:  # N1: runs of five or more, 3 + (length - 5)
        run = 1
        for previous, current in pairwise(line):
            if current == previous:
                run += 1
                continue
            score += run - 2 if run >= 5 else 0
            run = 1
        score += run - 2 if run >= 5 else 0
    for r in range(size - 1):  # N2: 2x2 blocks of one colour
        for c in range(size - 1):
            score += 3 * (grid[r][c] == grid[r][c + 1] == grid[r + 1][c] == grid[r + 1][c + 1])
    patterns = ([True, False, True, True, True, False, True, False, False, False, False],
                [False, False, False, False, True, False, True, True, True, False, True])
    for line in lines:  # N3: 1011101 with four light modules on one side, inside the symbol
        for start in range(size - 10):
            score += 40 * sum(line[start:start + 11] == pattern for pattern in patterns)
    dark = sum(map(sum, grid))
    return score + 10 * int(abs(dark * 100 / (size * size) - 50) // 5)  # N4


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([21, 25, 33]), st.floats(0.05, 0.95), st.randoms(use_true_random=False))
def test_penalty_equals_the_plain_count(size: int, density: float, rng: random.Random) -> None:
    rows = tuple(sum(1 << (size - 1 - c) for c in range(size) if rng.random() < density) for _ in range(size))
    assert penalty(rows, size) == _reference_penalty(rows, size)


@pytest.mark.parametrize("text", ["A", "AB", "FE1:1-1:" + "0" * 64, "HELLO WORLD", "FE1:" + "9" * 32 + ":" + "F" * 64,
                                  "$%*+-./: 0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" * 3])
def test_other_lengths_and_versions_equal_reportlab(text: str) -> None:
    rows, size, mask = _build(text)
    reference = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    reference.addData(text)
    reference.version = reference.calculate_version()
    reference.makeImpl(False, mask)
    assert size == reference.moduleCount
    assert rows == tuple(sum(1 << (size - 1 - c) for c in range(size) if line[c]) for line in reference.modules)


def test_text_outside_the_alphanumeric_set_takes_reportlabs_byte_mode() -> None:
    url = "http://127.0.0.1:8000/api/v1/signing-requests/ABCD2345EFGH6789JKLM"  # the signing page's code
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(url)
    code.make()
    count = code.getModuleCount()
    assert qr_matrix(url) == tuple(tuple(bool(code.isDark(r, c)) for c in range(count)) for r in range(count))
    assert qr_matrix("FE1:1234-5678-9013:" + "A" * 64) != qr_matrix("fe1:1234-5678-9013:" + "a" * 64)
