"""児童手当 filed with a signature in real Chromium: the resident robot walks the steps, 「マイナンバーカードで署名する」,
`forms-engine dev-sign` (a subprocess, like a card client) signs with a TEST identity, the page says so, then
「申請する」 ends on the completion page. Every signing page is checked with axe-core, reflow and the Nu HTML
checker. The engine here trusts the TEST identity's CA (test policy allowed): the suite's shared engine does
not, and its walks keep ending on the honest "cannot sign here" notice."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest

from .audit import VIEWPORT, Auditor, PageRecord, axe_report, run_vnu, vnu_errors, vnu_report
from .conftest import RUN, SERVERS
from .engine import ROOT, SAMPLES_DIR, SECRET_KEY, Catalogue, EngineServer, free_port, sample_answers
from .robot import DirectHands, Robot

pytestmark = pytest.mark.browser

PROCEDURE = "jidou-teate"
ARRIVED = "署名を受け取りました"


class SigningEngine(EngineServer):
    """`forms-engine serve` over form_definitions/ with signing configured (the TEST identity's folders)."""

    def __init__(self, data_dir: Path, log: Path, identity_dir: Path) -> None:
        self.definitions = SAMPLES_DIR
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("FORMS_ENGINE_")}
        env.update({
            "FORMS_ENGINE_DATA_DIR": str(data_dir), "FORMS_ENGINE_SECRET_KEY": SECRET_KEY,
            "FORMS_ENGINE_PUBLIC_ORIGIN": self.base_url, "PYTHONUNBUFFERED": "1",
            "FORMS_ENGINE_JPKI_SIGN_ANCHORS": str(identity_dir / "anchors"),
            "FORMS_ENGINE_JPKI_ALLOW_TEST_POLICY": "1",
            "FORMS_ENGINE_CRL_DIR": str(identity_dir / "crl"),
        })
        self.log = log
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "forms_engine.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--definitions", str(SAMPLES_DIR), "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=self._log_file, stderr=subprocess.STDOUT)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "forms_engine.cli", *args], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)


