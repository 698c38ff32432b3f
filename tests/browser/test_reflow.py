"""Reflow (WCAG 1.4.10) and resize text (1.4.4): no page scrolls sideways at 320 CSS px, nor at 200 % zoom."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import CORPUS_NAMES, SAMPLES

pytestmark = pytest.mark.browser


def failures(walk: Any) -> list[str]:
    out = [f"the robot stopped: {walk.error}"] if walk.error is not None else []
    for record in walk.records:
        out += [f"{record.where}: {failure}" for failure in record.reflow_failures()]
    return out


@pytest.mark.parametrize("procedure", SAMPLES)
def test_no_horizontal_scroll_on_the_pages_of_a_sample_procedure(walks: Any, procedure: str) -> None:
    problems = failures(walks.sample(procedure))
    assert not problems, "\n".join(problems)


def test_no_horizontal_scroll_on_the_site_pages(walks: Any) -> None:
    problems = failures(walks.site())
    assert not problems, "\n".join(problems)


def test_no_horizontal_scroll_on_the_staff_pages(walks: Any) -> None:
    problems = failures(walks.staff())
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", CORPUS_NAMES)
def test_no_horizontal_scroll_on_corpus_forms(walks: Any, name: str) -> None:
    problems = failures(walks.corpus(name))
    assert not problems, "\n".join(problems)
