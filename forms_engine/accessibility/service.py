"""Per-criterion verdicts from the criteria list, the browser test run's results and the manual checks.

A criterion is 適合 only when every check listed for it has evidence and none failed, and at least one check
found something to pass: a check with no evidence leaves it 未試験, never 適合. An axe-core rule that ran but
found no element to test ("none") neither passes nor blocks a criterion on its own.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from forms_engine.accessibility.schemas import (
    MANUAL_PREFIX,
    CheckStatus,
    Conformance,
    Criterion,
    CriterionVerdict,
    Evidence,
    ManualCheck,
    PageGroup,
    Report,
    Results,
    Tally,
    VerdictCode,
    check_kind,
)

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
VERDICT_LABELS: dict[VerdictCode, str] = {
    "pass": "適合", "fail": "不適合", "untested": "未試験", "not_applicable": "該当なし"}
STATE_LABELS = {
    "start": "開始", "form": "入力", "step": "手順", "confirm": "確認", "complete": "申請完了", "notice": "お知らせ",
    "closed": "受付期間外", "catalogue": "手続の一覧", "not-found": "ページが見つからない", "resume": "入力の再開",
    "accessibility": "ウェブアクセシビリティ方針", "page": "ページ", "sitemap": "サイトマップ", "staff": "職員用ページ"}
STATE_FLAGS = {"errors": "入力エラー", "notice": "お知らせ", "added": "追加の後", "removed": "削除の後",
               "refreshed": "選び直しの後", "procedure": "手続", "search": "検索結果", "none": "該当なし",
               # the staff pages (tests/browser/staff_walk.py): staff:<page>[:<what>]
               "login": "ログイン", "refused": "ログインできない", "procedures": "担当の手続", "list": "申請の一覧",
               "filtered": "絞り込み", "submission": "申請の詳細", "tokens": "API トークン", "created": "作成の後",
               "admin": "職員の管理", "department": "部署の職員", "account": "アカウント", "disabled": "無効にした後"}
NO_RESULTS = "自動試験の結果はまだありません"
OBSOLETE_IN_WCAG22 = frozenset({"4.1.1"})


@dataclass(frozen=True)
class Sources:
    """Where the three files are; the results file is written by the browser test run."""

    criteria: Path = DATA_DIR / "criteria.json"
    manual_checks: Path = DATA_DIR / "manual-checks.json"
    results: Path = DATA_DIR / "results.json"


_CRITERIA = TypeAdapter(list[Criterion])
_MANUAL = TypeAdapter(list[ManualCheck])


def load_criteria(path: Path) -> list[Criterion]:
    criteria = _CRITERIA.validate_json(path.read_bytes())
    numbers = Counter(c.number for c in criteria)
    twice = sorted(n for n, k in numbers.items() if k > 1)
    if twice:
        raise ValueError(f"criteria listed twice: {', '.join(twice)}")
    return sorted(criteria, key=lambda c: c.sort_key)


def load_manual_checks(path: Path, criteria: Iterable[Criterion] = ()) -> list[ManualCheck]:
    """The manual checks; with `criteria`, also that both files name the same check for the same criteria."""
    checks = _MANUAL.validate_json(path.read_bytes())
    ids = Counter(c.id for c in checks)
    if any(k > 1 for k in ids.values()):
        raise ValueError(f"manual checks listed twice: {sorted(i for i, k in ids.items() if k > 1)}")
    listed = {(m.id, n) for m in checks for n in m.criteria}
    referenced = {(ref.removeprefix(MANUAL_PREFIX), c.number) for c in criteria for ref in c.checks
                  if check_kind(ref) == "manual"}
    if criteria and listed != referenced:
        raise ValueError("criteria.json and manual-checks.json disagree: "
                         f"only in manual-checks {sorted(listed - referenced)}, "
                         f"only in criteria {sorted(referenced - listed)}")
    return checks


def load_results(path: Path) -> tuple[Results | None, str | None]:
    """The browser test run's results, or None and why not (None, None: the run has not written it yet)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        log.warning("cannot read %s: %s", path, exc)
        return None, "自動試験の結果のファイルを読み込めませんでした"
    try:
        return Results.model_validate(json.loads(raw)), None
    except (ValueError, ValidationError) as exc:
        log.warning("ignoring malformed %s: %s", path, exc)
        return None, "自動試験の結果のファイルの形式が正しくないため、使っていません"


