"""All tables, in one package, so Alembic and the services see the same metadata."""

from forms_engine.models.definition import DefinitionVersion
from forms_engine.models.draft import Draft
from forms_engine.models.signing import SigningRequest
from forms_engine.models.submission import Attachment, IdempotencyRecord, Submission

__all__ = ["Attachment", "DefinitionVersion", "Draft", "IdempotencyRecord", "SigningRequest", "Submission"]
