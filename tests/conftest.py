"""Shared fixtures: databases built by Alembic on SQLite and on PostgreSQL, apps, definitions."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from forms_engine.app import create_app
from forms_engine.config import Settings
from forms_engine.db import make_engine, upgrade
from forms_engine.definitions.service import DefinitionCatalogue, check, lint_context
from forms_engine.rendering.widgets import default_widgets
from forms_engine.validation.formats import default_registry

ROOT = Path(__file__).resolve().parent.parent
SAMPLES_DIR = ROOT / "form_definitions"
FIXTURES = ROOT / "tests" / "fixtures"
CORPUS = Path(os.environ.get("FORMS_ENGINE_SHARED_DIR", ROOT.parent / "shared")) / "corpus" / "rjsf"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _postgres_url() -> str | None:
    url = os.environ.get("FORMS_ENGINE_TEST_POSTGRES_URL", DEFAULT_PG)
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
        return url
    except Exception:
        return None


def _postgres_required() -> bool:
    return os.environ.get("FORMS_ENGINE_REQUIRE_POSTGRES") == "1"


_PG_STATE: dict[str, Any] = {}


def pytest_report_header(config: pytest.Config) -> list[str]:
    url = _postgres_url()
    if url is None:
        return ["!!! PostgreSQL NOT REACHABLE: every PostgreSQL test will be SKIPPED (CI requires them) !!!"]
    return [f"PostgreSQL tests run against {url}"]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _PG_STATE.get("skipped"):
        terminalreporter.write_line("!!! PostgreSQL tests were SKIPPED: this run proves nothing about PostgreSQL !!!",
                                    red=True, bold=True)


class PostgresTemplate:
    """A database migrated once; each test gets a fresh copy of it (CREATE DATABASE … TEMPLATE)."""

    def __init__(self, url: str) -> None:
        self.base = sa.engine.make_url(url)
        self.admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        self.template = f"fe_tmpl_{uuid.uuid4().hex[:10]}"
        self.created: list[str] = []
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{self.template}"'))
        engine = make_engine(self.url_for(self.template))
        upgrade(engine)
        engine.dispose()

    def url_for(self, name: str) -> str:
        return self.base.set(database=name).render_as_string(hide_password=False)

    def fresh(self) -> str:
        name = f"fe_t_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
        self.created.append(name)
        return self.url_for(name)

    def drop_all(self) -> None:
        with self.admin.connect() as conn:
            for name in [*self.created, self.template]:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def pg_template() -> Iterator[PostgresTemplate | None]:
    url = _postgres_url()
    if url is None:
        yield None
        return
    template = PostgresTemplate(url)
    yield template
    template.drop_all()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, pg_template: PostgresTemplate | None) -> str:
    """A migrated, empty database: SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        return url
    if pg_template is None:
        if _postgres_required():
            pytest.fail("PostgreSQL is required here (FORMS_ENGINE_REQUIRE_POSTGRES=1) but not reachable")
        _PG_STATE["skipped"] = True
        pytest.skip("PostgreSQL not reachable: PostgreSQL tests SKIPPED")
    return pg_template.fresh()


@pytest.fixture
def db_engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def load_catalogue(paths: list[Path], engine: Engine | None = None) -> DefinitionCatalogue:
    formats = default_registry()
    definitions, problems = check(paths, lint_context(default_widgets(), formats), engine)
    assert not problems, "\n".join(map(str, problems))
    return DefinitionCatalogue.build(definitions, formats)


def wrap_corpus(name: str) -> dict[str, Any]:
    """A corpus schema as a procedure: draft-07 (as its README says) with an x-procedure block."""
    schema = json.loads((CORPUS / f"{name}.schema.json").read_text(encoding="utf-8"))
    return {"$schema": "http://json-schema.org/draft-07/schema#", **schema,
            "x-procedure": {"id": f"rjsf-{name.lower()}", "version": "1.0.0", "department": "test",
                            "department_name": "試験"}}


def corpus_names() -> list[str]:
    return sorted(p.name.removesuffix(".schema.json") for p in CORPUS.glob("*.schema.json"))


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    for name in corpus_names():
        (folder / f"{name}.json").write_text(json.dumps(wrap_corpus(name), ensure_ascii=False), encoding="utf-8")
    return folder


@pytest.fixture
def make_client(db_engine: Engine, tmp_path: Path) -> Callable[..., TestClient]:
    """A TestClient over the given definition folders, on the parametrised database."""

    def factory(*paths: Path, **settings: Any) -> TestClient:
        defs = list(paths) or [SAMPLES_DIR]
        s = Settings(data_dir=tmp_path / "data", definitions_dir=defs[0], secret_key="test-secret", **settings)
        return TestClient(create_app(s, load_catalogue(defs, db_engine), engine=db_engine))

    return factory


@pytest.fixture
def definitions_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "defs"
    shutil.copytree(SAMPLES_DIR, folder)
    return folder
