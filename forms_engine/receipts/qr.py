"""The receipt's QR code: what it holds, its modules, and how it is drawn.

Text format ``FE1:<受付番号>:<SHA-256>``, e.g. ``FE1:1234-5678-9013:3A7BD3E2…`` (64 hex digits):

- ``FE1`` names the format (forms-engine, version 1), so a reader can refuse a code it does not know;
- the 受付番号 as printed (digits in groups of four);
- the SHA-256 of the stored submission in upper-case hexadecimal (compare case-insensitively).

Every character is in the QR alphanumeric set (0-9, A-Z, ``-`` and ``:``), which keeps the code small
(version 4 at error correction level M) and easy to scan from paper.

The modules come from ReportLab's encoder. Its own choice of mask pattern builds the whole symbol
eight times (about 10 ms); here the symbol is built once with mask 0 and the other seven are
derived row by row with integer masks, then scored with the four penalty rules of ISO/IEC 18004.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from itertools import pairwise
from typing import Any

from reportlab.graphics.barcode import qrencoder  # type: ignore[import-untyped]
from reportlab.lib.rl_accel import fp_str  # type: ignore[import-untyped]

__all__ = ["QR_FORMAT", "draw_qr", "parse_qr_text", "penalty", "qr_matrix", "qr_text"]

QR_FORMAT = "FE1"
_PATTERN = re.compile(r"FE1:([0-9-]{1,32}):([0-9A-Fa-f]{64})")
_RUNS = re.compile(r"0{5,}|1{5,}")
_FINDER_LIKE = re.compile(r"(?=10111010000|00001011101)")
_LEVEL = qrencoder.QRErrorCorrectLevel.M


def qr_text(receipt_number: str, submission_sha256: str) -> str:
    if not re.fullmatch(r"[0-9-]{1,32}", receipt_number):
        raise ValueError("a 受付番号 holds digits and hyphens only")
    if not re.fullmatch(r"[0-9A-Fa-f]{64}", submission_sha256):
        raise ValueError("submission_sha256 must be 64 hexadecimal digits")
    return f"{QR_FORMAT}:{receipt_number}:{submission_sha256.upper()}"


def parse_qr_text(text: str) -> tuple[str, str] | None:
    """(受付番号, lower-case SHA-256) from a scanned code, or None when it is not an FE1 code."""
    match = _PATTERN.fullmatch(text.strip())
    return None if match is None else (match[1], match[2].lower())


def _rows_of(grid: list[list[Any]], size: int, test: Any = bool) -> tuple[int, ...]:
    """Rows as integers, column 0 the highest bit, one bit per cell where ``test(cell)``."""
    return tuple(sum(1 << (size - 1 - col) for col in range(size) if test(row[col])) for row in grid)


@cache
def _masks(version: int) -> tuple[tuple[tuple[int, ...], ...], tuple[int, ...], tuple[tuple[int, ...], ...]]:
    """For one version: data cells under each mask pattern, format-information cells, and their
    values for each mask pattern (all rows as integers)."""
    probe = qrencoder.QRCode(version, _LEVEL)
    size = probe.moduleCount = version * 4 + 17
    positions = _positions(version)
    patterns = []
    for mask in range(8):
        grid = [[False] * size for _ in range(size)]
        test = qrencoder.QRUtil.getMask(mask)
        for col, row in positions:
            grid[row][col] = bool(test(row, col))
        patterns.append(_rows_of(grid, size))
    probe.modules = [[None] * size for _ in range(size)]
    probe.setupTypeInfo(False, 0)
    format_cells = _rows_of(probe.modules, size, lambda cell: cell is not None)
    format_values = []
    for mask in range(8):
        probe.modules = [[False] * size for _ in range(size)]
        probe.setupTypeInfo(False, mask)
        format_values.append(_rows_of(probe.modules, size))
    return tuple(patterns), format_cells, tuple(format_values)


def penalty(rows: tuple[int, ...], size: int) -> int:
    """The mask penalty score N1 + N2 + N3 + N4 of ISO/IEC 18004 (lower is better)."""
    lines = [format(row, f"0{size}b") for row in rows]
    # Rows and columns in one string, "2" between lines so that no run or pattern crosses them.
    text = "2".join(lines + ["".join(column) for column in zip(*lines, strict=True)])
    score = sum(len(run) - 2 for run in _RUNS.findall(text))  # N1: 3 + (length - 5) per run
    score += 40 * len(_FINDER_LIKE.findall(text))  # N3
    full = (1 << size) - 1
    for upper, lower in pairwise(rows):  # N2: 2x2 blocks of one colour
        dark = upper & lower & (upper >> 1) & (lower >> 1)
        light = ~upper & ~lower & ~(upper >> 1) & ~(lower >> 1) & (full >> 1)
        score += 3 * (dark.bit_count() + light.bit_count())
    dark_count = sum(row.bit_count() for row in rows)
    score += 10 * int(abs(dark_count * 100 / (size * size) - 50) // 5)  # N4
    return score


@cache
def _positions(version: int) -> list[tuple[int, int]]:
    probe = qrencoder.QRCode(version, _LEVEL)
    probe.moduleCount = version * 4 + 17
    return list(probe.dataPosIterator())


# ReportLab derives the Reed-Solomon generator polynomial again for every block of every code; it
# depends on the degree only and is only read, so it is kept (same values, same symbols).
qrencoder.QRUtil.getErrorCorrectPolynomial = staticmethod(cache(qrencoder.QRUtil.getErrorCorrectPolynomial))


def _build(text: str) -> tuple[tuple[int, ...], int, int]:
    code = qrencoder.QRCode(None, _LEVEL)
    code.addData(text)
    code.version = code.calculate_version()
    code._dataPosList = _positions(code.version)
    code.makeImpl(False, 0)
    size = code.moduleCount
    base = _rows_of(code.modules, size)
    patterns, format_cells, format_values = _masks(code.version)
    best: tuple[int, ...] = ()
    best_score, best_mask = -1, 0
    for mask in range(8):
        rows = tuple(
            ((row ^ patterns[0][index] ^ patterns[mask][index]) & ~format_cells[index]) | format_values[mask][index]
            for index, row in enumerate(base)
        )
        score = penalty(rows, size)
        if best_score < 0 or score < best_score:
            best, best_score, best_mask = rows, score, mask
    return best, size, best_mask


@lru_cache(maxsize=64)  # both copies of one submission share their code
def qr_matrix(text: str) -> tuple[tuple[bool, ...], ...]:
    """The modules of the QR code of ``text`` (level M, best mask pattern), dark modules True."""
    rows, size, _ = _build(text)
    return tuple(tuple(bool(row >> (size - 1 - col) & 1) for col in range(size)) for row in rows)


def draw_qr(canvas: Any, matrix: tuple[tuple[bool, ...], ...], x: float, y: float, size: float, quiet: int = 2) -> None:
    """Draw the code as one filled path, one rectangle per horizontal run of dark modules.

    The path is written in module units (whole numbers) under one scaling matrix, directly into the
    page, which is faster than a path object and keeps every edge exactly on the module grid."""
    count = len(matrix)
    module = size / (count + 2 * quiet)
    parts = ["q 0 g", f"{fp_str(module)} 0 0 {fp_str(module)} {fp_str(x)} {fp_str(y)} cm"]
    for row_index, row in enumerate(matrix):
        bottom = count + quiet - 1 - row_index
        column = 0
        while column < count:
            if not row[column]:
                column += 1
                continue
            start = column
            while column < count and row[column]:
                column += 1
            parts.append(f"{start + quiet} {bottom} {column - start} 1 re")
    parts.append("f Q")
    canvas._code.append(" ".join(parts))
