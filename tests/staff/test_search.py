"""The staff search: 受付番号 and the answers a definition marks ``x-staff-search`` (name, furigana, phone),
found by a prefix of their folded words on the (procedure_id, term) index; a sensitive answer never indexed;
filters, keyset pages and 404 isolation kept; terms replaced on a correction and rebuilt by `staff reindex`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from forms_engine.cli import main
from forms_engine.models import Submission
from forms_engine.staff import search
from forms_engine.staff.repository import prefix_end
from tests.staff.conftest import DEFS, MY_NUMBER, add_staff, engine_of, file, logged_in, token_for

SEARCH_DEFS = Path(__file__).resolve().parent / "search_definitions"
HANAKO = {"name": {"family": "山田", "given": "花子"}, "kana": {"family": "ヤマダ", "given": "ハナコ"},
          "phone": "090-1234-5678", "my_number": MY_NUMBER, "note": "窓口で受け取り"}
TARO = {"name": {"family": "山田", "given": "太郎"}, "kana": {"family": "ヤマダ", "given": "タロウ"},
        "phone": "03-1234-5678"}
SAKURA = {"name": {"family": "佐藤", "given": "花子"}, "kana": {"family": "サトウ", "given": "ハナコ"},
          "phone": "080-9876-0001"}


@pytest.fixture
def client(make_client: Any) -> TestClient:
    return make_client(DEFS, SEARCH_DEFS)


def lister(client: TestClient, procedure: str = "gamma", login: str = "v") -> Any:
    add_staff(client, login, ("dept-a", "viewer"))
    headers = {"Authorization": f"Bearer {token_for(client, login)}"}

    def numbers(query: str) -> list[str]:
        answer = client.get(f"/api/v1/staff/procedures/{procedure}/submissions", params=_params(query),
                            headers=headers)
        assert answer.status_code == 200, answer.text
        return [item["receipt_number"] for item in answer.json()["items"]]
    return numbers


def _params(query: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in query.split("&")) if "=" in query else {"q": query}


def by_receipt(numbers: list[str], digits: str) -> set[str]:
    """The 受付番号 among ``numbers`` that a digit search finds by themselves: their digits from a group on."""
    return {n for n in numbers if any(n.replace("-", "")[i:].startswith(digits) for i in (0, 4, 8))}


def terms_of(client: TestClient, number: str) -> set[str]:
    with engine_of(client).connect() as conn:
        return set(conn.execute(sa.text(
            "SELECT t.term FROM submission_search_terms t JOIN submissions s ON s.id = t.submission_id "
            "WHERE s.receipt_number = :n"), {"n": number}).scalars())


def receipt_terms(number: str) -> set[str]:
    digits = number.replace("-", "")
    return {digits, digits[4:], digits[8:]}


def test_filing_writes_the_terms_and_never_the_sensitive_answer(client: TestClient) -> None:
    number = file(client, "gamma", HANAKO)
    assert terms_of(client, number) == receipt_terms(number) | {
        "山田花子", "山田", "花子", "やまだはなこ", "やまだ", "はなこ", "09012345678", "12345678", "5678"}
    with engine_of(client).connect() as conn:
        every = list(conn.execute(sa.text("SELECT term FROM submission_search_terms")).scalars())
    assert every and not [t for t in every if MY_NUMBER in t or MY_NUMBER[4:] in t or "窓口" in t]


def test_search_by_name_furigana_phone_and_receipt_number(client: TestClient) -> None:
    numbers = lister(client)
    hanako, taro, sakura = (file(client, "gamma", a) for a in (HANAKO, TARO, SAKURA))
    filed = [hanako, taro, sakura]

    def found(query: str) -> set[str]:
        return set(numbers(query))

    assert found("花子") == {hanako, sakura}  # a word of the name
    assert found("山田花子") == found("山田　花子") == found("山田 花") == {hanako}  # whole, or all words (AND)
    assert found("山") == {hanako, taro}  # a prefix
    assert found("やまだ") == found("ヤマダ") == found("ﾔﾏﾀﾞ") == {hanako, taro}  # furigana, any kana
    assert found("ﾔﾏﾀﾞ ﾀﾛｳ") == {taro}
    assert found("はなこ さとう") == {sakura}
    assert found("09012345678") == found("090-1234") == found("０９０－１２３４－５６７８") == {hanako}
    assert found("5678") == {hanako, taro} | by_receipt(filed, "5678")  # the phones' last group
    assert found("田中") == set() and found("花子 太郎") == set()
    for number in filed:
        digits = number.replace("-", "")
        assert number in found(number[5:9])  # a group of the 受付番号
        assert found(f"{digits[:4]}-{digits[4:6]}") == {number} | by_receipt(filed, digits[:6])
        assert found(number) == found(digits) == {number}  # whole: the unique index
    assert found("窓口") == set() and found(MY_NUMBER) == set()  # not chosen; sensitive


def test_search_keeps_the_filters_and_the_keyset_pages(client: TestClient) -> None:
    numbers = lister(client)
    yamada = [file(client, "gamma", TARO) for _ in range(5)]
    other = file(client, "gamma", SAKURA)
    base = datetime(2025, 4, 1, 3, 0, tzinfo=UTC)
    table = Submission.__table__  # type: ignore[attr-defined]
    with engine_of(client).begin() as conn:  # through the column's type: stored as the engine stores it
        for i, number in enumerate([*yamada, other]):
            conn.execute(sa.update(table).where(table.c.receipt_number == number)
                         .values(received_at=base + timedelta(days=i)))
        conn.execute(sa.text("UPDATE submissions SET status = 'reviewing' WHERE receipt_number IN (:a, :b)"),
                     {"a": yamada[1], "b": yamada[3]})
    add_staff(client, "pager", ("dept-a", "viewer"))
    headers = {"Authorization": f"Bearer {token_for(client, 'pager')}"}
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        params = {"q": "やまだ たろう", "limit": "2", **({"cursor": cursor} if cursor else {})}
        answer = client.get("/api/v1/staff/procedures/gamma/submissions", params=params, headers=headers).json()
        seen += [item["receipt_number"] for item in answer["items"]]
        cursor = answer["next_cursor"]
        if cursor is None:
            break
    assert seen == yamada[::-1]  # newest first, each once, the other name never
    assert numbers("q=山田&status=reviewing") == [yamada[3], yamada[1]]
    assert numbers("q=山田&since=2025-04-03&until=2025-04-04") == [yamada[3], yamada[2]]
    assert numbers("q=花子&until=2025-04-05") == []


def test_another_department_gets_not_found_as_for_an_unknown_procedure(client: TestClient) -> None:
    file(client, "gamma", HANAKO)
    add_staff(client, "b", ("dept-b", "admin"))
    headers = {"Authorization": f"Bearer {token_for(client, 'b')}"}
    hidden = client.get("/api/v1/staff/procedures/gamma/submissions", params={"q": "山田"}, headers=headers)
    unknown = client.get("/api/v1/staff/procedures/nothing/submissions", params={"q": "山田"}, headers=headers)
    assert hidden.status_code == unknown.status_code == 404 and hidden.json() == unknown.json()
    assert logged_in(client, "b").get("/staff/procedures/gamma?q=山田").status_code == 404


def test_the_page_says_what_the_search_looks_in(client: TestClient) -> None:
    hanako, taro = file(client, "gamma", HANAKO), file(client, "gamma", TARO)
    add_staff(client, "v", ("dept-a", "viewer"))
    browser = logged_in(client, "v")
    page = browser.get("/staff/procedures/gamma", params={"q": "ハナコ"})
    assert page.status_code == 200
    assert "受付番号と、氏名、フリガナ、電話番号で探せます" in page.text and "個人番号" not in page.text
    assert hanako in page.text and taro not in page.text
    plain = browser.get("/staff/procedures/alpha")
    assert "受付番号" in plain.text and "受付番号と、" not in plain.text  # alpha chooses no answer


def test_replace_terms_forgets_the_old_answers(client: TestClient) -> None:
    numbers = lister(client)
    number = file(client, "gamma", HANAKO)
    state = client.app.state.forms_engine  # type: ignore[attr-defined]
    with Session(engine_of(client)) as session:
        submission = session.execute(sa.select(Submission).where(
            Submission.receipt_number == number)).scalar_one()  # type: ignore[arg-type]
        corrected = {**HANAKO, "name": {"family": "鈴木", "given": "花子"}}
        search.replace_terms(session, submission, state.catalogue.get("gamma").document, corrected)
        session.commit()
    assert numbers("山田") == [] and numbers("鈴木 花子") == [number] and numbers("やまだ") == [number]


def test_reindex_builds_the_terms_of_earlier_submissions_and_can_run_again(
        client: TestClient, db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    numbers = lister(client)
    filed = [file(client, "gamma", a) for a in (HANAKO, TARO, SAKURA)]
    alpha = file(client, "alpha")
    with engine_of(client).begin() as conn:  # as if filed before the search existed
        conn.execute(sa.text("DELETE FROM submission_search_terms"))
    assert numbers("山田") == []
    args = ["staff", "reindex", "--database-url", db_url, "--definitions", str(SEARCH_DEFS), "--batch", "2"]
    assert main(args) == 0
    assert "4 件の申請の検索語を作り直しました" in capsys.readouterr().err
    assert set(numbers("山田")) == set(filed[:2]) and numbers("さとう") == [filed[2]]
    with engine_of(client).connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM submission_search_terms")).scalar_one()
    assert terms_of(client, alpha) == receipt_terms(alpha)  # alpha chooses no answer: its 受付番号 alone
    assert main(args) == 0  # idempotent
    with engine_of(client).connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM submission_search_terms")).scalar_one() == count
        entry = conn.execute(sa.text("SELECT details FROM audit_log WHERE action = 'search.reindex'")).first()
    assert entry is not None
    assert (json.loads(entry[0]) if isinstance(entry[0], str) else entry[0]) == {"count": 4}


def test_an_answer_sensitive_in_the_filed_version_is_not_indexed_by_a_later_one() -> None:
    submission = Submission(id="s", receipt_number="1234-5678-9012", procedure_id="p", procedure_version="1",
                            definition_sha256="x", answers={})
    now = {"properties": {"code": {"type": "string", "x-staff-search": True}}}
    then = {"properties": {"code": {"type": "string", "x-sensitive": True}}}
    assert search.terms_of(submission, now, {"code": "abc"}) == {"123456789012", "56789012", "9012", "abc"}
    assert search.terms_of(submission, now, {"code": "abc"}, then) == {"123456789012", "56789012", "9012"}


def test_words_and_prefix_bounds() -> None:
    assert search.query_words("１２３４－５６ ﾔﾏﾀﾞ  ハナコ ヤマダ") == ["123456", "やまだ", "はなこ"]
    assert search.query_words("1234ー5678") == ["12345678"]  # a long vowel mark typed for a hyphen
    assert search.value_terms("Foo@Example.COM") == {"foo@example.com"}
    assert search.value_terms("東京都 1-2-3") == {"東京都1-2-3", "東京都", "1-2-3", "123", "23", "3"}
    assert prefix_end("やまだ") == "やまち" and prefix_end("a" + chr(0xD7FF)) == "a" + chr(0xE000)
    assert prefix_end("a" + chr(0x10FFFF)) == "b"


def test_the_prefix_range_is_served_by_the_terms_index(client: TestClient) -> None:
    from forms_engine.staff.repository import page_query
    from forms_engine.staff.schemas import ListFilter

    file(client, "gamma", HANAKO)
    engine = engine_of(client)
    query = page_query("gamma", ListFilter(), None, ["やま"])
    sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            plan = " | ".join(str(row[-1]) for row in conn.execute(sa.text("EXPLAIN QUERY PLAN " + sql)))
            assert ("USING COVERING INDEX ix_submission_search_terms_procedure_term "
                    "(procedure_id=? AND term>? AND term<?)") in plan, plan
        else:
            collation = conn.execute(sa.text(
                "SELECT collation_name FROM information_schema.columns "
                "WHERE table_name = 'submission_search_terms' AND column_name = 'term'")).scalar_one()
            assert collation == "C"
            conn.execute(sa.text("SET LOCAL enable_seqscan = off"))  # the tables are tiny: make the choice visible
            plan = " | ".join(row[0] for row in conn.execute(sa.text("EXPLAIN " + sql)))
            assert "Index Only Scan using ix_submission_search_terms_procedure_term" in plan, plan
            assert "(term >= 'やま'::text) AND (term < 'やみ'::text)" in plan, plan
