"""archive states and signing leases

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import backend.core.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "archive_states",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("tsa_expires_at", backend.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("renewed_at", backend.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_archive_states_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_archive_states")),
    )
    with op.batch_alter_table("archive_states", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_archive_states_tsa_expires_at"), ["tsa_expires_at"], unique=False
        )
    with op.batch_alter_table("document_versions", schema=None) as batch_op:
        batch_op.alter_column("created_by_id", existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table("signing_requests", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lease_until", backend.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("lease_holder", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("signing_requests", schema=None) as batch_op:
        batch_op.drop_column("lease_holder")
        batch_op.drop_column("lease_until")
    with op.batch_alter_table("document_versions", schema=None) as batch_op:
        batch_op.alter_column("created_by_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("archive_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_archive_states_tsa_expires_at"))
    op.drop_table("archive_states")
