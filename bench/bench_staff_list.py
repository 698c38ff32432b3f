"""How fast the staff list answers over a million submissions: the first page and a deep page (keyset cursor).

Run from the repository root:

    .venv/bin/python bench/bench_staff_list.py                          # SQLite and PostgreSQL, 1,000,000 rows
    .venv/bin/python bench/bench_staff_list.py --database sqlite --rows 200000 --repeat 50

A fresh database is migrated by Alembic (SQLite file in a temporary folder; PostgreSQL: a new database on
FORMS_ENGINE_TEST_POSTGRES_URL's server, dropped afterwards) and filled with ``--rows`` submissions of the
listed procedure plus a tenth as many of another one, spread over three years, three statuses (SQLite:
executemany in batches; PostgreSQL: COPY). Then each case runs ``--repeat`` times after two warm-ups:

- query first page:   ``staff.repository.submission_page`` (50 rows, newest first), the SQL alone
- query deep page:    the same from a cursor 90 % of the way down (keyset, no OFFSET)
- query status:       first page of one status (a third of the rows)
- query q (受付番号): first page of a search for 6 digits of a 受付番号 from its second group on and for its
  last group (prefixes on the search terms' index), and for a whole 受付番号 (the unique index)
- query q (name):     a family name shared by 1 in 40 submissions, a family and a given name together (two
  words, 1 in 1,600), and a word nobody has; the terms are written as filing writes them
  (``staff.search.value_terms`` of the 受付番号 and of the name, as for a field marked ``x-staff-search``)
- service first page: ``ReviewService.list`` as the endpoint calls it (cursor, audit entry, commit)
- service deep page:  the same from the deep cursor

Printed per case: median and p95 wall ms, this process's CPU ms per call (SQLite runs in it), and the
whole machine's busy CPU ms per call (PostgreSQL's server processes included; the machine is shared, so
this includes other work). Nothing here is a test.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session
from stdnum import damm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._machine import code_state, describe, machine_busy
from forms_engine.config import Settings
from forms_engine.db import make_engine, upgrade
from forms_engine.definitions.canonical import definition_sha256
from forms_engine.definitions.service import DefinitionCatalogue, check, lint_context
from forms_engine.rendering.widgets import default_widgets
from forms_engine.staff import repository, search
from forms_engine.staff.schemas import Actor, Cursor, ListFilter
from forms_engine.staff.service import ReviewService, encode_cursor
from forms_engine.validation.formats import default_registry

DEFS = Path(__file__).resolve().parent.parent / "tests" / "staff" / "definitions"
STATUSES = ("received", "accepted", "rejected")
COLUMNS = ("id", "receipt_number", "procedure_id", "procedure_version", "definition_sha256", "answers",
           "received_at", "status")
TERM_COLUMNS = ("submission_id", "procedure_id", "term")
_FAMILIES = ("佐藤 鈴木 高橋 田中 伊藤 渡辺 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本 井上 木村 林 斎藤 清水 "
            "山崎 森 池田 橋本 阿部 石川 山下 中島 石井 小川 前田 岡田 長谷川 藤田 後藤 近藤 村上 遠藤 青木 坂本")
_GIVENS = ("太郎 花子 一郎 恵子 誠 美咲 健 陽子 大輔 裕子 翔 直美 拓也 由美 学 明美 隆 幸子 浩 久美子 "
          "蓮 陽菜 湊 結衣 大翔 葵 悠真 凛 陸 芽依 朝陽 紬 樹 結菜 悠人 澪 颯 莉子 蒼 杏")
FAMILIES, GIVENS = _FAMILIES.split(), _GIVENS.split()
START = datetime(2023, 4, 1, tzinfo=UTC)
SPAN_SECONDS = 3 * 365 * 86400


def receipt(n: int) -> str:
    body = f"{(n * 7_919_113 + 12_345) % 10**11:011d}"  # a permutation of 0..10^11-1: all distinct
    digits = body + str(damm.calc_check_digit(body))
    return f"{digits[:4]}-{digits[4:8]}-{digits[8:]}"


def rows(count: int, offset: int, procedure: str, sha: str, rng: random.Random,
         ) -> tuple[list[tuple[object, ...]], list[tuple[str, str, str]]]:
    """Submissions and their search terms (the 受付番号's and the name's, as filing writes them)."""
    out: list[tuple[object, ...]] = []
    terms: list[tuple[str, str, str]] = []
    for i in range(count):
        name = f"{rng.choice(FAMILIES)} {rng.choice(GIVENS)}"
        answers = json.dumps({"name": name, "my_number": "123456789018", "note": "ベンチマーク"}, ensure_ascii=False)
        at = START + timedelta(seconds=rng.randrange(SPAN_SECONDS), microseconds=rng.randrange(1_000_000))
        ident, number = str(uuid.UUID(int=rng.getrandbits(128), version=4)), receipt(offset + i)
        out.append((ident, number, procedure, "1.0.0", sha, answers, at, STATUSES[rng.randrange(3)]))
        terms += [(ident, procedure, t) for t in sorted(search.value_terms(number) | search.value_terms(name))]
    return out, terms


def fill(engine: sa.Engine, total: int) -> None:
    """``total`` rows of alpha and total/10 of beta, in batches; the definition versions first."""
    docs = {name: json.loads((DEFS / f"{name}.json").read_text(encoding="utf-8")) for name in ("alpha", "beta")}
    shas = {name: definition_sha256(doc) for name, doc in docs.items()}
    table = sa.table("definition_versions", sa.column("sha256"), sa.column("procedure_id"), sa.column("version"),
                     sa.column("document", sa.JSON()), sa.column("first_seen_at", sa.DateTime(timezone=True)))
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"sha256": shas[n], "procedure_id": n, "version": "1.0.0", "document": docs[n],
                                       "first_seen_at": START} for n in docs])
    rng = random.Random(7)
    plan = [("alpha", total), ("beta", total // 10)]
    offset = 0
    raw = engine.raw_connection()
    try:
        for procedure, count in plan:
            done = 0
            while done < count:
                batch, terms = rows(min(50_000, count - done), offset + done, procedure, shas[procedure], rng)
                if engine.dialect.name == "postgresql":
                    with raw.driver_connection.cursor() as cur, cur.copy(  # type: ignore[union-attr]
                            f"COPY submissions ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                        for row in batch:
                            copy.write_row(row)
                    with raw.driver_connection.cursor() as cur, cur.copy(  # type: ignore[union-attr]
                            f"COPY submission_search_terms ({', '.join(TERM_COLUMNS)}) FROM STDIN") as copy:
                        for term in terms:
                            copy.write_row(term)
                else:  # SQLite keeps what SQLAlchemy's DateTime writes: 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC
                    cur = raw.cursor()
                    cur.execute("BEGIN")
                    cur.executemany(f"INSERT INTO submissions ({', '.join(COLUMNS)}) VALUES "
                                    f"({', '.join('?' * len(COLUMNS))})",
                                    [(*r[:6], r[6].strftime("%Y-%m-%d %H:%M:%S.%f"), r[7])  # type: ignore[attr-defined]
                                     for r in batch])
                    cur.executemany(f"INSERT INTO submission_search_terms ({', '.join(TERM_COLUMNS)}) VALUES "
                                    "(?, ?, ?)", terms)
                    cur.execute("COMMIT")
                if engine.dialect.name == "postgresql":
                    raw.commit()
                done += len(batch)
            offset += count
        if engine.dialect.name == "postgresql":
            with raw.driver_connection.cursor() as cur:  # type: ignore[union-attr]
                cur.execute("ANALYZE submissions")
                cur.execute("ANALYZE submission_search_terms")
            raw.commit()
        else:
            raw.cursor().execute("ANALYZE")
    finally:
        raw.close()


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float, float, float]:
    for _ in range(2):
        fn()
    wall, cpu = [], []
    busy0, _ = machine_busy()
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    busy1, _ = machine_busy()
    p95 = sorted(wall)[max(0, int(len(wall) * 0.95) - 1)]
    return (statistics.median(wall) * 1e3, p95 * 1e3, statistics.median(cpu) * 1e3,
            (busy1 - busy0) / repeat * 1e3)


def run(url: str, total: int, repeat: int, label: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    started = time.perf_counter()
    fill(engine, total)
    print(f"\n{label}: {total:,} + {total // 10:,} submissions written in {time.perf_counter() - started:.1f} s")
    formats = default_registry()
    definitions, problems = check([DEFS], lint_context(default_widgets(), formats), None)
    assert not problems, problems
    catalogue = DefinitionCatalogue.build(definitions, formats)
    actor = Actor("bench", "bench", {"dept-a": frozenset({"viewer"})})
    settings = Settings(database_url=url, data_dir=Path(tempfile.gettempdir()), secret_key="bench")
    with Session(engine) as session:  # the deep cursor, found once with OFFSET (setup only)
        deep_row = session.execute(sa.text(
            "SELECT received_at, id FROM submissions WHERE procedure_id = 'alpha' "
            "ORDER BY received_at DESC, id DESC LIMIT 1 OFFSET :n"), {"n": int(total * 0.9)}).one()
    deep_at = deep_row[0] if isinstance(deep_row[0], datetime) else datetime.fromisoformat(deep_row[0])
    deep = Cursor(deep_at.replace(tzinfo=UTC) if deep_at.tzinfo is None else deep_at, deep_row[1])
    whole = receipt(total // 2).replace("-", "")

    def query(chosen: ListFilter, after: Cursor | None = None, expect: int | None = None) -> Callable[[], object]:
        words = search.query_words(chosen.q)
        number = search.whole_receipt_number(words)

        def call() -> object:
            with Session(engine) as session:  # closing rolls back
                found = repository.submission_page(session, "alpha", chosen, after, words, number)
            assert len(found) == (chosen.limit if expect is None else expect) or (chosen.q and expect is None and
                                                                                   found), (chosen.q, len(found))
            return found
        return call

    def service(cursor: str | None) -> Callable[[], object]:
        def call() -> object:
            with Session(engine) as session:
                page = ReviewService(session, settings, catalogue, actor).list("alpha", ListFilter(), cursor, "bench")
                session.commit()
            assert page is not None and len(page.items) == 50
            return page
        return call

    first = query(ListFilter())()
    assert isinstance(first, list) and [s.received_at for s in first] == sorted((s.received_at for s in first),
                                                                                 reverse=True)
    deep_page = query(ListFilter(), deep)()
    assert isinstance(deep_page, list) and deep_page[0].received_at <= deep.received_at
    cases = {
        "query first page": query(ListFilter()),
        "query deep page (90 %)": query(ListFilter(), deep),
        "query status=accepted": query(ListFilter(status="accepted")),
        "query q 受付番号 5678-90": query(ListFilter(q=f"{whole[4:8]}-{whole[8:10]}")),
        "query q 受付番号 last 4": query(ListFilter(q=whole[8:])),
        "query q (whole number)": query(ListFilter(q=whole), expect=1),
        "query q 山田 (1/40)": query(ListFilter(q="山田")),
        "query q 山田 花子 (1/1600)": query(ListFilter(q="山田 花子")),
        "query q no match": query(ListFilter(q="存在しない"), expect=0),
        "service first page": service(None),
        "service deep page": service(encode_cursor(deep)),
    }
    print(f"{'case':26} {'median ms':>10} {'p95 ms':>8} {'proc CPU ms':>12} {'machine CPU ms':>15}")
    for name, fn in cases.items():
        median, p95, cpu, busy = timed(fn, repeat)
        print(f"{name:26} {median:10.2f} {p95:8.2f} {cpu:12.2f} {busy:15.2f}")
    with engine.connect() as conn:
        explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
        plan = conn.execute(sa.text(
            explain + "SELECT id FROM submissions WHERE procedure_id = 'alpha' AND received_at <= :t "
            "ORDER BY received_at DESC, id DESC LIMIT 50"), {"t": deep.received_at}).all()
    print("plan of the deep page: " + " | ".join(str(row[-1]) for row in plan))
    for q in ("山田", "山田 花子", whole[8:]):
        sql = str(repository.page_query("alpha", ListFilter(q=q), None, search.query_words(q)).compile(
            engine, compile_kwargs={"literal_binds": True}))
        with engine.connect() as conn:
            plan = conn.execute(sa.text(explain + sql)).all()
        print(f"plan of q={q}: " + " | ".join(str(row[-1]).strip() for row in plan))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    print(describe())
    print(code_state())
    if args.database in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            run(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", args.rows, args.repeat, "SQLite")
    if args.database in ("postgresql", "both"):
        base = sa.engine.make_url(os.environ.get("FORMS_ENGINE_TEST_POSTGRES_URL",
                                                 "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
        name = f"fe_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            run(base.set(database=name).render_as_string(hide_password=False), args.rows, args.repeat, "PostgreSQL")
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
