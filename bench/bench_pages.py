"""Requests per second of the resident pages of a real `forms-engine serve` on loopback, measured with wrk.

Run from the repository root (bench/setup installs wrk with apt-get when it is missing):

    bench/setup
    .venv/bin/python bench/bench_pages.py                        # SQLite, 3 rounds of 10 s per endpoint
    .venv/bin/python bench/bench_pages.py --db both --rounds 5 --duration 5

For each database it starts `forms-engine serve --workers 2 --definitions form_definitions` on a free port of
127.0.0.1 in its own process group (SQLite: the embedded database in a temporary data dir; PostgreSQL: a fresh
database `bench_<random>`, migrated, dropped afterwards; see bench/_serve.py), then makes residents the way a
browser does: GET /procedures/dog-registration (the CSRF cookie and token), POST it (「申請を始める」: a new
draft and its signed cookie). `--residents` of them for each of the two page endpoints, so that every
request is another resident with another draft. Then, in each of `--rounds` rounds, one wrk run
(`--threads`, `--connections`, `--duration`; a `--warmup` run first, not reported) against:

(a) GET /healthz, the constant answer (bench/wrk_report.lua): the ceiling of the HTTP stack, same run;
(b) "blank step": GET /procedures/dog-registration/steps/owner with a fresh draft's cookies
    (bench/wrk_pages.lua rotates the residents); 200 and the step's form expected;
(c) "failed submit": POST of that step with the CSRF token and answers that fail validation in four places
    (family name missing, furigana in kanji, a 5-digit postal code, a short phone number); the engine saves
    the draft, then answers 422 with the error summary. Any other answer is counted as unexpected.

One sample of (b) and (c) is checked with Python first (status, the form, the four messages of the error
summary); afterwards the drafts are read from the database: every (c) resident's draft must hold what was
typed, every (b) resident's draft must still be blank. It prints, per endpoint and round, requests/s,
latency p50/p99, the unexpected answers, and the CPU the server, wrk, postgres and the rest of the machine
used (server CPU ms per request moves least when others share the machine), then the best and the median
of the rounds. The server is always stopped at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from _fixture import BENCH
from _machine import describe
from _serve import (
    DEFAULT_PG,
    ROOT,
    Run,
    http_raw,
    postgres_database,
    preflight,
    run_wrk,
    server,
)

DEFINITIONS = ROOT / "form_definitions"
PROCEDURE_ID = "dog-registration"
STEP_ID = "owner"
START_PATH = f"/procedures/{PROCEDURE_ID}"
STEP_PATH = f"/procedures/{PROCEDURE_ID}/steps/{STEP_ID}"
REPORT_LUA = BENCH / "wrk_report.lua"
PAGES_LUA = BENCH / "wrk_pages.lua"
DRAFT_COOKIE = f"fe_draft_{PROCEDURE_ID}"
# What a resident types on the owner step, wrong in four places.
FAILING = {
    "/owner_name/family": "", "/owner_name/given": "太郎",
    "/owner_kana/family": "山田", "/owner_kana/given": "タロウ",
    "/owner_address/postal_code": "12345", "/owner_address/prefecture": "東京都",
    "/owner_address/city": "千代田区", "/owner_address/street": "千代田1-1", "/owner_address/building": "",
    "/phone": "03-12",
}
# The error summary links to the four fields, in page order (the wording of the messages is not pinned here).
FAILING_LINKS = ("#f-owner_name-family", "#f-owner_kana-family", "#f-owner_address-postal_code", "#f-phone")
STEP_MARKER = f'action="{STEP_PATH}"'
SUMMARY_MARKER = 'id="error-summary"'
_CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


@dataclass(frozen=True)
class Resident:
    cookie: str  # the Cookie header: CSRF browser id and the draft
    csrf: str
    draft_id: str


@dataclass
class Endpoint:
    label: str
    runs: list[Run] = field(default_factory=list)
    unexpected: list[int] = field(default_factory=list)


@dataclass
class DbResult:
    db: str
    endpoints: list[Endpoint]
    drafts_ok: str = ""


# -- residents -------------------------------------------------------------------------------------
def _cookies(headers: list[tuple[str, str]]) -> dict[str, str]:
    found = {}
    for name, value in headers:
        if name.lower() == "set-cookie":
            pair = value.split(";", 1)[0]
            key, _, val = pair.partition("=")
            found[key.strip()] = val.strip()
    return found


def new_resident(base: str) -> Resident:
    """The start page (CSRF cookie and token), then 「申請を始める」: a new draft, as a browser does."""
    status, headers, body = http_raw("GET", base + START_PATH, {"Accept-Language": "ja"})
    found = _CSRF.search(body.decode())
    cookies = _cookies(headers)
    if status != 200 or found is None or "fe_csrf" not in cookies:
        raise RuntimeError(f"the start page answered {status} without a CSRF token or cookie")
    csrf = found.group(1)
    form = urllib.parse.urlencode({"_csrf": csrf}).encode()
    status, headers, _ = http_raw("POST", base + START_PATH, {
        "Cookie": f"fe_csrf={cookies['fe_csrf']}", "Content-Type": "application/x-www-form-urlencoded"}, form)
    draft = _cookies(headers).get(DRAFT_COOKIE)
    location = dict((k.lower(), v) for k, v in headers).get("location")
    if status != 303 or draft is None or location != STEP_PATH:
        raise RuntimeError(f"starting a draft answered {status} (location {location}, cookie {draft is not None})")
    return Resident(f"fe_csrf={cookies['fe_csrf']}; {DRAFT_COOKIE}={draft}", csrf, draft.split(".")[0])


def failing_body(resident: Resident) -> str:
    return urllib.parse.urlencode({"_csrf": resident.csrf, "_action": "next", **FAILING})


def write_residents(path: Path, residents: list[Resident], body: Callable[[Resident], str] | None) -> None:
    path.write_text("".join(f"{r.cookie}\t{body(r) if body else ''}\n" for r in residents), encoding="utf-8")


def check_samples(base: str, blank: Resident, failing: Resident) -> None:
    """One blank step page and one failed submit, checked in full before wrk sends thousands."""
    status, _, page = http_raw("GET", base + STEP_PATH, {"Cookie": blank.cookie, "Accept-Language": "ja"})
    text = page.decode()
    size = len(page)
    if status != 200 or STEP_MARKER not in text or f'value="{blank.csrf}"' not in text or SUMMARY_MARKER in text:
        raise RuntimeError(f"the blank step page answered {status}: {text[:500]!r}")
    status, _, page = http_raw("POST", base + STEP_PATH, {
        "Cookie": failing.cookie, "Accept-Language": "ja", "Content-Type": "application/x-www-form-urlencoded",
    }, failing_body(failing).encode())
    text = page.decode()
    summary = text.partition(SUMMARY_MARKER)[2].partition("</ul>")[0]
    links = re.findall(r'<li><a href="([^"]+)">[^<]+</a></li>', summary)
    if status != 422 or links != list(FAILING_LINKS):
        raise RuntimeError(f"the failed submit answered {status}, error summary links {links}: {text[:500]!r}")
    print(f"  checked: blank step 200 ({size:,} bytes), failed submit 422 with the 4 errors ({len(page):,} bytes)")


def check_drafts(url: str, blank: list[Resident], failing: list[Resident]) -> str:
    """Every failed-submit resident's draft holds what was typed; every blank one is still blank."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = dict(conn.execute(sa.text("SELECT id, answers FROM drafts WHERE procedure_id = :p"),
                                     {"p": PROCEDURE_ID}).all())
    finally:
        engine.dispose()

    def answers(draft_id: str) -> Any:
        value = rows.get(draft_id)
        return json.loads(value) if isinstance(value, str) else value

    typed = [r for r in failing if isinstance(a := answers(r.draft_id), dict)
             and a.get("owner_name", {}).get("given") == "太郎" and a.get("phone") == "03-12"
             and a.get("owner_address", {}).get("postal_code") == "12345"]
    untouched = [r for r in blank if not (answers(r.draft_id) or {}).get("owner_name")]
    unposted = [r for r in failing if not (answers(r.draft_id) or {}).get("owner_name")]
    ok = typed and len(typed) + len(unposted) == len(failing) and len(untouched) == len(blank)
    return (f"drafts: {len(typed)}/{len(failing)} failed-submit drafts hold what was typed ({len(unposted)} never "
            f"posted), {len(untouched)}/{len(blank)} blank-step drafts still blank -> {'OK' if ok else 'MISMATCH'}")


