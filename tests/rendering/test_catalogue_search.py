"""2.4.5 (multiple ways): the catalogue grouped by department (担当課) with a search (GET /?q=, on the server,
NFKC and hiragana/katakana folded), and the サイトマップ linked from every page's footer."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import jaconv
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from forms_engine.definitions.service import check, lint_context
from forms_engine.rendering import catalogue as listing
from forms_engine.rendering.widgets import default_widgets
from forms_engine.validation.formats import default_registry

from .conftest import SAMPLES_DIR, main_of, sample_ids, start, title_of
from .htmlform import HtmlForm
from .jp import build

ORGANISATION = "forms-engine 見本市"
DEPARTMENTS = [  # (担当課, its procedures) as the catalogue shows them: departments by id, procedures by id
    ("環境課", ["sodai-gomi"]),
    ("こども家庭課", ["jidou-teate"]),
    ("生活衛生課", ["dog-registration"]),
    ("市民課", ["juminhyo-copy"]),
    ("市民協働課", ["event-sankaka"]),
    ("生涯学習課", ["shisetsu-riyou"]),
]
RESULT_LINK = re.compile(r'<h3 class="procedure__title"><a href="/procedures/([^"]+)">')


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    yield build(SAMPLES_DIR, tmp_path_factory.mktemp("catalogue-data"))


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


def results_heading(page: str) -> str | None:
    found = re.search(r'<h2 id="search-results" tabindex="-1">(.*?)</h2>', page, re.S)
    return html.unescape(found.group(1)) if found else None


def found_ids(page: str) -> list[str]:
    return RESULT_LINK.findall(main_of(page))


def grouped(page: str) -> list[tuple[str, list[str]]]:
    """(heading, procedure ids) of each department heading of the page's main, in order."""
    main = main_of(page)
    groups = re.split(r"<h2>(.*?)</h2>", main)
    return [(html.unescape(groups[i]), RESULT_LINK.findall(groups[i + 1])) for i in range(1, len(groups), 2)]


