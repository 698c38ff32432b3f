"""GET /accessibility (ウェブアクセシビリティ方針), GET /accessibility/results (試験結果) and the same verdicts
as JSON at GET /api/v1/accessibility/results. Thin: the verdicts are service.py's."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from forms_engine.accessibility.schemas import CriterionVerdict, Evidence, Report
from forms_engine.accessibility.service import Sources, build_report, state_label
from forms_engine.api.deps import StateDep
from forms_engine.japanese.wareki import format_jst
from forms_engine.rendering.pages import page_title, render

router = APIRouter()

POLICY_TITLE = "ウェブアクセシビリティ方針"
RESULTS_TITLE = "試験結果"
POLICY_DATE = dt.date(2026, 11, 23)
STATUS_LABELS = {"pass": "合格", "fail": "不合格", "none": "対象なし", "untested": "未実施"}
MANUAL_LABELS = {"pass": "問題なし", "fail": "問題あり", "not yet": "未確認"}
TOOL_NAMES = {"axe-core": "axe-core（自動検査）", "chromium": "Chromium（ブラウザ）",
              "vnu": "Nu Html Checker（vnu、HTML の検証）"}


def get_sources() -> Sources:
    """Where the data files are (tests override this dependency)."""
    return Sources()


SourcesDep = Annotated[Sources, Depends(get_sources)]


def _day(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _moment(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        return f"{moment.year}年{moment.month}月{moment.day}日 {moment.hour}時{moment.minute:02d}分（時差の記載なし）"
    return format_jst(moment)


def _procedures(state: StateDep) -> list[dict[str, str]]:
    return [{"id": d.id, "title": d.title, "department": d.meta.department_name, "contact": d.meta.contact}
            for d in state.catalogue.all()]


def grouped(evidence: list[Evidence]) -> list[dict[str, Any]]:
    """For reading: neighbouring axe-core rules with the same outcome on one line (the JSON keeps one each)."""
    out: list[dict[str, Any]] = []
    for e in evidence:
        last = out[-1] if out else None
        if (last is not None and e.kind == "axe" and last["kind"] == "axe"
                and (last["status"], last["detail"]) == (e.status, e.detail)):
            last["rules"].append(e.ref)
        else:
            out.append({"kind": e.kind, "status": e.status, "label": e.label, "detail": e.detail, "date": e.date,
                        "rules": [e.ref]})
    for item in out:
        if item["kind"] == "axe" and len(item["rules"]) > 1:
            item["label"] = "axe-core のルール" + "".join(f"「{r}」" for r in item["rules"])
    return out


def _common(report: Report) -> dict[str, Any]:
    return {"report": report, "tested_at": _moment(report.generated_at), "policy_date": _day(POLICY_DATE)}


@router.get("/accessibility", response_class=HTMLResponse, include_in_schema=False)
def policy(request: Request, state: StateDep, sources: SourcesDep) -> HTMLResponse:
    report = build_report(sources)
    organisation = state.settings.organisation_name
    return render(request, "accessibility/policy.html", {
        **_common(report),
        "title": page_title(POLICY_TITLE, None, organisation),
        "procedures": _procedures(state),
    }, lang="ja")


@router.get("/accessibility/results", response_class=HTMLResponse, include_in_schema=False)
def results(request: Request, state: StateDep, sources: SourcesDep) -> HTMLResponse:
    report = build_report(sources)
    organisation = state.settings.organisation_name
    titles = {p["id"]: p["title"] for p in _procedures(state)}

    def procedure_name(procedure_id: str | None) -> str:
        return titles.get(procedure_id, procedure_id) if procedure_id else "サイト共通のページ"

    jis: list[CriterionVerdict] = [v for v in report.criteria if v.jis]
    added: list[CriterionVerdict] = [v for v in report.criteria if not v.jis]
    return render(request, "accessibility/results.html", {
        **_common(report),
        "title": page_title(RESULTS_TITLE, POLICY_TITLE, organisation),
        "procedure_name": procedure_name,
        "tool_names": TOOL_NAMES,
        "jis_criteria": jis,
        "added_criteria": added,
        "day": _day,
        "grouped": grouped,
        "status_labels": STATUS_LABELS,
        "manual_labels": MANUAL_LABELS,
        "state_label": state_label,
    }, lang="ja")


@router.get("/api/v1/accessibility/results", response_model=Report, tags=["accessibility"],
            summary="Accessibility test results: a verdict per success criterion, with its evidence")
def results_json(sources: SourcesDep) -> Report:
    return build_report(sources)
