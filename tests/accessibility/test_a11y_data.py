"""The packaged data: every JIS X 8341-3:2016 criterion, the WCAG 2.1/2.2 additions, checks that exist."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
from pathlib import Path

import pytest

from forms_engine.accessibility.schemas import MANUAL_PREFIX, Criterion, check_kind
from forms_engine.accessibility.service import DATA_DIR, load_criteria, load_manual_checks

# The tags the browser test run passes to axe-core (docs: accessible-forms.md, "How it is tested").
RUN_TAGS = {"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}
NOT_RUN_TAGS = {"experimental", "deprecated"}  # axe-core leaves these out of a run by tags

# WCAG 2.0 level A and AA = JIS X 8341-3:2016 (ISO/IEC 40500:2012).
JIS_A = ["1.1.1", "1.2.1", "1.2.2", "1.2.3", "1.3.1", "1.3.2", "1.3.3", "1.4.1", "1.4.2", "2.1.1", "2.1.2", "2.2.1", "2.2.2", "2.3.1", "2.4.1", "2.4.2", "2.4.3", "2.4.4", "3.1.1", "3.2.1", "3.2.2", "3.3.1", "3.3.2", "4.1.1", "4.1.2"]
JIS_AA = ["1.2.4", "1.2.5", "1.4.3", "1.4.4", "1.4.5", "2.4.5", "2.4.6", "2.4.7", "3.1.2", "3.2.3", "3.2.4", "3.3.3", "3.3.4"]
WCAG21 = ["1.3.4", "1.3.5", "1.4.10", "1.4.11", "1.4.12", "1.4.13", "2.1.4", "2.5.1", "2.5.2", "2.5.3", "2.5.4", "4.1.3"]
WCAG22 = ["2.4.11", "2.5.7", "2.5.8", "3.2.6", "3.3.7", "3.3.8"]


@pytest.fixture(scope="module")
def criteria() -> list[Criterion]:
    return load_criteria(DATA_DIR / "criteria.json")


def test_all_38_jis_criteria_with_unique_numbers(criteria: list[Criterion]) -> None:
    jis = [c for c in criteria if c.jis]
    assert len(jis) == 38
    assert sorted(c.number for c in jis if c.level == "A") == sorted(JIS_A)
    assert sorted(c.number for c in jis if c.level == "AA") == sorted(JIS_AA)
    numbers = [c.number for c in criteria]
    assert len(numbers) == len(set(numbers))
    assert all(c.wcag == "2.0" for c in jis)


def test_wcag_21_and_22_additions(criteria: list[Criterion]) -> None:
    assert sorted(c.number for c in criteria if c.wcag == "2.1") == sorted(WCAG21)
    assert sorted(c.number for c in criteria if c.wcag == "2.2") == sorted(WCAG22)
    assert not any(c.jis for c in criteria if c.wcag != "2.0")


def test_411_is_kept_and_checked_by_vnu(criteria: list[Criterion]) -> None:
    parsing = next(c for c in criteria if c.number == "4.1.1")
    assert parsing.jis and parsing.applies and parsing.checks == ["vnu"]
    assert parsing.title == "構文解析"


def test_well_known_titles(criteria: list[Criterion]) -> None:
    titles = {c.number: c.title for c in criteria}
    assert titles["1.1.1"] == "非テキストコンテンツ"
    assert titles["1.4.3"].startswith("コントラスト")
    assert titles["2.4.2"] == "ページタイトル"
    assert titles["3.3.3"] == "エラー修正の提案"


def test_every_criterion_is_either_checked_or_explained(criteria: list[Criterion]) -> None:
    for c in criteria:
        if c.applies:
            assert c.checks, f"{c.number} applies but nothing checks it"
        else:
            assert c.reason, c.number
    media = [c for c in criteria if c.number.startswith("1.2.")]
    assert media and not any(c.applies for c in media)


def test_the_brief_assignments(criteria: list[Criterion]) -> None:
    by = {c.number: set(c.checks) for c in criteria}
    for number in ("2.1.1", "2.1.2", "2.4.3", "2.4.7"):
        assert "keyboard" in by[number], number
    assert "reflow" in by["1.4.10"]
    assert "color-contrast" in by["1.4.3"]
    assert "document-title" in by["2.4.2"]
    assert "html-has-lang" in by["3.1.1"]
    assert {"image-alt", "input-image-alt"} <= by["1.1.1"]
    assert {"label", "list"} <= by["1.3.1"]
    assert {"button-name", "label", "aria-valid-attr"} <= by["4.1.2"]


def test_manual_checks_and_criteria_agree(criteria: list[Criterion]) -> None:
    manual = load_manual_checks(DATA_DIR / "manual-checks.json", criteria)  # raises when they disagree
    numbers = {c.number for c in criteria}
    for m in manual:
        assert set(m.criteria) <= numbers, m.id
    referenced = {ref.removeprefix(MANUAL_PREFIX) for c in criteria for ref in c.checks if check_kind(ref) == "manual"}
    assert referenced == {m.id for m in manual}


def test_manual_checks_are_honest() -> None:
    manual = load_manual_checks(DATA_DIR / "manual-checks.json")
    for m in manual:
        if m.result == "not yet":
            assert m.date is None and m.who is None, m.id
        else:
            assert m.date is not None and m.who, m.id
            assert m.date <= dt.date.today(), f"{m.id} is dated in the future"
    assert {m.id for m in manual if m.result != "not yet"} <= {
        "headings", "error-identification", "error-suggestion", "labels", "input-purpose", "consistency",
        "multiple-ways", "predictable", "colour", "focus-and-hover", "zoom-reflow", "text-spacing"}


# -- axe-core -------------------------------------------------------------------------------------------------
def _installed_axe_rules() -> tuple[str, dict[str, set[str]]]:
    """The rule ids and tags of the axe-core bundled with axe_playwright_python, read from its source."""
    spec = importlib.util.find_spec("axe_playwright_python")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("!!! axe_playwright_python IS NOT INSTALLED: the axe-core rule ids in criteria.json were "
                    "NOT checked against axe-core. Install it (pip install axe-playwright-python) to check them !!!")
    source = (Path(next(iter(spec.submodule_search_locations))) / "axe.min.js").read_text(encoding="utf-8")
    version = re.search(r"axe v([0-9.]+)", source)
    start = source.index('rules:[{id:"')
    rules = {m.group(1): set(json.loads(f"[{m.group(2)}]"))
             for m in re.finditer(r'\{id:"([a-z0-9-]+)",(?:(?!\{id:").)*?tags:\[([^\]]*)\]', source[start:])}
    assert len(rules) > 50, "could not read the rules from axe.min.js: its format changed"
    return (version.group(1) if version else "?"), rules


def _number(tag: str) -> str | None:
    """`wcag1410` → `1.4.10`."""
    digits = tag.removeprefix("wcag")
    if not digits.isdigit() or len(digits) < 3:
        return None
    return f"{digits[0]}.{digits[1]}.{digits[2:]}"


def test_axe_rule_ids_exist_and_run(criteria: list[Criterion]) -> None:
    version, rules = _installed_axe_rules()
    for c in criteria:
        for check in c.checks:
            if check_kind(check) != "axe":
                continue
            assert check in rules, f"{c.number}: axe-core {version} has no rule {check!r}"
            tags = rules[check]
            assert tags & RUN_TAGS and not tags & NOT_RUN_TAGS, \
                f"{c.number}: axe-core {version} does not run {check!r} with the tags {sorted(RUN_TAGS)}"


def test_every_axe_rule_that_runs_is_listed(criteria: list[Criterion]) -> None:
    """What axe-core tests for a criterion on our list is shown for that criterion."""
    version, rules = _installed_axe_rules()
    by = {c.number: set(c.checks) for c in criteria}
    for rule, tags in rules.items():
        if not tags & RUN_TAGS or tags & NOT_RUN_TAGS:
            continue
        for number in filter(None, map(_number, tags)):
            if number in by:
                assert rule in by[number], f"axe-core {version} tests {number} with {rule!r}: list it"