# -- runs ------------------------------------------------------------------------------------------
def unexpected_of(run: Run) -> int:
    """The count wrk_pages.lua printed: answers with another status, or without the expected marker."""
    line = next((x for x in run.output.splitlines() if x.startswith("BENCH_PAGES ")), None)
    return int(json.loads(line.removeprefix("BENCH_PAGES "))["unexpected"]) if line else run.wrk["non_2xx_3xx"]


def bench_database(db: str, args: argparse.Namespace) -> DbResult:
    endpoints = [Endpoint("GET /healthz"), Endpoint("GET blank step"), Endpoint("POST failed submit")]
    result = DbResult(db, endpoints)
    with tempfile.TemporaryDirectory(prefix=f"bench-pages-{db}-") as tmp, contextlib.ExitStack() as stack:
        data_dir = Path(tmp) / "data"
        if db == "postgresql":
            url = stack.enter_context(postgres_database(args.pg_url))
            serve_url: str | None = url
        else:
            url = f"sqlite:///{data_dir / 'forms-engine.sqlite3'}"
            serve_url = None  # the embedded default under FORMS_ENGINE_DATA_DIR, migrated by serve
        base, pgid = stack.enter_context(server(serve_url, data_dir, args, DEFINITIONS))
        blank = [new_resident(base) for _ in range(args.residents)]
        failing = [new_resident(base) for _ in range(args.residents)]
        print(f"  residents: {len(blank)} + {len(failing)} drafts started")
        check_samples(base, blank[0], failing[0])
        blank_file, failing_file = Path(tmp) / "blank.tsv", Path(tmp) / "failing.tsv"
        write_residents(blank_file, blank, None)
        write_residents(failing_file, failing, failing_body)
        plan = [
            (endpoints[0], "/healthz", REPORT_LUA, []),
            (endpoints[1], STEP_PATH, PAGES_LUA, [str(blank_file), "200", STEP_MARKER]),
            (endpoints[2], STEP_PATH, PAGES_LUA, [str(failing_file), "422", SUMMARY_MARKER]),
        ]
        if args.warmup > 0:
            for endpoint, path, lua, lua_args in plan:
                run_wrk(endpoint.label, base + path, args.warmup, args, pgid, lua, lua_args, quiet=True)
        for n in range(args.rounds):
            print(f"  round {n + 1}/{args.rounds}: {describe()}")
            for endpoint, path, lua, lua_args in plan:
                run = run_wrk(endpoint.label, base + path, args.duration, args, pgid, lua, lua_args, quiet=n > 0)
                endpoint.runs.append(run)
                endpoint.unexpected.append(unexpected_of(run) if lua == PAGES_LUA else run.wrk["non_2xx_3xx"])
        result.drafts_ok = check_drafts(url, blank, failing)
    return result


