"""Initial tables: definition versions, submissions, attachments, idempotency keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "definition_versions",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("procedure_id", sa.String(64), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("document", JSON, nullable=False),
        sa.Column("first_seen_at", TS, nullable=False),
    )
    op.create_index("ix_definition_versions_procedure_version", "definition_versions", ["procedure_id", "version"])
    op.create_table(
        "submissions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("receipt_number", sa.String(20), nullable=False, unique=True),
        sa.Column("procedure_id", sa.String(64), nullable=False),
        sa.Column("procedure_version", sa.String(64), nullable=False),
        sa.Column("definition_sha256", sa.String(64), sa.ForeignKey("definition_versions.sha256"), nullable=False),
        sa.Column("answers", JSON, nullable=True),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("signature", JSON, nullable=True),
    )
    op.create_index("ix_submissions_procedure_received", "submissions", ["procedure_id", "received_at"])
    op.create_table(
        "attachments",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("submission_id", sa.String(36), sa.ForeignKey("submissions.id"), nullable=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("media_type", sa.String(127), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(255), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_attachments_submission_id", "attachments", ["submission_id"])
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(128), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("request_sha256", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_index("ix_attachments_submission_id", table_name="attachments")
    op.drop_table("attachments")
    op.drop_index("ix_submissions_procedure_received", table_name="submissions")
    op.drop_table("submissions")
    op.drop_index("ix_definition_versions_procedure_version", table_name="definition_versions")
    op.drop_table("definition_versions")
