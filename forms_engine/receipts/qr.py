"""The receipt's QR code: what it holds, its modules, and how it is drawn.

Text format ``FE1:<受付番号>:<SHA-256>``, e.g. ``FE1:1234-5678-9013:3A7BD3E2…`` (64 hex digits):

- ``FE1`` names the format (forms-engine, version 1), so a reader can refuse a code it does not know;
- the 受付番号 as printed (digits in groups of four);
- the SHA-256 of the stored submission in upper-case hexadecimal (compare case-insensitively).

Every character is in the QR alphanumeric set (0-9, A-Z, ``-`` and ``:``), which keeps the code small
(version 4 at error correction level M) and easy to scan from paper.

The symbol is ReportLab's (a test compares them module by module): its encoder gives the block
structure, the generator polynomials, the function patterns, the data module order and the mask
patterns; the alphanumeric data bits are written here. Its own path costs several milliseconds per code (polynomial objects
for every block, the whole symbol built again for each of the eight mask patterns, the penalty
counted cell by cell); here what depends only on the version is built once (``_layout``), the
error correction is a table-driven division, rows are integers, each mask is an XOR per row, and
the four penalty rules of ISO/IEC 18004 are counted bit-parallel (``penalty``).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from itertools import zip_longest
from typing import Any, NamedTuple

from reportlab.graphics.barcode import qrencoder  # type: ignore[import-untyped]
from reportlab.lib.rl_accel import fp_str  # type: ignore[import-untyped]

__all__ = ["QR_FORMAT", "draw_qr", "parse_qr_text", "penalty", "qr_matrix", "qr_rows", "qr_text"]

QR_FORMAT = "FE1"
_PATTERN = re.compile(r"FE1:([0-9-]{1,32}):([0-9A-Fa-f]{64})")
_FINDER_LIKE = (True, False, True, True, True, False, True, False, False, False, False)
_LEVEL = qrencoder.QRErrorCorrectLevel.M
_EXP, _LOG = qrencoder.EXP_TABLE, qrencoder.LOG_TABLE
_ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_PADS = (0xEC, 0x11)


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


class _Layout(NamedTuple):
    """What every symbol of one version shares (rows as integers, column 0 the highest bit)."""

    size: int
    positions: tuple[tuple[int, int], ...]  # (row, column bit) of each data module, in placement order
    function: tuple[int, ...]  # finder, timing, alignment and version patterns, without format information
    patterns: tuple[tuple[int, ...], ...]  # the data modules each mask pattern inverts
    format_values: tuple[tuple[int, ...], ...]  # the format information of each mask pattern


@cache
def _layout(version: int) -> _Layout:
    """Built once per version with ReportLab's encoder, from a symbol whose data are all zero."""
    probe = qrencoder.QRCode(version, _LEVEL)
    size = probe.moduleCount = version * 4 + 17
    positions = list(probe.dataPosIterator())
    blocks = qrencoder.QRRSBlock.getRSBlocks(version, _LEVEL)
    probe.dataCache = [0] * sum(block.totalCount for block in blocks)
    probe.makeImpl(False, 0)
    data_cells = [0] * size
    for col, row in positions:
        data_cells[row] |= 1 << (size - 1 - col)
    probe_rows = _rows_of(probe.modules, size)
    probe.modules = [[None] * size for _ in range(size)]
    probe.setupTypeInfo(False, 0)
    format_cells = _rows_of(probe.modules, size, lambda cell: cell is not None)
    function = tuple(row & ~cells & ~fmt for row, cells, fmt in zip(probe_rows, data_cells, format_cells, strict=True))
    patterns, format_values = [], []
    for mask in range(8):
        test = qrencoder.QRUtil.getMask(mask)
        inverted = [0] * size
        for col, row in positions:
            if test(row, col):
                inverted[row] |= 1 << (size - 1 - col)
        patterns.append(tuple(inverted))
        probe.modules = [[False] * size for _ in range(size)]
        probe.setupTypeInfo(False, mask)
        format_values.append(_rows_of(probe.modules, size))
    return _Layout(size, tuple((row, 1 << (size - 1 - col)) for col, row in positions), function,
                   tuple(patterns), tuple(format_values))