# -- report ----------------------------------------------------------------------------------------
def report(result: DbResult, args: argparse.Namespace) -> None:
    cores = os.cpu_count() or 1
    print(f"\n== {result.db}: serve --workers {args.workers}; wrk -t{args.threads} -c{args.connections} "
          f"-d{args.duration:g}s; {args.rounds} round(s) ==")
    print(f"{'endpoint':<20} {'round':>5} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'unexp':>6} "
          f"{'sockerr':>7} {'requests':>8} | {'server':>6} {'CPU ms':>6} {'wrk':>5} {'pg':>5} {'other':>5}")
    for endpoint in result.endpoints:
        for n, (r, bad) in enumerate(zip(endpoint.runs, endpoint.unexpected, strict=True)):
            lat = r.wrk["latency_us"]
            print(f"{endpoint.label:<20} {n + 1:>5} {r.rps:>8,.1f} {lat['p50'] / 1000:>7.2f} "
                  f"{lat['p99'] / 1000:>7.1f} {lat['max'] / 1000:>7.0f} {bad:>6} {r.socket_errors:>7} "
                  f"{r.wrk['requests']:>8,} | {r.server_cpu_s / r.wall_s:>6.2f} {r.server_ms_per_request:>6.2f} "
                  f"{r.wrk_cpu_s / r.wall_s:>5.2f} {r.postgres_cpu_s / r.wall_s:>5.2f} {r.other_cores:>5.2f}")
    print(f"(server, wrk, pg, other: cores busy of {cores}, averaged over the run; CPU ms: server CPU per request; "
          "unexp: answers other than 200 with the form (blank step), 422 with the error summary (failed submit), "
          "non-2xx (/healthz))")
    print(f"\n{'endpoint':<20} {'best req/s':>10} {'median':>8} | {'p50 ms':>7} {'p99 ms':>7} (median) | "
          f"{'CPU ms/req best':>15} {'median':>7} | {'unexpected':>10}")
    for endpoint in result.endpoints:
        rps = [r.rps for r in endpoint.runs]
        cpu = [r.server_ms_per_request for r in endpoint.runs]
        p50 = statistics.median(r.wrk["latency_us"]["p50"] for r in endpoint.runs) / 1000
        p99 = statistics.median(r.wrk["latency_us"]["p99"] for r in endpoint.runs) / 1000
        print(f"{endpoint.label:<20} {max(rps):>10,.1f} {statistics.median(rps):>8,.1f} | {p50:>7.2f} {p99:>7.1f}"
              f"          | {min(cpu):>15.2f} {statistics.median(cpu):>7.2f} | {sum(endpoint.unexpected):>10}")
    print(result.drafts_ok)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    p.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="sqlite")
    p.add_argument("--rounds", type=int, default=3, help="measured rounds of the three endpoints (default 3)")
    p.add_argument("--duration", type=float, default=10.0, help="seconds of each measured wrk run (default 10)")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds of an unreported wrk run first (default 2)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--residents", type=int, default=200, help="drafts per page endpoint (default 200)")
    p.add_argument("--timeout", type=float, default=10.0, help="wrk's request timeout in seconds (default 10)")
    p.add_argument("--workers", type=int, default=2, help="serve --workers (default 2)")
    p.add_argument("--log-level", default="info", help="serve --log-level (default info, as `serve` has)")
    p.add_argument("--pg-url", default=os.environ.get("FORMS_ENGINE_TEST_POSTGRES_URL", DEFAULT_PG),
                   help="an existing PostgreSQL database to connect to as admin (loopback only)")
    p.add_argument("--startup-timeout", type=float, default=60.0)
    p.add_argument("--wait-quiet", type=float, default=0.0, metavar="S",
                   help="first wait up to S seconds for the 1-minute load average to fall under 0.5")
    p.add_argument("--json", type=Path, help="also write the results to this file")
    args = p.parse_args(argv)
    if not (0 < args.duration <= 300 and 0 <= args.warmup <= 60 and 1 <= args.threads <= 10
            and args.threads <= args.connections <= 256 and 0 < args.timeout <= 60 and 1 <= args.workers <= 16
            and 1 <= args.rounds <= 20 and 1 <= args.residents <= 5000):
        p.error("out of bounds: 0<duration<=300, 0<=warmup<=60, 1<=threads<=10, threads<=connections<=256, "
                "0<timeout<=60, 1<=workers<=16, 1<=rounds<=20, 1<=residents<=5000")
    stopped = preflight(p, args)
    if stopped is not None:
        return stopped
    results = []
    for db in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
        print(f"\n-- {db}")
        try:
            result = bench_database(db, args)
        except (RuntimeError, subprocess.SubprocessError, sa.exc.SQLAlchemyError) as exc:
            print(f"bench_pages: {db}: {exc}", file=sys.stderr)
            return 1
        results.append(result)
        report(result, args)
    print(f"\nafter: {describe()}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([{
            "db": r.db, "drafts": r.drafts_ok,
            "endpoints": [{"label": e.label, "unexpected": e.unexpected, "runs": [x.as_json() for x in e.runs]}
                          for e in r.endpoints],
        } for r in results], indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
