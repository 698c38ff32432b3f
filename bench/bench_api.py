"""Requests per second of a real `forms-engine serve` on loopback, measured with wrk, on SQLite and PostgreSQL.

Run from the repository root (bench/setup installs wrk with apt-get when it is missing):

    bench/setup
    .venv/bin/python bench/bench_api.py                      # both databases, 10 s per endpoint
    .venv/bin/python bench/bench_api.py --db sqlite --duration 5

For each database it starts `forms-engine serve --workers 2 --definitions bench/fixtures` on a free port
of 127.0.0.1 in its own process group:

- sqlite: the embedded database in a temporary data dir (serve migrates it);
- postgresql: a fresh database `bench_<random>` on the local server (`--pg-url`, loopback only), migrated
  with `forms-engine db upgrade --database-url`, dropped afterwards.

It waits for /healthz, files one submission with Python to check it answers 201, then runs wrk
(`--threads`, `--connections`, `--duration`; a `--warmup` run first, not reported) against
(a) GET /healthz, the constant answer: the ceiling of the HTTP stack on this machine, and
(b) POST /api/v1/procedures/bench-thirty/submissions with bench/fixtures/answers/thirty-fields.answers.json
    (bench/wrk_report.lua sets method, body and headers; no Idempotency-Key: every request is a new filing;
    the last four digits of the four phone numbers change with every request, so that the engine's
    per-value caches see new residents, as in real use — `--same-body` sends the file unchanged).
It prints requests/s, latency p50/p99, the non-2xx count, the CPU the server and wrk used, and the number of
submissions really stored (counted in the database afterwards). The server is always stopped at the end.
wrk and the server share the machine's cores: what one uses, the other cannot.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from _fixture import BENCH, FIXTURES, PROCEDURE_ID, load_answers, wrk_body_template
from _machine import describe
from _serve import DEFAULT_PG, Run, http, postgres_database, preflight, run_wrk, server

LUA = BENCH / "wrk_report.lua"
SUBMIT_PATH = f"/api/v1/procedures/{PROCEDURE_ID}/submissions"


@dataclass
class DbResult:
    db: str
    runs: list[Run] = field(default_factory=list)
    stored: int = 0
    expected_min: int = 0
    stored_sample_ok: bool = False


# -- databases --------------------------------------------------------------------------------------
def stored_submissions(url: str) -> tuple[int, bool]:
    """(rows of bench-thirty in submissions, whether one row holds the normalised answers)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            count = conn.execute(sa.text("SELECT count(*) FROM submissions WHERE procedure_id = :p"),
                                 {"p": PROCEDURE_ID}).scalar_one()
            answers = conn.execute(sa.text("SELECT answers FROM submissions WHERE procedure_id = :p LIMIT 1"),
                                   {"p": PROCEDURE_ID}).scalar()
    finally:
        engine.dispose()
    if isinstance(answers, str):
        answers = json.loads(answers)
    ok = isinstance(answers, dict) and re.fullmatch(r"03-1234-[0-9]{4}", str(answers.get("phone"))) is not None \
        and answers.get("address", {}).get("postal_code") == "100-0001"
    return int(count), ok


# -- wrk --------------------------------------------------------------------------------------------
def script_args(body_file: Path | None) -> list[str]:
    return [] if body_file is None else [str(body_file)]


def bench_database(db: str, args: argparse.Namespace) -> DbResult:
    result = DbResult(db)
    answers = load_answers()
    with tempfile.TemporaryDirectory(prefix=f"bench-api-{db}-") as tmp, contextlib.ExitStack() as stack:
        data_dir = Path(tmp) / "data"
        if db == "postgresql":
            url = stack.enter_context(postgres_database(args.pg_url))
            serve_url: str | None = url
        else:
            url = f"sqlite:///{data_dir / 'forms-engine.sqlite3'}"
            serve_url = None  # the embedded default under FORMS_ENGINE_DATA_DIR, migrated by serve
        body_file = Path(tmp) / "body.json"
        body_file.write_text(json.dumps({"answers": answers}, ensure_ascii=False) if args.same_body
                             else wrk_body_template(answers), encoding="utf-8")
        base, pgid = stack.enter_context(server(serve_url, data_dir, args, FIXTURES))
        status, answer = http("POST", base + SUBMIT_PATH, json.dumps({"answers": answers}).encode())
        if status != 201:
            raise RuntimeError(f"the check submission got {status}: {answer[:500]!r}")
        expected = 1
        for label, path, body in (("GET /healthz", "/healthz", None),
                                  ("POST .../submissions", SUBMIT_PATH, body_file)):
            if args.warmup > 0:
                warm = run_wrk(label, base + path, args.warmup, args, pgid, LUA, script_args(body), quiet=True)
                if body is not None:
                    expected += warm.ok
            run = run_wrk(label, base + path, args.duration, args, pgid, LUA, script_args(body))
            result.runs.append(run)
            if body is not None:
                expected += run.ok
        time.sleep(1.0)  # let requests still in flight when wrk stopped finish
        result.expected_min = expected
        result.stored, result.stored_sample_ok = stored_submissions(url)
    return result


