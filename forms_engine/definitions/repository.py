"""All SQL about definition versions."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from forms_engine.definitions.schemas import Definition
from forms_engine.models import DefinitionVersion, Submission


def ensure_version(session: Session, definition: Definition) -> None:
    """Keep the definition a submission is filed against; a primary-key look-up when it is already kept."""
    if session.get(DefinitionVersion, definition.sha256) is not None:
        return
    dialect = session.get_bind().dialect.name
    table = DefinitionVersion.__table__  # type: ignore[attr-defined]
    stmt = (postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)).values(
        sha256=definition.sha256, procedure_id=definition.id, version=definition.version,
        document=definition.document, first_seen_at=datetime.now(UTC))
    session.execute(stmt.on_conflict_do_nothing(index_elements=["sha256"]))


def get_version(session: Session, sha256: str) -> DefinitionVersion | None:
    return session.get(DefinitionVersion, sha256)


def conflicting_versions(session: Session, definition: Definition) -> list[DefinitionVersion]:
    """Kept versions with this id and version number but other content, that submissions were filed against."""
    stmt = select(DefinitionVersion).where(
        DefinitionVersion.procedure_id == definition.id,  # type: ignore[arg-type]
        DefinitionVersion.version == definition.version,  # type: ignore[arg-type]
        DefinitionVersion.sha256 != definition.sha256,  # type: ignore[arg-type]
        exists().where(Submission.definition_sha256 == DefinitionVersion.sha256),  # type: ignore[arg-type]
    )
    return list(session.scalars(stmt))
