"""The resident login and 「申請履歴」 pages, in Japanese and English, in every state they can be in, checked
by the Nu HTML checker (vnu.jar from npm, with the machine's Java) and, in Chromium, by axe-core."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session

from forms_engine.app import create_app
from forms_engine.config import Settings
from forms_engine.db import make_engine, upgrade
from forms_engine.models import AuthChallenge
from tests.conftest import SAMPLES_DIR, load_catalogue
from tests.signing.jpki_testkit import Pki

from .conftest import CODE, card_app_signs, logged_in, post_form, start_login
from .test_history import DOG, file

ROOT = Path(__file__).resolve().parents[2]
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory, pki: Pki) -> dict[str, str]:
    """Every state of every resident page, as served (SQLite is enough: the HTML does not depend on it)."""
    tmp = tmp_path_factory.mktemp("resident-pages")
    anchors = tmp / "anchors"
    anchors.mkdir()
    (anchors / "auth.pem").write_bytes(pki.auth_root.cert.public_bytes(serialization.Encoding.PEM))
    crl = pki.crl_folder(tmp / "crl", pki.auth_crl())
    url = f"sqlite:///{tmp / 'db.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    settings = Settings(data_dir=tmp / "data", definitions_dir=SAMPLES_DIR, secret_key="test-secret",
                        jpki_auth_anchors=anchors, crl_dir=crl)
    app = create_app(settings, load_catalogue([SAMPLES_DIR], engine), engine=engine)
    found: dict[str, str] = {}
    for lang in ("ja", "en"):
        client = TestClient(app)
        client.get(f"/?lang={lang}")
        found[f"{lang}-login"] = client.get("/login").text
        challenge_id, code_page = start_login(client)
        found[f"{lang}-code"] = code_page.text
        found[f"{lang}-not-yet"] = post_form(client, "/login/check", code_page).text
        card_app_signs(client, pki, challenge_id, "auth_expired")
        found[f"{lang}-refused"] = post_form(client, "/login/check", code_page).text
        challenge_id, code_page = start_login(client)
        with Session(engine) as session:
            table: Any = AuthChallenge.__table__  # type: ignore[attr-defined]
            session.execute(update(table).where(table.c.id == challenge_id)
                            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
            session.commit()
        found[f"{lang}-expired"] = post_form(client, "/login/check", code_page).text
        found[f"{lang}-my-empty"] = logged_in(client, pki, "auth" if lang == "ja" else "auth_other").text
        file(client, "dog-registration", DOG)
        found[f"{lang}-my"] = client.get("/my?notice=linked").text
        post_form(client, "/my/link", client.get("/my"))
        link_page = client.get("/my/link")
        found[f"{lang}-link"] = link_page.text
        code = CODE.search(link_page.text)
        assert code is not None
        card_app_signs(client, pki, code.group(1), "valid")
        found[f"{lang}-link-refused"] = post_form(client, "/my/link/check", link_page).text
        post_form(client, "/logout", client.get("/my"))
        found[f"{lang}-logged-out"] = client.get("/login?notice=logged_out").text
        found[f"{lang}-timed-out"] = client.get("/login?notice=timeout").text
    unavailable = TestClient(create_app(Settings(data_dir=tmp / "data", definitions_dir=SAMPLES_DIR,
                                                 secret_key="test-secret"), load_catalogue([SAMPLES_DIR], engine),
                                        engine=engine))
    found["ja-unavailable"] = unavailable.get("/login").text
    engine.dispose()
    return found


def test_english_pages_speak_english(pages: dict[str, str]) -> None:
    assert '<html lang="en">' in pages["en-login"] and "<h1>Log in with your My Number Card</h1>" in pages["en-login"]
    assert "Check login status" in pages["en-code"] and "Your applications" in pages["en-my"]
    assert "ログイン" not in pages["en-code"].split("<main")[1].split("</main>")[0]


@pytest.mark.slow
def test_the_nu_html_checker_finds_no_error(pages: dict[str, str], tmp_path: Path) -> None:
    if shutil.which("java") is None or not VNU_JAR.exists():
        pytest.fail("the Nu HTML checker needs Java and node_modules/vnu-jar (scripts/setup --test)")
    files = []
    for name, html in pages.items():
        path = tmp_path / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        files.append(str(path))
    out = subprocess.run(["java", "-jar", str(VNU_JAR), "--format", "json", "--stdout", *files],
                         capture_output=True, text=True, timeout=600)
    errors = [f"{Path(m.get('url', '')).name}: {m.get('message')} «{m.get('extract', '')}»"
              for m in json.loads(out.stdout)["messages"] if m.get("type") in ("error", "non-document-error")]
    assert errors == []


@pytest.fixture(scope="module")
def served(pages: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The saved pages behind a real server with the engine's static files (axe needs the CSS)."""
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse
    from fastapi.staticfiles import StaticFiles

    app = FastAPI()
    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")

    @app.get("/saved/{name}", response_class=HTMLResponse)
    def saved(name: str) -> str:
        return pages[name]

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.mark.browser
def test_axe_finds_no_violation(served: str, pages: dict[str, str]) -> None:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("Chromium is not installed (scripts/setup --test)")
    found: dict[str, list[str]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page()
        for name in pages:
            page.goto(f"{served}/saved/{name}")
            results = Axe().run(page, options={"runOnly": {"type": "tag", "values": [
                "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}})
            violations = [f"{v['id']}: {v['help']}" for v in results.response["violations"]]
            if violations:
                found[name] = violations
        browser.close()
    assert found == {}