@cache
def _generator(degree: int) -> tuple[int, ...]:
    """Logarithms of the Reed-Solomon generator polynomial's coefficients after the leading 1."""
    polynomial = qrencoder.QRUtil.getErrorCorrectPolynomial(degree)
    return tuple(_LOG[polynomial.get(index)] for index in range(1, degree + 1))


def _error_correction(data: list[int], degree: int) -> list[int]:
    """The ``degree`` error correction codewords of one block (polynomial division over GF(256))."""
    generator = _generator(degree)
    remainder = [0] * degree
    for codeword in data:
        factor = codeword ^ remainder[0]
        remainder = [*remainder[1:], 0]
        if factor:
            start = _LOG[factor]
            remainder = [value ^ _EXP[(start + power) % 255] for value, power in zip(remainder, generator, strict=True)]
    return remainder


def _alphanumeric(text: str) -> tuple[int, int]:
    """The data bits of ``text`` in the alphanumeric mode (ISO/IEC 18004 7.4.5) after the mode indicator
    and before the character count: (bits as an integer, their number). Pairs of characters take 11 bits."""
    values = [_ALPHANUMERIC.index(char) for char in text]
    bits = count = 0
    for at in range(0, len(values) - 1, 2):
        bits, count = bits << 11 | (45 * values[at] + values[at + 1]), count + 11
    if len(values) % 2:
        bits, count = bits << 6 | values[-1], count + 6
    return bits, count


