"""The results of a run of the browser suite, for the /accessibility page:
forms_engine/accessibility/data/results.json (sorted and stable: a rerun with the same result changes only
generated_at and the tool versions)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .audit import PageRecord, vnu_errors
from .engine import ROOT

RESULTS_FILE = ROOT / "forms_engine" / "accessibility" / "data" / "results.json"


@dataclass
class RunState:
    """What this pytest session has seen of the browser suite (filled by the hooks in conftest.py)."""

    items: set[str] = field(default_factory=set)
    modules: set[str] = field(default_factory=set)
    deselected: set[str] = field(default_factory=set)
    finished: set[str] = field(default_factory=set)
    records: list[PageRecord] = field(default_factory=list)
    keyboard: dict[tuple[str, bool], str] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    note: str = ""

    def why_incomplete(self, expected_modules: set[str]) -> str | None:
        if not self.items:
            return "no browser test ran"
        if missing := sorted(expected_modules - self.modules):
            return f"not every browser test module was collected (missing {', '.join(missing)})"
        if self.deselected:
            return f"{len(self.deselected)} browser tests were deselected"
        if unfinished := self.items - self.finished:
            return f"{len(unfinished)} browser tests did not run"
        return None


def build(state: RunState, now: datetime | None = None) -> dict[str, Any]:
    rules: dict[str, dict[str, int]] = {}
    for record in state.records:
        for rule in record.passes:
            rules.setdefault(rule, {"passes": 0, "violations": 0})["passes"] += 1
        for violation in record.violations:
            rules.setdefault(str(violation["id"]), {"passes": 0, "violations": 0})["violations"] += 1
    pages = [{
        "url": r.url,
        "procedure": r.procedure,
        "state": r.state,
        "axe_violations": len(r.violations),
        "vnu_errors": len(vnu_errors(r)) if r.vnu is not None else None,
    } for r in state.records]
    pages.sort(key=lambda p: (p["procedure"] or "", p["url"], p["state"]))
    reflow = [m["ok"] for r in state.records for m in r.reflow.values()]
    return {
        "generated_at": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "tools": {name: state.versions.get(name) for name in ("axe-core", "chromium", "vnu")},
        "pages": pages,
        "rules": rules,
        "keyboard": [{"procedure": p, "javascript": js, "result": result}
                     for (p, js), result in sorted(state.keyboard.items())],
        "reflow": {"pass": reflow.count(True), "fail": reflow.count(False)},
    }


def write(data: dict[str, Any], path: Path = RESULTS_FILE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
