"""What is checked on every page the robot reaches: axe-core (the copy bundled by axe-playwright-python), reflow
at 320 CSS px and at 200 % zoom, and the served HTML saved for one run of the Nu HTML checker at the end."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

try:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import Page, Response
except ImportError as exc:  # pragma: no cover - a machine without the test extras
    raise ImportError("Playwright / axe-playwright-python are not installed: run scripts/setup --test") from exc

from .engine import ROOT

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
VIEWPORT = {"width": 1280, "height": 800}
# (label, CSS px width of the layout viewport, device pixel ratio): 200 % zoom of a 1280 px wide window is a
# 640 CSS px layout viewport drawn at 2 device pixels per CSS px, which is what the browser's zoom does.
REFLOW_SIZES = (("320px", 320, 1.0), ("zoom200%", 640, 2.0))
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
SETUP_HINT = "run scripts/setup --test"

REFLOW_JS = """
async (width) => {
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const scroller = document.scrollingElement;
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + Array.from(el.classList).map((c) => '.' + c).join('');
  const wide = [];
  if (scroller.scrollWidth > width) {
    for (const el of document.body.querySelectorAll('*')) {
      const box = el.getBoundingClientRect();
      if (box.width > 0 && box.right > width + 0.5) {
        wide.push(describe(el) + ' (right edge ' + Math.round(box.right) + 'px)');
        if (wide.length >= 5) { break; }
      }
    }
  }
  return {scrollWidth: scroller.scrollWidth, innerWidth: window.innerWidth, wide};
}
"""

_RECEIPT = re.compile(r"\d{4}-\d{4}-\d{4}")
_CODE = re.compile(r"(?<=/)[A-Z0-9]{4}-?[A-Z0-9]{4}-?[A-Z0-9]{4}(?=/|$)")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_TOKEN = re.compile(r"(?<=/)[A-Za-z0-9_-]{20,}(?=/|$)")


def normalise_url(url: str) -> str:
    """The path (and query) of a page, with receipt numbers, ids and tokens replaced by placeholders, so
    that the results file does not change from run to run."""
    parts = urlsplit(url)
    path = _RECEIPT.sub("{receipt_number}", parts.path)
    path = _TOKEN.sub("{token}", _CODE.sub("{code}", _UUID.sub("{id}", path)))
    query = [(k, "{token}" if len(v) >= 16 else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return path + (f"?{urlencode(query, safe='{}')}" if query else "")


@dataclass
class PageRecord:
    url: str
    procedure: str | None
    state: str
    html_file: Path
    status: int
    violations: list[dict[str, Any]] = field(default_factory=list)
    passes: list[str] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)  # rules axe-core could not decide: to check by hand
    reflow: dict[str, dict[str, Any]] = field(default_factory=dict)
    vnu: list[dict[str, Any]] | None = None

    @property
    def where(self) -> str:
        return f"{self.procedure or '(site)'} / {self.state} / {self.url}"

    def reflow_failures(self) -> list[str]:
        return [f"{label}: scrollWidth {m['scrollWidth']} > {m['width']} ({'; '.join(m['wide']) or 'no element found'})"
                for label, m in sorted(self.reflow.items()) if not m["ok"]]


def state_name(procedure: str | None, snap: Any, event: str, variant: str = "") -> str:
    """A stable name for what a page is: start, form, step:<id>, confirm, complete, … with `:errors` when it
    shows the error summary, `:notice` for the signing notice, `:added` after 「追加」."""
    path = urlsplit(snap.url).path
    prefix = f"/procedures/{procedure}" if procedure else ""
    rest = path.removeprefix(prefix) if prefix and path.startswith(prefix) else path
    kind = snap.kind()
    visible = [c for c in snap.controls if c["type"] != "hidden"]
    if kind == "complete":
        base = "complete"
    elif rest in ("", "/"):
        base = "form" if visible else "start"
    elif rest.startswith("/steps/"):
        base = "step:" + rest.split("/")[2]
    else:
        base = rest.strip("/").split("/")[0] or "page"
    flags = (":errors" if snap.summary else "") + (":notice" if kind == "notice" else "")
    after = {"add": ":added", "remove": ":removed", "refresh": ":refreshed"}.get(event, "")
    return base + flags + after + (f":{variant}" if variant else "")


class Auditor:
    """Runs the checks on a page and keeps a record per page (in visiting order)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.axe = Axe()
        self.records: list[PageRecord] = []
        self.versions: dict[str, str] = {}
        self._names: set[tuple[str | None, str]] = set()

    def unique_state(self, procedure: str | None, state: str) -> str:
        candidate, n = state, 1
        while (procedure, candidate) in self._names:
            n += 1
            candidate = f"{state}#{n}"
        self._names.add((procedure, candidate))
        return candidate

    def audit(self, page: Page, response: Response | None, procedure: str | None, state: str) -> PageRecord:
        html = response.text() if response is not None else page.content()
        html_file = self.workdir / f"{len(self.records):04d}.html"
        html_file.write_text(html, encoding="utf-8")
        record = PageRecord(normalise_url(page.url), procedure, self.unique_state(procedure, state), html_file,
                            response.status if response is not None else 0)
        results = self.axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS},
                                              "resultTypes": ["violations"]}).response
        self.versions["axe-core"] = str(results["testEngine"]["version"])
        record.violations = list(results["violations"])
        record.passes = sorted(r["id"] for r in results["passes"])
        record.incomplete = sorted(r["id"] for r in results["incomplete"])
        record.reflow = measure_reflow(page)
        self.records.append(record)
        return record


