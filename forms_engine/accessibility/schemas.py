"""The shapes of the conformance data: the criteria list, the manual checks, the browser test run's results,
and the verdicts built from them (also the JSON of GET /api/v1/accessibility/results)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Level = Literal["A", "AA"]
CheckKind = Literal["axe", "vnu", "keyboard", "reflow", "manual"]
CheckStatus = Literal["pass", "fail", "none", "untested"]
VerdictCode = Literal["pass", "fail", "untested", "not_applicable"]

TOOL_CHECKS = ("vnu", "keyboard", "reflow")
MANUAL_PREFIX = "manual:"
_CRITERION_NUMBER = r"^[1-4]\.[0-9]\.[0-9]{1,2}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Lenient(BaseModel):
    """The browser test run's file: written by another tool, so extra keys are tolerated."""

    model_config = ConfigDict(extra="ignore", frozen=True)


# -- data/criteria.json and data/manual-checks.json ---------------------------------------------------------
class Criterion(_Strict):
    number: str = Field(pattern=_CRITERION_NUMBER)
    title: str = Field(min_length=1)
    level: Level
    wcag: Literal["2.0", "2.1", "2.2"]
    jis: bool
    applies: bool = True
    reason: str | None = None
    note: str | None = None
    checks: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Criterion:
        if not self.applies and not self.reason:
            raise ValueError(f"{self.number}: a criterion that does not apply needs a reason")
        if self.jis != (self.wcag == "2.0"):
            raise ValueError(f"{self.number}: JIS X 8341-3:2016 is exactly WCAG 2.0")
        if len(set(self.checks)) != len(self.checks):
            raise ValueError(f"{self.number}: a check is listed twice")
        return self

    @property
    def sort_key(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.number.split("."))


def check_kind(check: str) -> CheckKind:
    """`manual:<id>`, one of `vnu`/`keyboard`/`reflow`, or else an axe-core rule id."""
    if check.startswith(MANUAL_PREFIX):
        return "manual"
    if check == "vnu":
        return "vnu"
    if check == "keyboard":
        return "keyboard"
    if check == "reflow":
        return "reflow"
    return "axe"


class ManualCheck(_Strict):
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    title: str = Field(min_length=1)
    criteria: list[str] = Field(min_length=1)
    method: str = Field(min_length=1)
    result: Literal["pass", "fail", "not yet"]
    date: dt.date | None = None
    who: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _dated(self) -> ManualCheck:
        done = self.result != "not yet"
        if done and (self.date is None or not self.who):
            raise ValueError(f"{self.id}: a result needs the date and who checked it")
        if not done and (self.date is not None or self.who):
            raise ValueError(f"{self.id}: nobody checked it yet, so it has no date and no checker")
        return self


# -- data/results.json (written by the browser test run) ----------------------------------------------------
class PageResult(_Lenient):
    url: str
    procedure: str | None = Field(description="None for the site's own pages (the catalogue, 404, …)")
    state: str = Field(description="form, form:errors, step:<id>:errors, confirm, complete, … (#2 for repeats)")
    axe_violations: int = Field(ge=0)
    vnu_errors: int | None = Field(default=None, ge=0)


class RuleCount(_Lenient):
    passes: int = Field(ge=0)
    violations: int = Field(ge=0)


class KeyboardRun(_Lenient):
    procedure: str
    javascript: bool
    result: str


class ReflowCount(_Lenient):
    pass_: int = Field(alias="pass", ge=0)
    fail: int = Field(ge=0)


class Results(_Lenient):
    generated_at: dt.datetime
    tools: dict[str, str | None] = Field(default_factory=dict)
    pages: list[PageResult] = Field(default_factory=list)
    rules: dict[str, RuleCount] = Field(default_factory=dict)
    keyboard: list[KeyboardRun] = Field(default_factory=list)
    reflow: ReflowCount | None = None


# -- verdicts ------------------------------------------------------------------------------------------------
class Evidence(_Strict):
    kind: CheckKind
    ref: str = Field(description="the axe-core rule id, the manual check id, or vnu / keyboard / reflow")
    status: CheckStatus
    label: str = Field(description="what the check is, in Japanese")
    detail: str = Field(description="what it found, in Japanese")
    date: dt.date | None = None


class CriterionVerdict(_Strict):
    number: str
    title: str
    level: Level
    wcag: str
    jis: bool
    applies: bool
    reason: str | None
    note: str | None
    verdict: VerdictCode
    verdict_label: str = Field(description="適合 / 不適合 / 未試験 / 該当なし")
    evidence: list[Evidence]


class PageGroup(_Strict):
    procedure: str | None
    state: str
    state_label: str
    count: int


class Tally(_Strict):
    passed: int
    failed: int
    untested: int
    not_applicable: int


class Conformance(_Strict):
    target: str
    met: bool
    tally: Tally


class Report(_Strict):
    results_available: bool
    results_problem: str | None = Field(description="why the results file could not be used, if it could not")
    generated_at: dt.datetime | None
    tools: dict[str, str | None]
    page_count: int
    pages: list[PageResult]
    page_groups: list[PageGroup]
    manual_checks: list[ManualCheck]
    conformance: list[Conformance]
    criteria: list[CriterionVerdict]
