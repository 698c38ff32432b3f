"""What the benchmarks print about the machine they ran on, and CPU counters read from /proc (Linux)."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def command_line() -> str:
    """The command that is running, with the interpreter relative to the current directory when inside it."""
    exe = Path(sys.executable)
    with contextlib.suppress(ValueError):
        exe = exe.relative_to(Path.cwd())
    return shlex.join([str(exe), *sys.argv])


def describe() -> str:
    """One line: cores, CPU model, Python, load average, date (UTC)."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (f"{os.cpu_count()} cores ({cpu_model()}), Python {platform.python_version()}, "
            f"load average {load}, {now}")


def code_state() -> str:
    """The commit measured, and the engine files changed since it (read-only git commands)."""
    root = Path(__file__).resolve().parent.parent

    def git(*args: str) -> str:
        try:
            out = subprocess.run(["git", "--no-optional-locks", "-C", str(root), *args],
                                 capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            return ""
        return out.stdout.rstrip("\n") if out.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD").strip() or "unknown"
    changed = [line[3:] for line in git("status", "--porcelain", "--", "forms_engine", "alembic",
                                        "pyproject.toml").splitlines()]
    if not changed:
        return f"commit {head}, engine unchanged since"
    shown = ", ".join(changed[:8]) + (", …" if len(changed) > 8 else "")
    return f"commit {head} + uncommitted changes to {len(changed)} engine file(s): {shown}"


def wait_until_quiet(max_wait: float, threshold: float = 0.5) -> float:
    """Wait (at most max_wait s) for the 1-minute load average to fall under threshold; return it."""
    deadline = time.monotonic() + max_wait
    while os.getloadavg()[0] >= threshold and time.monotonic() < deadline:
        time.sleep(5)
    return os.getloadavg()[0]


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    total = sum(fields[:8])  # user nice system idle iowait irq softirq steal
    return (total - idle) / _TICKS, total / _TICKS


def _group_stats(pgid: int) -> list[list[str]]:
    """The /proc/<pid>/stat fields after the command name, of every live process in one process group."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        rest = text.rsplit(")", 1)[1].split()
        if int(rest[2]) == pgid and rest[0] != "Z":  # field 3: state, field 5: pgrp
            found.append(rest)
    return found


def group_members(pgid: int) -> int:
    return len(_group_stats(pgid))


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU seconds of the live processes of one process group (e.g. a server and its workers)."""
    return sum(int(f[11]) + int(f[12]) for f in _group_stats(pgid)) / _TICKS  # fields 14, 15: utime, stime


def named_cpu_seconds(name: str) -> dict[int, float]:
    """CPU seconds so far of each live process whose command name is `name` (e.g. every postgres process)."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        head, rest = text.rsplit(")", 1)
        if head.split("(", 1)[1] == name:
            fields = rest.split()
            found[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / _TICKS
    return found


def named_cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between two named_cpu_seconds readings by the processes alive at both."""
    return sum(after[pid] - before[pid] for pid in after.keys() & before.keys())

