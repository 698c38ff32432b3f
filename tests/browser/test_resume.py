"""A resident fills steps 1 and 2 of 住民票の写し等交付請求 in Chromium (Japanese names and address, a 和暦
birth date, a letter of proxy uploaded), saves, closes the browser altogether, starts a new one with no
cookies, types the resume code with the keyboard, lands on step 3, finds every answer and the upload
still there, files, and the stored submission holds everything typed. axe-core checks the /resume pages
passed through, including the 429 page after too many wrong codes.

The engine here is a server of its own (a fresh database): this test's wrong codes count against
127.0.0.1, which must not limit the rest of the suite."""

from __future__ import annotations

import copy
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from forms_engine.db import make_engine
from forms_engine.models import Attachment, Draft, Submission

from .audit import VIEWPORT, Auditor, axe_report
from .conftest import CHROMIUM, CHROMIUM_ARGS, SERVERS
from .engine import SAMPLES_DIR, Catalogue, EngineServer, sample_answers
from .robot import PDF, DirectHands, KeyboardHands, Robot, effective, unsatisfied

pytestmark = pytest.mark.browser

PROCEDURE = "juminhyo-copy"
STEPS = f"/procedures/{PROCEDURE}/steps"
WRONG = "2345-6789-ABCD"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineServer]:
    work = tmp_path_factory.mktemp("resume")
    definitions = work / "definitions"
    shutil.copytree(SAMPLES_DIR, definitions)
    server = EngineServer(definitions, work / "data", work / "engine.log")
    try:
        server.wait_ready()
    except RuntimeError as exc:
        server.stop()
        pytest.fail(str(exc), pytrace=False)
    SERVERS.append(server)  # its log is shown when a test here fails
    yield server
    SERVERS.remove(server)
    server.stop()


def launch(browser: Any) -> Any:
    """A Chromium process of its own (same executable and flags as the suite's)."""
    return browser.browser_type.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)


def type_code_and_press(robot: Robot, hands: KeyboardHands, code: str) -> Any:
    """Tab to the code box, type the code, Tab to 「入力を再開する」, Enter: the response."""
    hands.fill(robot, {"code": (code,)})
    button = robot.snapshot().primary()
    assert button is not None and button.kind == "button"
    return hands.press(robot, button)