# -- one check ----------------------------------------------------------------------------------------------
def _evidence(kind: str, ref: str, status: CheckStatus, label: str, detail: str, **extra: object) -> Evidence:
    return Evidence.model_validate({"kind": kind, "ref": ref, "status": status, "label": label,
                                    "detail": detail, **extra})


def _axe(rule: str, results: Results | None) -> Evidence:
    label = f"axe-core のルール「{rule}」"
    if results is None:
        return _evidence("axe", rule, "untested", label, NO_RESULTS)
    count = results.rules.get(rule)
    if count is None:
        return _evidence("axe", rule, "untested", label, "このルールの結果が試験結果にありません")
    if count.violations:
        return _evidence("axe", rule, "fail", label,
                         f"{count.violations} ページで違反（合格 {count.passes} ページ）")
    if count.passes:
        return _evidence("axe", rule, "pass", label, f"{count.passes} ページで合格、違反なし")
    return _evidence("axe", rule, "none", label, "対象となる要素がありませんでした（違反なし）")


def _vnu(results: Results | None) -> Evidence:
    label = "Nu Html Checker（vnu）による HTML の検証"
    if results is None:
        return _evidence("vnu", "vnu", "untested", label, NO_RESULTS)
    if "vnu" not in results.tools or not results.pages:
        return _evidence("vnu", "vnu", "untested", label, "vnu の結果が試験結果にありません")
    missing = [p for p in results.pages if p.vnu_errors is None]
    failing = [p for p in results.pages if p.vnu_errors]
    if failing:
        total = sum(p.vnu_errors or 0 for p in failing)
        return _evidence("vnu", "vnu", "fail", label, f"{len(failing)} ページで計 {total} 件のエラー")
    if missing:
        return _evidence("vnu", "vnu", "untested", label, f"{len(missing)} ページの vnu の結果がありません")
    return _evidence("vnu", "vnu", "pass", label, f"全 {len(results.pages)} ページでエラーなし")


def _js(javascript: bool) -> str:
    return "JavaScript 有効" if javascript else "JavaScript 無効"


def _keyboard(results: Results | None) -> Evidence:
    label = "キーボードだけでの申請（JavaScript 有効・無効）"
    if results is None:
        return _evidence("keyboard", "keyboard", "untested", label, NO_RESULTS)
    if not results.keyboard:
        return _evidence("keyboard", "keyboard", "untested", label, "キーボード操作の試験結果がありません")
    failed = [r for r in results.keyboard if r.result == "fail"]
    if failed:
        names = "、".join(f"{r.procedure}（{_js(r.javascript)}）" for r in failed)
        return _evidence("keyboard", "keyboard", "fail", label, f"失敗：{names}")
    passed = {(r.procedure, r.javascript) for r in results.keyboard if r.result == "pass"}
    procedures = sorted({p.procedure for p in results.pages if p.procedure} | {r.procedure for r in results.keyboard})
    gaps = [f"{p}（{_js(js)}）" for p in procedures for js in (True, False) if (p, js) not in passed]
    if gaps:
        return _evidence("keyboard", "keyboard", "untested", label, f"結果がない、または判定できない：{'、'.join(gaps)}")
    return _evidence("keyboard", "keyboard", "pass", label,
                     f"{len(procedures)} 手続とも JavaScript 有効・無効の両方で申請の完了まで操作できた")


def _reflow(results: Results | None) -> Evidence:
    label = "幅 320px 相当での表示（横スクロールが出ないこと）"
    if results is None:
        return _evidence("reflow", "reflow", "untested", label, NO_RESULTS)
    if results.reflow is None or not (results.reflow.pass_ or results.reflow.fail):
        return _evidence("reflow", "reflow", "untested", label, "リフローの試験結果がありません")
    if results.reflow.fail:
        return _evidence("reflow", "reflow", "fail", label,
                         f"{results.reflow.fail} ページで問題あり（問題なし {results.reflow.pass_} ページ）")
    return _evidence("reflow", "reflow", "pass", label, f"{results.reflow.pass_} ページで問題なし")


def _manual(ref: str, manual: Mapping[str, ManualCheck]) -> Evidence:
    check_id = ref.removeprefix(MANUAL_PREFIX)
    check = manual.get(check_id)
    if check is None:
        return _evidence("manual", check_id, "untested", check_id, "この確認項目がありません")
    label = f"人による確認：{check.title}"
    if check.result == "not yet":
        return _evidence("manual", check_id, "untested", label, "まだ確認していません")
    outcome = "問題なし" if check.result == "pass" else "問題あり"
    detail = f"{check.who}が確認：{outcome}" + (f"。{check.note}" if check.note else "")
    status: CheckStatus = "pass" if check.result == "pass" else "fail"
    return _evidence("manual", check_id, status, label, detail, date=check.date)


