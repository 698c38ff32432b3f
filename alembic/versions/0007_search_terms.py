"""Staff search: the normalised terms of a submission (its 受付番号 and the answers a definition marks
`x-staff-search`), searched by prefix on the (procedure_id, term) B-tree index.

On PostgreSQL the term column uses the "C" collation so that the index orders by code point and a prefix
range (term >= q AND term < q || U+10FFFF) can use it; SQLite's default BINARY collation already does.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TERM = sa.String(128).with_variant(postgresql.VARCHAR(128, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "submission_search_terms",
        sa.Column("submission_id", sa.String(36), sa.ForeignKey("submissions.id"), primary_key=True),
        sa.Column("term", TERM, primary_key=True),
        sa.Column("procedure_id", sa.String(64), nullable=False),
    )
    op.create_index("ix_submission_search_terms_procedure_term", "submission_search_terms",
                    ["procedure_id", "term", "submission_id"])


def downgrade() -> None:
    op.drop_index("ix_submission_search_terms_procedure_term", table_name="submission_search_terms")
    op.drop_table("submission_search_terms")
