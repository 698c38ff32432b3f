"""The Nu HTML checker (vnu-jar from npm, run with the machine's Java) finds no error in the HTML the engine
served for any page of the audit walks (4.1.1, which JIS X 8341-3:2016 keeps)."""

from __future__ import annotations

from typing import Any

import pytest

from .audit import PageRecord, vnu_report
from .conftest import CORPUS_NAMES, SAMPLES
from .walks import corpus_procedure_id

pytestmark = pytest.mark.browser


def check(records: list[PageRecord]) -> None:
    assert records, "no page was saved"
    report = vnu_report(records)
    assert not report, "the Nu HTML checker found errors:\n" + report


@pytest.mark.parametrize("procedure", SAMPLES)
def test_valid_html_on_the_pages_of_a_sample_procedure(vnu_checked: list[PageRecord], procedure: str) -> None:
    check([r for r in vnu_checked if r.procedure == procedure])


def test_valid_html_on_the_site_pages(vnu_checked: list[PageRecord]) -> None:
    check([r for r in vnu_checked if r.procedure is None and not r.state.startswith("staff:")])


def test_valid_html_on_the_staff_pages(vnu_checked: list[PageRecord], walks: Any) -> None:
    assert walks.staff().error is None, f"the staff walk stopped: {walks.staff().error}"
    check([r for r in vnu_checked if r.procedure is None and r.state.startswith("staff:")])


@pytest.mark.parametrize("name", CORPUS_NAMES)
def test_valid_html_on_corpus_forms(vnu_checked: list[PageRecord], walks: Any, name: str) -> None:
    procedure = corpus_procedure_id(walks.corpus_dir, name)
    check([r for r in vnu_checked if r.procedure == procedure])
