"""index requests by closing time, for the dashboard's weekly on-time rate

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 08:15:00

The console dashboard counts the requests closed in each of the last 26 weeks and how
many of them on time. Without an index that is a scan of every request; with
(closed_at, on_time) it is an index-only range scan of the window's closings.
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the index."""
    op.create_index("ix_requests_closed", "requests", ["closed_at", "on_time"])


def downgrade() -> None:
    """Drop it."""
    op.drop_index("ix_requests_closed", table_name="requests")
