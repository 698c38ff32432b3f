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
import ipaddress
import json
import os
import re
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from _fixture import BENCH, FIXTURES, PROCEDURE_ID, load_answers, wrk_body_template
from _machine import (
    code_state,
    command_line,
    describe,
    group_cpu_seconds,
    group_members,
    machine_busy,
    named_cpu_delta,
    named_cpu_seconds,
    wait_until_quiet,
)

ROOT = Path(__file__).resolve().parent.parent
LUA = BENCH / "wrk_report.lua"
FORMS_ENGINE = ROOT / ".venv" / "bin" / "forms-engine"
SUBMIT_PATH = f"/api/v1/procedures/{PROCEDURE_ID}/submissions"
HOST = "127.0.0.1"  # load goes to loopback only
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass
class Run:
    label: str
    wrk: dict[str, Any]
    server_cpu_s: float
    wrk_cpu_s: float
    postgres_cpu_s: float
    machine_busy_s: float
    wall_s: float

    @property
    def ok(self) -> int:
        return int(self.wrk["requests"] - self.wrk["non_2xx_3xx"])

    @property
    def rps(self) -> float:
        return float(self.wrk["requests"] / (self.wrk["duration_us"] / 1e6))

    @property
    def socket_errors(self) -> int:
        w = self.wrk
        return int(w["connect_errors"] + w["read_errors"] + w["write_errors"] + w["timeouts"])


@dataclass
class DbResult:
    db: str
    runs: list[Run] = field(default_factory=list)
    stored: int = 0
    expected_min: int = 0
    stored_sample_ok: bool = False


# -- the server -------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through a proxy


def http(method: str, url: str, body: bytes | None = None, timeout: float = 5.0) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, method=method,
                                 headers={"Content-Type": "application/json"} if body else {})
    try:
        with _DIRECT.open(req, timeout=timeout) as resp:
            return int(resp.status), resp.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()


@contextlib.contextmanager
def server(database_url: str | None, data_dir: Path, args: argparse.Namespace) -> Iterator[tuple[str, int]]:
    """`forms-engine serve` in its own process group; yields (base URL, process group id); always stopped."""
    port = free_port()
    cmd = [str(FORMS_ENGINE), "serve", "--host", HOST, "--port", str(port), "--workers", str(args.workers),
           "--definitions", str(FIXTURES), "--log-level", args.log_level]
    if database_url:
        cmd += ["--database-url", database_url]
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORMS_ENGINE_")}
    env["FORMS_ENGINE_DATA_DIR"] = str(data_dir)
    log_path = data_dir / "server.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    print(f"  server: {shlex.join(cmd)}  (log: {log_path})")
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://{HOST}:{port}"
        deadline = time.monotonic() + args.startup_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with {proc.returncode}:\n{tail(log_path)}")
            with contextlib.suppress(OSError):
                if http("GET", base + "/healthz", timeout=1)[0] == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"no answer on /healthz after {args.startup_timeout} s:\n{tail(log_path)}")
            time.sleep(0.2)
        yield base, proc.pid
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's own process group (uvicorn and its workers), SIGKILL if it lingers."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
    if group_members(proc.pid):  # a worker left behind by a parent that died first
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# -- databases --------------------------------------------------------------------------------------
@contextlib.contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A new database `bench_<random>` migrated by `forms-engine db upgrade`; dropped at the end."""
    base = sa.engine.make_url(admin_url)
    name = f"bench_{uuid.uuid4().hex[:10]}"
    url = base.set(database=name).render_as_string(hide_password=False)
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        print(f"  created database {name}")
        try:
            subprocess.run([str(FORMS_ENGINE), "db", "upgrade", "--database-url", url], cwd=ROOT, check=True,
                           capture_output=True, timeout=120)
            yield url
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            print(f"  dropped database {name}")
    finally:
        admin.dispose()


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
def wrk_command(url: str, seconds: float, args: argparse.Namespace, body_file: Path | None) -> list[str]:
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds:g}s", f"--timeout={args.timeout:g}s",
           "-s", str(LUA.relative_to(ROOT)), url]
    if body_file is not None:
        cmd += ["--", str(body_file.relative_to(ROOT) if body_file.is_relative_to(ROOT) else body_file)]
    return cmd


def run_wrk(label: str, url: str, seconds: float, args: argparse.Namespace, pgid: int,
            body_file: Path | None, quiet: bool = False) -> Run:
    cmd = wrk_command(url, seconds, args, body_file)
    if not quiet:
        print(f"  wrk:    {shlex.join(cmd)}")
    server0, pg0, (busy0, _) = group_cpu_seconds(pgid), named_cpu_seconds("postgres"), machine_busy()
    child0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=seconds + args.timeout + 30)
    wall = time.monotonic() - t0
    child1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    server1, pg1, (busy1, _) = group_cpu_seconds(pgid), named_cpu_seconds("postgres"), machine_busy()
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if out.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    wrk_cpu = (child1.ru_utime + child1.ru_stime) - (child0.ru_utime + child0.ru_stime)
    return Run(label, json.loads(line.removeprefix("BENCH_JSON ")), server1 - server0, wrk_cpu,
               named_cpu_delta(pg0, pg1), busy1 - busy0, wall)


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
        base, pgid = stack.enter_context(server(serve_url, data_dir, args))
        status, answer = http("POST", base + SUBMIT_PATH, json.dumps({"answers": answers}).encode())
        if status != 201:
            raise RuntimeError(f"the check submission got {status}: {answer[:500]!r}")
        expected = 1
        for label, path, body in (("GET /healthz", "/healthz", None),
                                  ("POST .../submissions", SUBMIT_PATH, body_file)):
            if args.warmup > 0:
                warm = run_wrk(label, base + path, args.warmup, args, pgid, body, quiet=True)
                if body is not None:
                    expected += warm.ok
            run = run_wrk(label, base + path, args.duration, args, pgid, body)
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
    if args.db != "sqlite":
        pg_host = sa.engine.make_url(args.pg_url).host or "localhost"
        if pg_host not in ("localhost",) and not ipaddress.ip_address(pg_host).is_loopback:
            p.error(f"--pg-url must point at a loopback address, not {pg_host}")
    if shutil.which("wrk") is None:
        print("wrk is not installed. Run `bench/setup` (or `apt-get install -y wrk`) and try again.", file=sys.stderr)
        return 2
    if not FORMS_ENGINE.exists():
        print(f"{FORMS_ENGINE} is missing: run `bench/setup` (it runs scripts/setup) first.", file=sys.stderr)
        return 2
    if args.wait_quiet > 0:
        wait_until_quiet(args.wait_quiet)
    print(f"command: {command_line()}")
    print(f"machine: {describe()}")
    print(f"code:    {code_state()}")
    print(f"wrk: {subprocess.run(['wrk', '--version'], capture_output=True, text=True).stdout.splitlines()[0]}")
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
            "runs": [{"label": x.label, "rps": x.rps, "server_cpu_s": x.server_cpu_s, "wrk_cpu_s": x.wrk_cpu_s,
                      "postgres_cpu_s": x.postgres_cpu_s,
                      "machine_busy_s": x.machine_busy_s, "wall_s": x.wall_s, **x.wrk} for x in r.runs],
        } for r in results], indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
