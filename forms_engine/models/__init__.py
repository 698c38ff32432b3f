"""All tables, in one package, so Alembic and the services see the same metadata."""

from forms_engine.models.audit import AuditEntry, AuditHead
from forms_engine.models.definition import DefinitionVersion
from forms_engine.models.draft import Draft
from forms_engine.models.resident import AuthChallenge, ResidentAccount, ResidentCertificate, ResidentSession
from forms_engine.models.resume_attempt import ResumeAttempt
from forms_engine.models.search import SubmissionSearchTerm
from forms_engine.models.signing import SigningRequest
from forms_engine.models.staff import (
    ApiToken,
    StaffAccount,
    StaffLoginAttempt,
    StaffRole,
    StaffSession,
    SubmissionEvent,
)
from forms_engine.models.submission import (
    Attachment,
    CorrectionDraft,
    IdempotencyRecord,
    Submission,
    SubmissionRevision,
)

__all__ = ["Attachment", "AuthChallenge", "DefinitionVersion", "Draft", "IdempotencyRecord", "ResidentAccount",
           "ResidentCertificate", "ResidentSession", "ResumeAttempt", "SigningRequest", "Submission"]
__all__ += ["ApiToken", "AuditEntry", "AuditHead", "StaffAccount", "StaffLoginAttempt", "StaffRole", "StaffSession",
            "SubmissionEvent"]  # staff and audit (forms_engine/staff, forms_engine/audit)
__all__ += ["SubmissionSearchTerm"]  # the staff search (forms_engine/staff/search.py)
__all__ += ["CorrectionDraft", "SubmissionRevision"]  # corrections (forms_engine/submissions/corrections.py)
