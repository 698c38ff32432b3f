"""The audit walks: every page of every sample procedure in every state, the site's own pages and the pages of
every corpus schema, each visited once per session (cached) and checked by the Auditor on arrival."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

try:
    from playwright.sync_api import Browser, BrowserContext, Page, Response
except ImportError as exc:  # pragma: no cover - a machine without the test extras
    raise ImportError("Python Playwright is not installed: run scripts/setup --test") from exc

from .audit import VIEWPORT, Auditor, PageRecord, state_name
from .engine import Catalogue, EngineServer, sample_answers
from .robot import DirectHands, OnPage, Robot, RobotError, Snapshot, css_string
from .staff_walk import StaffWalk, prepare

SITE_PAGES = (  # (path, state, required): the optional ones are checked when the engine has them
    ("/", "catalogue", True),
    ("/?q=" + quote("ゴミ"), "catalogue:search", True),  # 粗大ごみ: found whatever the kana
    ("/?q=" + quote("パスポート"), "catalogue:search:none", True),
    ("/sitemap", "sitemap", True),
    ("/no-such-page", "not-found", True),
    ("/procedures/no-such-procedure", "not-found:procedure", True),
    ("/resume", "resume", False),
    ("/accessibility", "accessibility", False),
    ("/accessibility/results", "accessibility:results", False),
)
AUTOFILL_CODE = "１００－０００１"  # typed as a resident might: full-width, with a hyphen


@dataclass
class Walk:
    records: list[PageRecord] = field(default_factory=list)
    error: BaseException | None = None
    outcome: str | None = None


def corpus_procedure_id(corpus_dir: Path, name: str) -> str:
    if not (corpus_dir / f"{name}.json").exists():
        raise AssertionError(f"no corpus schema {name!r} (the corpus lives in ../shared beside the checkout, "
                             "or where FORMS_ENGINE_SHARED_DIR says)")
    document = json.loads((corpus_dir / f"{name}.json").read_text(encoding="utf-8"))
    return str(document["x-procedure"]["id"])


def has_questions(snap: Snapshot) -> bool:
    return snap.kind() == "form" and any(c["type"] != "hidden" for c in snap.controls)


class Walks:
    def __init__(self, browser: Browser, base_url: str, catalogue: Catalogue, auditor: Auditor,
                 corpus_dir: Path, engine: EngineServer | None = None) -> None:
        self.engine = engine  # for `forms-engine staff add` on its data folder (the staff walk)
        self.browser = browser
        self.base_url = base_url
        self.catalogue = catalogue
        self.auditor = auditor
        self.corpus_dir = corpus_dir
        self._cache: dict[str, Walk] = {}
        self._shared: BrowserContext | None = None

    def new_context(self, *, javascript: bool = True) -> BrowserContext:
        context = self.browser.new_context(locale="ja-JP", viewport=VIEWPORT,  # type: ignore[arg-type]
                                           java_script_enabled=javascript)
        context.set_default_timeout(20_000)
        return context

    def shared_page(self) -> Page:
        """A page in one context kept for the walks that need no fresh resident (site pages, corpus forms)."""
        if self._shared is None:
            self._shared = self.new_context()
        for old in self._shared.pages:
            old.close()
        return self._shared.new_page()

    def close(self) -> None:
        if self._shared is not None:
            self._shared.close()

    def _cached(self, key: str, walk: Callable[[Walk], None]) -> Walk:
        if key not in self._cache:
            result = Walk()
            try:
                walk(result)
            except Exception as exc:
                result.error = exc
            self._cache[key] = result
        return self._cache[key]

    def recorder(self, walk: Walk, procedure: str | None, variant: str = "") -> OnPage:
        def on_page(robot: Robot, response: Response | None, event: str) -> None:
            state = state_name(procedure, robot.snapshot(), event, variant)
            walk.records.append(self.auditor.audit(robot.page, response, procedure, state))

        return on_page

    def exists(self, path: str) -> bool:
        try:
            with urllib.request.urlopen(self.base_url + path, timeout=10):
                return True
        except urllib.error.HTTPError as exc:
            return exc.code != 404

    # -- sample procedures ---------------------------------------------------------------------------

    def sample(self, procedure: str) -> Walk:
        return self._cached(f"sample:{procedure}", lambda walk: self._sample(walk, procedure))

    def _sample(self, walk: Walk, procedure: str) -> None:
        """A resident gets it wrong first (the .invalid.json answers), puts it right and files; then goes back
        after filing. Another, in a fresh browser, presses the button without answering and saves the draft."""
        valid = self.catalogue.plan(procedure, sample_answers(procedure, "valid"), label="valid")
        invalid_answers = sample_answers(procedure, "invalid")
        context = self.new_context()
        try:
            robot = Robot(context.new_page(), DirectHands(), self.base_url, self.recorder(walk, procedure))
            robot.open(f"/procedures/{procedure}")
            if invalid_answers is not None:
                robot.run_until_errors(self.catalogue.plan(procedure, invalid_answers, strict=False, label="invalid"))
            final = robot.run(valid)
            walk.outcome = final.kind()
            expected = "notice" if self.catalogue.signature_required(procedure) else "complete"
            if walk.outcome != expected:
                raise RobotError(f"the walk ended on {final.url} ({walk.outcome}), not on the {expected} page")
            if walk.outcome == "complete":  # the browser's back button after filing
                robot.on_page = self.recorder(walk, procedure, "after-filing")
                robot.arrived(robot.page.go_back(), "back")
        finally:
            context.close()
        context = self.new_context()
        try:
            self._empty_submit(walk, procedure, context.new_page(), save=True)
        finally:
            context.close()
        context = self.new_context()
        try:
            self._autofill(walk, procedure, context.new_page())
        finally:
            context.close()

    def _empty_submit(self, walk: Walk, procedure: str, page: Page, *, record_steps: bool = False,
                      save: bool = False) -> None:
        """Open the procedure, go past pages without questions (a start page), then press the button on the
        first page with questions without answering; `save`: then 「一時保存」 and open the resume link."""
        robot = Robot(page, DirectHands(), self.base_url, self.recorder(walk, procedure) if record_steps else None)
        snap = robot.open(f"/procedures/{procedure}")
        for _ in range(5):
            if has_questions(snap) or snap.primary() is None:
                break
            snap = robot.submit()
        if not has_questions(snap):
            return
        robot.on_page = self.recorder(walk, procedure, "empty")
        snap = robot.submit()
        save_button = snap.action("save")
        if not save or save_button is None:
            return
        robot.on_page = self.recorder(walk, procedure)
        robot.press(save_button, "save")
        link = page.locator("main a[href^='/resume/']")
        if link.count():
            robot.on_page = self.recorder(walk, procedure, "link")
            robot.open(str(link.first.get_attribute("href")))

    def _autofill(self, walk: Walk, procedure: str, page: Page) -> None:
        """On the first page with 「住所を自動入力」: type a postal code, press the button; the page it comes
        back as (`:autofill`, the address filled and a status message beside the button) is audited."""
        robot = Robot(page, DirectHands(), self.base_url)
        snap = robot.open(f"/procedures/{procedure}")
        for _ in range(5):
            if has_questions(snap) or snap.primary() is None:
                break
            snap = robot.submit()
        value = next((str(a["value"]) for a in snap.raw["actions"] if str(a["value"]).startswith("postal:")), None)
        target = snap.action(value) if value is not None else None
        if value is None or target is None:
            return
        code = f"{value.removeprefix('postal:')}/postal_code"
        if not snap.visible_named(code):
            raise RobotError(f"{snap.url}: 「住所を自動入力」 without its postal code field {code!r}")
        page.locator(f"main [name={css_string(code)}]").fill(AUTOFILL_CODE)
        robot.on_page = self.recorder(walk, procedure, "autofill")
        after = robot.press(target, "autofill")
        if not any(c["value"] for c in after.controls if c["name"].startswith(code.removesuffix("postal_code"))
                   and c["name"] != code and c["type"] != "hidden"):
            raise RobotError(f"{after.url}: 「住所を自動入力」 filled nothing")

    # -- the site's own pages ------------------------------------------------------------------------

    def site(self) -> Walk:
        return self._cached("site", self._site)

    def _site(self, walk: Walk) -> None:
        page = self.shared_page()
        for path, state, required in SITE_PAGES:
            if required or self.exists(path):
                walk.records.append(self.auditor.audit(page, page.goto(self.base_url + path), None, state))
        if self.exists("/resume"):  # the resume form submitted empty
            robot = Robot(page, DirectHands(), self.base_url)
            snap = robot.open("/resume")
            if snap.primary() is not None:
                robot.on_page = self.recorder(walk, None)
                robot.submit()

    # -- corpus schemas ----------------------------------------------------------------------------

    def corpus(self, name: str) -> Walk:
        return self._cached(f"corpus:{name}", lambda walk: self._corpus(walk, name))

    def _corpus(self, walk: Walk, name: str) -> None:
        procedure = corpus_procedure_id(self.corpus_dir, name)
        self._empty_submit(walk, procedure, self.shared_page(), record_steps=True)
        if not walk.records:
            raise RobotError(f"/procedures/{procedure} shows nothing")

    # -- the staff pages (staff_walk.py) -------------------------------------------------------------

    def staff(self) -> Walk:
        return self._cached("staff", self._staff)

    def _staff(self, walk: Walk) -> None:
        if self.engine is None:
            raise RobotError("the staff walk needs the engine server (for `forms-engine staff add`)")
        number = prepare(self.engine)
        context = self.new_context()
        try:
            StaffWalk(context.new_page(), self.base_url, self.auditor, walk.records).walk(number)
        finally:
            context.close()

    # -- everything --------------------------------------------------------------------------------

    def everything(self, samples: list[str], corpus: list[str]) -> list[PageRecord]:
        walks = [self.site(), self.staff(), *(self.sample(p) for p in samples), *(self.corpus(n) for n in corpus)]
        return [r for w in walks for r in w.records]
