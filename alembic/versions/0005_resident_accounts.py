"""Resident accounts (申請履歴): authentication certificates, login challenges, sessions, and the account a
submission was filed from.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "resident_accounts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_login_at", TS, nullable=True),
    )
    op.create_table(
        "resident_certificates",
        sa.Column("fingerprint_sha256", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.String(36), sa.ForeignKey("resident_accounts.id"), nullable=False),
        sa.Column("issuer", sa.String(1024), nullable=False),
        sa.Column("serial", sa.String(64), nullable=False),
        sa.Column("not_after", TS, nullable=False),
        sa.Column("linked_at", TS, nullable=False),
        sa.Column("last_used_at", TS, nullable=True),
    )
    op.create_index("ix_resident_certificates_account_id", "resident_certificates", ["account_id"])
    op.create_table(
        "auth_challenges",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("nonce", sa.LargeBinary(), nullable=False),
        sa.Column("purpose", sa.String(8), nullable=False),
        sa.Column("account_id", sa.String(36), sa.ForeignKey("resident_accounts.id"), nullable=True),
        sa.Column("claim_sha256", sa.String(64), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("answered_at", TS, nullable=True),
        sa.Column("verified_account_id", sa.String(36), sa.ForeignKey("resident_accounts.id"), nullable=True),
        sa.Column("claimed_at", TS, nullable=True),
        sa.Column("result", JSON, nullable=True),
    )
    op.create_index("ix_auth_challenges_expires_at", "auth_challenges", ["expires_at"])
    op.create_table(
        "resident_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.String(36), sa.ForeignKey("resident_accounts.id"), nullable=False),
        sa.Column("certificate_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("ended_at", TS, nullable=True),
    )
    op.create_index("ix_resident_sessions_account_id", "resident_sessions", ["account_id"])
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("resident_account_id", sa.String(36), nullable=True))
        batch.create_foreign_key("fk_submissions_resident_account_id", "resident_accounts",
                                 ["resident_account_id"], ["id"])
        batch.create_index("ix_submissions_resident_received", ["resident_account_id", "received_at"])


def downgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.drop_index("ix_submissions_resident_received")
        batch.drop_constraint("fk_submissions_resident_account_id", type_="foreignkey")
        batch.drop_column("resident_account_id")
    op.drop_index("ix_resident_sessions_account_id", table_name="resident_sessions")
    op.drop_table("resident_sessions")
    op.drop_index("ix_auth_challenges_expires_at", table_name="auth_challenges")
    op.drop_table("auth_challenges")
    op.drop_index("ix_resident_certificates_account_id", table_name="resident_certificates")
    op.drop_table("resident_certificates")
    op.drop_table("resident_accounts")
