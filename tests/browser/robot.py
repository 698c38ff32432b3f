"""The resident robot: files a procedure in a real browser from an answers object, page after page.

It knows nothing of how the procedure is split into pages. On each page it fills the controls it finds by
their `name` (JSON pointers; dates `@year`/`@month`/`@day`/`@era`; checkboxes repeat a name; radios by value;
`@choice` for alternatives), presses 「追加」 (`_action=add:/pointer`) until lists have their items, then
presses the primary submit button: the first visible submit button in <main> without `name="_action"` (or a
start link when a page has no form). It stops on a page with `#receipt-number` (or a completion URL), on a
signing notice (`#notice`), or on a page without a form. Two pairs of hands do the work: `DirectHands`
(Playwright's fill/check/click) and `KeyboardHands` (Tab, Space, Enter, arrow keys and typed text only).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

try:
    from playwright.sync_api import Page, Response
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
except ImportError as exc:  # pragma: no cover - a machine without the test extras
    raise ImportError("Python Playwright is not installed: run scripts/setup --test") from exc

from .engine import Plan

BUTTONS = "main button, main input[type=submit], main input[type=image]"
LINKS = "main a[href]"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
TEXT_TYPES = {"text", "email", "tel", "url", "search", "password", "textarea"}
COMPLETE_URL = re.compile(r"/complete/")

SNAPSHOT_JS = """
([BUTTONS, LINKS]) => {
  const main = document.querySelector('main');
  const shown = (el) => !el.closest('[hidden]') && el.getClientRects().length > 0;
  const buttons = Array.from(document.querySelectorAll(BUTTONS));
  const links = Array.from(document.querySelectorAll(LINKS));
  const primary = buttons.findIndex((b) => (b.type === 'submit' || b.type === 'image')
    && b.getAttribute('name') !== '_action' && shown(b));
  const start = primary >= 0 ? -1 : links.findIndex((a) => shown(a)
    && (a.matches('.button, [role=button]') || /\\/steps\\//.test(a.getAttribute('href'))));
  const labelOf = (c) => {
    const label = c.id ? document.querySelector('label[for="' + CSS.escape(c.id) + '"]') : null;
    return label ? label.textContent.trim() : '';
  };
  const controls = !main ? [] : Array.from(main.querySelectorAll('input, select, textarea'))
    .filter((c) => c.name && !['submit', 'button', 'image', 'reset'].includes(c.type))
    .map((c) => ({
      tag: c.tagName.toLowerCase(),
      type: c.tagName === 'INPUT' ? c.type : c.tagName.toLowerCase(),
      name: c.name, value: c.value, checked: !!c.checked, id: c.id || '',
      files: c.files ? c.files.length : 0, readonly: !!c.readOnly,
      options: c.tagName === 'SELECT' ? Array.from(c.options).map((o) => o.value) : [],
      accept: c.getAttribute('accept') || '', label: labelOf(c),
    }));
  const summary = document.querySelector('#error-summary, .error-summary');
  return {
    url: location.href, title: document.title,
    receipt: !!document.querySelector('#receipt-number'),
    notice: !!document.querySelector('#notice'),
    summary: !summary ? null : {
      id: summary.id, first: !!main && main.firstElementChild === summary,
      tabindex: summary.getAttribute('tabindex'),
      text: summary.innerText,
      links: Array.from(summary.querySelectorAll('a[href]')).map((a) => ({href: a.getAttribute('href'),
                                                                        text: a.textContent.trim()})),
    },
    primary, start,
    actions: buttons.map((b, i) => ({index: i, name: b.getAttribute('name'), value: b.value || ''}))
      .filter((b) => b.name === '_action'),
    controls,
  };
}
"""

ACTIVE_JS = """
([BUTTONS, LINKS]) => {
  const a = document.activeElement;
  if (!a || a === document.body || a === document.documentElement) { return {tag: 'body'}; }
  const group = a.type === 'radio' && a.form
    ? Array.from(a.form.elements).filter((e) => e.type === 'radio' && e.name === a.name).map((e) => e.value)
    : [];
  return {
    tag: a.tagName.toLowerCase(), type: a.tagName === 'INPUT' ? a.type : a.tagName.toLowerCase(),
    name: a.getAttribute('name') || '', value: a.value === undefined ? '' : String(a.value),
    checked: !!a.checked, id: a.id || '', href: a.getAttribute('href') || '',
    selectionAll: typeof a.selectionStart === 'number' && a.value !== undefined
      && a.selectionStart === 0 && a.selectionEnd === a.value.length,
    options: a.tagName === 'SELECT' ? Array.from(a.options).map((o) => o.value) : [],
    group,
    button: Array.from(document.querySelectorAll(BUTTONS)).indexOf(a),
    link: Array.from(document.querySelectorAll(LINKS)).indexOf(a),
    inSummary: !!a.closest('#error-summary, .error-summary'),
  };
}
"""


class RobotError(AssertionError):
    """The robot could not go on: the message says where and why."""


@dataclass(frozen=True)
class Target:
    """Something to press: the n-th of BUTTONS or of LINKS."""

    kind: str  # "button" | "link"
    index: int
    what: str

    @property
    def selector(self) -> str:
        return BUTTONS if self.kind == "button" else LINKS


@dataclass
class Snapshot:
    raw: dict[str, Any]

    @property
    def url(self) -> str:
        return str(self.raw["url"])

    @property
    def controls(self) -> list[dict[str, Any]]:
        return list(self.raw["controls"])

    @property
    def summary(self) -> dict[str, Any] | None:
        return self.raw["summary"]

    def named(self, name: str) -> list[dict[str, Any]]:
        return [c for c in self.controls if c["name"] == name]

    def visible_named(self, name: str) -> list[dict[str, Any]]:
        return [c for c in self.named(name) if c["type"] != "hidden"]

    def kind(self) -> str:
        """complete | notice | form | start | end"""
        if self.raw["receipt"] or COMPLETE_URL.search(self.url):
            return "complete"
        if self.raw["notice"]:
            return "notice"
        if self.raw["primary"] >= 0:
            return "form"
        if self.raw["start"] >= 0:
            return "start"
        return "end"

    def lengths(self) -> dict[str, int]:
        return {c["name"].removesuffix("@length"): int(c["value"]) for c in self.controls
                if c["type"] == "hidden" and c["name"].endswith("@length") and c["value"].isdigit()}

    def primary(self) -> Target | None:
        if self.raw["primary"] >= 0:
            return Target("button", int(self.raw["primary"]), "the primary submit button")
        if self.raw["start"] >= 0:
            return Target("link", int(self.raw["start"]), "the start link")
        return None

    def action(self, value: str) -> Target | None:
        found = next((a for a in self.raw["actions"] if a["value"] == value), None)
        return Target("button", int(found["index"]), f"the button {value!r}") if found else None


# -- what is still to do on a page --------------------------------------------------------------------

def effective(snap: Snapshot, plan: Plan) -> dict[str, tuple[str, ...]]:
    """The plan for this page: the names it shows, the values it offers. A strict plan fails on a value the
    page does not offer; a lenient one (invalid answers) leaves it out. Checkbox groups the plan does not
    mention are wanted empty: an answers object that leaves out a list of choices chose none."""
    wanted: dict[str, tuple[str, ...]] = {}
    for name, values in plan.values.items():
        controls = snap.visible_named(name)
        if not controls or controls[0]["readonly"]:
            continue
        kind = controls[0]["type"]
        if kind in ("radio", "checkbox", "select"):
            offered = {o for c in controls for o in c["options"]} if kind == "select" else {
                c["value"] for c in controls}
            refused = [v for v in values if v and v not in offered]
            if refused and plan.strict:
                raise RobotError(f"{snap.url}: {name}={refused[0]!r} is not offered by the page "
                                 f"(offered: {sorted(offered)})")
            values = tuple(v for v in values if v in offered or not v)
        wanted[name] = values
    for control in snap.controls:
        if control["type"] == "checkbox" and control["name"] not in plan.values:
            wanted.setdefault(control["name"], ())
    return wanted


def unsatisfied(snap: Snapshot, wanted: dict[str, tuple[str, ...]]) -> list[str]:
    """The names whose controls do not yet hold what is wanted, in page order."""
    out: list[str] = []
    for name, values in wanted.items():
        controls = snap.visible_named(name)
        if not controls:
            continue
        kind = controls[0]["type"]
        if kind == "file":
            kept = any(c["type"] == "hidden" and c["value"] for c in snap.named(name))
            done = kept or any(c["files"] for c in controls) or not any(values)
        elif kind == "radio":
            want = values[0] if values else ""
            done = not want or any(c["checked"] and c["value"] == want for c in controls)
        elif kind == "checkbox":
            done = {c["value"] for c in controls if c["checked"]} == set(values)
        else:
            done = controls[0]["value"] == (values[-1] if values else "")
        if not done:
            out.append(name)
    order = {c["name"]: i for i, c in reversed(list(enumerate(snap.controls)))}
    return sorted(out, key=lambda n: order.get(n, 0))


def upload_for(control: dict[str, Any]) -> dict[str, Any]:
    accept = control.get("accept") or "application/pdf"
    if "application/pdf" in accept or ".pdf" in accept:
        return {"name": "書類.pdf", "mimeType": "application/pdf", "buffer": PDF}
    return {"name": "書類.png", "mimeType": "image/png", "buffer": PNG}


def css_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# -- hands ------------------------------------------------------------------------------------------

class Hands(Protocol):
    def fill(self, robot: Robot, wanted: dict[str, tuple[str, ...]]) -> None: ...

    def press(self, robot: Robot, target: Target) -> Response | None: ...


class DirectHands:
    """Playwright's own fill, check, select and click: fast, for the audit walks."""

    def fill(self, robot: Robot, wanted: dict[str, tuple[str, ...]]) -> None:
        page = robot.page
        snap = robot.snapshot()
        for name in unsatisfied(snap, wanted):
            values = wanted[name]
            controls = snap.visible_named(name)
            kind = controls[0]["type"]
            quoted = css_string(name)
            if kind == "radio":
                page.locator(f"main input[type=radio][name={quoted}][value={css_string(values[0])}]").check()
            elif kind == "checkbox":
                for c in controls:
                    box = page.locator(f"main input[type=checkbox][name={quoted}][value={css_string(c['value'])}]")
                    box.set_checked(c["value"] in values)
            elif kind == "select":
                page.locator(f"main select[name={quoted}]").select_option(value=values[-1])
            elif kind == "file":
                page.locator(f"main input[type=file][name={quoted}]").set_input_files(upload_for(controls[0]))
            else:
                page.locator(f"main input[name={quoted}]:not([type=hidden]), main textarea[name={quoted}]").first.fill(
                    values[-1] if values else "")
        left = unsatisfied(robot.snapshot(), wanted)
        if left:
            raise RobotError(f"{snap.url}: could not fill {left}")

    def press(self, robot: Robot, target: Target) -> Response | None:
        with robot.page.expect_navigation() as navigation:
            robot.page.locator(target.selector).nth(target.index).click()
        return navigation.value


@dataclass
class KeyboardHands:
    """Only Tab, Space, Enter and the arrow keys move and act; text is typed with keyboard.type.
    (Replacing text that a control already holds selects it first: Tab already does so in a text input.)"""

    keys: list[str] = field(default_factory=list)  # every key pressed, for the report

    def key(self, robot: Robot, key: str) -> None:
        self.keys.append(key)
        robot.page.keyboard.press(key)

    def open_file_chooser(self, robot: Robot, page: Any) -> Any:
        """Space on the focused file input, as a keyboard user opens it; Chromium now and then misses the first
        press under load (no chooser event), so the key is pressed again, at most three times in all."""
        for attempt in range(3):
            try:
                with page.expect_file_chooser(timeout=7000 if attempt < 2 else 20000) as chooser:
                    self.key(robot, "Space")
                return chooser.value
            except PlaywrightTimeoutError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def active(self, robot: Robot) -> dict[str, Any]:
        found: dict[str, Any] = robot.page.evaluate(ACTIVE_JS, [BUTTONS, LINKS])
        return found

    def budget(self, snap: Snapshot) -> int:
        return 3 * (len(snap.controls) + len(snap.raw["actions"]) + 20)

    def fill(self, robot: Robot, wanted: dict[str, tuple[str, ...]]) -> None:
        snap = robot.snapshot()
        todo = unsatisfied(snap, wanted)
        for _ in range(self.budget(snap)):
            if not todo:
                return
            self.key(robot, "Tab")
            active = self.active(robot)
            if active.get("name") in todo:
                self.act(robot, active, wanted[active["name"]])
                todo = unsatisfied(robot.snapshot(), wanted)
        raise RobotError(f"{snap.url}: the keyboard did not reach or could not fill {todo}")

    def act(self, robot: Robot, active: dict[str, Any], values: tuple[str, ...]) -> None:
        page = robot.page
        kind = active["type"]
        want = values[-1] if values else ""
        if kind == "radio":
            group: list[str] = active["group"]
            if not values or values[0] not in group or active["value"] not in group:
                return
            steps = (group.index(values[0]) - group.index(active["value"])) % len(group)
            if steps == 0:
                self.key(robot, "Space")
            for _ in range(steps):
                self.key(robot, "ArrowDown")
        elif kind == "checkbox":
            if (active["value"] in values) != active["checked"]:
                self.key(robot, "Space")
        elif kind == "select":
            options: list[str] = active["options"]
            steps = options.index(want) - options.index(active["value"])
            for _ in range(abs(steps)):
                self.key(robot, "ArrowDown" if steps > 0 else "ArrowUp")
        elif kind == "file":
            snap = robot.snapshot()
            chooser = self.open_file_chooser(robot, page)
            chooser.set_files(upload_for(snap.visible_named(active["name"])[0]))
        elif kind in TEXT_TYPES or active["tag"] == "textarea":
            if active["value"] == want:
                return
            if active["value"] and not active["selectionAll"]:
                self.key(robot, "Control+A")
            if want:
                self.keys.append(f"type:{want}")
                page.keyboard.type(want)
            else:
                self.key(robot, "Delete")

    def focus(self, robot: Robot, target: Target) -> None:
        """Tab until `target` has focus."""
        for _ in range(self.budget(robot.snapshot())):
            active = self.active(robot)
            if active.get(target.kind) == target.index:
                return
            self.key(robot, "Tab")
        raise RobotError(f"{robot.page.url}: Tab never reached {target.what}")

    def press(self, robot: Robot, target: Target) -> Response | None:
        self.focus(robot, target)
        with robot.page.expect_navigation() as navigation:
            self.key(robot, "Enter")
        return navigation.value


# -- the robot ----------------------------------------------------------------------------------------

OnPage = Callable[["Robot", "Response | None", str], None]


@dataclass
class Robot:
    page: Page
    hands: Hands
    base_url: str
    on_page: OnPage | None = None
    history: list[tuple[str, str, int]] = field(default_factory=list)  # (event, url, status)
    max_pages: int = 40

    def snapshot(self) -> Snapshot:
        return Snapshot(self.page.evaluate(SNAPSHOT_JS, [BUTTONS, LINKS]))

    def arrived(self, response: Response | None, event: str) -> Snapshot:
        status = response.status if response is not None else 0
        self.history.append((event, self.page.url, status))
        if status >= 500:
            raise RobotError(f"{event}: {self.page.url} answered {status}")
        if self.on_page is not None:
            self.on_page(self, response, event)
        return self.snapshot()

    def open(self, path: str) -> Snapshot:
        return self.arrived(self.page.goto(self.base_url + path), "open")

    def press(self, target: Target, event: str) -> Snapshot:
        return self.arrived(self.hands.press(self, target), event)

    def fill(self, plan: Plan) -> None:
        self.hands.fill(self, effective(self.snapshot(), plan))

    def pending_action(self, snap: Snapshot, plan: Plan, done: dict[str, int]) -> str | None:
        """「追加」 while a list has fewer items than the answers; 「表示」 of alternatives whose chosen set
        of fields is not shown yet."""
        shown = snap.lengths()
        for pointer, want in sorted(plan.lengths.items(), key=lambda kv: len(kv[0])):
            if pointer in shown and shown[pointer] < want and snap.action(f"add:{pointer}"):
                return f"add:{pointer}"
        present = {c["name"] for c in snap.controls}
        missing = [n for n in plan.values if n not in present]
        if any(n.endswith("@choice") and n in present for n in plan.values):
            for action in snap.raw["actions"]:
                value = str(action["value"])
                if (value.startswith("refresh:") and done.get(value, 0) < 2
                        and any(n.startswith(value.removeprefix("refresh:") + "/") for n in missing)):
                    return value
        return None

    def complete_page(self, plan: Plan) -> Snapshot:
        """Fill this page, add list items and show alternatives as the answers need, without submitting."""
        done: dict[str, int] = {}
        for _ in range(self.max_pages):
            self.fill(plan)
            snap = self.snapshot()
            action = self.pending_action(snap, plan, done)
            if action is None:
                return snap
            done[action] = done.get(action, 0) + 1
            target = snap.action(action)
            assert target is not None
            self.press(target, action.partition(":")[0])
        raise RobotError(f"{self.page.url}: too many 追加 / 表示 actions")

    def submit(self) -> Snapshot:
        target = self.snapshot().primary()
        if target is None:
            raise RobotError(f"{self.page.url}: no submit button and no start link in <main>")
        return self.press(target, "submit" if target.kind == "button" else "start")

    def advance(self, plan: Plan) -> Snapshot:
        """One page: fill it and press its primary button (a start link is just followed)."""
        if self.snapshot().kind() == "form":
            self.complete_page(plan)
        return self.submit()

    def run(self, plan: Plan) -> Snapshot:
        """Page after page until the completion page, a signing notice or a page without a form."""
        snap = self.snapshot()
        seen: dict[tuple[str, str], int] = {}
        for _ in range(self.max_pages):
            if snap.kind() in ("complete", "notice", "end"):
                return snap
            key = (snap.url, snap.raw["title"])
            seen[key] = seen.get(key, 0) + 1
            if seen[key] > 3:
                raise RobotError(f"{snap.url}: the robot is going round in circles")
            snap = self.advance(plan)
            if snap.summary and plan.strict:
                raise RobotError(f"{snap.url}: the answers were refused:\n{snap.summary['text']}")
        raise RobotError(f"no completion after {self.max_pages} pages (last {snap.url})")

    def run_until_errors(self, plan: Plan) -> Snapshot:
        """Submit (invalid) answers page after page until a page shows the error summary."""
        snap = self.snapshot()
        for _ in range(self.max_pages):
            if snap.summary or snap.kind() in ("complete", "notice", "end"):
                return snap
            snap = self.advance(plan)
        raise RobotError(f"no error summary after {self.max_pages} pages (last {snap.url})")
