"""a partial index for the queue of open requests (the console's default page, §13)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 09:00:00

`open=true` lists requests received, in progress or awaiting the requester by due date.
Where most requests are closed and due long ago, ix_requests_due would walk past them all;
this index holds only open requests, so the first page is one short range scan.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

OPEN = "status IN ('received', 'in_progress', 'awaiting_requester')"


def upgrade() -> None:
    """Create ix_requests_open_due."""
    op.create_index(
        "ix_requests_open_due",
        "requests",
        ["due_at", "reference"],
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_index("ix_requests_open_due", table_name="requests")
