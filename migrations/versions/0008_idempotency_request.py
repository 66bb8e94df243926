"""idempotency records name their request, so purge erases them with it

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 05:20:00

Records written before this revision keep a NULL request_id; `pirights purge` still
deletes them by age (their created_at precedes their request's closing).
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_idempotency_records_request_id_requests"),
            "requests",
            ["request_id"],
            ["id"],
        )
        batch_op.create_index(
            batch_op.f("ix_idempotency_records_request_id"), ["request_id"], unique=False
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_records_request_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_idempotency_records_request_id_requests"), type_="foreignkey"
        )
        batch_op.drop_column("request_id")
