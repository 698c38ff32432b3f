"""Resume attempts: wrong resume codes per client, to limit guessing across workers.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "resume_attempts",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("attempted_at", TS, nullable=False),
    )
    op.create_index("ix_resume_attempts_client_at", "resume_attempts", ["client", "attempted_at"])
    op.create_index("ix_resume_attempts_attempted_at", "resume_attempts", ["attempted_at"])


def downgrade() -> None:
    op.drop_index("ix_resume_attempts_attempted_at", table_name="resume_attempts")
    op.drop_index("ix_resume_attempts_client_at", table_name="resume_attempts")
    op.drop_table("resume_attempts")
