"""Killing the server mid-request never leaves a half-stored submission, and retries never file twice."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from forms_engine.models import DefinitionVersion, IdempotencyRecord, Submission
from tests.conftest import FIXTURES, SAMPLES_DIR

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, db_url: str, data_dir: Path) -> None:
        self.port = _free_port()
        env = {**os.environ, "FORMS_ENGINE_DATA_DIR": str(data_dir), "FORMS_ENGINE_SECRET_KEY": "crash-test"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "forms_engine.cli", "serve", "--port", str(self.port), "--database-url", db_url,
             "--definitions", str(SAMPLES_DIR), "--log-level", "warning"], env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.proc.kill()
        raise RuntimeError("server did not start")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)


def test_sigkill_under_load_leaves_only_whole_submissions(db_url: str, db_engine: Engine, tmp_path: Path) -> None:
    base = json.loads((FIXTURES / "samples" / "dog-registration.valid.json").read_text(encoding="utf-8"))
    keys = [f"crash-{i}" for i in range(120)]
    answers = {k: {**base, "dog_name": f"ポチ{i}"} for i, k in enumerate(keys)}

    def post(server: Server, key: str) -> tuple[str, int | None, dict[str, Any] | None]:
        try:
            r = httpx.post(f"{server.url}/api/v1/procedures/dog-registration/submissions",
                           json={"answers": answers[key]}, headers={"Idempotency-Key": key}, timeout=10)
            return key, r.status_code, r.json()
        except httpx.HTTPError:
            return key, None, None

    server = Server(db_url, tmp_path)
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(post, server, k) for k in keys]
        while sum(f.done() for f in futures) < 15:
            time.sleep(0.005)
        server.kill()  # mid-stream: some requests are inside their transaction right now
        first = [f.result() for f in futures]
    acknowledged = {key: body for key, code, body in first if code == 201 and body}
    assert 15 <= len(acknowledged) < len(keys)

    with Session(db_engine) as s:
        stored = list(s.exec(select(Submission)))
        records = {r.key: r for r in s.exec(select(IdempotencyRecord))}
        for sub in stored:  # whole: answers, its definition version and its idempotency record all there
            assert sub.answers is not None and sub.answers["dog_name"].startswith("ポチ")
            assert s.get(DefinitionVersion, sub.definition_sha256) is not None
        assert {r.response["id"] for r in records.values()} == {sub.id for sub in stored}
    for key, body in acknowledged.items():  # everything acknowledged was durable
        assert records[key].response == body

    server = Server(db_url, tmp_path)
    try:
        with ThreadPoolExecutor(8) as pool:
            second = list(pool.map(lambda k: post(server, k), keys))
    finally:
        server.kill()
    assert all(code == 201 for _, code, _ in second)
    for key, _, body in second:
        if key in acknowledged:
            assert body == acknowledged[key]
    with Session(db_engine) as s:
        stored = list(s.exec(select(Submission)))
    assert len(stored) == len(keys)  # one per key: nothing lost, nothing twice
    assert sorted(sub.answers["dog_name"] for sub in stored) == sorted(a["dog_name"] for a in answers.values())
