"""Verdicts: 適合 only with evidence for every check, 不適合 on any failure, 未試験 without evidence, 該当なし."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from forms_engine.accessibility.schemas import Criterion, ManualCheck, Results
from forms_engine.accessibility.service import (
    NO_RESULTS,
    Sources,
    build_report,
    judge,
    load_criteria,
    state_label,
)

from .conftest import example

MANUAL = {
    "done": ManualCheck(id="done", title="済み", criteria=["9.9.9"], method="読む", result="pass",
                        date=dt.date(2026, 11, 23), who="開発チーム"),
    "bad": ManualCheck(id="bad", title="問題", criteria=["9.9.9"], method="読む", result="fail",
                       date=dt.date(2026, 11, 23), who="開発チーム", note="分かりにくい"),
    "later": ManualCheck(id="later", title="まだ", criteria=["9.9.9"], method="読む", result="not yet"),
}


def criterion(*checks: str, applies: bool = True) -> Criterion:
    return Criterion(number="1.4.3", title="試験", level="AA", wcag="2.0", jis=True, applies=applies,
                     reason=None if applies else "対象がない", checks=list(checks))


def results(**changes: Any) -> Results:
    data = example()
    data.update(changes)
    return Results.model_validate(data)


def verdict(c: Criterion, r: Results | None) -> str:
    return judge(c, r, MANUAL).verdict


# -- the four verdicts ---------------------------------------------------------------------------------------
def test_pass_needs_every_check_to_pass() -> None:
    assert verdict(criterion("color-contrast"), results()) == "pass"
    assert verdict(criterion("color-contrast", "manual:done"), results()) == "pass"
    assert verdict(criterion("color-contrast", "vnu", "keyboard", "reflow"), results()) == "pass"


def test_any_failure_fails() -> None:
    assert verdict(criterion("color-contrast", "target-size"), results()) == "fail"
    assert verdict(criterion("color-contrast", "manual:bad"), results()) == "fail"
    assert verdict(criterion("manual:bad"), None) == "fail"


def test_no_evidence_is_untested() -> None:
    assert verdict(criterion(), results()) == "untested"
    assert verdict(criterion("color-contrast", "manual:later"), results()) == "untested"
    assert verdict(criterion("aria-roles"), results()) == "untested"  # not in the results
    assert verdict(criterion("color-contrast"), None) == "untested"


def test_a_rule_with_nothing_to_test_neither_passes_nor_blocks() -> None:
    assert verdict(criterion("image-alt"), results()) == "untested"
    assert verdict(criterion("image-alt", "manual:done"), results()) == "pass"
    assert judge(criterion("image-alt"), results(), MANUAL).evidence[0].status == "none"


def test_not_applicable() -> None:
    assert verdict(criterion(applies=False), results()) == "not_applicable"
    assert verdict(criterion("video-caption", applies=False), results()) == "not_applicable"
    assert verdict(criterion("video-caption", applies=False), None) == "not_applicable"
    assert judge(criterion("video-caption", applies=False), results(), MANUAL).evidence == []


def test_not_applicable_contradicted_by_the_run() -> None:
    found = results(rules={"video-caption": {"passes": 2, "violations": 0}})
    assert verdict(criterion("video-caption", applies=False), found) == "untested"
    failing = results(rules={"video-caption": {"passes": 0, "violations": 1}})
    assert verdict(criterion("video-caption", applies=False), failing) == "fail"


# -- each kind of check --------------------------------------------------------------------------------------
def test_vnu() -> None:
    pages = example()["pages"]
    assert verdict(criterion("vnu"), results()) == "pass"
    assert verdict(criterion("vnu"), results(pages=[*pages, {**pages[0], "vnu_errors": 3}])) == "fail"
    assert verdict(criterion("vnu"), results(pages=[*pages, {**pages[0], "vnu_errors": None}])) == "untested"
    assert verdict(criterion("vnu"), results(tools={"axe-core": "4.12.1"})) == "untested"
    assert verdict(criterion("vnu"), results(pages=[])) == "untested"


def test_keyboard_needs_both_javascript_runs_of_every_procedure() -> None:
    runs = example()["keyboard"]
    assert verdict(criterion("keyboard"), results()) == "pass"
    assert verdict(criterion("keyboard"), results(keyboard=runs[:-1])) == "untested"
    assert verdict(criterion("keyboard"), results(keyboard=[])) == "untested"
    assert verdict(criterion("keyboard"), results(keyboard=[*runs[:-1], {**runs[-1], "result": "fail"}])) == "fail"
    assert verdict(criterion("keyboard"), results(keyboard=[*runs[:-1], {**runs[-1], "result": "error"}])) \
        == "untested"


def test_reflow() -> None:
    assert verdict(criterion("reflow"), results()) == "pass"
    assert verdict(criterion("reflow"), results(reflow={"pass": 5, "fail": 1})) == "fail"
    assert verdict(criterion("reflow"), results(reflow={"pass": 0, "fail": 0})) == "untested"
    assert verdict(criterion("reflow"), results(reflow=None)) == "untested"


def test_evidence_says_what_was_found() -> None:
    judged = judge(criterion("color-contrast", "target-size", "manual:done"), results(), MANUAL)
    details = {e.ref: e for e in judged.evidence}
    assert details["color-contrast"].detail == "6 ページで合格、違反なし"
    assert details["target-size"].detail.startswith("1 ページで違反")
    assert details["done"].date == dt.date(2026, 11, 23) and "開発チーム" in details["done"].detail
    assert judged.verdict_label == "不適合"


# -- the whole report over the packaged data -----------------------------------------------------------------


def _automatic(c: Criterion) -> bool:
    return any(not ref.startswith("manual:") for ref in c.checks)


def test_missing_results_file_leaves_every_automatic_criterion_untested(sources: Callable[..., Sources]) -> None:
    chosen = sources(None)
    report = build_report(chosen)
    assert not report.results_available and report.results_problem is None and report.page_count == 0
    criteria = {c.number: c for c in load_criteria(chosen.criteria)}
    for v in report.criteria:
        c = criteria[v.number]
        if c.applies and _automatic(c):
            assert v.verdict in ("untested", "fail"), v.number
            automatic = [e for e in v.evidence if e.kind != "manual"]
            assert automatic and all(e.status == "untested" and e.detail == NO_RESULTS for e in automatic)
    assert not any(c.met for c in report.conformance)


def test_malformed_results_are_not_evidence(sources: Callable[..., Sources]) -> None:
    for raw in ("{not json", '{"generated_at": "yesterday"}', '{"pages": []}'):
        report = build_report(sources(raw))
        assert not report.results_available and report.results_problem
        assert not any(v.verdict == "pass" and any(e.kind != "manual" for e in v.evidence) for v in report.criteria)


def test_report_over_the_example(sources: Callable[..., Sources]) -> None:
    report = build_report(sources(example()))
    by = {v.number: v for v in report.criteria}
    assert report.results_available and report.page_count == 6
    assert by["1.4.3"].verdict == "pass"
    assert by["4.1.1"].verdict == "pass"
    assert by["2.1.2"].verdict == "pass"
    assert by["3.1.1"].verdict == "pass"
    assert by["2.5.8"].verdict == "fail"
    assert by["1.2.2"].verdict == "not_applicable"
    assert by["4.1.2"].verdict == "untested"  # most of its rules are not in the example
    assert by["3.3.3"].verdict == "pass"  # the manual check: every date mistake has its own advice
    assert by["2.4.5"].verdict == "pass"  # the manual check: the catalogue by department, its search, the site map
    groups = {(g.procedure, g.state): g for g in report.page_groups}
    assert groups[("sodai-gomi", "form:errors")].count == 2  # a repeat visit (#2) counts with its state
    assert groups[("sodai-gomi", "form:errors")].state_label == "入力（入力エラー）"
    assert groups[(None, "catalogue")].state_label == "手続の一覧"
    assert sum(g.count for g in report.page_groups) == 6


def test_state_labels() -> None:
    assert state_label("step:address:errors:added#3") == "手順「address」（入力エラー・追加の後）"
    assert state_label("not-found:procedure") == "ページが見つからない（手続）"
    assert state_label("something-new") == "something-new"


def test_tools_and_procedures_may_be_missing() -> None:
    data = example()
    data["tools"]["vnu"] = None
    assert Results.model_validate(data).tools["vnu"] is None


def test_manual_checks_need_a_date_and_a_checker() -> None:
    with pytest.raises(ValidationError):
        ManualCheck(id="x", title="x", criteria=["1.3.1"], method="x", result="pass")
    with pytest.raises(ValidationError):
        ManualCheck(id="x", title="x", criteria=["1.3.1"], method="x", result="not yet", date=dt.date(2026, 1, 1))


def test_criteria_are_validated(tmp_path: Any) -> None:
    path = tmp_path / "criteria.json"
    path.write_text('[{"number": "1.1.1", "title": "a", "level": "A", "wcag": "2.0", "jis": true, "checks": []},'
                    ' {"number": "1.1.1", "title": "b", "level": "A", "wcag": "2.0", "jis": true, "checks": []}]',
                    encoding="utf-8")
    with pytest.raises(ValueError, match="twice"):
        load_criteria(path)
    with pytest.raises(ValidationError):
        Criterion(number="1.2.1", title="a", level="A", wcag="2.0", jis=True, applies=False, checks=[])
    with pytest.raises(ValidationError):
        Criterion(number="2.5.8", title="a", level="AA", wcag="2.2", jis=True, checks=[])