@pytest.fixture(scope="module")
def identities(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The trusted TEST identity, and another one whose CA the engine does not know."""
    work = tmp_path_factory.mktemp("identities")
    for name in ("trusted", "stranger"):
        made = cli("dev-sign", "--make-identity", str(work / name))
        assert made.returncode == 0, made.stdout + made.stderr
    return {"trusted": work / "trusted", "stranger": work / "stranger"}


@pytest.fixture(scope="module")
def signing_engine(tmp_path_factory: pytest.TempPathFactory, identities: dict[str, Path]) -> Iterator[EngineServer]:
    work = tmp_path_factory.mktemp("signing-engine")
    server = SigningEngine(work / "data", work / "engine.log", identities["trusted"])
    try:
        server.wait_ready()
    except RuntimeError as exc:
        server.stop()
        pytest.fail(str(exc), pytrace=False)
    SERVERS.append(server)  # a failing test shows the end of its log
    yield server
    SERVERS.remove(server)
    server.stop()


def dev_sign(engine: EngineServer, code: str, identity: Path) -> subprocess.CompletedProcess[str]:
    return cli("dev-sign", code, "--identity", str(identity / "identity.p12"), "--url", engine.base_url)


def decode_qr(page: Any, tmp_path: Path) -> str:
    shot = tmp_path / "qr.png"
    page.locator("#signing-qr").screenshot(path=str(shot))
    read = subprocess.run(["zbarimg", "--quiet", "--raw", str(shot)], capture_output=True, text=True, timeout=60)
    assert read.returncode == 0, f"zbarimg could not read the QR code: {read.stderr}"
    return read.stdout.strip()


def test_child_allowance_is_signed_and_filed_in_chromium(browser: Any, signing_engine: EngineServer,
                                                         identities: dict[str, Path], tmp_path: Path) -> None:
    plan = Catalogue(SAMPLES_DIR).plan(PROCEDURE, sample_answers(PROCEDURE, "valid"))
    (tmp_path / "pages").mkdir()
    auditor = Auditor(tmp_path / "pages")
    records: list[PageRecord] = []
    context = browser.new_context(locale="ja-JP", viewport=VIEWPORT)
    context.set_default_timeout(20_000)
    try:
        robot = Robot(context.new_page(), DirectHands(), signing_engine.base_url)
        page = robot.page
        snap = robot.open(f"/procedures/{PROCEDURE}")
        assert "電子署名の手順をまだ利用できない" not in page.content()
        for _ in range(12):  # the steps, as the answers need, up to the confirmation page
            if snap.url.endswith("/confirm"):
                break
            snap = robot.advance(plan)
        assert snap.url.endswith("/confirm"), snap.url

        def audit(response: Any, state: str) -> None:
            records.append(auditor.audit(page, response, PROCEDURE, state))

        robot.on_page = lambda r, response, event: audit(response, state_of(page))
        audit(None, "confirm:sign")
        assert page.locator("main button.button").first.inner_text() == "マイナンバーカードで署名する"

        snap = robot.submit()  # 「マイナンバーカードで署名する」
        assert snap.url.endswith(f"/procedures/{PROCEDURE}/signing")
        code = str(page.locator("#signing-code").get_attribute("data-request"))
        assert len(code) == 20
        assert decode_qr(page, tmp_path) == f"{signing_engine.base_url}/api/v1/signing-requests/{code}"
        assert "（JST）まで（発行から5分間）" in page.locator("#signing-expires").inner_text()

        refused = dev_sign(signing_engine, code, identities["stranger"])  # a CA this engine does not trust
        assert refused.returncode == 1 and "invalid (untrusted_chain)" in refused.stdout, refused.stdout
        page.wait_for_function("(t) => document.getElementById('signing-status').textContent.includes(t)",
                               arg=ARRIVED, timeout=20_000)  # polite polling says it has arrived
        snap = robot.submit()  # 「署名の状態を確認する」
        assert page.locator("h1").inner_text() == "署名を確認できませんでした"
        assert "証明書の発行元を確認できませんでした" in page.locator("#signing-result").inner_text()
        assert page.evaluate("document.activeElement.id") == "signing-result"

        snap = robot.submit()  # 「もう一度署名する」: a new code
        again = str(page.locator("#signing-code").get_attribute("data-request"))
        assert again != code
        signed = dev_sign(signing_engine, "-".join(again[i:i + 4] for i in range(0, 20, 4)), identities["trusted"])
        assert signed.returncode == 0 and signed.stdout == "検証結果 / verdict: valid\n", signed.stdout + signed.stderr
        page.wait_for_function("(t) => document.getElementById('signing-status').textContent.includes(t)",
                               arg=ARRIVED, timeout=20_000)
        snap = robot.submit()  # 「署名の状態を確認する」
        assert page.locator("h1").inner_text() == "署名を確認しました"
        assert page.evaluate("document.activeElement.id") == "signing-result"
        certificate = page.locator("#signing-certificate").inner_text()
        assert "試験 花子" in certificate and "平成2年（1990年）1月1日" in certificate

        snap = robot.submit()  # 「申請する」
        assert snap.kind() == "complete", snap.url
        assert page.locator("#receipt-number").inner_text().count("-") == 2
        receipt = receipt_text(page, tmp_path)  # the 控え linked from the completion page
        assert page.locator("#receipt-number").inner_text() in receipt
        assert "電子署名の検証結果" in receipt and "有効（検証に成功）" in receipt, receipt
    finally:
        context.close()

    states = [r.state for r in records]
    assert states == ["confirm:sign", "signing", "signing:invalid", "signing#2", "signing:valid", "complete:signed"]
    problems = []
    report = axe_report(records)
    if report:
        problems.append("axe-core found violations:\n" + report)
    problems += [f"{r.where}: {m}" for r in records for m in r.reflow_failures()]
    run_vnu(records)
    if any(vnu_errors(r) for r in records):
        problems.append("the Nu HTML checker found errors:\n" + vnu_report(records))
    RUN.records.extend(records)  # into results.json with the walks' pages, when the whole suite ran
    assert not problems, "\n".join(problems)


def receipt_text(page: Any, tmp_path: Path) -> str:
    """The text of the PDF 控え the completion page links to, as pdftotext reads it."""
    href = page.locator("main a[href*='/receipts/']").first.get_attribute("href")
    response = page.request.get(urljoin(page.url, href))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "receipt.pdf"
    pdf.write_bytes(response.body())
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout


def state_of(page: Any) -> str:
    """signing | signing:valid | signing:invalid | complete:signed (the Auditor makes the names unique)."""
    path = page.url.split("?")[0]
    if "/complete/" in path:
        return "complete:signed"
    if path.endswith("/signing"):
        if page.locator("#signing-code").count():
            return "signing"
        return "signing:valid" if page.locator("#signing-certificate").count() else "signing:invalid"
    return path.rsplit("/", 1)[-1]