def judge_check(ref: str, results: Results | None, manual: Mapping[str, ManualCheck]) -> Evidence:
    kind = check_kind(ref)
    if kind == "manual":
        return _manual(ref, manual)
    if kind == "vnu":
        return _vnu(results)
    if kind == "keyboard":
        return _keyboard(results)
    if kind == "reflow":
        return _reflow(results)
    return _axe(ref, results)


# -- one criterion ------------------------------------------------------------------------------------------
def _verdict(criterion: Criterion, evidence: list[Evidence]) -> VerdictCode:
    statuses = {e.status for e in evidence}
    if "fail" in statuses:
        return "fail"
    if not criterion.applies:
        # A check that found something to test contradicts "does not apply": someone must look again.
        return "untested" if "pass" in statuses else "not_applicable"
    if not evidence or "untested" in statuses or "pass" not in statuses:
        return "untested"
    return "pass"


def judge(criterion: Criterion, results: Results | None, manual: Mapping[str, ManualCheck]) -> CriterionVerdict:
    evidence = [judge_check(ref, results, manual) for ref in criterion.checks]
    if not criterion.applies:
        evidence = [e for e in evidence if e.status in ("pass", "fail")]
    verdict = _verdict(criterion, evidence)
    return CriterionVerdict(
        number=criterion.number, title=criterion.title, level=criterion.level, wcag=criterion.wcag,
        jis=criterion.jis, applies=criterion.applies, reason=criterion.reason, note=criterion.note,
        verdict=verdict, verdict_label=VERDICT_LABELS[verdict], evidence=evidence)


# -- the whole report ---------------------------------------------------------------------------------------
def tally(verdicts: Iterable[CriterionVerdict]) -> Tally:
    counts = Counter(v.verdict for v in verdicts)
    return Tally(passed=counts["pass"], failed=counts["fail"], untested=counts["untested"],
                 not_applicable=counts["not_applicable"])


def conformance(verdicts: list[CriterionVerdict]) -> list[Conformance]:
    """Met only when every criterion of the target is 適合 or 該当なし."""
    jis = [v for v in verdicts if v.jis]
    wcag22 = [v for v in verdicts if v.number not in OBSOLETE_IN_WCAG22]
    out = []
    for target, group in (("JIS X 8341-3:2016 適合レベル AA", jis), ("WCAG 2.2 適合レベル AA", wcag22)):
        counts = tally(group)
        out.append(Conformance(target=target, met=bool(group) and counts.failed == counts.untested == 0,
                               tally=counts))
    return out


def state_kind(state: str) -> str:
    """The state without the browser run's `#2` for a repeat visit: `form:errors#2` → `form:errors`."""
    return state.split("#", 1)[0]


def state_label(state: str) -> str:
    """`step:address:errors` → 「手順「address」（入力エラー）」; unknown parts are shown as they are."""
    parts = state_kind(state).split(":")
    head = STATE_LABELS.get(parts[0], parts[0])
    rest = parts[1:]
    if parts[0] == "step" and rest:
        head, rest = f"{head}「{rest[0]}」", rest[1:]
    flags = "・".join(STATE_FLAGS.get(part, part) for part in rest)
    return f"{head}（{flags}）" if flags else head


def page_groups(results: Results | None) -> list[PageGroup]:
    if results is None:
        return []
    counts = Counter((p.procedure or "", state_kind(p.state)) for p in results.pages)
    return [PageGroup(procedure=procedure or None, state=state, state_label=state_label(state), count=n)
            for (procedure, state), n in sorted(counts.items())]


def build_report(sources: Sources | None = None) -> Report:
    sources = sources or Sources()
    criteria = load_criteria(sources.criteria)
    manual = load_manual_checks(sources.manual_checks, criteria)
    results, problem = load_results(sources.results)
    by_id = {m.id: m for m in manual}
    verdicts = [judge(c, results, by_id) for c in criteria]
    return Report(
        results_available=results is not None,
        results_problem=problem,
        generated_at=results.generated_at if results else None,
        tools=dict(results.tools) if results else {},
        page_count=len(results.pages) if results else 0,
        pages=list(results.pages) if results else [],
        page_groups=page_groups(results),
        manual_checks=manual,
        conformance=conformance(verdicts),
        criteria=verdicts,
    )

