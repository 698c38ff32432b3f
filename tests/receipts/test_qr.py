"""The QR text format and the modules: the fast mask choice must equal ReportLab's own symbol."""

from __future__ import annotations

import hashlib

import pytest
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
