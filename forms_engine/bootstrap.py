"""Start-up: settings → database → checked definitions → application."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from fastapi import FastAPI
from sqlalchemy import Engine

from forms_engine.app import create_app
from forms_engine.config import Settings
from forms_engine.db import engine_for, has_schema, upgrade
from forms_engine.definitions.schemas import Problem
from forms_engine.definitions.service import DefinitionCatalogue, check, lint_context
from forms_engine.rendering.widgets import default_widgets
from forms_engine.signatures.service import VerifierConfigError
from forms_engine.validation.formats import default_registry


class StartupRefused(Exception):
    """The engine will not serve: the lines say which file and why."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


@dataclass
class Prepared:
    engine: Engine
    catalogue: DefinitionCatalogue
    problems: list[Problem]


def prepare(settings: Settings) -> Prepared:
    """Migrate the embedded database, then load and check every definition."""
    engine = engine_for(settings)
    if settings.is_embedded_sqlite:
        upgrade(engine)
    elif not has_schema(engine):
        raise StartupRefused(["データベースにテーブルがありません。先に `forms-engine db upgrade` を実行してください"])
    formats = default_registry()
    definitions, problems = check([settings.definitions_dir], lint_context(default_widgets(), formats), engine)
    if not settings.definitions_dir.is_dir():
        problems.append(Problem(str(settings.definitions_dir), "", "定義フォルダがありません"))
    return Prepared(engine, DefinitionCatalogue.build(definitions, formats), problems)


def build_app(settings: Settings) -> FastAPI:
    prepared = prepare(settings)
    if prepared.problems:
        raise StartupRefused([str(p) for p in prepared.problems])
    try:
        return create_app(settings, prepared.catalogue, engine=prepared.engine)
    except VerifierConfigError as exc:
        raise StartupRefused([str(exc)]) from exc


def app_from_env() -> FastAPI:
    """Uvicorn factory for `--workers N`: every worker reads the same FORMS_ENGINE_* environment."""
    try:
        return build_app(Settings())
    except StartupRefused as exc:
        print("\n".join(exc.lines), file=sys.stderr)
        raise SystemExit(1) from exc
