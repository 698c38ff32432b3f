"""The staff pages in the audit walks: an admin of one department (made with `forms-engine staff add`) logs in
(after one wrong password), opens the procedures, a list with and without filters and with a bad date, a
submission (filed through the API) and its status change refused then done, the API tokens page before and
after creating one, and the staff administration pages: the department, an empty 「追加する」, a new
account, a refused removal of their own last admin role and disabling another account.

Records have no procedure (they are site pages); their states start with `staff:`."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from playwright.sync_api import Page, Response

from .audit import Auditor, PageRecord
from .engine import EngineServer, sample_answers

PROCEDURE = "sodai-gomi"  # no signature; department kankyo
DEPARTMENT = "kankyo"
ADMIN, VIEWER, NEW = "kankyo-admin", "kankyo-viewer", "kankyo-new"
PASSWORD = "browser-test staff password"
STAFF_STATES = (
    "staff:login", "staff:login:refused", "staff:procedures", "staff:list", "staff:list:filtered",
    "staff:list:errors", "staff:submission", "staff:submission:errors", "staff:submission:notice", "staff:tokens",
    "staff:tokens:created", "staff:admin", "staff:admin:department", "staff:admin:department:errors",
    "staff:admin:account:notice", "staff:admin:account:errors", "staff:admin:account:disabled",
)
EXPECTED_STATUS = {"staff:login:refused": 401, "staff:list:errors": 422, "staff:submission:errors": 422,
                   "staff:tokens:created": 201, "staff:admin:department:errors": 422,
                   "staff:admin:account:errors": 422}


def prepare(engine: EngineServer) -> str:
    """The staff accounts and one submission to review; its 受付番号."""
    for login, role in ((ADMIN, "admin"), (VIEWER, "viewer")):
        engine.cli("staff", "add", login, "--department", DEPARTMENT, "--role", role, stdin=PASSWORD + "\n")
    body = json.dumps({"answers": sample_answers(PROCEDURE, "valid")}).encode()
    request = urllib.request.Request(f"{engine.base_url}/api/v1/procedures/{PROCEDURE}/submissions", data=body,
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        number: str = json.loads(response.read())["receipt_number"]
    return number


class StaffWalk:
    def __init__(self, page: Page, base_url: str, auditor: Auditor, records: list[PageRecord]) -> None:
        self.page = page
        self.base_url = base_url
        self.auditor = auditor
        self.records = records

    def record(self, response: Response | None, state: str) -> None:
        status = response.status if response is not None else 0
        wanted = EXPECTED_STATUS.get(state, 200)
        if status != wanted:
            raise AssertionError(f"{state}: {self.page.url} answered {status}, not {wanted}")
        self.records.append(self.auditor.audit(self.page, response, None, state))

    def open(self, path: str, state: str) -> None:
        self.record(self.page.goto(self.base_url + path), state)

    def press(self, state: str, act: Callable[[], Any]) -> None:
        with self.page.expect_navigation() as navigation:
            act()
        self.record(navigation.value, state)

    def click(self, selector: str) -> Callable[[], Any]:
        return lambda: self.page.locator(selector).click()

    def walk(self, number: str) -> None:
        page = self.page
        self.open("/staff/login", "staff:login")
        page.fill("#login", ADMIN)
        page.fill("#password", PASSWORD + " but wrong")
        self.press("staff:login:refused", self.click("main form button[type=submit]"))
        page.fill("#password", PASSWORD)
        self.press("staff:procedures", self.click("main form button[type=submit]"))
        self.open(f"/staff/procedures/{PROCEDURE}", "staff:list")
        self.open(f"/staff/procedures/{PROCEDURE}?status=received", "staff:list:filtered")
        self.open(f"/staff/procedures/{PROCEDURE}?since=not-a-date", "staff:list:errors")
        self.open(f"/staff/submissions/{number}", "staff:submission")
        page.check("#status-correction_requested")  # needs a reason: refused
        self.press("staff:submission:errors", self.click("#status-form ~ form button[type=submit]"))
        page.check("#status-reviewing")
        self.press("staff:submission:notice", self.click("#status-form ~ form button[type=submit]"))
        self.open("/staff/tokens", "staff:tokens")
        page.fill("#name", "連携テスト")
        self.press("staff:tokens:created", self.click("main form.form button[type=submit]"))
        self.open("/staff/admin", "staff:admin")
        self.press("staff:admin:department", self.click(f"main a[href='/staff/admin/{quote(DEPARTMENT)}']"))
        self.press("staff:admin:department:errors", self.click("main form.form button[type=submit]"))
        page.fill("#login", NEW)
        page.fill("#password", PASSWORD)
        page.fill("#password_confirm", PASSWORD)
        page.check("#role-reviewer")
        self.press("staff:admin:account:notice", self.click("main form.form button[type=submit]"))
        self._account(ADMIN)
        self.press("staff:admin:account:errors", self.click("#role-admin"))
        self._account(VIEWER)
        self.press("staff:admin:account:disabled", self.click("#status-button"))

    def _account(self, login: str) -> None:
        """An account's page, from the department's list (not recorded: both were recorded already)."""
        self.page.goto(f"{self.base_url}/staff/admin/{quote(DEPARTMENT)}")
        with self.page.expect_navigation():
            self.page.locator("main h3 a", has_text=login).first.click()
