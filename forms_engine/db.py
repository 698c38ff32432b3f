"""Engine creation, the per-request session and migrations."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, event, inspect
from sqlmodel import Session, create_engine

from forms_engine.config import Settings

if TYPE_CHECKING:
    from alembic.config import Config

ALEMBIC_DIR = Path(__file__).resolve().parent.parent / "alembic"
READ_ONLY_OPTION = "forms_engine_read_only"
"""Execution option of a session that only reads (`Session(engine, execution_options={READ_ONLY_OPTION: True})`):
on SQLite its transaction is a plain deferred BEGIN, outside the writers' queue."""


def make_engine(url: str) -> Engine:
    """An engine; SQLite gets WAL, foreign keys, a busy timeout and BEGIN IMMEDIATE writes."""
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # let SQLAlchemy's begin event issue BEGIN
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        writer = WriterQueue(_lock_path(url))

        def _release(info: dict[str, Any]) -> None:
            if info.pop("fe_writer", False):
                writer.release()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            if conn.get_execution_options().get(READ_ONLY_OPTION):
                conn.connection.driver_connection.execute("BEGIN")  # a reader: a WAL snapshot, no write lock, never waits for writers
                return
            if writer.acquire(timeout=30):
                conn.info["fe_writer"] = True
            try:
                # Take the write lock at the start, so two writers queue instead of deadlocking.
                conn.connection.driver_connection.execute("BEGIN IMMEDIATE")
            except BaseException:
                _release(conn.info)
                raise

        @event.listens_for(engine, "commit")
        def _on_commit(conn: Any) -> None:
            _release(conn.info)

        @event.listens_for(engine, "rollback")
        def _on_rollback(conn: Any) -> None:
            _release(conn.info)

        @event.listens_for(engine, "reset")
        def _on_reset(_dbapi_conn: Any, record: Any, _state: Any = None) -> None:
            _release(record.info)

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


class WriterQueue:
    """SQLite writers, one at a time, queued before SQLite's own write lock: a waiting writer otherwise polls
    SQLite's busy handler in sleeps of up to 100 ms (p99 of seconds under load, docs/benchmarks.md).

    Within a process, a `threading.Lock` (plain, because a request may commit on another thread than the one
    that began); between the processes sharing the file (`serve --workers N`, commands), an exclusive
    `flock` on `<database>.writer-lock`, which wakes the next writer as soon as it is released (the kernel
    drops it if its process dies). Waiting gives up after `timeout` seconds and falls back to SQLite's busy
    handler, rather than waiting forever; an in-memory database needs only the thread lock."""

    def __init__(self, lock_path: Path | None) -> None:
        self._thread_lock = threading.Lock()
        self._lock_path = lock_path
        self._fd: int | None = None
        self._pid = 0  # the process that opened _fd: a forked child opens its own (flock is per open file)

    def acquire(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        if not self._thread_lock.acquire(timeout=timeout):
            return False
        if self._lock_path is None:
            return True
        try:
            if self._fd is None or self._pid != os.getpid():
                self._fd, self._pid = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600), os.getpid()
            pause = 0.0001
            while True:
                try:
                    fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return True
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        self._thread_lock.release()
                        return False
                    time.sleep(pause)  # the holder's transaction is short: a fine-grained, capped back-off
                    pause = min(pause * 2, 0.002)
        except BaseException:
            self._thread_lock.release()
            raise

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._thread_lock.release()


def _lock_path(url: str) -> Path | None:
    if not url.startswith("sqlite:///") or url.startswith("sqlite:///:memory:"):
        return None
    database = Path(url.removeprefix("sqlite:///").split("?", 1)[0])
    return database.with_name(database.name + ".writer-lock")


def alembic_config(url: str) -> Config:
    from alembic.config import Config  # here, not above: commands that never migrate need not load Alembic

    cfg = Config()
    cfg.set_main_option("script_location", str(ALEMBIC_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine) -> None:
    """Apply every pending Alembic migration to this engine's database."""
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def has_schema(engine: Engine) -> bool:
    return inspect(engine).has_table("submissions")


def session_scope(engine: Engine) -> Iterator[Session]:
    """One request, one transaction: services flush, this edge commits or rolls back."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def engine_for(settings: Settings) -> Engine:
    return make_engine(settings.effective_database_url)
