"""Receipts of stored submissions, on SQLite and PostgreSQL: the attachments filed through the resident pages
are listed (name, size, SHA-256) on the resident's 控え and on the office's 受付票, and filing renders no receipt
(it is rendered on the first download, then served from the cache)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from forms_engine.models import Attachment, Submission
from forms_engine.receipts.store import receipt_pdf
from tests.conftest import FIXTURES
from tests.rendering.conftest import PDF, file_through

from .tools import squash, text_of

JUMINHYO = json.loads((FIXTURES / "samples" / "juminhyo-copy.valid.json").read_text(encoding="utf-8"))


def test_attachments_are_listed_on_both_copies_and_filing_renders_no_receipt(
    make_client: Callable[..., TestClient], tmp_path: Path
) -> None:
    client = make_client()
    state = client.app.state.forms_engine  # type: ignore[attr-defined]
    filed, _ = file_through(client, "juminhyo-copy", JUMINHYO)
    assert filed.status_code == 303, filed.text[:2000]
    receipts = state.settings.data_dir / "receipts"
    assert not receipts.exists()  # the filing did not wait for a receipt

    with Session(state.engine) as session:
        submission = session.exec(select(Submission)).one()
        attachment = session.exec(select(Attachment)).one()
        assert attachment.submission_id == submission.id and submission.answers["power_of_attorney"] == attachment.id
        office = receipt_pdf(session, state.settings, submission, "office")
    assert (attachment.name, attachment.size) == ("書類.pdf", len(PDF))

    complete = client.get(filed.headers["location"])
    link = re.search(r'href="(/api/v1/receipts/[^"]+\.pdf\?token=[^"]+)"', complete.text)
    assert link is not None, complete.text[:3000]
    resident = client.get(html.unescape(link.group(1)))
    assert resident.status_code == 200 and resident.headers["content-type"] == "application/pdf"
    assert sorted(re.sub(r"\.[0-9a-f]{20}\.pdf$", ".pdf", path.name) for path in receipts.rglob("*.pdf")) == [
        f"{submission.id}.office.v3.pdf", f"{submission.id}.resident.v3.pdf"]

    for copy, pdf in (("resident", resident.content), ("office", office)):
        path = tmp_path / f"{copy}.pdf"
        path.write_bytes(pdf)
        text = squash(text_of(path))
        assert "添付書類はありません" not in text, copy
        assert "添付書類" in text and "書類.pdf（添付書類を参照）" in text, copy  # the answer names its file
        # the table of attachments: name, type, size in bytes, the SHA-256 of the stored bytes
        assert f"書類.pdfapplication/pdf{len(PDF)}バイト{attachment.sha256}" in text, copy


def test_a_receipt_is_rendered_again_when_what_it_prints_changed(make_client: Callable[..., TestClient],
                                                                 tmp_path: Path) -> None:
    """A cached receipt is never served for an older state: after a signature re-check settles a pending verdict,
    the next download prints it, and the file of the earlier state is gone."""
    client = make_client()
    state = client.app.state.forms_engine  # type: ignore[attr-defined]
    filed, _ = file_through(client, "juminhyo-copy", JUMINHYO)
    assert filed.status_code == 303, filed.text[:2000]
    with Session(state.engine) as session:
        submission = session.exec(select(Submission)).one()
        submission.signature = {"status": "indeterminate", "failure": "revocation_not_checked",
                                "received_at": "2026-04-01T01:00:00+00:00"}
        session.commit()
        first = receipt_pdf(session, state.settings, submission, "office")
        assert receipt_pdf(session, state.settings, submission, "office") == first  # served from the cache
        submission.signature = {**submission.signature, "final": {
            "status": "valid", "failure": None, "decided_at": "2026-04-03T00:30:00+00:00", "by": "signatures recheck"}}
        session.commit()
        second = receipt_pdf(session, state.settings, submission, "office")
    assert second != first
    files = list((state.settings.data_dir / "receipts").rglob(f"{submission.id}.office.*.pdf"))
    assert len(files) == 1 and files[0].read_bytes() == second
    path = tmp_path / "after.pdf"
    path.write_bytes(second)
    text = squash(text_of(path))
    assert "検証結果判定保留" in text and "再確認の結果有効（検証に成功）" in text
    assert "再確認日時令和8年4月3日" in text
