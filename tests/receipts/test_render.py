"""The PDFs themselves, read back with poppler, qpdf and zbar as a person's tools would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from forms_engine.receipts import parse_qr_text, render_receipt
from forms_engine.receipts.palette import FRAME_WIDTH, MARGIN_BOTTOM, MARGIN_TOP, MARGIN_X, PAGE_HEIGHT
from forms_engine.receipts.sections import LABEL_WIDTH

from . import tools
from .sample_data import (
    ATTACHMENTS,
    MY_NUMBER,
    RECEIPT_NUMBER,
    SIGNATURE,
    SUBMISSION_SHA256,
    YOSHI,
    typical_receipt,
)
from .tools import page_count, run, squash, text_of

ROOT = Path(__file__).resolve().parents[2]

EXPECTED = [
    "山口市 こども家庭課", "申請控え", "児童手当 認定請求書", "様式バージョン 2.1.0", RECEIPT_NUMBER,
    "令和7年4月1日 14時05分（JST）", SUBMISSION_SHA256,
    "請求者の情報", "請求者氏名", f"{YOSHI}田 太郎", "ヨシダ タロウ", "昭和60年（1985年）4月1日",
    "〒753-0000 山口県山口市亀山町2-1 髙﨑コーポ201", "083-922-0000", "メールアドレス", "未入力",
    "配偶者の情報", f"{YOSHI}田 花子", "所得制限限度額未満", "児童 1", f"{YOSHI}田 一郎", "令和元年（2019年）5月1日",
    "児童 2", "髙﨑 陽菜", "平成28年（2016年）1月7日", "孫", "いいえ", "振込先口座", "山口中央銀行", "県庁前支店",
    "普通", "1234567", "健康保険証の写し、通帳の写し", "運転免許証_表裏.jpg（添付書類を参照）",
    "孫の陽菜は令和6年10月から同居していません。住所変更の届出は別途済ませています。",
    "記載内容に誤りがないことを確認しました", "はい",
    "添付書類", "健康保険証.pdf", "image/jpeg", "1.2 MB", "1,234,567 バイト", "240.0 KB",
    *(item["sha256"] for item in ATTACHMENTS),
    "電子署名の検証結果", "有効（検証に成功）", "OU=公的個人認証サービス署名用,O=JPKI,C=JP", "1a2b3c4d5e6f",
    SIGNATURE["certificate"]["fingerprint_sha256"], "失効していません", "令和7年4月1日 14時04分（JST）",
    "お問い合わせ先", "こども家庭課 手当係 083-000-0000（平日 8時30分〜17時15分）",
]


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("receipts")
    paths = {}
    for copy in ("resident", "office"):
        paths[copy] = folder / f"{copy}.pdf"
        paths[copy].write_bytes(render_receipt(typical_receipt(), copy))  # type: ignore[arg-type]
    return paths


def test_resident_copy_shows_every_answer(pdfs: dict[str, Path]) -> None:
    text = squash(text_of(pdfs["resident"]))
    missing = [value for value in EXPECTED if squash(value) not in text]
    assert not missing
    assert "********（非表示）" in text
    assert MY_NUMBER not in text


def test_office_copy_shows_the_sensitive_value(pdfs: dict[str, Path]) -> None:
    text = squash(text_of(pdfs["office"]))
    assert "受付票" in text and "申請控え" not in text
    assert MY_NUMBER in text
    assert "非表示" not in text
    missing = [value for value in EXPECTED if squash(value) not in text and value != "申請控え"]
    assert not missing


def test_masking_can_be_chosen(tmp_path: Path) -> None:
    shown = tmp_path / "shown.pdf"
    shown.write_bytes(render_receipt(typical_receipt(mask_sensitive_for_resident=False), "resident"))
    assert MY_NUMBER in text_of(shown)
    hidden = tmp_path / "hidden.pdf"
    hidden.write_bytes(render_receipt(typical_receipt(), "office", mask_sensitive=True))
    assert MY_NUMBER not in text_of(hidden)


def test_fonts_are_embedded_subsets(pdfs: dict[str, Path]) -> None:
    lines = run("pdffonts", pdfs["resident"]).stdout.splitlines()[2:]
    assert lines
    names = []
    for line in lines:
        fields = line.split()
        name, emb, sub, uni = fields[0], fields[-5], fields[-4], fields[-3]
        assert (emb, sub, uni) == ("yes", "yes", "yes"), line
        assert re.fullmatch(r"[A-Z]{6}\+\S+", name), line
        names.append(name.split("+")[1])
    assert {"IPAexGothic", "HanaMinA"} <= set(names)  # 𠮷 comes from the fallback font


def test_qpdf_check_passes(pdfs: dict[str, Path]) -> None:
    for path in pdfs.values():
        assert "No syntax or stream encoding errors" in run("qpdf", "--check", path).stdout


def test_document_properties(pdfs: dict[str, Path]) -> None:
    info = run("pdfinfo", "-isodates", pdfs["resident"]).stdout
    assert re.search(r"^Title:\s+申請控え 児童手当 認定請求書（受付番号 1234-5678-9013）$", info, re.MULTILINE)
    assert re.search(r"^Author:\s+山口市 こども家庭課$", info, re.MULTILINE)
    assert re.search(r"^CreationDate:\s+2025-04-01T14:05:00\+09(:00)?$", info, re.MULTILINE)
    assert b"/Lang (ja-JP)" in pdfs["resident"].read_bytes()
    assert "1/2" in squash(text_of(pdfs["resident"], 1)) and "2/2" in squash(text_of(pdfs["resident"], 2))


def test_qr_code_decodes_to_number_and_digest(pdfs: dict[str, Path], tmp_path: Path) -> None:
    run("pdftoppm", "-r", "200", "-f", "1", "-l", "1", "-png", pdfs["resident"], tmp_path / "page")
    image = next(tmp_path.glob("page*.png"))
    decoded = run("zbarimg", "--raw", "-q", image).stdout.strip()
    assert parse_qr_text(decoded) == (RECEIPT_NUMBER, SUBMISSION_SHA256)


def test_same_input_same_bytes(pdfs: dict[str, Path]) -> None:
    assert render_receipt(typical_receipt(), "resident") == pdfs["resident"].read_bytes()
    # Another process with another hash seed gives the same bytes too.
    script = (
        "import sys\n"
        "from forms_engine.receipts import render_receipt\n"
        "from receipts.sample_data import typical_receipt\n"
        "sys.stdout.buffer.write(render_receipt(typical_receipt(), 'resident'))\n"
    )
    environment = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": f"{ROOT / 'tests'}{os.pathsep}{ROOT}"}
    other = subprocess.run([sys.executable, "-c", script], capture_output=True, env=environment, check=True, timeout=120)
    assert other.stdout == pdfs["resident"].read_bytes()


def test_typical_receipt_is_small(pdfs: dict[str, Path]) -> None:
    for path in pdfs.values():
        assert path.stat().st_size < 100_000


def test_fee_unsigned_and_no_attachments(tmp_path: Path) -> None:
    path = tmp_path / "fee.pdf"
    data = typical_receipt(signature=None, attachments=[], fee={"amount": 300, "description": "登録手数料"}, contact="市民課 083-111-1111")
    path.write_bytes(render_receipt(data, "resident"))
    text = squash(text_of(path))
    assert "手数料300円（登録手数料）" in text
    assert "電子署名" not in text
    assert "添付書類はありません。" in text
    assert "市民課083-111-1111" in text
    assert "添付ファイル（IDatt-1）" in text


def _long_submission() -> tuple[dict[str, object], dict[str, object], str]:
    sentences = (f"{n:03d}番目の文：世帯の状況とSample-{n} text を説明します。{YOSHI}田家は「令和」元年から同居しています。" for n in range(200))
    long_text = "".join(sentences)[:2000]
    long_text = long_text[:700] + "\n\n" + long_text[700:]  # paragraphs are kept as the resident typed them
    properties: dict[str, object] = {f"q{n:02d}": {"type": "string", "title": f"質問{n:02d}"} for n in range(59)}
    properties["story"] = {"type": "string", "title": "申立ての詳細", "x-widget": "textarea"}
    answers: dict[str, object] = {f"q{n:02d}": f"回答{n:02d}番の内容です" for n in range(59)}
    answers["story"] = long_text
    definition = {"type": "object", "title": "長い申立書", "x-procedure": {"id": "long", "version": "1.0.0"}, "properties": properties}
    return definition, answers, long_text


@pytest.fixture(scope="module")
def long_pdf(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    definition, answers, long_text = _long_submission()
    data = replace(typical_receipt(), definition_document=definition, answers=answers, procedure_title="長い申立書")
    path = tmp_path_factory.mktemp("long") / "long.pdf"
    path.write_bytes(render_receipt(data, "office"))
    yield path, long_text


def test_long_submission_spans_pages_and_loses_nothing(long_pdf: tuple[Path, str]) -> None:
    path, long_text = long_pdf
    assert len(long_text.replace("\n", "")) == 2000
    pages = page_count(path)
    assert pages >= 2
    text = squash(text_of(path))
    for n in range(59):
        assert f"質問{n:02d}" in text and f"回答{n:02d}番の内容です" in text
    # The value column alone, page after page, without the repeated header cell: the whole answer.
    left = MARGIN_X + LABEL_WIDTH + 1
    column = []
    for page in range(1, pages + 1):
        cropped = run(
            "pdftotext", "-enc", "UTF-8", "-f", str(page), "-l", str(page), "-x", str(int(left)), "-y", str(int(MARGIN_TOP)),
            "-W", str(int(FRAME_WIDTH - LABEL_WIDTH - 2)), "-H", str(int(PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM)), path, "-",
        ).stdout
        column.append(squash(cropped).removeprefix("内容"))
    assert squash(long_text) in "".join(column)
    for page in range(1, pages + 1):
        assert f"{page}/{pages}" in squash(text_of(path, page))
    assert "申立ての詳細（続き）" in text


def test_a_missing_tool_fails_and_names_its_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tools.shutil, "which", lambda name: None)
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y zbar-tools"):
        run("zbarimg", "--version")