def test_close_the_browser_after_step_2_and_resume_with_the_code(browser: Any, server: EngineServer,
                                                                 tmp_path: Path) -> None:
    catalogue = Catalogue(server.definitions)
    answers = sample_answers(PROCEDURE, "valid")
    plan = catalogue.plan(PROCEDURE, answers)
    steps = [s.id for s in catalogue.definition(PROCEDURE).meta.steps or []]
    assert steps == ["subject", "requester", "certificate"]
    auditor = Auditor(tmp_path / "pages")
    (tmp_path / "pages").mkdir()

    # -- the first browser: steps 1 and 2, then 一時保存 on step 3 ------------------------------------
    first = launch(browser)
    try:
        context = first.new_context(locale="ja-JP", viewport=VIEWPORT)
        robot = Robot(context.new_page(), DirectHands(), server.base_url)
        robot.open(f"/procedures/{PROCEDURE}")
        snap = robot.advance(plan)  # the start page's button
        for step in steps[:2]:
            assert snap.url.endswith(f"{STEPS}/{step}"), snap.url
            robot.complete_page(plan)
            snap = robot.submit()
            assert snap.summary is None, snap.summary
        assert snap.url.endswith(f"{STEPS}/certificate"), snap.url
        save = snap.action("save")
        assert save is not None
        saved = robot.press(save, "save")
        assert saved.url.endswith(f"/procedures/{PROCEDURE}/saved")
        code = robot.page.locator("#resume-code").inner_text().strip()
        assert re.fullmatch(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", code), code
        context.close()
    finally:
        first.close()
    assert not first.is_connected()  # the browser process is gone, and its cookies with it

    # -- a new browser, no cookies: /resume, a wrong code, then the right one typed ----------------------
    second = launch(browser)
    try:
        context = second.new_context(locale="ja-JP", viewport=VIEWPORT)
        assert context.cookies() == []
        hands = KeyboardHands()
        robot = Robot(context.new_page(), hands, server.base_url)
        response = robot.page.goto(server.base_url + "/resume")
        auditor.audit(robot.page, response, None, "resume")
        first_failure = time.monotonic()
        refused = type_code_and_press(robot, hands, WRONG)
        assert refused.status == 422
        assert "この再開コードの入力内容は見つかりませんでした" in robot.page.locator("#error-summary").inner_text()
        auditor.audit(robot.page, refused, None, "resume:errors")
        resumed = type_code_and_press(robot, hands, code)
        assert resumed.status == 200 and robot.page.url == f"{server.base_url}{STEPS}/certificate"

        # every answer of steps 1 and 2 is there, the upload listed by name
        for step in steps[:2]:
            robot.page.goto(f"{server.base_url}{STEPS}/{step}")
            snap = robot.snapshot()
            assert snap.summary is None
            assert unsatisfied(snap, effective(snap, plan)) == [], f"{step}: answers lost"
        kept = robot.page.locator("#f-power_of_attorney--uploaded").inner_text()
        assert kept == f"アップロード済み：書類.pdf（{len(PDF)}バイト）", kept
        attachment_id = robot.page.locator("input[type=hidden][name='/power_of_attorney']").get_attribute("value")
        assert attachment_id and attachment_id.startswith("att_")

        # step 3 and the filing
        robot.page.goto(f"{server.base_url}{STEPS}/certificate")
        robot.hands = DirectHands()
        final = robot.run(plan)
        assert final.kind() == "complete", final.url
        receipt = robot.page.locator("#receipt-number").inner_text().strip()

        # too many wrong codes: 429 with Retry-After, in Japanese (10 failures allowed in 10 minutes)
        robot.page.goto(server.base_url + "/resume")
        for n in range(9):  # with the first wrong code above: 10 failures
            robot.page.fill("#resume-code", WRONG)
            with robot.page.expect_navigation() as navigation:
                robot.page.locator("main button[type=submit]").click()
            assert navigation.value is not None and navigation.value.status == 422, n
        robot.hands = hands
        blocked = type_code_and_press(robot, hands, code)
        elapsed = time.monotonic() - first_failure
        assert blocked.status == 429
        # allowed again when the first failure is 10 minutes old
        assert 600 - elapsed - 2 <= int(blocked.headers["retry-after"]) <= 600
        text = robot.page.locator("#error-summary").inner_text()
        assert "再開コードの誤りが続いたため、しばらくの間、再開コードを受け付けません" in text and "以降" in text
        auditor.audit(robot.page, blocked, None, "resume:too-many")
        context.close()
    finally:
        second.close()

    # -- what was stored ---------------------------------------------------------------------------------
    expected = copy.deepcopy(answers)
    expected["power_of_attorney"] = attachment_id
    engine = make_engine(f"sqlite:///{server.definitions.parent / 'data' / 'forms-engine.sqlite3'}")
    try:
        with Session(engine) as session:
            (stored,) = session.exec(select(Submission).where(Submission.receipt_number == receipt)).all()
            assert stored.answers == catalogue.catalogue.validator(PROCEDURE).normalise(expected)
            upload = session.get(Attachment, attachment_id)
            assert upload is not None and upload.submission_id == stored.id
            assert (upload.name, upload.size, upload.media_type) == ("書類.pdf", len(PDF), "application/pdf")
            (draft,) = session.exec(select(Draft)).all()
            assert draft.submitted_receipt_number == stored.receipt_number and draft.answers is None
    finally:
        engine.dispose()

    # -- axe-core on the /resume pages passed through ----------------------------------------------------
    assert [r.state for r in auditor.records] == ["resume", "resume:errors", "resume:too-many"]
    assert all("label" in r.passes for r in auditor.records)  # axe-core did run its rules on each page
    report = axe_report(auditor.records)
    assert not report, "axe-core found violations on /resume:\n" + report
    reflow = [f"{r.state}: {f}" for r in auditor.records for f in r.reflow_failures()]
    assert not reflow, "\n".join(reflow)
