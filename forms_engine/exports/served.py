"""The exported procedure's definition as `serve` holds it, found by `forms-engine export` without the linter
when it can be.

An export's columns start from the definition served now: its file keeps the authors' order of fields, and
its columns are there even when nothing was filed under it. `serve` holds a file when the linter passes it and
no submission was filed under the same version number with other content (`definitions.service.check`).
Linting needs jsonschema and the validation stack, tens of MiB of imports that a CSV export never uses
(issue 7: the whole command under 100 MiB). So:

- no readable definition file names the procedure: none is served;
- exactly one names it, its content (SHA-256) is a version stored for the procedure, and nothing was filed
  under its version number with other content: it is served. It was stored by a filing, which `serve`
  accepted through the linter; and a file the linter now refused would stop `serve` anyway;
- otherwise (a version nothing was filed under yet, two files naming the procedure, a conflict): the full
  check decides, as `serve` would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from forms_engine.config import Settings
from forms_engine.definitions.canonical import definition_sha256
from forms_engine.definitions.loader import discover, read_json
from forms_engine.exports import repository
from forms_engine.exports.schemas import ServedDefinition


@dataclass(frozen=True)
class StoredDefinition:
    sha256: str
    document: Any


@dataclass(frozen=True)
class Served:
    """`exports.schemas.Catalogue` for one procedure: its definition served now, or None."""

    procedure_id: str
    definition: ServedDefinition | None

    def get(self, procedure_id: str) -> ServedDefinition | None:
        return self.definition if procedure_id == self.procedure_id else None


def served(engine: Engine, settings: Settings, procedure_id: str) -> Served:
    named = [document for document in _documents(settings) if _procedure_id(document) == procedure_id]
    if not named:
        return Served(procedure_id, None)
    if len(named) == 1:
        document = named[0]
        sha, version = definition_sha256(document), document["x-procedure"].get("version")
        with Session(engine) as session:
            stored = repository.stored_versions(session, procedure_id)
        if any(s == sha for s, _, _ in stored) and \
                not any(v == version and s != sha and filed for s, v, filed in stored):
            return Served(procedure_id, StoredDefinition(sha, document))
    return Served(procedure_id, _checked(engine, settings, procedure_id))


def _documents(settings: Settings) -> list[Any]:
    """Every definition file's JSON (as `definitions.loader` finds them); unreadable ones are left out, as the
    linter leaves them out."""
    found = []
    for path in discover([settings.definitions_dir]):
        document, problem = read_json(path)
        if problem is None:
            found.append(document)
    return found


def _procedure_id(document: Any) -> Any:
    meta = document.get("x-procedure") if isinstance(document, dict) else None
    return meta.get("id") if isinstance(meta, dict) else None


def _checked(engine: Engine, settings: Settings, procedure_id: str) -> ServedDefinition | None:
    """The full check of every file, as `bootstrap.prepare` does it (here only: it loads the linter)."""
    from forms_engine.definitions.service import check, lint_context
    from forms_engine.rendering.widgets import default_widgets
    from forms_engine.validation.formats import default_registry

    definitions, _problems = check([settings.definitions_dir], lint_context(default_widgets(), default_registry()),
                                   engine)
    return next((d for d in definitions if d.id == procedure_id), None)