def test_the_catalogue_is_grouped_by_department_with_headings(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and title_of(page.text) == f"手続の一覧 - {ORGANISATION}"
    assert grouped(page.text) == DEPARTMENTS
    assert sorted(i for _, ids in DEPARTMENTS for i in ids) == sample_ids()
    form = HtmlForm(page.text)
    assert ("get", "/") in form.forms and not form.problems()
    [box] = form.named("q")
    assert (box.type, box.value, box.attrs["aria-describedby"]) == ("search", "", "search-q--hint")
    assert '<label class="field__label" for="search-q">手続を探す</label>' in page.text
    assert results_heading(page.text) is None and "data-focus" not in page.text


@pytest.mark.parametrize(("query", "ids"), [
    ("犬", ["dog-registration"]),
    ("住民票", ["juminhyo-copy"]),
    ("市民課", ["juminhyo-copy"]),  # the department's name
    ("郵送", ["juminhyo-copy"]),  # the summary
    ("市民", ["event-sankaka", "juminhyo-copy", "shisetsu-riyou"]),  # 市民課, 市民協働課, 市民会館
    ("申込 施設", ["shisetsu-riyou"]),  # every word must match
    ("Dog", ["dog-registration"]),  # the English title, on a Japanese page too
])
def test_search_finds_title_summary_and_department(client: TestClient, query: str, ids: list[str]) -> None:
    page = client.get("/", params={"q": query})
    assert page.status_code == 200
    assert found_ids(page.text) == ids
    assert results_heading(page.text) == f"「{query}」の検索結果：{len(ids)}件"
    assert title_of(page.text) == html.escape(f"「{query}」の検索結果（{len(ids)}件） - 手続の一覧 - {ORGANISATION}",
                                              quote=False)
    assert 'data-focus="search-results"' in page.text  # the count is read out on arrival
    [box] = HtmlForm(page.text).named("q")
    assert box.value == query
    assert '<p><a href="/">すべての手続を担当課ごとに見る</a></p>' in page.text


@pytest.mark.parametrize("query", ["ゴミ", "ごみ", "ｺﾞﾐ", "　ゴミ　", "粗大ゴミ", "ソダイごみ収集"])
def test_hiragana_katakana_and_widths_are_alike(client: TestClient, query: str) -> None:
    page = client.get("/", params={"q": query})
    expected = [] if query == "ソダイごみ収集" else ["sodai-gomi"]  # 粗大 is kanji: its reading is not known
    assert found_ids(page.text) == expected
    assert results_heading(page.text) == f"「{query.strip()}」の検索結果：{len(expected)}件"


def test_full_width_letters_and_case(client: TestClient) -> None:
    assert found_ids(client.get("/", params={"q": "ＪＵＭＩＮＨＹＯ"}).text) == ["juminhyo-copy"]
    assert found_ids(client.get("/", params={"q": "juminhyo"}).text) == ["juminhyo-copy"]


def test_no_hits_says_so_and_leads_back(client: TestClient) -> None:
    page = client.get("/", params={"q": "パスポート"})
    assert page.status_code == 200 and found_ids(page.text) == []
    main = main_of(page.text)
    assert results_heading(page.text) == "「パスポート」の検索結果：0件"
    assert "<p>「パスポート」に当てはまる手続は見つかりませんでした。</p>" in main
    assert "<p>言葉を短くするか、別の言葉にしてもう一度お探しください。手続は担当課ごとの一覧とサイトマップからも探せます。</p>" in main
    assert '<a href="/">すべての手続を担当課ごとに見る</a>' in main and '<a href="/sitemap">サイトマップ</a>' in main
    assert title_of(page.text) == f"「パスポート」の検索結果（0件） - 手続の一覧 - {ORGANISATION}"


@pytest.mark.parametrize("query", ["", "   ", "　"])
def test_an_empty_query_shows_the_whole_catalogue(client: TestClient, query: str) -> None:
    page = client.get("/", params={"q": query})
    assert results_heading(page.text) is None and grouped(page.text) == DEPARTMENTS
    assert title_of(page.text) == f"手続の一覧 - {ORGANISATION}"


def test_the_query_is_escaped_everywhere(client: TestClient) -> None:
    query = '<script>alert("x")</script>\'&'
    page = client.get("/", params={"q": query})
    assert page.status_code == 200
    assert "<script>alert" not in page.text and 'alert("x")' not in page.text
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&#39;&amp;"
    assert f'value="{escaped}"' in page.text
    assert f"<h2 id=\"search-results\" tabindex=\"-1\">「{escaped}」の検索結果：0件</h2>" in page.text
    assert f"<p>「{escaped}」に当てはまる手続は見つかりませんでした。</p>" in page.text
    assert f"<title>「{escaped}」の検索結果（0件）" in page.text
    assert [c.value for c in HtmlForm(page.text).named("q")] == [query]


def test_a_long_query_is_cut(client: TestClient) -> None:
    page = client.get("/", params={"q": "犬" + "あ" * 300})
    [box] = HtmlForm(page.text).named("q")
    assert box.value == "犬" + "あ" * 99 and found_ids(page.text) == []


def test_english_pages_search_in_english(client: TestClient) -> None:
    client.get("/language?to=en&next=/", follow_redirects=False)
    page = client.get("/", params={"q": "waste"})
    assert found_ids(page.text) == ["sodai-gomi"]
    assert results_heading(page.text) == "Results for “waste”: 1"
    assert title_of(page.text) == f"Results for “waste” (1) - Procedures - {ORGANISATION}"
    assert '<h3 class="procedure__title"><a href="/procedures/sodai-gomi">Bulky Waste Collection Request</a></h3>' \
        in page.text
    none = main_of(client.get("/", params={"q": "passport"}).text)
    assert "<p>No procedure matches “passport”.</p>" in none and "See every procedure by department" in none
    sitemap = client.get("/sitemap")
    assert title_of(sitemap.text) == f"Site map - {ORGANISATION}" and "<h1>Site map</h1>" in sitemap.text
    assert '<a href="/accessibility/results" hreflang="ja">Accessibility test results (in Japanese)</a>' in sitemap.text


def test_the_sitemap_lists_every_procedure_by_department_and_the_other_pages(client: TestClient) -> None:
    page = client.get("/sitemap")
    assert page.status_code == 200 and title_of(page.text) == f"サイトマップ - {ORGANISATION}"
    main = main_of(page.text)
    assert "<h1>サイトマップ</h1>" in main and "<h2>手続（担当課ごと）</h2>" in main and "<h2>そのほかのページ</h2>" in main
    sections = re.split(r"<h3>(.*?)</h3>", main.split("<h2>そのほかのページ</h2>")[0])
    listed = [(sections[i], re.findall(r'<li><a href="/procedures/([^"]+)">', sections[i + 1]))
              for i in range(1, len(sections), 2)]
    assert listed == DEPARTMENTS
    for procedure_id in sample_ids():
        assert client.get(f"/procedures/{procedure_id}").status_code == 200
    other = main.split("<h2>そのほかのページ</h2>")[1]
    assert re.findall(r'<a href="([^"]+)"', other) == ["/resume", "/my", "/accessibility", "/accessibility/results"]
    for words in ("入力の再開", "ウェブアクセシビリティ方針", "ウェブアクセシビリティ試験結果"):
        assert words in other
    for path in ("/", "/resume", "/accessibility", "/accessibility/results"):
        assert client.get(path).status_code == 200, path


def test_every_page_links_the_sitemap_from_its_footer(client: TestClient) -> None:
    first = start(client, "dog-registration")
    pages = [client.get("/"), client.get("/?q=犬"), client.get("/sitemap"), client.get("/procedures/dog-registration"),
             first, client.get("/resume"), client.get("/accessibility"), client.get("/no-such-page")]
    for page in pages:
        footer = page.text[page.text.index('<footer class="site-footer">'):]
        assert '<p><a href="/sitemap">サイトマップ</a></p>' in footer, page.url


def sample_entries() -> list[listing.Entry]:
    definitions, problems = check([SAMPLES_DIR], lint_context(default_widgets(), default_registry()), None)
    assert not problems
    return listing.entries(definitions, "ja", datetime.now(UTC))


SAMPLE_ENTRIES = sample_entries()


@settings(max_examples=200, deadline=None)
@given(entry=st.sampled_from(SAMPLE_ENTRIES), data=st.data())
def test_any_piece_of_a_title_finds_its_procedure_however_its_kana_are_written(entry: listing.Entry,
                                                                              data: st.DataObject) -> None:
    start_at = data.draw(st.integers(0, len(entry.title) - 1))
    piece = entry.title[start_at:data.draw(st.integers(start_at + 1, len(entry.title)))]
    written = data.draw(st.sampled_from([
        piece, jaconv.hira2kata(piece), jaconv.kata2hira(piece), jaconv.z2h(jaconv.hira2kata(piece), kana=True),
        jaconv.h2z(piece, kana=True, ascii=True, digit=True), f"　{piece} "]))
    assert entry in listing.search(SAMPLE_ENTRIES, listing.query_of(written))


def test_fold_is_what_the_search_compares() -> None:
    assert listing.fold("ｿﾀﾞｲゴミ ＡＢＣ") == "そだいごみ abc"
    assert listing.query_of("  犬  ") == "犬" and listing.query_of(None) == ""
