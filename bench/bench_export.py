"""How fast a CSV export of 100,000 submissions is written, and how much memory it takes.

Run from the repository root:

    .venv/bin/python bench/bench_export.py                         # SQLite and PostgreSQL, 100,000 rows
    .venv/bin/python bench/bench_export.py --database sqlite --rows 20000

A fresh database (SQLite file in a temporary folder; PostgreSQL: a new database on
FORMS_ENGINE_TEST_POSTGRES_URL's server, dropped afterwards) is migrated by Alembic and filled with ``--rows``
submissions of tests/exports/definitions/gamma.json (name, an x-sensitive 個人番号, a choice, a note, 0-3
children: 10 CSV columns), inserted in batches (SQLite executemany, PostgreSQL COPY). Then a fresh
subprocess exports them as the CLI does: ``ExportService.for_operator`` (masked) and the CSV chunks written
to a file, with the pre-scan for the children's column count. It prints wall and CPU seconds, the
process's peak RSS (``VmHWM``) next to its RSS before the export (imports), and, in a second
subprocess, the peak of Python allocations during the export (tracemalloc; its time is not reported).
Nothing here is a test.
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

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._machine import code_state, command_line, describe, machine_busy
from forms_engine.db import make_engine, upgrade
from forms_engine.definitions.canonical import definition_sha256

DEFS = Path(__file__).resolve().parent.parent / "tests" / "exports" / "definitions"
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


def rss_mib(field: str = "VmRSS") -> float:
    """This process's RSS (or its peak, ``VmHWM``) in MiB. Not ``ru_maxrss``: Linux keeps that across
    fork and exec, so a child started by a parent holding 100,000 rows would report the parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def child(url: str, out: Path, data_dir: Path, traced: bool) -> None:
    """One export, as `forms-engine export gamma -o FILE` does it; prints one JSON line."""
    import tracemalloc

    from sqlmodel import Session

    from forms_engine.config import Settings
    from forms_engine.definitions.service import DefinitionCatalogue, check, lint_context
    from forms_engine.exports.registry import default_exporters
    from forms_engine.exports.service import ExportService
    from forms_engine.rendering.widgets import default_widgets
    from forms_engine.validation.formats import default_registry

    formats = default_registry()
    definitions, problems = check([DEFS], lint_context(default_widgets(), formats), None)
    assert not problems, problems
    catalogue = DefinitionCatalogue.build(definitions, formats)
    settings = Settings(database_url=url, data_dir=data_dir, secret_key="bench")
    settings.answers_keyring()
    engine = make_engine(url)
    before = rss_mib()
    if traced:
        tracemalloc.start()
    started, cpu0 = time.perf_counter(), time.process_time()
    with Session(engine) as session:
        prepared = ExportService(session, settings, catalogue, default_exporters()).for_operator(
            "gamma", "csv", "utf-8-sig", None, None, False)
        assert prepared is not None
        with out.open("wb") as handle:
            for chunk in prepared.stream(session):
                handle.write(chunk)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu0
    peak_traced = tracemalloc.get_traced_memory()[1] / 2**20 if traced else None
    print(json.dumps({"wall": wall, "cpu": cpu, "rows": prepared.count, "rss_before": before,
                      "maxrss": rss_mib("VmHWM"), "traced": peak_traced}))


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
            done = subprocess.run([sys.executable, __file__, "--child", url, str(out), folder,
                                   *(["--traced"] if traced else [])], capture_output=True, text=True, check=True)
            busy = machine_busy()[0] - busy0
            results.append((json.loads(done.stdout.strip().splitlines()[-1]), busy))
        plain, busy = results[0]
        with out.open(encoding="utf-8-sig", newline="") as handle:
            lines = sum(1 for _ in csv.reader(handle))
        assert plain["rows"] == total and lines == total + 1, (plain, lines)
        print(f"  CSV export: {plain['wall']:.2f} s wall, {plain['cpu']:.2f} s process CPU, "
              f"{busy:.2f} s machine CPU, {total / plain['wall']:,.0f} rows/s, file {out.stat().st_size / 2**20:.1f} MiB")
        print(f"  memory: peak RSS {plain['maxrss']:.0f} MiB (RSS {plain['rss_before']:.0f} MiB before the export, "
              f"after imports); peak Python allocations during the export {results[1][0]['traced']:.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--child", nargs=3, metavar=("URL", "OUT", "DATA_DIR"), help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]), args.traced)
        return
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
