"""SQLite writers queue across processes (`db.WriterQueue`): one writer at a time, the next one woken when the
lock is released rather than when SQLite's busy handler next polls, a bounded wait, nothing for readers."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import sqlalchemy as sa

from forms_engine.db import READ_ONLY_OPTION, WriterQueue, make_engine

HOLDER = """
import sys, time
from pathlib import Path
from forms_engine.db import WriterQueue
queue = WriterQueue(Path(sys.argv[1]))
assert queue.acquire(timeout=5)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
queue.release()
print("released", flush=True)
time.sleep(1)
"""


def test_a_second_writer_waits_for_the_first_and_gives_up_after_its_timeout(tmp_path: Path) -> None:
    lock = tmp_path / "db.sqlite3.writer-lock"
    first, second = WriterQueue(lock), WriterQueue(lock)  # two open files: as two processes would hold them
    assert first.acquire(timeout=1)
    started = time.monotonic()
    assert not second.acquire(timeout=0.2)
    assert time.monotonic() - started >= 0.2
    first.release()
    assert second.acquire(timeout=0.2)
    second.release()


def test_another_process_holding_the_lock_is_waited_for_and_its_release_wakes_the_next(tmp_path: Path) -> None:
    lock = tmp_path / "db.sqlite3.writer-lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock), "0.5"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        queue = WriterQueue(lock)
        started = time.monotonic()
        assert queue.acquire(timeout=10)
        waited = time.monotonic() - started
        queue.release()
        assert holder.stdout.readline().strip() == "released"
    finally:
        holder.wait(timeout=10)
    assert 0.3 <= waited < 5


def test_a_dead_holder_does_not_block_the_others(tmp_path: Path) -> None:
    lock = tmp_path / "db.sqlite3.writer-lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock), "60"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    holder.kill()
    holder.wait(timeout=10)
    queue = WriterQueue(lock)
    assert queue.acquire(timeout=2)
    queue.release()


def test_engines_on_one_file_queue_their_writes_and_readers_do_not_wait(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    one, two = make_engine(url), make_engine(url)  # two workers' engines
    with one.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (n INTEGER)")
    assert (tmp_path / "db.sqlite3.writer-lock").exists()
    done: list[float] = []
    with one.begin() as conn:  # a write transaction held open in the first worker
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")

        def second_writer() -> None:
            with two.begin() as other:
                other.exec_driver_sql("INSERT INTO t VALUES (2)")
            done.append(time.monotonic())

        thread = threading.Thread(target=second_writer)
        thread.start()
        time.sleep(0.3)
        assert not done  # queued behind the open transaction
        with two.connect().execution_options(**{READ_ONLY_OPTION: True}) as reader:
            assert reader.execute(sa.text("SELECT count(*) FROM t")).scalar_one() == 0  # a reader does not wait
        committed = time.monotonic()
    thread.join(timeout=10)
    assert done and done[0] - committed < 0.5
    with two.connect() as conn:
        assert conn.execute(sa.text("SELECT n FROM t ORDER BY n")).scalars().all() == [1, 2]
    one.dispose()
    two.dispose()
