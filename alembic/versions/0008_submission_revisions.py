"""Corrections (補正) filed under the same 受付番号: every earlier version of a submission's answers
(``submission_revisions``: answers as stored, still sealed; definition, signature; filed and replaced when), and
the drafts residents started to correct a submission (``correction_drafts``).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "submission_revisions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("submission_id", sa.String(36), sa.ForeignKey("submissions.id"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("answers", JSON, nullable=True),
        sa.Column("procedure_version", sa.String(64), nullable=False),
        sa.Column("definition_sha256", sa.String(64), sa.ForeignKey("definition_versions.sha256"), nullable=False),
        sa.Column("signature", JSON, nullable=True),
        sa.Column("filed_at", TS, nullable=False),
        sa.Column("replaced_at", TS, nullable=False),
        sa.UniqueConstraint("submission_id", "number", name="uq_submission_revisions_number"),
    )
    op.create_index("ix_submission_revisions_submission_id", "submission_revisions", ["submission_id"])
    op.create_table(
        "correction_drafts",
        sa.Column("draft_id", sa.String(64), primary_key=True),
        sa.Column("submission_id", sa.String(36), sa.ForeignKey("submissions.id"), nullable=False),
        sa.Column("request_event_id", sa.String(36), nullable=False),
        sa.Column("started_at", TS, nullable=False),
    )
    op.create_index("ix_correction_drafts_submission_id", "correction_drafts", ["submission_id"])


def downgrade() -> None:
    op.drop_index("ix_correction_drafts_submission_id", table_name="correction_drafts")
    op.drop_table("correction_drafts")
    op.drop_index("ix_submission_revisions_submission_id", table_name="submission_revisions")
    op.drop_table("submission_revisions")
