"""Guessing resume codes: at most N wrong codes per client (IPv4 address, IPv6 /64) and window, counted in
the database (every worker sees it), then 429 in Japanese with Retry-After; unknown and expired look alike."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine
from sqlmodel import Session, select

from forms_engine.drafts.limiter import ResumeLimiter, network_of
from forms_engine.models import Draft, ResumeAttempt

from .conftest import SAMPLES_DIR, csrf_of, title_of
from .htmlform import HtmlForm, post_items
from .test_drafts import DOG, save_after_two_steps

ClientFactory = Callable[..., TestClient]
WRONG = "2345-6789-ABCD"


def attempt(client: TestClient, code: str) -> Response:
    response: Response = client.post("/resume", data=post_items([*csrf_of(client.get("/resume").text),
                                                                 ("code", code)]), follow_redirects=False)
    return response


def rows(engine: Engine) -> list[ResumeAttempt]:
    with Session(engine) as session:
        return list(session.exec(select(ResumeAttempt)).all())


def test_the_eleventh_wrong_code_gets_429_in_japanese(make_client: ClientFactory, db_engine: Engine) -> None:
    client = make_client(SAMPLES_DIR)
    code, _ = save_after_two_steps(client)
    guesser = TestClient(client.app, client=("203.0.113.7", 50000))
    for n in range(10):
        refused = attempt(guesser, WRONG)
        assert refused.status_code == 422 and "この再開コードの入力内容は見つかりませんでした" in refused.text, n
    blocked = attempt(guesser, code)  # even the right code: no more lookups from here for now
    assert blocked.status_code == 429
    retry_after = int(blocked.headers["Retry-After"])
    assert 595 <= retry_after <= 600
    assert title_of(blocked.text) == "エラー: 入力の再開 - forms-engine 見本市"
    found = re.search(r"再開コードの誤りが続いたため、しばらくの間、再開コードを受け付けません。"
                      r"令和\d+年\d+月\d+日 \d+時\d\d分（JST）以降（(\d+)分ほど後）に、もう一度入力してください",
                      blocked.text)
    assert found is not None and found.group(1) == "10", blocked.text
    assert 'data-focus="error-summary"' in blocked.text and HtmlForm(blocked.text).named("code")[0].value == code
    assert len(rows(db_engine)) == 10  # the refused attempt was withdrawn: waiting lifts the limit
    # another network is not affected, and the code works there
    other = TestClient(client.app, client=("198.51.100.20", 50000))
    resumed = attempt(other, code)
    assert resumed.status_code == 303 and resumed.headers["location"] == f"{DOG}/steps/health"
    # once the failures are older than the window, the first client may try again
    with Session(db_engine) as session:
        for row in session.exec(select(ResumeAttempt)).all():
            row.attempted_at -= timedelta(minutes=10)
            session.add(row)
        session.commit()
    again = attempt(guesser, code)
    assert again.status_code == 303 and again.headers["location"] == f"{DOG}/steps/health"
    assert rows(db_engine) == []  # stale rows cleared on the way, the success not counted


def test_empty_malformed_and_right_codes_are_not_counted(make_client: ClientFactory, db_engine: Engine) -> None:
    client = make_client(SAMPLES_DIR, resume_max_failures=2)
    code, _ = save_after_two_steps(client)
    resident = TestClient(client.app)
    for typed in ["", "ABC", "ABCD-EFGH-JKL1"] * 4:
        assert attempt(resident, typed).status_code == 422
    for _ in range(3):
        assert attempt(resident, code).status_code == 303
    assert rows(db_engine) == []
    assert attempt(resident, WRONG).status_code == 422
    assert attempt(resident, WRONG).status_code == 422
    assert attempt(resident, WRONG).status_code == 429  # the limit is a setting
    assert len(rows(db_engine)) == 2


def test_unknown_and_expired_codes_get_the_same_page(make_client: ClientFactory, db_engine: Engine) -> None:
    client = make_client(SAMPLES_DIR)
    code, _ = save_after_two_steps(client)
    with Session(db_engine) as session:
        (draft,) = session.exec(select(Draft)).all()
        draft.expires_at = datetime.now(UTC) - timedelta(minutes=1)
        session.add(draft)
        session.commit()
    other = TestClient(client.app)
    expired, unknown = attempt(other, code), attempt(other, WRONG)
    assert expired.status_code == unknown.status_code == 422
    csrf = re.compile(r'name="_csrf" value="[^"]*"')
    assert csrf.sub("", expired.text).replace(code, WRONG) == csrf.sub("", unknown.text)


def test_concurrent_attempts_never_pass_the_limit(db_engine: Engine) -> None:
    """Every attempt is committed before it is counted: of max + 1 attempts in flight at once, at most max
    go on to a lookup, whatever the order they are counted in."""
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    with Session(db_engine) as session:
        limiter = ResumeLimiter(session, "k", max_failures=2, window=timedelta(minutes=10))
        client = limiter.client_key("192.0.2.1")
        ids = [limiter.record(client, now) for _ in range(3)]
        session.commit()
        verdicts = [limiter.admit(client, i, now).allowed for i in ids]
        session.commit()
    assert verdicts == [False, True, True]


def test_retry_after_is_when_the_oldest_counted_failure_leaves_the_window(db_engine: Engine) -> None:
    start = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    with Session(db_engine) as session:
        limiter = ResumeLimiter(session, "k", max_failures=3, window=timedelta(minutes=10))
        client = limiter.client_key("192.0.2.1")
        for minute in range(3):  # three failures at 12:00, 12:01, 12:02
            at = start + timedelta(minutes=minute)
            assert limiter.admit(client, limiter.record(client, at), at).allowed
        session.commit()
        at = start + timedelta(minutes=5)
        refused = limiter.admit(client, limiter.record(client, at), at)
        assert not refused.allowed and refused.retry_at == start + timedelta(minutes=10)
        assert refused.retry_after(at) == 300
        at = start + timedelta(minutes=10, seconds=1)  # 12:00 left the window: one more try
        assert limiter.admit(client, limiter.record(client, at), at).allowed
        session.commit()
        assert len(rows(db_engine)) == 3  # 12:01, 12:02 and the last one (12:00 cleared)


@pytest.mark.parametrize(("address", "network"), [
    ("203.0.113.7", "203.0.113.7"),
    ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
    ("::ffff:203.0.113.7", "203.0.113.7"),
    (None, "unknown"),
])
def test_a_client_is_an_ipv4_address_or_an_ipv6_64(address: str | None, network: str) -> None:
    assert network_of(address) == network


def test_no_address_is_stored(db_engine: Engine) -> None:
    with Session(db_engine) as session:
        limiter = ResumeLimiter(session, "k", max_failures=2, window=timedelta(minutes=10))
        limiter.record(limiter.client_key("203.0.113.7"))
        session.commit()
    (row,) = rows(db_engine)
    assert re.fullmatch(r"[0-9a-f]{64}", row.client) and "203.0.113" not in row.client
    assert row.client != ResumeLimiter(Session(db_engine), "other key", 2, timedelta(minutes=1)).client_key(
        "203.0.113.7")