def _codewords(text: str) -> tuple[int, list[int]]:
    """The symbol's version (the smallest that holds ``text`` at level M) and its codewords: the data
    bits, the terminator and padding, then each block's error correction, blocks interleaved."""
    data, data_count = _alphanumeric(text)
    for version in range(1, 41):
        blocks = qrencoder.QRRSBlock.getRSBlocks(version, _LEVEL)
        capacity = 8 * sum(block.dataCount for block in blocks)
        count_bits = 9 if version < 10 else 11 if version < 27 else 13
        if 4 + count_bits + data_count <= capacity:
            break
    else:
        raise ValueError("text too long for a QR code")
    bits = ((0b0010 << count_bits | len(text)) << data_count) | data  # mode indicator: alphanumeric
    length = 4 + count_bits + data_count
    end = min(length + 4, capacity)  # the terminator (up to four zero bits), then zeros to a byte
    end += -end % 8
    bits <<= end - length
    stream = list(bits.to_bytes(end // 8, "big"))
    stream += [_PADS[index % 2] for index in range(capacity // 8 - len(stream))]
    data_blocks, correction_blocks, offset = [], [], 0
    for block in blocks:
        data_blocks.append(stream[offset : offset + block.dataCount])
        correction_blocks.append(_error_correction(data_blocks[-1], block.totalCount - block.dataCount))
        offset += block.dataCount
    interleaved = [
        codeword
        for group in (data_blocks, correction_blocks)
        for column in zip_longest(*group)
        for codeword in column
        if codeword is not None
    ]
    return version, interleaved


@cache
def _board(size: int) -> tuple[int, int]:
    """Row stride (a row and one guard bit) and the mask of the module bits, for a symbol of ``size``."""
    width = size + 1
    return width, sum(((1 << size) - 1) << (row * width) for row in range(size))


def penalty(rows: tuple[int, ...], size: int) -> int:
    """The mask penalty score N1 + N2 + N3 + N4 of ISO/IEC 18004 (lower is better).

    The symbol is one integer, a row per ``size + 1`` bits with a guard bit between rows that is
    neither dark nor light, so every rule is a few shifts and ANDs over all modules at once:
    a neighbour to the right is one bit lower, the one below ``size + 1`` bits higher."""
    width, full = _board(size)
    dark = 0
    for index, row in enumerate(rows):
        dark |= row << (index * width)
    light = ~dark & full
    score = 0
    for board in (dark, light):
        for step in (1, width):  # N1: a run of 5 + k modules of one colour scores 3 + k
            five = board & board >> step & board >> 2 * step & board >> 3 * step & board >> 4 * step
            score += five.bit_count() + 2 * (five & ~(five >> step)).bit_count()
        block = board & board >> 1 & board >> width & board >> (width + 1)  # N2: 2x2 blocks
        score += 3 * block.bit_count()
    for pattern in (_FINDER_LIKE, _FINDER_LIKE[::-1]):  # N3: 1011101 with four light modules beside it
        across = down = full
        for offset, is_dark in enumerate(pattern):
            board = dark if is_dark else light
            across &= board << offset
            down &= board >> (offset * width)
        score += 40 * (across.bit_count() + down.bit_count())
    dark_percent = dark.bit_count() * 100 / (size * size)
    score += 10 * int(abs(dark_percent - 50) // 5)  # N4
    return score


def _build(text: str) -> tuple[tuple[int, ...], int, int]:
    """The symbol's rows under the mask pattern with the lowest penalty, its size and that mask."""
    version, codewords = _codewords(text)
    layout = _layout(version)
    data = [0] * layout.size
    positions = iter(layout.positions)
    for codeword in codewords:
        for shift in range(7, -1, -1):
            row, bit = next(positions)
            if codeword >> shift & 1:
                data[row] |= bit
    best: tuple[int, ...] = ()
    best_score, best_mask = -1, 0
    for mask in range(8):
        rows = tuple(
            function | (cells ^ inverted) | fmt
            for function, cells, inverted, fmt in zip(
                layout.function, data, layout.patterns[mask], layout.format_values[mask], strict=True
            )
        )
        score = penalty(rows, layout.size)
        if best_score < 0 or score < best_score:
            best, best_score, best_mask = rows, score, mask
    return best, layout.size, best_mask


@lru_cache(maxsize=64)  # both copies of one submission share their code
def qr_rows(text: str) -> tuple[tuple[int, ...], int]:
    """The QR code of ``text`` (level M, best mask pattern): its rows as integers (column 0 the
    highest bit, dark modules 1) and its size in modules."""
    rows, size, _ = _build(text)
    return rows, size


def qr_matrix(text: str) -> tuple[tuple[bool, ...], ...]:
    """The modules of the QR code of ``text``, dark modules True. Text outside the alphanumeric set (a
    URL with lower-case letters, say) takes ReportLab's own encoder, which picks the byte mode."""
    if any(char not in _ALPHANUMERIC for char in text):
        code = qrencoder.QRCode(None, _LEVEL)
        code.addData(text)
        code.make()
        count = code.getModuleCount()
        return tuple(tuple(bool(code.isDark(row, col)) for col in range(count)) for row in range(count))
    rows, size = qr_rows(text)
    return tuple(tuple(bool(row >> (size - 1 - col) & 1) for col in range(size)) for row in rows)


def _runs(row: int, size: int) -> list[tuple[int, int]]:
    """(first column, length) of each run of dark modules in a row, from the left."""
    runs = []
    while row:
        top = row.bit_length()  # the run's first module is bit top - 1
        end = (~row & ((1 << top) - 1)).bit_length()  # one past the highest light module under it
        runs.append((size - top, top - end))
        row &= (1 << end) - 1
    return runs


def draw_qr(canvas: Any, rows: tuple[int, ...], size: int, x: float, y: float, width: float, quiet: int = 2) -> None:
    """Draw the code (``qr_rows``) as one filled path, one rectangle per horizontal run of dark modules.

    The path is written in module units (whole numbers) under one scaling matrix, directly into the
    page, which is faster than a path object and keeps every edge exactly on the module grid."""
    module = width / (size + 2 * quiet)
    parts = ["q 0 g", f"{fp_str(module)} 0 0 {fp_str(module)} {fp_str(x)} {fp_str(y)} cm"]
    for index, row in enumerate(rows):
        bottom = size + quiet - 1 - index
        parts += [f"{start + quiet} {bottom} {length} 1 re" for start, length in _runs(row, size)]
    parts.append("f Q")
    canvas._code.append(" ".join(parts))
