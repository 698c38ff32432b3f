"""Signing requests.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "signing_requests",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("procedure_id", sa.String(64), nullable=False),
        sa.Column("definition_sha256", sa.String(64), nullable=False),
        sa.Column("submission_id", sa.String(36), nullable=False),
        sa.Column("answers_sha256", sa.String(64), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("payload_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("signed_at", TS, nullable=True),
        sa.Column("submitted_at", TS, nullable=True),
        sa.Column("result", JSON, nullable=True),
    )
    op.create_index("ix_signing_requests_procedure_id", "signing_requests", ["procedure_id"])


def downgrade() -> None:
    op.drop_index("ix_signing_requests_procedure_id", table_name="signing_requests")
    op.drop_table("signing_requests")
