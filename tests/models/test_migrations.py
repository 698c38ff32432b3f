"""Tables come only from Alembic, and the migrations match the models exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

import forms_engine.models  # noqa: F401
from forms_engine.cli import main


def test_migrated_schema_equals_the_models(db_engine: Engine) -> None:
    with db_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_db_upgrade_command_creates_the_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    assert main(["db", "upgrade", "--database-url", url]) == 0
    from forms_engine.db import make_engine

    engine = make_engine(url)
    assert {"submissions", "definition_versions", "attachments", "idempotency_keys", "alembic_version"} <= set(
        inspect(engine).get_table_names())
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert main(["db", "upgrade", "--database-url", url]) == 0  # idempotent
