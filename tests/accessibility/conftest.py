"""The conformance data, the example results written by hand for these tests, and an app over them."""

from __future__ import annotations

import json
import shutil
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from forms_engine.accessibility.routes import get_sources
from forms_engine.accessibility.service import DATA_DIR, Sources
from forms_engine.bootstrap import build_app
from forms_engine.config import Settings

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
EXAMPLE = HERE / "results-example.json"
SAMPLES_DIR = ROOT / "form_definitions"


def example() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    return data


@pytest.fixture
def sources(tmp_path: Path) -> Callable[..., Sources]:
    """`sources(results)`: the packaged criteria and manual checks, with these results (None: no results file,
    a str: the file's raw text)."""

    def make(results: dict[str, Any] | str | None) -> Sources:
        path = tmp_path / f"results-{len(list(tmp_path.glob('results-*.json')))}.json"
        if isinstance(results, dict):
            path.write_text(json.dumps(results, ensure_ascii=False), encoding="utf-8")
        elif isinstance(results, str):
            path.write_text(results, encoding="utf-8")
        return Sources(criteria=DATA_DIR / "criteria.json", manual_checks=DATA_DIR / "manual-checks.json",
                       results=path)

    return make


@pytest.fixture
def client_for(tmp_path: Path) -> Iterator[Callable[[Sources], TestClient]]:
    """A TestClient over the sample procedures whose accessibility pages read `sources`."""
    clients: list[TestClient] = []

    def factory(chosen: Sources) -> TestClient:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            app = build_app(Settings(data_dir=tmp_path / f"data-{len(clients)}", definitions_dir=SAMPLES_DIR,
                                     secret_key="test-secret"))
        app.dependency_overrides[get_sources] = lambda: chosen
        client = TestClient(app)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


@pytest.fixture
def copy_of_data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(DATA_DIR, folder, ignore=shutil.ignore_patterns("results.json"))
    return folder
