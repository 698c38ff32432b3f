"""How fast a CSV export of 100,000 submissions is written, and how much memory it takes.

Run from the repository root:

    .venv/bin/python bench/bench_export.py                         # SQLite and PostgreSQL, 100,000 rows
    .venv/bin/python bench/bench_export.py --database sqlite --rows 20000

A fresh database (SQLite file in a temporary folder; PostgreSQL: a new database on
FORMS_ENGINE_TEST_POSTGRES_URL's server, dropped afterwards) is migrated by Alembic and filled with ``--rows``
submissions of tests/exports/definitions/gamma.json (name, an x-sensitive 個人番号, a choice, a note, 0-3
children: 10 CSV columns), inserted in batches (SQLite executemany, PostgreSQL COPY). Then a fresh
interpreter runs the command itself, ``forms-engine export gamma --format csv -o FILE --database-url URL
--definitions tests/exports/definitions`` (``forms_engine.cli.main``: masked, UTF-8 with BOM, the
pre-scan for the children's column count, the audit entry), importing nothing but ``forms_engine.cli``
before it. It prints the command's wall and CPU seconds, the whole process's CPU seconds (interpreter start
and imports too), the process's peak RSS (``VmHWM``) next to its RSS after importing ``forms_engine.cli``,
and, in a second run, the peak of Python allocations during the command (tracemalloc; its time is not
reported). Nothing here is a test.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._machine import code_state, command_line, describe, machine_busy
from forms_engine.db import make_engine, upgrade
from forms_engine.definitions.canonical import definition_sha256

ROOT = Path(__file__).resolve().parent.parent
DEFS = ROOT / "tests" / "exports" / "definitions"
COLUMNS = ("id", "receipt_number", "procedure_id", "procedure_version", "definition_sha256", "answers",
           "received_at", "status")
START = datetime(2023, 4, 1, tzinfo=UTC)


def receipt(n: int) -> str:
    from stdnum import damm

    body = f"{(n * 7_919_113 + 12_345) % 10**11:011d}"
    digits = body + str(damm.calc_check_digit(body))
    return f"{digits[:4]}-{digits[4:8]}-{digits[8:]}"


def answers(rng: random.Random, i: int) -> str:
    children = [{"name": f"山田 子{c}", "birth": f"201{c}-04-0{c + 1}"} for c in range(rng.randrange(4))]
    return json.dumps({"name": f"山田 太郎{i}", "my_number": "123456789018", "kind": "new",
                       "note": "窓口で受け取り" if i % 3 else "=HYPERLINK(\"x\")", "children": children},
                      ensure_ascii=False)


def fill(engine: sa.Engine, total: int) -> None:
    document = json.loads((DEFS / "gamma.json").read_text(encoding="utf-8"))
    sha = definition_sha256(document)
    table = sa.table("definition_versions", sa.column("sha256"), sa.column("procedure_id"), sa.column("version"),
                     sa.column("document", sa.JSON()), sa.column("first_seen_at", sa.DateTime(timezone=True)))
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"sha256": sha, "procedure_id": "gamma", "version": "1.0.0",
                                       "document": document, "first_seen_at": START}])
    rng = random.Random(7)
    raw = engine.raw_connection()
    try:
        done = 0
        while done < total:
            batch = [(str(uuid.UUID(int=rng.getrandbits(128), version=4)), receipt(done + i), "gamma", "1.0.0", sha,
                      answers(rng, done + i), START + timedelta(seconds=(done + i) * 60), "received")
                     for i in range(min(50_000, total - done))]
            if engine.dialect.name == "postgresql":
                with raw.driver_connection.cursor() as cur, cur.copy(  # type: ignore[union-attr]
                        f"COPY submissions ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)
                raw.commit()
            else:
                cur = raw.cursor()
                cur.execute("BEGIN")
                cur.executemany(f"INSERT INTO submissions ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * 8)})",
                                [(*r[:6], r[6].strftime("%Y-%m-%d %H:%M:%S.%f"), r[7]) for r in batch])
                cur.execute("COMMIT")
            done += len(batch)
        if engine.dialect.name == "postgresql":
            with raw.driver_connection.cursor() as cur:  # type: ignore[union-attr]
                cur.execute("ANALYZE submissions")
            raw.commit()
    finally:
        raw.close()


_CHILD = """
import json, resource, sys, time
from pathlib import Path


def rss_mib(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


from forms_engine.cli import main

before = rss_mib("VmRSS")
traced = sys.argv[1] == "traced"
if traced:
    import tracemalloc
    tracemalloc.start()
started, cpu0 = time.perf_counter(), time.process_time()
code = main(sys.argv[2:])
wall, cpu = time.perf_counter() - started, time.process_time() - cpu0
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"code": code, "wall": wall, "cpu": cpu, "process_cpu": usage.ru_utime + usage.ru_stime,
                  "rss_before": before, "maxrss": rss_mib("VmHWM"),
                  "traced": tracemalloc.get_traced_memory()[1] / 2**20 if traced else None}))
"""
"""The exporting process: only ``forms_engine.cli`` and the standard library are imported before the command,
so its peak RSS is the command's (this script's own imports, sqlalchemy and all, stay in the parent). Peak RSS
is ``VmHWM``, not ``ru_maxrss``: Linux keeps that across fork and exec, so the child would report the peak of
the parent that had just inserted the rows."""


def child(url: str, out: Path, data_dir: Path, traced: bool) -> dict[str, Any]:
    """One ``forms-engine export gamma --format csv -o OUT`` in a fresh interpreter; its measurements."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, "traced" if traced else "plain", "export", "gamma", "--format", "csv",
         "-o", str(out), "--database-url", url, "--definitions", str(DEFS)],
        capture_output=True, text=True, check=True, cwd=ROOT,
        env={**os.environ, "FORMS_ENGINE_DATA_DIR": str(data_dir), "FORMS_ENGINE_SECRET_KEY": "bench"})
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["code"] == 0, done.stderr
    return result


def run(url: str, total: int, label: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    started = time.perf_counter()
    fill(engine, total)
    engine.dispose()
    print(f"\n{label}: {total:,} submissions written in {time.perf_counter() - started:.1f} s")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "export.csv"
        results = []
        for traced in (False, True):
            busy0, _ = machine_busy()
            found = child(url, out, Path(folder), traced)
            results.append((found, machine_busy()[0] - busy0))
        plain, busy = results[0]
        with out.open(encoding="utf-8-sig", newline="") as handle:
            lines = sum(1 for _ in csv.reader(handle))
        assert lines == total + 1, (plain, lines)
        print(f"  forms-engine export --format csv: {plain['wall']:.2f} s wall, {plain['cpu']:.2f} s CPU "
              f"({plain['process_cpu']:.2f} s for the whole process, interpreter start and imports too), "
              f"{busy:.2f} s machine CPU, {total / plain['wall']:,.0f} rows/s, file {out.stat().st_size / 2**20:.1f} MiB")
        print(f"  memory: peak RSS of the process {plain['maxrss']:.0f} MiB (RSS {plain['rss_before']:.0f} MiB after "
              f"importing forms_engine.cli); peak Python allocations during the command {results[1][0]['traced']:.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    print(f"$ {command_line()}\n{describe()}\n{code_state()}")
    if args.database in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            run(f"sqlite:///{folder}/bench.sqlite3", args.rows, "SQLite")
    if args.database in ("postgresql", "both"):
        server = os.environ.get("FORMS_ENGINE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
        admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        name = f"bench_export_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            run(sa.make_url(server).set(database=name).render_as_string(hide_password=False), args.rows, "PostgreSQL")
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
