"""deadlines: extensions, notifications, sweep alert marks

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 00:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

DUE_SOON_PENDING = "alerted_due_soon_for IS NULL OR alerted_due_soon_for <> due_at"
OVERDUE_PENDING = "alerted_overdue_for IS NULL OR alerted_overdue_for <> due_at"


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "extensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("reason", sa.LargeBinary(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("old_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("new_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paused_days_before", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"], ["requests.id"], name=op.f("fk_extensions_request_id_requests")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_extensions_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extensions")),
    )
    with op.batch_alter_table("extensions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_extensions_request_id"), ["request_id"], unique=False)

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("request_ref", sa.String(length=32), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_notifications_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_sent_at", ["sent_at", "id"], unique=False)
        batch_op.create_index("ix_notifications_staff", ["staff_id", "id"], unique=False)

    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("alerted_due_soon_for", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("alerted_overdue_for", sa.DateTime(timezone=True), nullable=True)
        )
    # Partial indexes outside the batch so SQLite keeps their WHERE clauses.
    op.create_index(
        "ix_requests_due_soon_alert",
        "requests",
        ["status", "due_at"],
        unique=False,
        postgresql_where=sa.text(DUE_SOON_PENDING),
        sqlite_where=sa.text(DUE_SOON_PENDING),
    )
    op.create_index(
        "ix_requests_overdue_alert",
        "requests",
        ["status", "due_at"],
        unique=False,
        postgresql_where=sa.text(OVERDUE_PENDING),
        sqlite_where=sa.text(OVERDUE_PENDING),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_requests_overdue_alert", table_name="requests")
    op.drop_index("ix_requests_due_soon_alert", table_name="requests")
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_column("alerted_overdue_for")
        batch_op.drop_column("alerted_due_soon_for")

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_staff")
        batch_op.drop_index("ix_notifications_sent_at")
    op.drop_table("notifications")

    with op.batch_alter_table("extensions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_extensions_request_id"))
    op.drop_table("extensions")
