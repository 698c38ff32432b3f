"""Command-line tools the receipt tests read PDFs with (Debian packages poppler-utils, qpdf, zbar-tools).

A missing tool fails the test with the package to install: the project's test script installs them,
so a skip would only hide a broken set-up."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

PACKAGES = {
    "pdftotext": "poppler-utils",
    "pdffonts": "poppler-utils",
    "pdfinfo": "poppler-utils",
    "pdftoppm": "poppler-utils",
    "qpdf": "qpdf",
    "zbarimg": "zbar-tools",
}


def run(tool: str, *args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed: apt-get install -y {PACKAGES[tool]}", pytrace=False)
    result = subprocess.run([path, *map(str, args)], capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        pytest.fail(f"{tool} failed ({result.returncode}): {result.stderr or result.stdout}", pytrace=False)
    return result


def squash(text: str) -> str:
    """Text without any whitespace, to compare what was wrapped across lines and pages."""
    return re.sub(r"\s+", "", text)


def text_of(pdf: Path, page: int | None = None) -> str:
    pages = ("-f", str(page), "-l", str(page)) if page else ()
    return run("pdftotext", "-enc", "UTF-8", *pages, pdf, "-").stdout


def page_count(pdf: Path) -> int:
    match = re.search(r"^Pages:\s+(\d+)", run("pdfinfo", pdf).stdout, re.MULTILINE)
    assert match is not None
    return int(match[1])
