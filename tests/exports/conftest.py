"""Shared by the export tests: the staff tests' procedures (alpha in dept-a, beta in dept-b) and gamma
(dept-a, with a list of children), staff accounts and bearer tokens."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.staff.conftest import DEFS as STAFF_DEFS
from tests.staff.conftest import ClientFactory

DEFS = Path(__file__).resolve().parent / "definitions"
MY_NUMBER = "123456789018"


@pytest.fixture
def client(make_client: ClientFactory) -> TestClient:
    return make_client(STAFF_DEFS, DEFS)


def gamma(name: str, children: list[dict[str, str]] | None = None, note: str | None = None) -> dict[str, object]:
    answers: dict[str, object] = {"name": name, "my_number": MY_NUMBER, "kind": "new"}
    if children is not None:
        answers["children"] = children
    if note is not None:
        answers["note"] = note
    return answers
