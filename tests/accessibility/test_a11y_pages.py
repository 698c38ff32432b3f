"""GET /accessibility, /accessibility/results and /api/v1/accessibility/results."""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from forms_engine.accessibility.service import Sources

from .conftest import example


class Outline(HTMLParser):
    """Headings, tables (with whether a caption comes first), header cells, and what CSP would block."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.headings: list[str] = []
        self.tables: list[dict[str, Any]] = []
        self.th_without_scope = 0
        self.inline_styles = 0
        self.inline_scripts = 0
        self.row_headers: list[str] = []
        self.html_lang: str | None = None
        self._last_start: str | None = None
        self._in_row_header = False
        self._text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = dict(attrs_list)
        if tag == "html":
            self.html_lang = attrs.get("lang")
        if "style" in attrs or tag == "style":
            self.inline_styles += 1
        if tag == "script" and "src" not in attrs:
            self.inline_scripts += 1
        if any(name.startswith("on") for name in attrs):
            self.inline_scripts += 1
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.headings.append(tag)
        if tag == "caption":
            self.tables[-1]["caption_first"] = self._last_start == "table"
        if tag == "table":
            self.tables.append({"caption_first": False})
        if tag == "th":
            if attrs.get("scope") not in ("col", "row"):
                self.th_without_scope += 1
            if attrs.get("scope") == "row":
                self._in_row_header, self._text = True, []
        self._last_start = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == "th" and self._in_row_header:
            self.row_headers.append("".join(self._text).strip())
            self._in_row_header = False

    def handle_data(self, data: str) -> None:
        if self._in_row_header:
            self._text.append(data)


def check_page(html: str) -> Outline:
    page = Outline(html)
    assert page.html_lang == "ja"
    assert page.headings.count("h1") == 1 and page.headings[0] == "h1"
    levels = [int(h[1]) for h in page.headings]
    assert all(b <= a + 1 for a, b in pairwise(levels)), page.headings
    assert page.inline_styles == 0 and page.inline_scripts == 0
    return page


@pytest.mark.parametrize("results", ["example", "missing"])
def test_results_page(results: str, sources: Callable[..., Sources],
                      client_for: Callable[[Sources], TestClient]) -> None:
    client = client_for(sources(example() if results == "example" else None))
    response = client.get("/accessibility/results")
    assert response.status_code == 200
    assert "default-src 'self'" in response.headers["content-security-policy"]
    page = check_page(response.text)
    assert page.tables and all(t["caption_first"] for t in page.tables)
    assert page.th_without_scope == 0
    assert "4.1.1" in page.row_headers and "1.1.1" in page.row_headers and "2.5.8" in page.row_headers
    assert "構文解析" in response.text
    if results == "missing":
        assert "自動試験の結果はまだありません" in response.text
    else:
        assert "自動試験の結果はまだありません" not in response.text
        assert "4.12.1" in response.text and "粗大ごみ収集申込" in response.text
        assert "<details" in response.text


def test_policy_page(sources: Callable[..., Sources], client_for: Callable[[Sources], TestClient]) -> None:
    client = client_for(sources(None))
    response = client.get("/accessibility")
    assert response.status_code == 200
    check_page(response.text)
    for words in ("ウェブアクセシビリティ方針", "JIS X 8341-3:2016", "適合レベル AA", "WCAG 2.2",
                  'href="/accessibility/results"', "対象範囲", "例外", "お問い合わせ", "策定日",
                  "粗大ごみ収集申込", "環境課 粗大ごみ受付 03-0000-0003", "自動試験の結果はまだありません"):
        assert words in response.text, words
    assert "<title>ウェブアクセシビリティ方針 - " in response.text


def test_results_json(sources: Callable[..., Sources], client_for: Callable[[Sources], TestClient]) -> None:
    client = client_for(sources(example()))
    body = client.get("/api/v1/accessibility/results").json()
    verdicts = {c["number"]: c for c in body["criteria"]}
    assert len(verdicts) == 56 and sum(c["jis"] for c in verdicts.values()) == 38
    assert verdicts["4.1.1"]["verdict"] == "pass" and verdicts["4.1.1"]["verdict_label"] == "適合"
    assert verdicts["2.5.8"]["verdict"] == "fail"
    assert {e["ref"] for e in verdicts["1.4.3"]["evidence"]} == {"color-contrast"}
    assert body["tools"]["axe-core"] == "4.12.1" and body["page_count"] == 6

    missing = client_for(sources(None)).get("/api/v1/accessibility/results").json()
    assert missing["results_available"] is False
    assert all(c["verdict"] != "pass" for c in missing["criteria"]
               if any(e["kind"] != "manual" for e in c["evidence"]))


def test_every_page_links_to_the_accessibility_policy(tmp_path: Path) -> None:

    from forms_engine.bootstrap import build_app
    from forms_engine.config import Settings
    from tests.conftest import SAMPLES_DIR

    app = build_app(Settings(data_dir=tmp_path / "d", definitions_dir=SAMPLES_DIR, secret_key="k"))
    client = TestClient(app)
    for url in ("/", "/procedures/dog-registration", "/resume"):
        assert '<a href="/accessibility">ウェブアクセシビリティ方針</a>' in client.get(url).text