def report(result: DbResult, args: argparse.Namespace) -> None:
    cores = os.cpu_count() or 1
    print(f"\n== {result.db}: serve --workers {args.workers}; wrk -t{args.threads} -c{args.connections} "
          f"-d{args.duration:g}s ==")
    print(f"{'endpoint':<22} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'non-2xx':>7} "
          f"{'sockerr':>7} {'requests':>8} | {'server':>6} {'CPU ms':>6} {'wrk':>5} {'pg':>5} {'other':>5}")
    for r in result.runs:
        lat = r.wrk["latency_us"]
        other = r.machine_busy_s - r.server_cpu_s - r.wrk_cpu_s - r.postgres_cpu_s
        print(f"{r.label:<22} {r.rps:>8,.1f} {lat['p50'] / 1000:>7.2f} {lat['p99'] / 1000:>7.1f} "
              f"{lat['max'] / 1000:>7.0f} {r.wrk['non_2xx_3xx']:>7} {r.socket_errors:>7} {r.wrk['requests']:>8,} | "
              f"{r.server_cpu_s / r.wall_s:>6.2f} {1000 * r.server_cpu_s / max(r.wrk['requests'], 1):>6.2f} "
              f"{r.wrk_cpu_s / r.wall_s:>5.2f} {r.postgres_cpu_s / r.wall_s:>5.2f} {other / r.wall_s:>5.2f}")
    print(f"(server, wrk, pg, other: cores busy of {cores}, averaged over the run; pg = every postgres process; "
          "other = the rest of the machine: other processes, kernel network work; CPU ms: server CPU per request)")
    extra = result.stored - result.expected_min
    verdict = "OK" if 0 <= extra <= 2 * args.connections and result.stored_sample_ok else "MISMATCH"
    print(f"stored: {result.stored:,} submissions of {PROCEDURE_ID} in the database; the 201s wrk and the check "
          f"request saw: {result.expected_min:,} (+{extra} finished after wrk stopped); "
          f"sample row normalised: {result.stored_sample_ok} -> {verdict}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    p.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    p.add_argument("--duration", type=float, default=10.0, help="seconds of each measured wrk run (default 10)")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds of an unreported wrk run first (default 2)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--timeout", type=float, default=10.0, help="wrk's request timeout in seconds (default 10)")
    p.add_argument("--workers", type=int, default=2, help="serve --workers (default 2)")
    p.add_argument("--log-level", default="info", help="serve --log-level (default info, as `serve` has)")
    p.add_argument("--same-body", action="store_true",
                   help="send the answers unchanged every time (default: other phone numbers in every request)")
    p.add_argument("--pg-url", default=os.environ.get("FORMS_ENGINE_TEST_POSTGRES_URL", DEFAULT_PG),
                   help="an existing PostgreSQL database to connect to as admin (loopback only)")
    p.add_argument("--startup-timeout", type=float, default=60.0)
    p.add_argument("--wait-quiet", type=float, default=0.0, metavar="S",
                   help="first wait up to S seconds for the 1-minute load average to fall under 0.5")
    p.add_argument("--json", type=Path, help="also write the results to this file")
    args = p.parse_args(argv)
    if not (0 < args.duration <= 300 and 0 <= args.warmup <= 60 and 1 <= args.threads <= 10
            and args.threads <= args.connections <= 256 and 0 < args.timeout <= 60 and 1 <= args.workers <= 16):
        p.error("out of bounds: 0<duration<=300, 0<=warmup<=60, 1<=threads<=10, threads<=connections<=256, "
                "0<timeout<=60, 1<=workers<=16")
    stopped = preflight(p, args)
    if stopped is not None:
        return stopped
    results = []
    for db in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
        print(f"\n-- {db}")
        try:
            result = bench_database(db, args)
        except (RuntimeError, subprocess.SubprocessError, sa.exc.SQLAlchemyError) as exc:
            print(f"bench_api: {db}: {exc}", file=sys.stderr)
            return 1
        results.append(result)
        report(result, args)
    print(f"\nafter: {describe()}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([{
            "db": r.db, "stored": r.stored, "expected_min": r.expected_min,
            "runs": [x.as_json() for x in r.runs],
        } for r in results], indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
