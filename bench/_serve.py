"""What the HTTP benchmarks share: a real `forms-engine serve` in its own process group, a fresh PostgreSQL
database, and one wrk run with the CPU that the server, wrk, postgres and the rest of the machine used.

Used by bench_api.py (the JSON API) and bench_pages.py (the resident pages). Load goes to loopback only.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import os
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
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
FORMS_ENGINE = ROOT / ".venv" / "bin" / "forms-engine"
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
    output: str = field(default="", repr=False)  # what wrk printed (its script may print more lines)

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

    @property
    def server_ms_per_request(self) -> float:
        return 1000 * self.server_cpu_s / max(int(self.wrk["requests"]), 1)

    @property
    def other_cores(self) -> float:
        """Cores the rest of the machine (other processes, kernel network work) kept busy during the run."""
        return (self.machine_busy_s - self.server_cpu_s - self.wrk_cpu_s - self.postgres_cpu_s) / self.wall_s

    def as_json(self) -> dict[str, Any]:
        return {"label": self.label, "rps": self.rps, "server_cpu_s": self.server_cpu_s, "wrk_cpu_s": self.wrk_cpu_s,
                "postgres_cpu_s": self.postgres_cpu_s, "machine_busy_s": self.machine_busy_s,
                "wall_s": self.wall_s, **self.wrk}


# -- the server -------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through a proxy


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_DIRECT_NO_REDIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def http(method: str, url: str, body: bytes | None = None, timeout: float = 5.0) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, method=method,
                                 headers={"Content-Type": "application/json"} if body else {})
    try:
        with _DIRECT.open(req, timeout=timeout) as resp:
            return int(resp.status), resp.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()


def http_raw(method: str, url: str, headers: Mapping[str, str], body: bytes | None = None,
             timeout: float = 10.0) -> tuple[int, list[tuple[str, str]], bytes]:
    """One request, redirects not followed: (status, response headers, body)."""
    req = urllib.request.Request(url, data=body, method=method, headers=dict(headers))
    try:
        with _DIRECT_NO_REDIRECT.open(req, timeout=timeout) as resp:
            return int(resp.status), list(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), list(exc.headers.items()), exc.read()


@contextlib.contextmanager
def server(database_url: str | None, data_dir: Path, args: argparse.Namespace,
           definitions: Path) -> Iterator[tuple[str, int]]:
    """`forms-engine serve` in its own process group; yields (base URL, process group id); always stopped."""
    port = free_port()
    cmd = [str(FORMS_ENGINE), "serve", "--host", HOST, "--port", str(port), "--workers", str(args.workers),
           "--definitions", str(definitions), "--log-level", args.log_level]
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


# -- wrk --------------------------------------------------------------------------------------------
def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def wrk_command(url: str, seconds: float, args: argparse.Namespace, script: Path,
                script_args: list[str]) -> list[str]:
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds:g}s", f"--timeout={args.timeout:g}s",
           "-s", _shown(script), url]
    if script_args:
        cmd += ["--", *script_args]
    return cmd


def run_wrk(label: str, url: str, seconds: float, args: argparse.Namespace, pgid: int, script: Path,
            script_args: list[str], quiet: bool = False) -> Run:
    """One wrk run whose script prints `BENCH_JSON {...}` (bench/wrk_report.lua's done()), with the CPU each
    party used meanwhile: the server's process group, wrk (a child of this process), every postgres process."""
    cmd = wrk_command(url, seconds, args, script, script_args)
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
               named_cpu_delta(pg0, pg1), busy1 - busy0, wall, out.stdout)


def preflight(p: argparse.ArgumentParser, args: argparse.Namespace) -> int | None:
    """What every wrk benchmark checks and prints before it starts: PostgreSQL only on loopback, wrk and the
    engine installed, the optional wait for a quiet machine, then the command, machine, code and wrk version.
    Returns an exit code when the run cannot start, None when it can."""
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
    return None
