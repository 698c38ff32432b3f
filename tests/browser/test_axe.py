"""axe-core (WCAG 2.0/2.1/2.2 A and AA rules) in real Chromium on every page a resident can reach: each page of
each sample procedure in each state, the site's own pages, and the form of every corpus schema."""

from __future__ import annotations

from typing import Any

import pytest

from .audit import axe_report
from .conftest import CORPUS_NAMES, SAMPLES
from .staff_walk import STAFF_STATES

pytestmark = pytest.mark.browser


def problems_of(walk: Any) -> list[str]:
    problems = []
    if walk.error is not None:
        problems.append(f"the robot stopped: {walk.error}")
    report = axe_report(walk.records)
    if report:
        problems.append("axe-core found violations ([rule] help; on: pages; element: why):\n" + report)
    return problems


@pytest.mark.parametrize("procedure", SAMPLES)
def test_axe_on_every_page_of_a_sample_procedure(walks: Any, procedure: str) -> None:
    walk = walks.sample(procedure)
    problems = problems_of(walk)
    states = [r.state for r in walk.records]
    if not any(":errors" in s for s in states):
        problems.append(f"no page with the error summary was reached: {states}")
    assert not problems, "\n".join(problems)


def test_axe_on_the_site_pages(walks: Any) -> None:
    walk = walks.site()
    assert {r.state for r in walk.records} >= {"catalogue", "not-found"}
    problems = problems_of(walk)
    assert not problems, "\n".join(problems)


def test_axe_on_the_staff_pages(walks: Any) -> None:
    """Login, procedures, a list (filtered, a bad date), a submission (status refused, changed), API tokens
    and staff administration (staff_walk.py)."""
    walk = walks.staff()
    problems = problems_of(walk)
    missing = set(STAFF_STATES) - {r.state for r in walk.records}
    if missing and walk.error is None:
        problems.append(f"staff pages not reached: {sorted(missing)}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", CORPUS_NAMES)
def test_axe_on_the_form_of_every_corpus_schema(walks: Any, name: str) -> None:
    problems = problems_of(walks.corpus(name))
    assert not problems, "\n".join(problems)
