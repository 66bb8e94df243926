"""complaints: tracks, measures, remediation, subject blocklist

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 00:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "complaint_tracks",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("measure_due_at", TS, nullable=False),
        sa.Column("first_measure_at", TS, nullable=True),
        sa.Column("remediation_due_at", TS, nullable=True),
        sa.Column("remediated_at", TS, nullable=True),
        sa.Column("alerted_measure_for", TS, nullable=True),
        sa.Column("alerted_remediation_for", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"], ["requests.id"], name=op.f("fk_complaint_tracks_request_id_requests")
        ),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_complaint_tracks")),
    )
    op.create_index(
        "ix_complaint_tracks_measure", "complaint_tracks", ["first_measure_at", "measure_due_at"]
    )
    op.create_index(
        "ix_complaint_tracks_remediation",
        "complaint_tracks",
        ["remediated_at", "remediation_due_at"],
    )
    for table in ("complaint_measures", "complaint_remediations"):
        extra = (
            [sa.Column("kind", sa.String(length=24), nullable=False)]
            if table == "complaint_measures"
            else [sa.Column("model_version", sa.String(length=120), nullable=False)]
        )
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("request_id", sa.Integer(), nullable=False),
            *extra,
            sa.Column("detail", sa.LargeBinary(), nullable=False),
            sa.Column("staff_id", sa.Integer(), nullable=False),
            sa.Column("created_at", TS, nullable=False),
            sa.ForeignKeyConstraint(
                ["request_id"], ["requests.id"], name=op.f(f"fk_{table}_request_id_requests")
            ),
            sa.ForeignKeyConstraint(
                ["staff_id"], ["staff.id"], name=op.f(f"fk_{table}_staff_id_staff")
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        )
        op.create_index(op.f(f"ix_{table}_request_id"), table, ["request_id"])
    op.create_table(
        "blocklist_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("terms", sa.LargeBinary(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("deleted_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"], ["requests.id"], name=op.f("fk_blocklist_entries_request_id_requests")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["staff.id"], name=op.f("fk_blocklist_entries_created_by_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocklist_entries")),
    )
    op.create_index(op.f("ix_blocklist_entries_request_id"), "blocklist_entries", ["request_id"])
    op.create_index(op.f("ix_blocklist_entries_deleted_at"), "blocklist_entries", ["deleted_at"])
    op.create_table(
        "blocklist_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocklist_state")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("blocklist_state")
    op.drop_index(op.f("ix_blocklist_entries_deleted_at"), table_name="blocklist_entries")
    op.drop_index(op.f("ix_blocklist_entries_request_id"), table_name="blocklist_entries")
    op.drop_table("blocklist_entries")
    for table in ("complaint_remediations", "complaint_measures"):
        op.drop_index(op.f(f"ix_{table}_request_id"), table_name=table)
        op.drop_table(table)
    op.drop_index("ix_complaint_tracks_remediation", table_name="complaint_tracks")
    op.drop_index("ix_complaint_tracks_measure", table_name="complaint_tracks")
    op.drop_table("complaint_tracks")