def measure_reflow(page: Page) -> dict[str, dict[str, Any]]:
    session = page.context.new_cdp_session(page)
    out: dict[str, dict[str, Any]] = {}
    try:
        for label, width, scale in REFLOW_SIZES:
            session.send("Emulation.setDeviceMetricsOverride",
                         {"width": width, "height": 640, "deviceScaleFactor": scale, "mobile": False})
            measured = page.evaluate(REFLOW_JS, width)
            assert measured["innerWidth"] == width, f"the viewport did not become {width} px: {measured}"
            out[label] = {**measured, "width": width, "ok": measured["scrollWidth"] <= width}
    finally:
        session.send("Emulation.clearDeviceMetricsOverride")
        session.detach()
        page.set_viewport_size(VIEWPORT)
    return out


# -- reports ----------------------------------------------------------------------------------------

def axe_report(records: list[PageRecord], most: int = 8) -> str:
    """One block per rule: what it asks, the pages (procedure / state / url) and each failing element once."""
    rules: dict[str, dict[str, Any]] = {}
    for record in records:
        for v in record.violations:
            rule = rules.setdefault(v["id"], {"v": v, "pages": [], "nodes": {}})
            rule["pages"].append(record.where)
            for node in v["nodes"]:
                target = " ".join(t if isinstance(t, str) else json.dumps(t, ensure_ascii=False)
                                  for t in node["target"])
                why = " / ".join(s.strip() for s in (node.get("failureSummary") or "").splitlines()[1:3])
                rule["nodes"].setdefault(target, why)
    lines: list[str] = []
    for rule_id, rule in sorted(rules.items()):
        v = rule["v"]
        lines.append(f"[{rule_id}] {v['help']} (impact: {v.get('impact')}; {v.get('helpUrl', '')})")
        lines.append("  on: " + "; ".join(rule["pages"]))
        for target, why in list(rule["nodes"].items())[:most]:
            lines.append(f"    {target}: {why}")
        if len(rule["nodes"]) > most:
            lines.append(f"    … and {len(rule['nodes']) - most} more elements")
    return "\n".join(lines)


def vnu_report(records: list[PageRecord], most: int = 5) -> str:
    """One block per message: the pages it is on and a few places (line and extract of the served HTML)."""
    messages: dict[str, dict[str, Any]] = {}
    for record in records:
        for m in vnu_errors(record):
            entry = messages.setdefault(str(m.get("message")), {"pages": [], "places": []})
            if record.where not in entry["pages"]:
                entry["pages"].append(record.where)
            extract = (m.get("extract") or "").replace("\n", " ")[:120]
            entry["places"].append(f"line {m.get('lastLine', '?')} of {record.state}: «{extract}»")
    lines: list[str] = []
    for message, entry in sorted(messages.items()):
        lines.append(f"{message}")
        lines.append("  on: " + "; ".join(entry["pages"]))
        lines += [f"    {place}" for place in entry["places"][:most]]
        if len(entry["places"]) > most:
            lines.append(f"    … and {len(entry['places']) - most} more")
    return "\n".join(lines)


def vnu_errors(record: PageRecord) -> list[dict[str, Any]]:
    return [m for m in record.vnu or [] if m.get("type") in ("error", "non-document-error")]


# -- the Nu HTML checker ----------------------------------------------------------------------------

def vnu_version() -> str:
    out = subprocess.run(["java", "-jar", str(VNU_JAR), "--version"], capture_output=True, text=True, timeout=120,
                         check=True)
    return out.stdout.strip().split()[0]


def run_vnu(records: list[PageRecord]) -> None:
    """One run of the checker over every saved page; each record gets its messages."""
    files = [str(r.html_file) for r in records]
    out = subprocess.run(["java", "-jar", str(VNU_JAR), "--format", "json", "--stdout", *files],
                         capture_output=True, text=True, timeout=600)
    try:
        messages = json.loads(out.stdout)["messages"]
    except (json.JSONDecodeError, KeyError) as exc:
        raise AssertionError(f"the Nu HTML checker did not answer JSON (exit {out.returncode}):\n"
                             f"{out.stdout[-2000:]}\n{out.stderr[-2000:]}") from exc
    by_file: dict[str, list[dict[str, Any]]] = {f: [] for f in files}
    for message in messages:
        path = unquote(urlsplit(str(message.get("url", ""))).path)
        by_file.setdefault(path, []).append(message)
    unknown = [m for f, ms in by_file.items() if f not in files for m in ms]
    if unknown:
        raise AssertionError(f"the Nu HTML checker reported on no page: {unknown[:3]}")
    for record in records:
        record.vnu = by_file[str(record.html_file)]
