"""The definitions a running engine serves, each with its validator built once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from forms_engine.db import has_schema
from forms_engine.definitions import repository
from forms_engine.definitions.linter import LintContext, lint_paths
from forms_engine.definitions.schemas import Definition, Problem
from forms_engine.rendering.widgets import WidgetRegistry
from forms_engine.validation.formats import FormatRegistry
from forms_engine.validation.service import AnswerValidator


@dataclass
class DefinitionCatalogue:
    definitions: dict[str, Definition]
    validators: dict[str, AnswerValidator]

    @classmethod
    def build(cls, definitions: list[Definition], formats: FormatRegistry) -> DefinitionCatalogue:
        return cls(
            definitions={d.id: d for d in definitions},
            validators={d.id: AnswerValidator(d, formats) for d in definitions},
        )

    def get(self, procedure_id: str) -> Definition | None:
        return self.definitions.get(procedure_id)

    def validator(self, procedure_id: str) -> AnswerValidator:
        return self.validators[procedure_id]

    def all(self) -> list[Definition]:
        return sorted(self.definitions.values(), key=lambda d: d.id)


def lint_context(widgets: WidgetRegistry, formats: FormatRegistry) -> LintContext:
    return LintContext(widgets=widgets.names(), formats=formats.names())


def check(paths: list[Path], ctx: LintContext, engine: Engine | None) -> tuple[list[Definition], list[Problem]]:
    """Lint the files, then (when there is a database) refuse changed content under an unchanged version."""
    definitions, problems = lint_paths(paths, ctx)
    if engine is not None and has_schema(engine):
        with Session(engine) as session:
            for d in definitions:
                for old in repository.conflicting_versions(session, d):
                    problems.append(Problem(
                        str(d.path), "/x-procedure/version",
                        f"version {d.version} で受け付けた申請がありますが、内容が変わっています"
                        f"（保存済み SHA-256 {old.sha256[:12]}…）。version を上げてください"))
    bad = {p.file for p in problems}
    return [d for d in definitions if str(d.path) not in bad], problems
