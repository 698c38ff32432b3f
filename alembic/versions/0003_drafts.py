"""Drafts: answers saved between steps, resumable with a code (stored hashed).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "drafts",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("procedure_id", sa.String(64), nullable=False),
        sa.Column("definition_sha256", sa.String(64), nullable=False),
        sa.Column("answers", JSON, nullable=True),
        sa.Column("state", JSON, nullable=False),
        sa.Column("resume_code_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("submitted_receipt_number", sa.String(20), nullable=True),
    )
    op.create_index("ix_drafts_expires_at", "drafts", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_drafts_expires_at", table_name="drafts")
    op.drop_table("drafts")
