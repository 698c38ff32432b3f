"""The resident's 控え: from the filing's link only, built from the stored definition version."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from tests.conftest import FIXTURES


def test_receipt_url_gives_the_pdf_built_from_the_filed_version(
    make_client: Callable[..., TestClient], definitions_copy: Path, tmp_path: Path
) -> None:
    answers = json.loads((FIXTURES / "samples" / "dog-registration.valid.json").read_text(encoding="utf-8"))
    client = make_client(definitions_copy)
    filed = client.post("/api/v1/procedures/dog-registration/submissions", json={"answers": answers}).json()
    # the definition file changes afterwards (new version): the receipt still shows what was filed
    path = definitions_copy / "dog-registration.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["title"], doc["x-procedure"]["version"] = "犬の登録（新様式）", "2.0.0"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    client = make_client(definitions_copy)

    response = client.get(filed["receipt_url"])
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert client.get(filed["receipt_url"]).content == response.content  # cached, same bytes
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(response.content)
    assert shutil.which("pdftotext"), "pdftotext (poppler-utils) is needed: run scripts/setup --test"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert filed["receipt_number"] in text
    assert answers["dog_name"] in text
    assert "犬の登録申請" in text and "新様式" not in text

    wrong = filed["receipt_url"].split("?")[0] + "?token=" + "0" * 32
    assert client.get(wrong).status_code == 404
    assert client.get(filed["receipt_url"].replace(filed["receipt_number"], "0000-0000-0000")).status_code == 404
