"""seed the blocklist's state row

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 05:00:00

The row that carries the blocklist's version used to be created by the first addition,
so concurrent first additions raced to insert it (UniqueViolation, a 500). Seeded here,
every writer only locks and updates it.
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the row unless a first addition already did."""
    op.execute(
        "INSERT INTO blocklist_state (id, version) "
        "SELECT 1, 0 WHERE NOT EXISTS (SELECT 1 FROM blocklist_state WHERE id = 1)"
    )


def downgrade() -> None:
    """Keep the row: the code before this revision uses it as it is, and 0003's
    downgrade drops the table."""
