"""The staff search's terms: for each submission, the normalised words staff can find it by (its 受付番号 and the
answers its definition marks ``x-staff-search``), searched by prefix on the (procedure_id, term) index.

``term`` compares by code point on both databases: SQLite's default BINARY collation, and the "C" collation on
PostgreSQL (a linguistic collation would not order a prefix range contiguously, nor let the index serve it)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import VARCHAR
from sqlmodel import Field, SQLModel

TERM_LENGTH = 128
TermType = String(TERM_LENGTH).with_variant(VARCHAR(TERM_LENGTH, collation="C"), "postgresql")


class SubmissionSearchTerm(SQLModel, table=True):
    __tablename__ = "submission_search_terms"
    __table_args__ = (Index("ix_submission_search_terms_procedure_term", "procedure_id", "term", "submission_id"),)

    submission_id: str = Field(sa_column=Column("submission_id", String(36), ForeignKey("submissions.id"),
                                                primary_key=True))
    term: str = Field(sa_column=Column("term", TermType, primary_key=True))
    procedure_id: str = Field(max_length=64)
