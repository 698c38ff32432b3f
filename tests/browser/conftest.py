"""Fixtures of the browser suite: the engine served for real, one Chromium (Debian's, never a download), the
audit walks and the Nu HTML checker run, all package-scoped (shut down after the last browser test), and the
results file, written when the whole browser suite ran."""

from __future__ import annotations

import os
import shutil
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CORPUS, corpus_names

from .engine import Catalogue, EngineServer, merged_definitions, sample_ids
from .results import RESULTS_FILE, RunState, build, write

HERE = Path(__file__).resolve().parent
CHROMIUM = Path(os.environ.get("FORMS_ENGINE_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SETUP_HINT = "run scripts/setup --test"

RUN = RunState()
SERVERS: list[EngineServer] = []

SAMPLES = sample_ids()
CORPUS_MISSING = f"corpus-missing-at-{CORPUS}"
CORPUS_NAMES = corpus_names() or [CORPUS_MISSING]  # a test that fails, never an empty (skipped) parameter set


# -- the run's bookkeeping (results.json is written only when the whole browser suite ran) -------------

def _is_browser(item: pytest.Item) -> bool:
    return HERE in Path(str(item.path)).parents


def pytest_collection_finish(session: pytest.Session) -> None:
    browser_items = [i for i in session.items if _is_browser(i)]
    RUN.items = {i.nodeid for i in browser_items}
    RUN.modules = {Path(str(i.path)).name for i in browser_items}


def pytest_deselected(items: list[pytest.Item]) -> None:
    RUN.deselected |= {i.nodeid for i in items if _is_browser(i)}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    """A failing browser test shows the end of the engine's log (a 500 has its traceback there)."""
    report = yield
    if report.failed and _is_browser(item) and SERVERS:
        report.sections.append(("forms-engine serve: end of its log", SERVERS[-1].log_tail()))
    return report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "teardown" and report.nodeid in RUN.items:
        RUN.finished.add(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not RUN.items:
        return
    why = RUN.why_incomplete({p.name for p in HERE.glob("test_*.py")})
    if why is None:
        write(build(RUN))
        RUN.note = f"results written to {RESULTS_FILE.relative_to(HERE.parents[1])}"
    else:
        RUN.note = f"results.json NOT written: {why}"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not RUN.items:
        return
    data = build(RUN)
    pages = data["pages"]
    axe = sum(p["axe_violations"] for p in pages)
    vnu = sum(p["vnu_errors"] or 0 for p in pages)
    keyboard = [k["result"] for k in data["keyboard"]]
    terminalreporter.write_sep("-", "accessibility (browser suite)")
    terminalreporter.write_line(
        f"{len(pages)} pages: {axe} axe violations, {vnu} Nu HTML checker errors; reflow {data['reflow']['pass']} "
        f"pass / {data['reflow']['fail']} fail; keyboard {keyboard.count('pass')} pass / {keyboard.count('fail')} "
        f"fail; tools {data['tools']}")
    undecided: dict[str, int] = {}
    for record in RUN.records:
        for rule in record.incomplete:
            undecided[rule] = undecided.get(rule, 0) + 1
    if undecided:
        terminalreporter.write_line("axe-core could not decide (check by hand): " + ", ".join(
            f"{rule} on {n} pages" for rule, n in sorted(undecided.items())))
    if RUN.note:
        terminalreporter.write_line(RUN.note)


# -- fixtures ---------------------------------------------------------------------------------------

@pytest.fixture(scope="package")
def engine_server(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Iterator[EngineServer]:
    """`forms-engine serve` over form_definitions/ plus the wrapped corpus schemas, on a free port."""
    work = tmp_path_factory.mktemp("engine")
    definitions = merged_definitions(work / "definitions", corpus_dir)
    server = EngineServer(definitions, work / "data", work / "engine.log")
    try:
        server.wait_ready()
    except RuntimeError as exc:
        server.stop()
        pytest.fail(str(exc), pytrace=False)
    SERVERS.append(server)
    yield server
    server.stop()


@pytest.fixture(scope="package")
def served(engine_server: EngineServer) -> Catalogue:
    return Catalogue(engine_server.definitions)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """Debian's Chromium (never a download): the tests fail, not skip, when it is missing."""
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is not installed ({CHROMIUM} is missing): {SETUP_HINT}", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        RUN.versions["chromium"] = browser.version
        yield browser
        browser.close()


@pytest.fixture(scope="package")
def walks(browser: Any, engine_server: EngineServer, served: Catalogue, corpus_dir: Path,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from .audit import Auditor
    from .walks import Walks

    auditor = Auditor(tmp_path_factory.mktemp("pages"))
    auditor.versions = RUN.versions
    RUN.records = auditor.records
    walks = Walks(browser, engine_server.base_url, served, auditor, corpus_dir, engine_server)
    yield walks
    walks.close()


@pytest.fixture(scope="package")
def vnu_checked(walks: Any) -> list[Any]:
    """Every page of the audit walks through one run of the Nu HTML checker."""
    from .audit import VNU_JAR, run_vnu, vnu_version

    if shutil.which("java") is None:
        pytest.fail(f"Java is not installed (the Nu HTML checker needs it): {SETUP_HINT}", pytrace=False)
    if not VNU_JAR.exists():
        pytest.fail(f"the Nu HTML checker is not installed ({VNU_JAR} is missing): {SETUP_HINT}", pytrace=False)
    records = walks.everything(SAMPLES, CORPUS_NAMES)
    RUN.versions["vnu"] = vnu_version()
    run_vnu(records)
    return list(records)


@pytest.fixture
def keyboard_result() -> Iterator[dict[str, Any]]:
    """A test sets `procedure` and `javascript`; the outcome (pass/fail) goes to results.json."""
    case: dict[str, Any] = {}
    yield case
    if "procedure" in case:
        RUN.keyboard[(case["procedure"], case["javascript"])] = "pass" if case.get("passed") else "fail"
