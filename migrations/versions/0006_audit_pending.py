"""audit_pending: events accepted with their change, waiting to be sequenced into the chain

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 05:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

QUEUE_GUARD = """
CREATE OR REPLACE FUNCTION pirights_audit_pending_no_update() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit_pending rows are inserted and sequenced, never updated'
    USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "audit_pending",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("actor", sa.String(length=160), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("request_ref", sa.String(length=32), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("accepted_at", sa.String(length=27), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_pending")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # An accepted event is moved into the chain (INSERT there, DELETE here) as it is;
        # nobody may alter it while it waits.
        op.execute(QUEUE_GUARD)
        op.execute(
            "CREATE TRIGGER audit_pending_no_update BEFORE UPDATE ON audit_pending "
            "FOR EACH ROW EXECUTE FUNCTION pirights_audit_pending_no_update()"
        )


def downgrade() -> None:
    """Revert this revision (events still waiting are sequenced first: see below)."""
    bind = op.get_bind()
    # Never drop an accepted event: refuse while any is still waiting to be sequenced.
    waiting = bind.execute(sa.text("SELECT count(*) FROM audit_pending")).scalar_one()
    if waiting:
        raise RuntimeError(
            f"{waiting} audit event(s) are still waiting to be sequenced: run "
            "`pirights audit sequence` before downgrading"
        )
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_pending_no_update ON audit_pending")
        op.execute("DROP FUNCTION IF EXISTS pirights_audit_pending_no_update()")
    op.drop_table("audit_pending")
