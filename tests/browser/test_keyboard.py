"""A resident with only a keyboard files each sample procedure, with JavaScript on and off: Tab / Shift+Tab to
move, Space and the arrow keys to choose, Enter to press, text typed. One submit fails on purpose (a required
text field left empty): the error summary is first in <main>, focusable (tabindex=-1) and, with JavaScript,
focused; its first link takes focus to the field; nothing typed is lost; then the procedure is filed."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import SAMPLES
from .engine import Plan, sample_answers
from .robot import TEXT_TYPES, KeyboardHands, Robot, Snapshot, effective, unsatisfied

pytestmark = pytest.mark.browser

ALLOWED = {"Tab", "Shift+Tab", "Space", "Enter", "ArrowDown", "ArrowUp", "ArrowLeft", "ArrowRight"}


def first_required_text_field(snap: Snapshot, plan: Plan) -> dict[str, Any] | None:
    return next((c for c in snap.controls if c["type"] in TEXT_TYPES and "※必須" in c["label"]
                 and plan.first(c["name"])), None)


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript-on", "javascript-off"])
@pytest.mark.parametrize("procedure", SAMPLES)
def test_keyboard_only_filing(walks: Any, keyboard_result: dict[str, Any], procedure: str,
                              javascript: bool) -> None:
    keyboard_result.update(procedure=procedure, javascript=javascript)
    plan = walks.catalogue.plan(procedure, sample_answers(procedure, "valid"))
    context = walks.new_context(javascript=javascript)
    hands = KeyboardHands()
    try:
        robot = Robot(context.new_page(), hands, walks.base_url)
        snap = robot.open(f"/procedures/{procedure}")
        victim = first_required_text_field(snap, plan)
        for _ in range(10):  # pages before the first one with a required text field (a start page, steps)
            if victim is not None or snap.kind() not in ("form", "start"):
                break
            snap = robot.advance(plan)
            victim = first_required_text_field(snap, plan)
        assert victim is not None, f"no page with a required text field was reached ({snap.url})"
        name = victim["name"]

        # everything but one required field, then the submit button
        robot.complete_page(plan.without(name))
        snap = robot.submit()
        summary = snap.summary
        assert summary is not None, f"submitting without {name} showed no error summary ({snap.url})"
        assert summary["first"], "the error summary is not the first element in <main>"
        assert summary["tabindex"] == "-1", f"the error summary has tabindex={summary['tabindex']!r}, not -1"
        assert summary["links"], "the error summary has no link"
        first = summary["links"][0]
        assert first["href"] == f"#{victim['id']}", (
            f"the first error link goes to {first['href']}, not to the empty field #{victim['id']}:\n{summary['text']}")
        if javascript:
            active = hands.active(robot)
            assert active.get("id") == summary["id"], f"focus is on {active}, not on the error summary"
        left = unsatisfied(snap, effective(snap, plan))
        assert left == [name], f"values were lost after the failed submit: {[n for n in left if n != name]}"

        # the first link of the summary moves focus to the field
        presses = 0
        active = hands.active(robot)
        while presses < 12 and not (active.get("inSummary") and active.get("tag") == "a"):
            hands.key(robot, "Tab")
            presses += 1
            active = hands.active(robot)
        assert active.get("href") == first["href"], f"Tab did not reach the first error link (focus on {active})"
        if javascript:
            assert presses == 1, f"{presses} Tab presses from the focused summary to its first link, not 1"
        hands.key(robot, "Enter")
        active = hands.active(robot)
        assert active.get("name") == name, f"the error link moved focus to {active}, not to the field {name}"
        hands.keys.append(f"type:{plan.first(name)}")
        robot.page.keyboard.type(plan.first(name))

        final = robot.run(plan)
        expected = "notice" if walks.catalogue.signature_required(procedure) else "complete"
        assert final.kind() == expected, f"the run ended on {final.url} ({final.kind()}), not on the {expected} page"
    finally:
        context.close()
    others = sorted({k for k in hands.keys if k not in ALLOWED and not k.startswith("type:")})
    assert not others, f"keys beyond Tab/Space/Enter/arrows were needed: {others}"
    keyboard_result["passed"] = True
